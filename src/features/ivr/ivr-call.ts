/**
 * One answered IVR call (MVA, EFA): the inbound leg answered through rtpengine
 * (AnsweredBridge), its digits (SIP INFO on the dialog and RFC 4733 events from rtpengine,
 * DTMF-05 first method wins), prompts and tones played to it, and the end of the call.
 * A digit pressed while a prompt plays stops the prompt (barge-in).
 */
import { AnsweredBridge } from '../../b2bua/answered-bridge.js';
import type { AdoptedLegs, CallLogger } from '../../b2bua/call.js';
import type { DtmfLegs } from '../../media/dtmf-leg.js';
import type { MediaAnchor } from '../../media/media-anchor.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { UserAgentCore } from '../../sip/ua/user-agent-core.js';
import { DigitCollector, type FieldResult, type DigitResult } from './digit-collector.js';
import type { DtmfEventSource } from './dtmf-source.js';
import type { PromptName, PromptSet } from './prompts.js';

/** rtpengine repeats a file this often: long enough for any ring time. */
export const REPEAT_FOREVER = 1000;

export interface IvrCallDeps {
  ua: UserAgentCore;
  anchor: MediaAnchor;
  log: CallLogger;
  prompts: PromptSet;
  /**
   * The server's per-leg digits (FeatureContext.dtmfLegs): INFO and RFC 4733 with one DTMF-05
   * lock per leg shared with the other features. Without it, `dtmf` gives the RFC 4733 digits.
   */
  legs?: DtmfLegs | undefined;
  dtmf: DtmfEventSource | undefined;
}

export class IvrCall {
  readonly bridge: AnsweredBridge;
  readonly digits = new DigitCollector();
  private unsubscribe: (() => void) | undefined;
  private playing = false;
  private ended = false;
  private readonly endWaiters: (() => void)[] = [];
  /** Called once when the caller hangs up (not when we release). */
  onCallerGone: (() => void) | undefined;
  /** Every prompt or tone started (call records, tests). */
  onPlay: ((name: PromptName) => void) | undefined;

  constructor(
    readonly inv: IncomingInvite,
    private readonly deps: IvrCallDeps,
  ) {
    this.bridge = new AnsweredBridge(inv, { ua: deps.ua, anchor: deps.anchor, log: deps.log });
    this.digits.onDigit = () => {
      if (this.playing) {
        this.playing = false;
        void this.bridge.stopPlay();
      }
    };
  }

  get log(): CallLogger {
    return this.deps.log;
  }

  get callId(): string {
    return this.bridge.callId;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Answer (200 OK) and start collecting digits. False when the call could not be answered. */
  async answer(): Promise<boolean> {
    const ok = await this.bridge.answer({
      onInfo: (info) => {
        if (this.deps.legs !== undefined) this.deps.legs.feedInfo(info, { callId: this.callId, tag: this.bridge.callerTag });
        else this.digits.feedInfo(info);
      },
      onBye: () => {
        this.log.debug({ callId: this.callId }, 'IVR caller hung up');
        this.bridge.release();
        this.finish();
        this.onCallerGone?.();
      },
    });
    if (!ok) {
      this.finish();
      return false;
    }
    if (this.deps.legs !== undefined) {
      this.unsubscribe = this.deps.legs.subscribe(this.callId, this.bridge.callerTag, (d) => {
        this.digits.feed(d.digit, d.via);
      });
    } else if (this.deps.dtmf !== undefined) {
      this.unsubscribe = this.deps.dtmf.subscribe(this.callId, this.bridge.callerTag, (d) => {
        this.digits.feed(d, 'rfc4733');
      });
    }
    return true;
  }

  /** Play a prompt (does not wait for it); a digit stops it. Resolves with its length. */
  async say(name: PromptName): Promise<number> {
    const ms = this.deps.prompts.ms[name];
    if (this.ended) return 0;
    this.onPlay?.(name);
    try {
      this.playing = true;
      const d = await this.bridge.play(this.deps.prompts.file[name]);
      return d ?? ms;
    } catch (e) {
      this.playing = false;
      this.log.warn({ err: (e as Error).message, prompt: name }, 'IVR prompt could not be played');
      return 0;
    }
  }

  /** Play a tone over and over (ringback, busy, reorder) until stopTone(). */
  async tone(name: PromptName): Promise<void> {
    if (this.ended) return;
    this.onPlay?.(name);
    try {
      await this.bridge.play(this.deps.prompts.file[name], REPEAT_FOREVER);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, tone: name }, 'IVR tone could not be played');
    }
  }

  async stopTone(): Promise<void> {
    this.playing = false;
    await this.bridge.stopPlay();
  }

  /**
   * Play `prompt` (if any), then collect a field ended by `#`. The wait for the first digit
   * starts when the prompt ends; then `timeoutMs` between digits (DTMF-04).
   */
  async ask(prompt: PromptName | undefined, timeoutMs: number, flush = false): Promise<FieldResult> {
    if (flush) this.digits.flush();
    const promptMs = prompt !== undefined && this.digits.pending === 0 ? await this.say(prompt) : 0;
    return this.digits.field({ timeoutMs, firstTimeoutMs: promptMs + timeoutMs });
  }

  /** Play `prompt` (if any), then read one digit (menu choice). */
  async askDigit(prompt: PromptName | undefined, timeoutMs: number): Promise<DigitResult> {
    const promptMs = prompt !== undefined && this.digits.pending === 0 ? await this.say(prompt) : 0;
    return this.digits.nextDigit(promptMs + timeoutMs);
  }

  /** Play `prompt` and wait until it has ended (digits pressed meanwhile are kept). */
  async sayFully(prompt: PromptName): Promise<void> {
    const ms = await this.say(prompt);
    if (!this.ended) await sleep(ms + 100);
    this.playing = false;
  }

  /** Play `prompt` to the end, then hang up. */
  async sayAndHangup(prompt: PromptName): Promise<void> {
    this.digits.flush();
    const ms = await this.say(prompt);
    this.playing = false;
    if (!this.ended) await sleep(ms + 200);
    this.release();
  }

  /** Play a tone for `ms`, then hang up (EFA: reorder, error, confirmation). */
  async toneAndHangup(name: PromptName, ms: number): Promise<void> {
    await this.tone(name);
    if (!this.ended) await sleep(ms);
    this.release();
  }

  /** Resolves when the call is over (either side). */
  done(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((r) => this.endWaiters.push(r));
  }

  /**
   * The connected two-stage call leaves the IVR for a B2BCall (anchored-call.ts): digits are no
   * longer collected here and `adopt` gets both legs; done() then resolves when `adopt`'s call
   * ends. False when the call is not bridged (nothing changed), or when `adopt` did not take
   * the legs (they are released then, as by release()).
   */
  handOver(adopt: (legs: AdoptedLegs) => { ended: Promise<void> } | undefined): boolean {
    if (this.ended) return false;
    const legs = this.bridge.handOver();
    if (legs === undefined) return false;
    // The mid-call feature subscribes to this leg in `adopt`: unsubscribing after it keeps the
    // leg's DTMF-05 method lock.
    const taken = adopt(legs);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.digits.close();
    if (taken === undefined) {
      for (const d of [legs.aDialog, legs.bDialog]) if (d.state !== 'terminated') void this.deps.ua.bye(d);
      void this.deps.anchor.delete({ callId: this.callId }).catch(() => undefined);
      this.finish();
      return false;
    }
    void taken.ended.then(() => this.finish());
    return true;
  }

  /** Hang up everything (BYE to the caller, the outbound leg, media). */
  release(): void {
    this.bridge.release();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.digits.close();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const w of this.endWaiters.splice(0)) w();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
