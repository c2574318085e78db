/**
 * One DVO Reverse callback call (spec §14.2): CTRL 183 with the callback caller ID, the
 * callback leg to the MI or an alternate number, then the target leg, bridged; CTRL 200
 * when the target answers. Timers on the callback leg when it goes to the MI (DVO-R-04):
 * Answer Too Soon (timer control), Answer Too Late, and user-control voicemail avoidance
 * (prompt, then a key press). An alternate number gets only its ring timeout (DVO-R-08).
 */
import { statusForCaller } from '../../b2bua/best-response.js';
import type { CallTarget } from '../../b2bua/call.js';
import { OutboundBridge, type OutboundLeg } from '../../b2bua/outbound-bridge.js';
import type { MobileClientDevice, RemoteDestination } from '../../directory/types.js';
import type { SipRequest } from '../../sip/message/message.js';
import { legFromDialog } from '../anchored/registry.js';
import type { FeatureContext } from '../feature.js';
import type { CtrlLeg } from './ctrl.js';
import type { DvoCallRecord, DvoMetrics } from './records.js';
import { routeTarget, type DeviceCaller } from './targets.js';
import type { ToneFiles } from './tones.js';

/** Statuses after which the next gateway of the trunk is tried. */
const FAILOVER = new Set([408, 500, 502, 503, 504]);
/** How long the mobile hears the busy tone before the BYE (DVO-R-07). */
export const BUSY_TONE_MS = 3000;
/** rtpengine repeats a file this often: long enough for any ring or hold time. */
const REPEAT_FOREVER = 1000;

export interface DvoRParams {
  ctx: FeatureContext;
  tones: ToneFiles;
  metrics: DvoMetrics;
  record: DvoCallRecord;
  ctrl: CtrlLeg;
  caller: DeviceCaller;
  device: MobileClientDevice;
  mi: RemoteDestination;
  /** Callback legs, one group per gateway (callbackTargets). */
  callbacks: CallTarget[][];
  /** The callback goes to the MI (anchored): MI timers and VMA apply. */
  toMi: boolean;
  target: string;
  /** Called once when everything is over. */
  onDone(): void;
}

type Phase = 'callback' | 'confirm' | 'target' | 'connected' | 'done';

export class DvoReverseCall {
  private readonly bridge: OutboundBridge;
  private phase: Phase = 'callback';
  private callback: OutboundLeg | undefined;
  private targetLeg: OutboundLeg | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private digitSeen = false;
  private released = false;

  constructor(private readonly p: DvoRParams) {
    this.bridge = new OutboundBridge({ ua: p.ctx.ua, anchor: p.ctx.anchor, log: p.ctx.log.child({ dvo: 'R', ctrl: p.ctrl.callId }) });
    p.record.callRef = this.bridge.callId;
    p.ctrl.handlers = {
      onCancel: () => this.finish('cancelled by the client', 487),
      onEnd: () => this.finish('CTRL ended'),
    };
  }

  get log() {
    return this.bridge.log;
  }

  get callId(): string {
    return this.bridge.callId;
  }

  /** 183 on CTRL, then the callback at once (no Delay Before Ringing, DVO-R-03). */
  async start(): Promise<void> {
    // GEN-07 / §17.2: CTRL is a user-side leg; the callback (RD) and target (FAR) legs join later.
    const lineId = this.p.device.lines[0];
    const ctrlFrom = this.p.ctrl.inv.request.get('from');
    this.p.ctx.anchored?.register(undefined, {
      id: this.p.record.id,
      origin: 'dvoR',
      user: this.p.device.ownerUser,
      line: lineId === undefined ? null : (this.p.ctx.directory.lines.get(lineId)?.number ?? null),
      anchored: this.p.toMi,
      userLegs: [{ role: 'CTRL', callId: this.p.ctrl.callId, ...(ctrlFrom !== undefined ? { peer: ctrlFrom.replace(/;\s*tag=[^;>]*/gi, '').trim() } : {}) }],
    });
    this.p.ctrl.progress();
    await this.placeCallback(0);
  }

  /** Server shutdown: release the legs, leave CTRL as it is. */
  abort(): void {
    this.p.ctrl.abandon();
    this.phase = 'done';
    this.release();
  }

  // ------------------------------------------------------------- callback leg
  private async placeCallback(i: number): Promise<void> {
    const target = this.p.callbacks[i]?.[0];
    if (target === undefined) return this.fail(480, 'Temporarily Unavailable - callback failed');
    const m = this.p.ctx.directory.mobilityParameters();
    const mi = this.p.mi;
    const ringTimeoutMs = this.p.toMi ? mi.answerTooLateMs : m.dvoAlternateCallbackRingTimeoutS * 1000;
    const t: CallTarget = { ...target, ...(ringTimeoutMs > 0 ? { ringTimeoutMs } : {}) };
    try {
      this.callback = await this.bridge.callFirst(t, {
        onAnswer: () => this.onCallbackAnswer(),
        onFailure: (status) => {
          if (this.phase !== 'callback') return;
          if (FAILOVER.has(status) && i + 1 < this.p.callbacks.length) {
            this.bridge.first = undefined;
            void this.placeCallback(i + 1);
            return;
          }
          this.p.metrics.dvoRCallbacks.inc({ result: 'failed' });
          this.fail(480, 'Temporarily Unavailable - callback not answered');
        },
        onBye: () => this.onCallbackBye(),
        onInfo: (info) => this.onInfo(info),
      });
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'media anchor unavailable for the callback');
      this.fail(503, 'Service Unavailable - media anchor unavailable');
    }
  }

  private onCallbackAnswer(): void {
    if (this.phase !== 'callback' || this.callback === undefined) return;
    const leg = this.callback;
    if (!this.p.toMi) return this.accepted();
    const m = this.p.ctx.directory.mobilityParameters();
    const mi = this.p.mi;
    const policy = mi.snrVoicemailPolicy === 'useSystemDefault' ? m.voicemailSelectionPolicy : mi.snrVoicemailPolicy;
    const afterMs = (leg.answeredAt ?? Date.now()) - leg.sentAt;
    if (policy === 'userControl') return this.confirm(m.userControlPromptDelayMs, m.userControlDtmfWaitMs);
    // TMR-02 (not under user control, D-42): most likely the mobile's voicemail answering.
    if (mi.answerTooSoonMs > 0 && afterMs < mi.answerTooSoonMs) {
      this.log.info({ afterMs }, 'callback answered too soon: dropped');
      this.p.metrics.dvoRCallbacks.inc({ result: 'failed' });
      return this.fail(480, 'Temporarily Unavailable - callback answered too soon');
    }
    this.accepted();
  }

  /** VMA-03 on the callback leg: prompt after a delay, then wait for any key. */
  private confirm(promptDelayMs: number, waitMs: number): void {
    this.phase = 'confirm';
    const leg = this.callback!;
    this.after(promptDelayMs, () => {
      if (this.phase !== 'confirm') return;
      void this.bridge.play(leg, this.p.tones.prompt).then(
        (d) => this.after((d ?? this.p.tones.promptMs) + waitMs, () => this.noKey()),
        (e: Error) => {
          this.log.warn({ err: e.message }, 'prompt failed');
          this.after(this.p.tones.promptMs + waitMs, () => this.noKey());
        },
      );
    });
    if (this.digitSeen) this.accepted();
  }

  private noKey(): void {
    if (this.phase !== 'confirm') return;
    this.log.info({}, 'no key pressed on the callback leg: dropped');
    this.p.metrics.dvoRCallbacks.inc({ result: 'failed' });
    this.fail(480, 'Temporarily Unavailable - callback not accepted');
  }

  /** Any DTMF digit over INFO counts as the key press (VMA-03); RFC 4733 digits are not seen here. */
  private onInfo(info: SipRequest): void {
    const body = info.bodyText;
    const digit = /Signal\s*=\s*([0-9*#A-D])/i.exec(body)?.[1] ?? (/^\s*([0-9*#A-D])\s*$/i.exec(body)?.[1] as string | undefined);
    if (digit === undefined) return;
    this.digitSeen = true;
    if (this.phase === 'confirm') {
      void this.bridge.stopPlay(this.callback!);
      this.accepted();
    }
  }

  /** The callback leg is accepted: ringback to the mobile, and the target is called (DVO-R-05). */
  private accepted(): void {
    if (this.phase !== 'callback' && this.phase !== 'confirm') return;
    this.clearTimers();
    this.phase = 'target';
    this.p.metrics.dvoRCallbacks.inc({ result: 'answered' });
    const cb = this.callback?.dialog;
    if (cb !== undefined) this.p.ctx.anchored?.update(this.p.record.id, { addUserLeg: { ...legFromDialog('RD', cb), label: 'callback', connectedAt: Date.now() } });
    // D-29 alternative: CTRL answered as soon as the mobile leg is up, not at connect.
    if (this.p.ctx.directory.mobilityParameters().dvoCtrlAnswerOn === 'mobileLeg') this.p.ctrl.connect();
    const leg = this.callback!;
    void this.bridge.play(leg, this.p.tones.ringback, REPEAT_FOREVER).catch((e: Error) => this.log.warn({ err: e.message }, 'ringback failed'));
    const routed = routeTarget(this.p.ctx.directory, this.p.ctx.router, this.p.caller, this.p.target, this.p.ctrl.inv.request);
    if (!routed.ok) return this.targetFailed(routed.status);
    const groups = routed.groups.filter((g) => g.length > 0);
    if (groups.length === 0) return this.targetFailed(480);
    this.placeTarget(groups, 0);
  }

  private onCallbackBye(): void {
    // The mobile hung up: before the target answers that clears the call; after, it ends it.
    // (Desk pickup of a DVO-R call, DPU-01, belongs to the pickup feature.)
    if (this.phase === 'connected') this.finish('mobile leg released');
    else this.fail(480, 'Temporarily Unavailable - callback released');
  }

  // --------------------------------------------------------------- target leg
  /** One contact at a time: the first registered contact of a line, else each gateway in failover order. */
  private placeTarget(groups: CallTarget[][], i: number): void {
    const t = groups[i]?.[0];
    if (t === undefined) return this.targetFailed(480);
    this.targetLeg = this.bridge.callSecond(t, {
      onAnswer: () => {
        if (this.phase !== 'target') return;
        this.phase = 'connected';
        void this.bridge.stopPlay(this.callback!);
        this.p.record.state = 'connected';
        this.p.record.connectedAt = Date.now();
        const far = this.targetLeg?.dialog;
        this.p.ctx.anchored?.update(this.p.record.id, { state: 'connected', ...(far !== undefined ? { farLeg: { ...legFromDialog('FAR', far), connectedAt: Date.now() } } : {}) });
        this.p.ctrl.connect();
        this.log.info({ anchored: this.p.toMi }, 'DVO-R call connected');
      },
      onFailure: (status) => {
        if (this.phase !== 'target') return;
        if (FAILOVER.has(status) && i + 1 < groups.length) {
          this.bridge.second = undefined;
          this.placeTarget(groups, i + 1);
          return;
        }
        this.targetFailed(status);
      },
      onBye: () => this.finish('target released'),
    });
  }

  /** DVO-R-07: busy or reorder tone to the mobile, then BYE; CTRL gets the target's status. */
  private targetFailed(status: number): void {
    if (this.phase !== 'target') return;
    this.phase = 'done';
    const leg = this.callback!;
    const s = status === 600 || status === 603 ? 486 : statusForCaller(status);
    this.failCtrl(s === 487 ? 480 : s, undefined);
    void this.bridge
      .stopPlay(leg)
      .then(() => this.bridge.play(leg, this.p.tones.busy, REPEAT_FOREVER))
      .catch((e: Error) => this.log.warn({ err: e.message }, 'busy tone failed'));
    this.after(BUSY_TONE_MS, () => this.release());
  }

  // ------------------------------------------------------------------ endings
  /** Failure before connect: release every leg, CTRL gets `status`. */
  private fail(status: number, reason: string): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.failCtrl(status, reason);
    this.release();
  }

  private failCtrl(status: number, reason: string | undefined): void {
    this.p.ctrl.end(status, reason);
    if (this.p.record.state === 'setup') {
      this.p.record.state = 'failed';
      this.p.record.status = status;
      this.p.record.endedAt = Date.now();
    }
  }

  /** The call is over for any reason (CANCEL, a BYE from anyone, shutdown). */
  private finish(why: string, ctrlStatus?: number): void {
    if (this.phase === 'done') return;
    const connected = this.phase === 'connected';
    this.phase = 'done';
    this.log.debug({ why }, 'DVO-R call ends');
    if (connected) this.p.ctrl.bye();
    else if (ctrlStatus !== undefined) this.failCtrl(ctrlStatus, undefined);
    else this.failCtrl(480, undefined);
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.clearTimers();
    this.bridge.release();
    if (this.p.record.state === 'connected') {
      this.p.record.state = 'ended';
      this.p.record.endedAt = Date.now();
    }
    const r = this.p.record;
    this.p.ctx.anchored?.end(r.id, { result: r.state === 'ended' ? 'answered' : 'failed', ...(r.status !== undefined ? { status: r.status } : {}) });
    this.p.onDone();
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
