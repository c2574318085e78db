/**
 * A back-to-back call: one A-leg (the INVITE we received) and one or more
 * B-legs (forks we place), media anchored through rtpengine when enabled.
 * Each leg has its own Call-ID, tags and CSeq space; nothing crosses between
 * legs except what the call copies on purpose (SDP, INFO bodies, allow-listed
 * headers the router put on the target).
 */
import type { Dialog } from '../sip/dialog/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/message.js';
import { createResponse } from '../sip/message/response.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { Destination } from '../sip/transport/types.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { OutgoingInvite } from '../sip/ua/outgoing-invite.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import { bestFinalStatus, statusForCaller } from './best-response.js';
import type { CallMedia, MediaCallKey } from './call-media.js';
import { placeholderAnswer } from './sdp-placeholder.js';
import { calleeSession, calleeTimerHeaders, isSessionRefresh, negotiateCallerTimer, type SessionTimerConfig, startLegTimer } from './leg-session-timer.js';
import { relayReliableProvisional } from './early-prack.js';
import { placeNewLeg, type NewLegHooks } from './new-leg.js';
import { handleRefer, type ReferPolicy } from './transfer.js';

export interface CallLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CallTarget {
  /** Request-URI of the B-leg INVITE. */
  uri: string;
  destination: Destination;
  /** From / To header values (name-addr, without tags). */
  from: string;
  to: string;
  /** Extra headers for this leg only (e.g. P-Asserted-Identity by trust rule). */
  headers?: Record<string, string | string[]>;
  /** CANCEL this branch if it has not answered after this long. */
  ringTimeoutMs?: number;
  /** Start this branch after this delay (a fork that rings later). */
  delayMs?: number;
  /** For logs and metrics: 'line', 'trunk', 'rd'... */
  label?: string;
  /**
   * Other gateways for this fork, tried in order when it fails with 408/5xx (a fork through
   * a trunk fails over on its own, while the other forks keep ringing).
   */
  alternates?: Pick<CallTarget, 'uri' | 'destination' | 'to'>[];
  /**
   * Answer Too Soon (spec TMR-02): a 2xx arriving sooner than this after this branch's
   * INVITE was sent is ACKed, then BYEd, and the branch counts as failed (480) while the
   * others keep ringing. 0 or undefined: off.
   */
  answerTooSoonMs?: number;
  /** Relay this branch's provisionals as a plain 180, never its early media (spec SNR-05, D-09). */
  noEarlyMedia?: boolean;
  /**
   * Confirm this branch before it may win (spec VMA-03): on its 2xx the call ACKs it and
   * keeps the caller ringing; the branch wins only if the promise resolves true. False, an
   * error, or a BYE from the branch BYEs it / ends it and counts it as failed (480). A
   * branch still being confirmed when another wins, the caller leaves or the call is
   * diverted gets a BYE (and `signal` is aborted). Needs an SDP offer from the caller.
   */
  confirm?(c: BranchConfirmation): Promise<boolean>;
  /** Lifecycle of this branch (metrics, logs). Called synchronously; must not throw. */
  onEvent?(e: BranchEvent): void;
  /**
   * Who answers on this branch, opaque to the call: the server's REFER policy routes a
   * transfer asked for by this leg with this identity (its calling search space). Unset:
   * the leg may not transfer (no authenticated identity).
   */
  identity?: unknown;
}

/** What a call keeps of the target that answered (its identity is the B-leg's, for REFER). */
export type AnsweredTarget = Pick<CallTarget, 'uri' | 'label' | 'identity'>;

/** A small copy: the full target (headers, From/To, alternates) is not needed for the call's life. */
function answeredOf(t: CallTarget): AnsweredTarget {
  return { uri: t.uri, label: t.label, identity: t.identity };
}

/** What a branch confirmer (CallTarget.confirm) gets. */
export interface BranchConfirmation {
  /** The media anchor's call id (the A-leg Call-ID)… */
  readonly callId: string;
  /** …and the branch's media tag (its To tag): prompts are played *to* this tag. */
  readonly mediaTag: string;
  readonly dialog: Dialog;
  /** The branch's 2xx (already ACKed). */
  readonly response: SipResponse;
  /** Aborted when the branch is no longer wanted (another won, caller left, call diverted or ended). */
  readonly signal: AbortSignal;
  /** Set by the confirmer: every INFO on the branch's dialog (the call answers it 200), e.g. DTMF. */
  onInfo?: (info: SipRequest) => void;
}

export type BranchEvent =
  | { kind: 'launched' }
  | { kind: 'answer-too-soon'; afterMs: number }
  | { kind: 'ring-timeout' }
  | { kind: 'confirming' }
  | { kind: 'confirm-failed'; why: 'rejected' | 'hangup' | 'error' }
  | { kind: 'won' }
  | { kind: 'failed'; status: number };

/** Follows one call from outside (a feature that only shaped its targets). Must not throw. */
export interface CallObserver {
  onStart?(call: B2BCall): void;
  onConnected?(call: B2BCall): void;
  onEnd?(call: B2BCall, end: CallEnd): void;
  /**
   * Nothing answered and no target group is left: return groups to try instead of
   * failing the caller with `status` (call forwarding), or undefined. Asked once per call.
   */
  onExhausted?(call: B2BCall, status: number): CallTarget[][] | undefined;
}

const callObservers = new WeakMap<IncomingInvite, CallObserver[]>();

/**
 * Observe the B2BCall that runs (or will run) for `inv`: lets a feature that only
 * returns target groups (Feature.lineTargets) follow the call it shaped.
 */
export function observeCall(inv: IncomingInvite, observer: CallObserver): void {
  const list = callObservers.get(inv);
  if (list === undefined) callObservers.set(inv, [observer]);
  else list.push(observer);
}

export type CallState = 'routing' | 'early' | 'connected' | 'ended';

/** Sees an in-dialog request from one side (INFO, re-INVITE). Must not throw. */
export type LegRequestListener = (side: 'a' | 'b', req: SipRequest) => void;

/** SDP last received from (`got`) and sent to (`sent`) one leg. */
export interface LegSdp {
  got: string | undefined;
  sent: string | undefined;
}

/**
 * Two legs connected elsewhere that a B2BCall takes over (adopt()): an inbound INVITE the
 * server answered itself and an outbound leg it placed and bridged (an IVR's two-stage call,
 * answered-bridge.ts), media already anchored under the A-leg Call-ID.
 */
export interface AdoptedLegs {
  /** The answered inbound dialog: the caller side. */
  aDialog: Dialog;
  /** The answered outbound dialog and what it was placed to (its identity, label). */
  bDialog: Dialog;
  bTarget: CallTarget;
  /** The B side's media tag in the anchor (a stand-in tag, not the B dialog's To tag). */
  bMediaTag: string;
  sdp: { a: LegSdp; b: LegSdp };
  connectedAt: number;
}

export interface CallEnd {
  /** 'answered' for calls that connected, otherwise the failure class. */
  result: 'answered' | 'cancelled' | 'failed' | 'no-answer' | 'busy' | 'media-failed' | 'error';
  status?: number;
  by?: 'a' | 'b' | 'server';
}

export interface CallOptions {
  ua: UserAgentCore;
  /** Media anchoring for this call; undefined = signalling only (SDP passed through). */
  media: CallMedia | undefined;
  log: CallLogger;
  onEnd?(call: B2BCall, end: CallEnd): void;
  onConnected?(call: B2BCall): void;
  /** See B2BCall.onCallerLost. */
  onCallerLost?(call: B2BCall): boolean;
  /** RFC 4028 per leg (see leg-session-timer.ts); undefined: no session timers. */
  sessionTimer?: SessionTimerConfig;
  /** Where a REFER from either leg may send the other party (transfer.ts); undefined: REFER gets 403. */
  referPolicy?: ReferPolicy;
}

/**
 * The leg that takes a side over in replaceLeg(): its SDP offer, its media tag, and how to
 * complete it with our answer (ACK an outbound 2xx, or answer an inbound INVITE).
 */
export interface IncomingLeg {
  tag: string;
  offer: string;
  /** Send our SDP answer; returns the leg's confirmed dialog (undefined: it is gone). */
  complete(answer: string): Dialog | undefined;
  /** The swap failed: release the leg (BYE after ACK, or reject the INVITE). */
  abandon(status: number): void;
  /** Its 2xx when it is a leg we placed (session timer negotiation). */
  response?: SipResponse;
}

export interface ReplaceHooks extends NewLegHooks {
  /** The new leg answered; runs before the swap (e.g. stop music on hold for the kept side). */
  onAnswered?(): Promise<void> | void;
  /** Runs after the swap, before the old leg's BYE (e.g. the REFER's final NOTIFY). */
  beforeRelease?(): Promise<void> | void;
  /** Do not BYE the old leg (it is being handed over or is already gone). */
  keepOld?: boolean;
}

/** Statuses after which the next target group (another gateway) is tried. */
const FAILOVER = new Set([408, 500, 502, 503, 504]);

/** Option tags every B-leg INVITE offers; the target's own Supported tags follow. */
const BASE_SUPPORTED = ['replaces', 'timer', '100rel'];
const BASE_SUPPORTED_TEXT = BASE_SUPPORTED.join(', ');

/** BASE_SUPPORTED then the target's tags, each once, in order (no Set/flatMap per call: B2BCall.launch is hot). */
function mergeSupported(extra: string | string[] | undefined): string {
  if (extra === undefined) return BASE_SUPPORTED_TEXT;
  const tags = BASE_SUPPORTED.slice();
  for (const v of typeof extra === 'string' ? [extra] : extra) {
    for (const part of v.split(',')) {
      const tag = part.trim();
      if (tag !== '' && !tags.includes(tag)) tags.push(tag);
    }
  }
  return tags.length === BASE_SUPPORTED.length ? BASE_SUPPORTED_TEXT : tags.join(', ');
}

interface BranchState {
  target: CallTarget;
  invite: OutgoingInvite | undefined;
  timer: NodeJS.Timeout | undefined;
  status: number | undefined;
  /** Cancelled by its ring timer: counts as no answer (480), not as 487. */
  noAnswer?: boolean;
  /** When its INVITE was sent (Answer Too Soon is measured from here, TMR-05). */
  sentAt?: number;
  /** Answered and ACKed, waiting for target.confirm (status stays undefined: still pending). */
  confirming?: { abort: AbortController; dialog: Dialog };
}

export class B2BCall {
  readonly id: string;
  state: CallState = 'routing';
  readonly startedAt = Date.now();
  connectedAt: number | undefined;
  aDialog: Dialog | undefined;
  bDialog: Dialog | undefined;
  private branches: BranchState[] = [];
  private groups: CallTarget[][] = [];
  private statuses: number[] = [];
  private aOfferless: boolean;
  private ended = false;
  /**
   * Consulted when the caller side BYEs a connected call: true keeps the B-leg up (e.g.
   * session resumption holds the far end on MoH, spec SR-02) and the call waits with
   * `callerLost` set until attachCaller() or hangup(). Settable after construction.
   */
  onCallerLost: ((call: B2BCall) => boolean) | undefined;
  /** The caller's leg is gone while the B-leg is kept (see onCallerLost). */
  callerLost = false;
  /**
   * The same for the callee side: consulted when the B-leg BYEs a connected call; true keeps
   * the A-leg up (desk pickup holds the far end on MoH, spec DPU-01) and the call waits with
   * `calleeLost` set until swapIn('b', …) or hangup().
   */
  onCalleeLost: ((call: B2BCall) => boolean) | undefined;
  calleeLost = false;
  /** Media tag of the callee leg that was lost (the far end is answered with a stand-in meanwhile). */
  private lostCalleeTag = '';
  /**
   * Every INFO from a leg, before it is relayed (mid-call DTMF collection, spec DTMF-01), and
   * every re-INVITE (a desk resuming a call it parked on MoH). Lists, not one slot: several
   * features watch the same call (mid-call, send-to-mobile) and must not unhook each other.
   */
  private readonly infoListeners = new Set<LegRequestListener>();
  private readonly reinviteListeners = new Set<LegRequestListener>();
  /**
   * Media tag of the B side when it is not the B dialog's remote tag: a leg an IVR placed
   * against a stand-in tag before it answered (adopt()). Cleared when the B leg is replaced.
   */
  private bMediaTag: string | undefined;
  /** hangup() runs: the BYEs we send ourselves never count as the caller leaving. */
  private releasing = false;
  /** The B-leg's latest SDP (answer or offer): re-pointing media to a new caller needs it. */
  private bSdp: string | undefined;
  /** Media tag of the caller side: the A-leg From tag, then an attached caller's. */
  private callerTag = '';
  private readonly mediaKey: MediaCallKey;
  /** Last SDP each side sent us / we sent it: refreshes are answered locally with `sent`. */
  private readonly legSdp = { a: { got: undefined as string | undefined, sent: undefined as string | undefined }, b: { got: undefined as string | undefined, sent: undefined as string | undefined } };
  /** 2xx headers of the caller's session timer (negotiated in start()). */
  private aTimer: ReturnType<typeof negotiateCallerTimer> | undefined;
  /** re-INVITEs being relayed: a BYE meanwhile answers them 487 so none outlives the call (drachtio-server#145). */
  private readonly relaying = new Set<NonNullable<Dialog['reinvite']>>();
  /** A leg replacement in progress (transfer, handoff): the old leg's BYE does not end the call meanwhile. */
  private replacing: { side: 'a' | 'b'; old: Dialog; oldGone: boolean; abort: AbortController } | undefined;
  /** The branch target that answered (its identity is the B-leg's, for REFER). */
  answeredTarget: AnsweredTarget | undefined;

  constructor(
    readonly a: IncomingInvite,
    private readonly opts: CallOptions,
  ) {
    this.id = a.request.callId;
    this.aOfferless = a.request.body.length === 0;
    this.onCallerLost = opts.onCallerLost;
    this.callerTag = a.request.from.tag ?? '';
    this.mediaKey = { callId: this.id, fromTag: this.callerTag };
    a.onCancel = () => this.onCallerCancel();
    a.onAckTimeout = () => this.hangup('server', 'no ACK for 2xx');
  }

  get log(): CallLogger {
    return this.opts.log;
  }

  addInfoListener(fn: LegRequestListener): void {
    this.infoListeners.add(fn);
  }

  removeInfoListener(fn: LegRequestListener): void {
    this.infoListeners.delete(fn);
  }

  addReinviteListener(fn: LegRequestListener): void {
    this.reinviteListeners.add(fn);
  }

  removeReinviteListener(fn: LegRequestListener): void {
    this.reinviteListeners.delete(fn);
  }

  /**
   * The anchor's media tag of a side (what prompts, MoH and DTMF events are keyed by): the
   * caller's tag, the callee's To tag, or an adopted B leg's stand-in tag. Undefined while
   * that side has no leg.
   */
  mediaTagOf(side: 'a' | 'b'): string | undefined {
    const d = this.legOf(side);
    return d === undefined ? undefined : this.tagOf(d);
  }

  private tagOf(d: Dialog): string {
    if (d === this.aDialog) return this.callerTag;
    if (d === this.bDialog && this.bMediaTag !== undefined) return this.bMediaTag;
    return d.remoteTag;
  }

  /**
   * Take over two legs already connected elsewhere (AdoptedLegs) instead of start(): the call
   * is connected at once and from now on relays, replaces legs and ends like any other, so
   * features attach to it as to a call it placed itself. `a` must be the adopted inbound
   * leg's INVITE (already answered). No session timers: the legs were set up without them.
   * The anchor's session (call-id = `a`'s Call-ID) is the call's from now on: ending deletes it.
   */
  adopt(legs: AdoptedLegs): void {
    if (this.state !== 'routing' || this.ended) throw new Error('only a new call can adopt legs');
    this.routed = true;
    this.aDialog = legs.aDialog;
    this.bDialog = legs.bDialog;
    this.bMediaTag = legs.bMediaTag;
    this.answeredTarget = legs.bTarget === undefined ? undefined : answeredOf(legs.bTarget);
    this.legSdp.a = { ...legs.sdp.a };
    this.legSdp.b = { ...legs.sdp.b };
    this.bSdp = legs.sdp.b.got;
    this.bindDialog(legs.aDialog, 'a');
    this.bindDialog(legs.bDialog, 'b');
    this.state = 'connected';
    this.connectedAt = legs.connectedAt;
    // Observers of `a` (observeCall) that shape routed calls (ANC, SNR) never routed this one:
    // they are not told it started or connected, only that it ended (mid-call cleans up then).
    this.opts.onConnected?.(this);
    // Either leg may have left while it was handed over: end the call as its BYE would have.
    for (const side of ['a', 'b'] as const) {
      if (this.legOf(side)?.state === 'terminated' && !this.ended) this.hangup(side, 'BYE during hand-over');
    }
  }

  /** Route the call: each group is a set of parallel forks; the next group is tried on failover statuses. */
  async start(groups: CallTarget[][]): Promise<void> {
    for (const o of this.observers()) o.onStart?.(this);
    if (this.opts.sessionTimer !== undefined) {
      this.aTimer = negotiateCallerTimer(this.a.request, this.opts.sessionTimer);
      if ('reject' in this.aTimer) {
        const r = this.aTimer.reject;
        this.a.reject(r.status, { headers: r.headers, ...(r.reason !== undefined ? { reason: r.reason } : {}) });
        return void this.finish({ result: 'failed', status: r.status, by: 'server' });
      }
    }
    if (!this.aOfferless) this.legSdp.a.got = this.a.request.bodyText;
    this.groups = groups.filter((g) => g.length > 0);
    if (this.groups.length === 0) return this.fail(404);
    if (this.opts.media !== undefined && !this.aOfferless) {
      try {
        this.bOffer = await this.opts.media.offerFromCaller(this.mediaKey, this.legSdp.a.got!);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'media offer failed');
        return this.fail(503, 'Service Unavailable - media anchor unavailable', 'media-failed');
      }
      if (this.ended) return;
    } else this.bOffer = this.legSdp.a.got;
    this.routed = true;
    this.nextGroup();
  }

  private bOffer: string | undefined;
  /** The first group was launched (the B-leg offer is ready). */
  private routed = false;
  private exhaustedAsked = false;

  private observers(): readonly CallObserver[] {
    return callObservers.get(this.a) ?? [];
  }

  private nextGroup(): void {
    const group = this.groups.shift();
    if (group === undefined) {
      const best = bestFinalStatus(this.statuses) ?? 480;
      const instead = this.exhausted(best);
      if (instead !== undefined) {
        this.statuses = [];
        this.groups = instead;
        this.nextGroup();
        return;
      }
      this.fail(statusForCaller(best));
      return;
    }
    this.branches = group.map((target) => ({ target, invite: undefined, timer: undefined, status: undefined }));
    for (const b of this.branches) {
      if (b.target.delayMs !== undefined && b.target.delayMs > 0) {
        b.timer = setTimeout(() => this.launch(b), b.target.delayMs);
      } else this.launch(b);
    }
  }

  private launch(branch: BranchState): void {
    branch.timer = undefined;
    if (this.ended || this.state === 'connected') return;
    const t = branch.target;
    const ua = this.opts.ua;
    const st = this.opts.sessionTimer === undefined ? {} : calleeTimerHeaders(this.opts.sessionTimer);
    // Object.assign, not spread: spreading these dash-named records cost ~4 µs per call in V8 here.
    const headers: Record<string, string | string[]> = Object.assign({}, st, t.headers);
    headers.supported = mergeSupported(headers.supported);
    const req = ua.createRequest({
      method: 'INVITE',
      uri: t.uri,
      from: t.from,
      to: t.to,
      options: this.bOffer === undefined ? { headers } : { headers, body: this.bOffer, contentType: 'application/sdp' },
    });
    branch.sentAt = Date.now();
    branch.invite = ua.invite(req, t.destination, {
      onProvisional: (res, dialog) => this.onBranchProvisional(branch, res, dialog),
      onAnswer: (res, dialog) => this.onBranchAnswer(branch, res, dialog),
      onFailure: (res) => this.onBranchFailure(branch, res),
      // PRACKed by relayProvisional (end to end, or locally) when it relays; else by the UA core.
      onReliableProvisional: () => !this.ended && this.a.finalStatus === undefined,
    });
    if (this.aOfferless) branch.invite.autoAck = false;
    t.onEvent?.({ kind: 'launched' });
    if (t.ringTimeoutMs !== undefined && t.ringTimeoutMs > 0) {
      branch.timer = setTimeout(() => {
        branch.timer = undefined;
        if (branch.status === undefined) {
          branch.noAnswer = true;
          t.onEvent?.({ kind: 'ring-timeout' });
          branch.invite?.cancel();
        }
      }, t.ringTimeoutMs);
    }
  }

  // ------------------------------------------------------------ B-leg events
  private onBranchProvisional(branch: BranchState, res: SipResponse, _dialog: Dialog | undefined): void {
    if (this.ended || this.a.finalStatus !== undefined) return;
    this.state = 'early';
    void this.relayProvisional(branch, res).catch((e: Error) => this.log.warn({ err: e.message }, 'relaying provisional failed'));
  }

  private async relayProvisional(branch: BranchState, res: SipResponse): Promise<void> {
    const noEarlyMedia = branch.target.noEarlyMedia === true;
    const status = res.status === 181 || res.status === 182 || noEarlyMedia ? 180 : res.status;
    let body: string | undefined;
    if (res.body.length > 0 && res.contentType?.startsWith('application/sdp') === true && !this.aOfferless && !noEarlyMedia) {
      body = this.opts.media !== undefined ? await this.opts.media.answerFromCallee(this.mediaKey, res) : res.bodyText;
    }
    if (this.ended || this.a.finalStatus !== undefined) return;
    relayReliableProvisional(this.a, branch.invite, res, status, body, this.log);
  }

  private onBranchAnswer(branch: BranchState, res: SipResponse, dialog: Dialog): void {
    const cancelledByUs = branch.status !== undefined;
    branch.status = res.status;
    this.clearBranchTimer(branch);
    if (this.ended || this.bDialog !== undefined || cancelledByUs) {
      this.dropAnswered(branch, dialog);
      return;
    }
    const t = branch.target;
    const afterMs = Date.now() - (branch.sentAt ?? 0);
    if (t.answerTooSoonMs !== undefined && t.answerTooSoonMs > 0 && afterMs < t.answerTooSoonMs) {
      // TMR-02: most likely the mobile network's voicemail answering a phone that is off.
      this.log.info({ label: t.label, uri: t.uri, afterMs }, 'answer too soon: branch dropped');
      t.onEvent?.({ kind: 'answer-too-soon', afterMs });
      this.dropAnswered(branch, dialog);
      branch.status = 480;
      this.branchFailed(branch, 480);
      return;
    }
    if (t.confirm !== undefined && !this.aOfferless) {
      this.startConfirm(branch, res, dialog);
      return;
    }
    this.win(branch, res, dialog);
  }

  /** ACK, then BYE, a 2xx we do not want (in that order: SNR-04). */
  private dropAnswered(branch: BranchState, dialog: Dialog): void {
    if (dialog.lastAck === undefined) branch.invite?.ack(dialog);
    void this.opts.ua.bye(dialog);
  }

  /** `branch` answered and is accepted: it becomes the B-leg, every other branch is released. */
  private win(branch: BranchState, res: SipResponse, dialog: Dialog): void {
    this.bDialog = dialog;
    this.answeredTarget = answeredOf(branch.target);
    this.bindDialog(dialog, 'b');
    this.legSdp.b.sent = this.bOffer;
    if (res.body.length > 0) this.legSdp.b.got = res.bodyText;
    const stc = this.opts.sessionTimer;
    if (stc !== undefined) {
      startLegTimer(this.opts.ua, dialog, calleeSession(res, stc), stc, this, 'b', 'session expired (B-leg)');
    }
    branch.target.onEvent?.({ kind: 'won' });
    // The first answer wins; the others are cancelled with RFC 3326 "completed elsewhere".
    for (const other of this.branches) {
      if (other !== branch) this.abandonConfirm(other);
      if (other !== branch && other.status === undefined) {
        this.clearBranchTimer(other);
        other.status = 487;
        other.invite?.cancel('SIP;cause=200;text="Call completed elsewhere"');
      }
    }
    void this.connect(branch, res).catch((e: Error) => {
      this.log.error({ err: e.message }, 'connecting the caller failed');
      this.hangup('server', 'connect failed');
    });
  }

  private async connect(branch: BranchState, res: SipResponse): Promise<void> {
    let body: string | undefined;
    // win() just decoded the body into legSdp.b.got: share that string rather than keep a second copy.
    const sdp = res.body.length > 0 ? (this.legSdp.b.got ?? res.bodyText) : undefined;
    if (sdp !== undefined) this.bSdp = sdp;
    if (sdp !== undefined) {
      if (this.opts.media === undefined) body = sdp;
      else if (this.aOfferless) body = await this.opts.media.offerFromCallee(this.mediaKey, res);
      else body = await this.opts.media.answerFromCallee(this.mediaKey, res);
    }
    if (this.ended) return;
    if (this.a.finalStatus !== undefined) {
      // The caller went away (CANCEL raced the answer): release the callee.
      this.hangup('server', 'caller gone before answer');
      return;
    }
    const th = this.aTimer !== undefined && !('reject' in this.aTimer) ? this.aTimer : undefined;
    const headers = th?.headers ?? {};
    this.aTimer = undefined; // read once: its headers and session are not needed again
    this.aDialog = this.a.accept(body === undefined ? { headers } : { headers, body, contentType: 'application/sdp' });
    this.legSdp.a.sent = body;
    if (th?.session !== undefined && this.opts.sessionTimer !== undefined) {
      startLegTimer(this.opts.ua, this.aDialog, th.session, this.opts.sessionTimer, this, 'a', 'session expired (A-leg)');
    }
    this.bindDialog(this.aDialog, 'a');
    this.state = 'connected';
    this.connectedAt = Date.now();
    // The B-leg is a dialog now. The branches' targets and INVITEs (a late offer's ACK uses
    // `branch` from the closure below) would otherwise stay on the heap for the call's life.
    this.branches = [];
    this.groups = [];
    if (this.aOfferless) this.awaitLateOfferAck(branch);
    this.opts.onConnected?.(this);
    for (const o of this.observers()) o.onConnected?.(this);
  }

  /** Apart from connect(): its other closures must not share a scope that holds `branch`. */
  private awaitLateOfferAck(branch: BranchState): void {
    this.a.onAck = (ack) => void this.ackLateOffer(branch, ack);
  }

  /** @internal The SDP we last sent on `side` (leg session timers repeat it in a refresh). */
  sentSdp(side: 'a' | 'b'): string | undefined {
    return this.legSdp[side].sent;
  }

  /** Late offer: the caller's ACK carries the answer, which the callee gets in its ACK. */
  private async ackLateOffer(branch: BranchState, ack: SipRequest): Promise<void> {
    if (this.bDialog === undefined || branch.invite === undefined) return;
    let body: string | undefined;
    if (ack.body.length > 0) {
      body = this.opts.media !== undefined ? await this.opts.media.answerFromCaller(this.mediaKey, this.bDialog, ack) : ack.bodyText;
    }
    branch.invite.ack(this.bDialog, body === undefined ? {} : { body, contentType: 'application/sdp' });
  }

  private onBranchFailure(branch: BranchState, res: SipResponse): void {
    this.clearBranchTimer(branch);
    const next = branch.target.alternates?.[0];
    if (next !== undefined && branch.noAnswer !== true && branch.status === undefined && FAILOVER.has(res.status) && !this.ended && this.bDialog === undefined && !this.a.cancelled) {
      this.log.info({ status: res.status, label: branch.target.label, to: next.uri }, 'fork failover to the next gateway');
      branch.target = { ...branch.target, ...next, alternates: branch.target.alternates!.slice(1) };
      branch.invite = undefined;
      this.launch(branch);
      return;
    }
    this.branchFailed(branch, branch.noAnswer === true ? 480 : res.status);
  }

  /** A branch ended without being accepted: try the next group or fail the caller once none is left. */
  private branchFailed(branch: BranchState, status: number): void {
    if (branch.status === undefined) branch.status = status;
    if (status !== 487 || branch.noAnswer === true) this.statuses.push(status);
    this.log.debug({ status, label: branch.target.label, uri: branch.target.uri }, 'branch failed');
    branch.target.onEvent?.({ kind: 'failed', status });
    // (onEvent may have diverted the call: then `branch` is no longer one of this.branches.)
    if (this.ended || this.bDialog !== undefined || !this.branches.includes(branch)) return;
    if (this.branches.some((b) => b.status === undefined)) return; // others still ringing
    if (this.a.cancelled) return; // caller CANCEL is being answered
    const retry = this.statuses.length > 0 && this.statuses.every((s) => FAILOVER.has(s));
    if (retry && this.groups.length > 0) {
      this.log.info({ statuses: this.statuses }, 'failover to the next route');
      this.nextGroup();
      return;
    }
    this.groups = [];
    this.nextGroup();
  }

  // ------------------------------------------------------- branch confirmation
  /** VMA-03: the branch answered; ACK it, keep the caller ringing, and let target.confirm decide. */
  private startConfirm(branch: BranchState, res: SipResponse, dialog: Dialog): void {
    const abort = new AbortController();
    branch.status = undefined; // still pending: the call must not fail or move on meanwhile
    branch.confirming = { abort, dialog };
    if (dialog.lastAck === undefined) branch.invite?.ack(dialog);
    const c: BranchConfirmation = { callId: this.id, mediaTag: res.to.tag ?? '', dialog, response: res, signal: abort.signal };
    dialog.owner = this;
    dialog.onRequest = (req, tx) => {
      if (req.method === 'INFO' || req.method === 'OPTIONS') {
        tx.respond(createResponse(req, 200));
        if (req.method === 'INFO') c.onInfo?.(req);
      } else if (req.method === 'INVITE') {
        dialog.reinvite?.reject(491); // not bridged yet: the peer retries later
        dialog.reinvite = undefined;
      } else tx.respond(createResponse(req, 501));
    };
    // The branch hangs up during the prompt: it has an owner that ends it (field lesson, freeswitch#2830).
    dialog.onTerminated = () => {
      if (branch.confirming === undefined) return;
      branch.confirming = undefined;
      abort.abort();
      branch.target.onEvent?.({ kind: 'confirm-failed', why: 'hangup' });
      this.branchFailed(branch, 480);
    };
    branch.target.onEvent?.({ kind: 'confirming' });
    const run = async (): Promise<boolean> => {
      // The branch's media must be known to the anchor before a prompt can be played to it.
      if (this.opts.media !== undefined && res.body.length > 0) await this.opts.media.answerFromCallee(this.mediaKey, res);
      if (branch.confirming === undefined) return false;
      return branch.target.confirm!(c);
    };
    run().then(
      (ok) => this.confirmDone(branch, res, dialog, ok === true ? 'accepted' : 'rejected'),
      (e: Error) => {
        this.log.warn({ err: e.message, label: branch.target.label }, 'branch confirmation failed');
        this.confirmDone(branch, res, dialog, 'error');
      },
    );
  }

  private confirmDone(branch: BranchState, res: SipResponse, dialog: Dialog, outcome: 'accepted' | 'rejected' | 'error'): void {
    if (branch.confirming === undefined) return; // abandoned meanwhile (another branch won, caller left, hangup)
    branch.confirming = undefined;
    if (outcome === 'accepted' && !this.ended && this.bDialog === undefined && this.a.finalStatus === undefined) {
      branch.status = res.status;
      this.win(branch, res, dialog);
      return;
    }
    branch.target.onEvent?.({ kind: 'confirm-failed', why: outcome === 'error' ? 'error' : 'rejected' });
    void this.opts.ua.bye(dialog);
    this.branchFailed(branch, 480);
  }

  /** A branch still being confirmed is not wanted any more: it has answered, so it gets a BYE. */
  private abandonConfirm(b: BranchState): void {
    const c = b.confirming;
    if (c === undefined) return;
    b.confirming = undefined;
    b.status = 487;
    c.abort.abort();
    void this.opts.ua.bye(c.dialog);
  }

  /**
   * Route the still-unanswered call elsewhere (call forwarding, spec SNR-06): current forks
   * are cancelled (branches being confirmed get a BYE), remaining groups are dropped and
   * `groups` are tried as for start(). With no groups the caller gets `status` (after
   * CallObserver.onExhausted). False when the call is answered, answering or over.
   */
  divert(groups: CallTarget[][], status = 480): boolean {
    if (this.ended || this.bDialog !== undefined || this.a.finalStatus !== undefined) return false;
    const next = groups.filter((g) => g.length > 0);
    if (!this.routed) {
      // start() is still preparing the offer: it will route to these instead.
      this.groups = next;
      this.statuses = next.length === 0 ? [status] : [];
      return true;
    }
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
      if (b.status === undefined) {
        b.status = 487;
        b.invite?.cancel();
      }
    }
    this.branches = [];
    this.statuses = next.length === 0 ? [status] : [];
    this.groups = next;
    this.nextGroup();
    return true;
  }

  private exhausted(status: number): CallTarget[][] | undefined {
    if (this.exhaustedAsked) return undefined;
    this.exhaustedAsked = true;
    for (const o of this.observers()) {
      const g = o.onExhausted?.(this, status)?.filter((x) => x.length > 0);
      if (g !== undefined && g.length > 0) return g;
    }
    return undefined;
  }

  // ------------------------------------------------------------ A-leg events
  private onCallerCancel(): void {
    if (this.ended) return;
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
      if (b.status === undefined) {
        b.status = 487;
        b.invite?.cancel();
      }
    }
    this.a.reject(487);
    void this.finish({ result: 'cancelled', status: 487, by: 'a' });
  }

  // --------------------------------------------------------- in-dialog relay
  private bindDialog(dialog: Dialog, side: 'a' | 'b'): void {
    dialog.owner = this;
    dialog.onRequest = (req, tx) => this.onInDialogRequest(side, req, tx);
    dialog.onTerminated = () => {
      // Our own BYEs while releasing end nothing more (and keep CallEnd.by the side that left).
      if (this.ended || this.releasing) return;
      const r = this.replacing;
      if (r !== undefined && r.old === dialog) {
        // The leg being replaced left first (a transferor hanging up after 202): wait for the new one.
        r.oldGone = true;
        if (side === 'a') this.aDialog = undefined;
        else this.bDialog = undefined;
        return;
      }
      if (this.keepAfterLegLeft(side, dialog)) return;
      // The peer's BYE (already answered 200 by the UA core) ends the other side too.
      this.hangup(side, 'BYE');
    };
  }

  private other(side: 'a' | 'b'): Dialog | undefined {
    return side === 'a' ? this.bDialog : this.aDialog;
  }

  private onInDialogRequest(side: 'a' | 'b', req: SipRequest, tx: ServerTransaction): void {
    const peer = this.other(side);
    if (peer === undefined && this.replacing?.oldGone === true && !this.ended) {
      // The other side is being replaced: nothing to relay to yet; a re-INVITE is retried later.
      const mine = side === 'a' ? this.aDialog : this.bDialog;
      if (req.method !== 'INVITE') tx.respond(createResponse(req, 200));
      else if (mine?.reinvite !== undefined) {
        mine.reinvite.reject(491);
        mine.reinvite = undefined;
      }
      return;
    }
    if (peer === undefined && side === 'b' && this.callerLost && !this.ended) {
      this.answerWhileLost(this.bDialog!, this.callerTag, req, tx);
      return;
    }
    if (peer === undefined && side === 'a' && this.calleeLost && !this.ended) {
      if (req.method === 'INFO') this.observeInfo(side, req);
      this.answerWhileLost(this.aDialog!, this.lostCalleeTag, req, tx);
      return;
    }
    if (peer === undefined || this.ended) {
      tx.respond(createResponse(req, 481));
      return;
    }
    if (isSessionRefresh(req, this.legSdp[side].got)) {
      this.answerRefresh(side, req, tx);
      return;
    }
    switch (req.method) {
      case 'INVITE':
        this.notify(this.reinviteListeners, side, req, 're-INVITE');
        void this.relayReinvite(side, req, peer).catch((e: Error) => this.log.warn({ err: e.message }, 're-INVITE relay failed'));
        return;
      case 'INFO':
        this.observeInfo(side, req);
        void this.relayRequest(side, req, tx, peer).catch((e: Error) => this.log.warn({ err: e.message }, `${req.method} relay failed`));
        return;
      case 'UPDATE':
        void this.relayRequest(side, req, tx, peer).catch((e: Error) => this.log.warn({ err: e.message }, `${req.method} relay failed`));
        return;
      case 'OPTIONS':
        tx.respond(createResponse(req, 200));
        return;
      case 'REFER':
        void handleRefer({ call: this, ua: this.opts.ua, side, referrer: side === 'a' ? this.aDialog! : this.bDialog!, request: req, tx, policy: this.opts.referPolicy, log: this.log }).catch(
          (e: Error) => this.log.warn({ err: e.message }, 'REFER failed'),
        );
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }

  /** re-INVITE (hold/resume, media change) from one side: re-offer through the anchor, relay, answer back. */
  private async relayReinvite(side: 'a' | 'b', req: SipRequest, peer: Dialog): Promise<void> {
    const mine = side === 'a' ? this.aDialog! : this.bDialog!;
    const incoming = mine.reinvite;
    mine.reinvite = undefined;
    if (incoming === undefined) return;
    this.relaying.add(incoming); // answered (or rejected 487 by finish) exactly once: reject after accept is a no-op
    if (side === 'b' && req.body.length > 0) this.bSdp = req.bodyText;
    let offer: string | undefined;
    if (req.body.length > 0) {
      offer = this.opts.media !== undefined ? await this.opts.media.reoffer(this.mediaKey, this.tagOf(mine), this.tagOf(peer), req.bodyText) : req.bodyText;
    }
    const out = this.opts.ua.reinvite(peer, offer === undefined ? {} : { body: offer, contentType: 'application/sdp' }, {
      onAnswer: (res) => {
        void (async () => {
          let answer: string | undefined;
          if (side === 'a' && res.body.length > 0) this.bSdp = res.bodyText;
          if (res.body.length > 0) {
            answer =
              this.opts.media === undefined
                ? res.bodyText
                : offer === undefined
                  ? await this.opts.media.reoffer(this.mediaKey, this.tagOf(peer), this.tagOf(mine), res.bodyText)
                  : await this.opts.media.reanswer(this.mediaKey, this.tagOf(mine), this.tagOf(peer), res.bodyText);
          }
          const peerSide = side === 'a' ? 'b' : 'a';
          // Only once the offer succeeded: a retry after 491 must be relayed again (drachtio-server#318).
          if (req.body.length > 0) this.legSdp[side].got = req.bodyText;
          if (offer !== undefined) this.legSdp[peerSide].sent = offer;
          if (res.body.length > 0) this.legSdp[peerSide].got = res.bodyText;
          if (answer !== undefined) this.legSdp[side].sent = answer;
          this.relaying.delete(incoming);
          if (this.ended) return;
          incoming.accept(answer === undefined ? {} : { body: answer, contentType: 'application/sdp' });
        })().catch((e: Error) => {
          this.log.warn({ err: e.message }, 're-INVITE answer failed');
          incoming.reject(500);
        });
      },
      onFailure: (res) => {
        this.relaying.delete(incoming);
        incoming.reject(res.status === 491 ? 491 : res.status >= 500 ? 500 : res.status);
      },
    });
    if (out === undefined) incoming.reject(491);
  }

  /**
   * A session refresh (RFC 4028) or SDP no-op on one leg: answered on that leg with the
   * SDP we last sent it; the other leg never sees it (its own timer refreshes it).
   */
  private answerRefresh(side: 'a' | 'b', req: SipRequest, tx: ServerTransaction): void {
    if (req.method === 'UPDATE') {
      const res = createResponse(req, 200);
      const sent = this.legSdp[side].sent;
      if (req.body.length > 0 && sent !== undefined) res.setBody(sent, 'application/sdp');
      tx.respond(res);
      return;
    }
    const mine = side === 'a' ? this.aDialog : this.bDialog;
    const incoming = mine?.reinvite;
    if (mine === undefined || incoming === undefined) return;
    mine.reinvite = undefined;
    const sdp = this.legSdp[side].sent;
    incoming.accept(sdp === undefined ? {} : { body: sdp, contentType: 'application/sdp' });
  }

  private async relayRequest(side: 'a' | 'b', req: SipRequest, tx: ServerTransaction, peer: Dialog): Promise<void> {
    const mine = side === 'a' ? this.aDialog! : this.bDialog!;
    let body: string | Buffer | undefined = req.body.length > 0 ? req.body : undefined;
    const isSdp = req.contentType?.startsWith('application/sdp') === true;
    if (body !== undefined && isSdp && this.opts.media !== undefined) {
      body = await this.opts.media.reoffer(this.mediaKey, this.tagOf(mine), this.tagOf(peer), req.bodyText);
    }
    const options = body === undefined ? {} : { body, contentType: req.contentType ?? 'application/octet-stream' };
    const res = await this.opts.ua.dialogRequest(peer, req.method, options);
    const out = createResponse(req, res.status, res.reason);
    if (res.body.length > 0) {
      let rbody: string | Buffer = res.body;
      if (res.contentType?.startsWith('application/sdp') === true && this.opts.media !== undefined) {
        rbody = await this.opts.media.reanswer(this.mediaKey, this.tagOf(mine), this.tagOf(peer), res.bodyText);
      }
      out.setBody(rbody, res.contentType ?? 'application/octet-stream');
    }
    tx.respond(out);
  }

  // ------------------------------------------------------- leg replacement
  /** The dialog of a side, and the side a dialog of this call is on. */
  legOf(side: 'a' | 'b'): Dialog | undefined {
    return side === 'a' ? this.aDialog : this.bDialog;
  }

  sideOf(dialog: Dialog): 'a' | 'b' | undefined {
    return dialog === this.aDialog ? 'a' : dialog === this.bDialog ? 'b' : undefined;
  }

  /** A leg replacement is running (transfer, handoff). */
  get replacingLeg(): boolean {
    return this.replacing !== undefined;
  }

  /**
   * Ring `groups` (placeNewLeg: late offer, parallel forks, failover) and put the leg that
   * answers in place of `side`'s leg (REFER transfer, session handoff, send-to-mobile).
   * Resolves with the new leg's final status: 2xx means replaced. While it rings, the old
   * leg may hang up without ending the call; if it did and the new leg fails, the call ends.
   */
  async replaceLeg(side: 'a' | 'b', groups: CallTarget[][], hooks: ReplaceHooks = {}): Promise<number> {
    const old = this.legOf(side);
    if (this.ended || this.state !== 'connected' || old === undefined || this.other(side) === undefined || this.replacing !== undefined) return 491;
    const abort = new AbortController();
    hooks.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const r = { side, old, oldGone: false, abort };
    this.replacing = r;
    let swapped = false;
    try {
      const leg = await placeNewLeg(this.opts.ua, groups, { ...hooks, signal: abort.signal });
      if (leg.status >= 300 || leg.dialog === undefined) return leg.status;
      const dialog = leg.dialog;
      const invite = leg.invite!;
      const incoming: IncomingLeg = {
        tag: dialog.remoteTag,
        offer: leg.response!.bodyText,
        response: leg.response!,
        complete: (answer) => {
          invite.ack(dialog, { body: answer, contentType: 'application/sdp' });
          return dialog;
        },
        abandon: () => {
          invite.ack(dialog);
          void this.opts.ua.bye(dialog);
        },
      };
      if (leg.response!.body.length === 0) {
        incoming.abandon(488);
        return 488;
      }
      if (leg.target?.identity !== undefined && side === 'b') this.answeredTarget = answeredOf(leg.target);
      try {
        await hooks.onAnswered?.();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'leg replacement: onAnswered failed');
      }
      swapped = await this.swapIn(side, incoming, hooks);
      return swapped ? leg.status : 500;
    } finally {
      if (this.replacing === r) this.replacing = undefined;
      if (!swapped && r.oldGone && !this.ended) this.hangup('server', 'replacement failed after the old leg left');
    }
  }

  /**
   * Put `leg` (an outbound 2xx or an inbound INVITE, both with an SDP offer) in place of
   * `side`'s leg: the kept side is re-INVITEd with an offer built from the new leg's (so a
   * party on hold is resumed), the new leg gets the answer, the old leg gets a BYE after
   * hooks.beforeRelease (unless hooks.keepOld). False when it could not be done (the new
   * leg is abandoned, the call goes on as before).
   */
  async swapIn(side: 'a' | 'b', leg: IncomingLeg, hooks: Pick<ReplaceHooks, 'beforeRelease' | 'keepOld'> = {}): Promise<boolean> {
    const kept = this.other(side);
    const old = this.legOf(side);
    if (this.ended || kept === undefined || (this.callerLost && side !== 'a')) {
      leg.abandon(481);
      return false;
    }
    const media = this.opts.media;
    let offer: string;
    let keptAnswer: string | undefined;
    let answer: string;
    const keptTag = this.tagOf(kept);
    try {
      offer = media !== undefined ? await media.offerBetween(this.mediaKey, leg.tag, keptTag, leg.offer) : leg.offer;
      keptAnswer = this.ended ? undefined : await this.reinviteWith(kept, offer);
      if (keptAnswer === undefined || this.ended) {
        leg.abandon(500);
        return false;
      }
      answer = media !== undefined ? await media.answerBetween(this.mediaKey, leg.tag, keptTag, keptAnswer) : keptAnswer;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'leg replacement: media failed');
      leg.abandon(500);
      return false;
    }
    const dialog = leg.complete(answer);
    if (dialog === undefined || this.ended) return false;
    const keptSide = side === 'a' ? 'b' : 'a';
    if (side === 'a') {
      this.aDialog = dialog;
      this.callerTag = leg.tag;
      this.callerLost = false;
    } else {
      this.bDialog = dialog;
      // The new B leg's media is under its own tag (leg.tag, its dialog's remote tag).
      this.bMediaTag = undefined;
    }
    this.bindDialog(dialog, side);
    if (side === 'b') this.calleeLost = false;
    this.legSdp[side] = { got: leg.offer, sent: answer };
    this.legSdp[keptSide] = { got: keptAnswer, sent: offer };
    this.bSdp = side === 'b' ? leg.offer : keptAnswer;
    const stc = this.opts.sessionTimer;
    if (stc !== undefined && leg.response !== undefined) {
      startLegTimer(this.opts.ua, dialog, calleeSession(leg.response, stc), stc, this, side, 'session expired (new leg)');
    }
    this.log.info({ side, callId: dialog.callId }, 'leg replaced');
    if (old !== undefined && old !== dialog) {
      // The old leg is no longer part of the call: its requests are answered locally, its BYE ends nothing.
      old.onTerminated = undefined;
      old.onRequest = (req, tx) => {
        if (req.method === 'INVITE' && old.reinvite !== undefined) {
          old.reinvite.reject(488);
          old.reinvite = undefined;
        } else tx.respond(createResponse(req, 200));
      };
      old.sessionTimer?.stop();
      try {
        await hooks.beforeRelease?.();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'before releasing the old leg');
      }
      if (hooks.keepOld !== true && old.state !== 'terminated') void this.opts.ua.bye(old);
    }
    return true;
  }

  /**
   * BYE the callee leg and keep the caller side waiting, as if the callee had left with
   * onCalleeLost answering true (a parked call, spec MID-07). False when not connected.
   */
  releaseCallee(why: string): boolean {
    const b = this.bDialog;
    if (this.ended || this.state !== 'connected' || b === undefined || this.aDialog === undefined || this.replacing !== undefined) return false;
    b.onTerminated = undefined;
    b.sessionTimer?.stop();
    this.lostCalleeTag = this.tagOf(b);
    this.bDialog = undefined;
    this.calleeLost = true;
    this.log.info({ why }, 'callee leg released, caller kept');
    if (b.state !== 'terminated') void this.opts.ua.bye(b);
    return true;
  }

  /** Detach `dialog` from this call (it moves to another call) and end this call, BYEing only its other leg. */
  surrenderLeg(dialog: Dialog, why: string): boolean {
    const side = this.sideOf(dialog);
    if (side === undefined || this.ended) return false;
    if (side === 'a') this.aDialog = undefined;
    else this.bDialog = undefined;
    dialog.onTerminated = undefined;
    dialog.sessionTimer?.stop();
    this.hangup('server', why);
    return true;
  }

  /** re-INVITE `d` with `offer`; its SDP answer, or undefined. Glare (491, or one pending) is retried. */
  private reinviteWith(d: Dialog, offer: string, tries = 5): Promise<string | undefined> {
    return new Promise((resolve) => {
      const attempt = (left: number): void => {
        if (this.ended || d.state !== 'confirmed') return resolve(undefined);
        const retry = (): void => {
          if (left > 0) setTimeout(() => attempt(left - 1), 100 + Math.floor(Math.random() * 200));
          else resolve(undefined);
        };
        const out = this.opts.ua.reinvite(d, { body: offer, contentType: 'application/sdp' }, {
          onAnswer: (res) => resolve(res.body.length > 0 ? res.bodyText : undefined),
          onFailure: (res) => (res.status === 491 ? retry() : resolve(undefined)),
        });
        if (out === undefined) retry();
      };
      attempt(tries);
    });
  }

  // ------------------------------------------------ caller lost / reattached
  /**
   * A leg BYEd a connected call: ask its hook (onCallerLost / onCalleeLost) whether the other
   * leg stays; true: the call now waits with that side lost (callerLost / calleeLost).
   */
  private keepAfterLegLeft(side: 'a' | 'b', dialog: Dialog): boolean {
    if (this.releasing || this.state !== 'connected' || dialog !== this.legOf(side) || this.other(side) === undefined) return false;
    const hook = side === 'a' ? this.onCallerLost : this.onCalleeLost;
    let keep = false;
    try {
      keep = hook?.(this) === true;
    } catch (e) {
      this.log.warn({ err: (e as Error).message, side }, 'leg-lost hook failed');
    }
    if (!keep) return false;
    if (side === 'a') {
      this.aDialog = undefined;
      this.callerLost = true;
    } else {
      this.lostCalleeTag = this.tagOf(dialog);
      this.bDialog = undefined;
      this.calleeLost = true;
    }
    this.log.info({ side }, 'leg lost: the other side kept');
    return true;
  }

  /**
   * A new inbound INVITE becomes the caller side of this call, whose caller leg was lost
   * (spec SR-04). The B-leg gets no new INVITE: with an anchor the media is re-pointed
   * (the anchor keeps its ports towards the B-leg); without one the B-leg gets a re-INVITE
   * with the new caller's offer. `inv` is answered here. Resolves false (inv untouched)
   * when the call cannot take it: not waiting for a caller, over, or no SDP offer.
   */
  async attachCaller(inv: IncomingInvite): Promise<boolean> {
    const b = this.bDialog;
    if (!this.callerLost || this.ended || b === undefined || inv.finalStatus !== undefined || inv.request.body.length === 0) return false;
    const tag = inv.request.from.tag ?? '';
    const offer = inv.request.bodyText;
    const media = this.opts.media;
    let answer: string | undefined;
    if (media !== undefined) {
      if (this.bSdp === undefined) return false;
      const bTag = this.tagOf(b);
      await media.offerBetween(this.mediaKey, tag, bTag, offer);
      answer = await media.answerBetween(this.mediaKey, tag, bTag, this.bSdp);
    } else {
      answer = await new Promise<string | undefined>((resolve) => {
        const out = this.opts.ua.reinvite(b, { body: offer, contentType: 'application/sdp' }, {
          onAnswer: (res) => resolve(res.body.length > 0 ? res.bodyText : undefined),
          onFailure: () => resolve(undefined),
        });
        if (out === undefined) resolve(undefined);
      });
      if (answer !== undefined) this.bSdp = answer;
    }
    if (answer === undefined || this.ended || !this.callerLost || inv.finalStatus !== undefined) return false;
    this.aDialog = inv.accept({ body: answer, contentType: 'application/sdp' });
    this.bindDialog(this.aDialog, 'a');
    this.callerTag = tag;
    this.callerLost = false;
    inv.onAckTimeout = () => this.hangup('server', 'no ACK for 2xx');
    this.log.info({ callId: inv.request.callId }, 'new caller leg attached');
    return true;
  }

  private observeInfo(side: 'a' | 'b', req: SipRequest): void {
    this.notify(this.infoListeners, side, req, 'INFO');
  }

  private notify(listeners: ReadonlySet<LegRequestListener>, side: 'a' | 'b', req: SipRequest, what: string): void {
    // A copy: a listener may remove itself (or another) while being called.
    for (const fn of [...listeners]) {
      try {
        fn(side, req);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, `${what} listener failed`);
      }
    }
  }

  /**
   * A request from the kept leg while the other side is lost: answered here, nothing is
   * relayed; a re-INVITE is answered through the anchor with a stand-in for the lost side.
   */
  private answerWhileLost(b: Dialog, lostTag: string, req: SipRequest, tx: ServerTransaction): void {
    if (req.method !== 'INVITE') {
      tx.respond(createResponse(req, req.method === 'INFO' || req.method === 'OPTIONS' || (req.method === 'UPDATE' && req.body.length === 0) ? 200 : 488));
      return;
    }
    const incoming = b.reinvite;
    b.reinvite = undefined;
    if (incoming === undefined) return;
    const media = this.opts.media;
    if (media === undefined || req.body.length === 0) {
      incoming.reject(488);
      return;
    }
    if (b === this.bDialog) this.bSdp = req.bodyText;
    else this.legSdp.a.got = req.bodyText;
    // The lost side has no endpoint: it "answers" with a stand-in pointing at the discard port.
    const keptTag = this.tagOf(b);
    void (async () => {
      await media.offerBetween(this.mediaKey, keptTag, lostTag, req.bodyText);
      const answer = await media.answerBetween(this.mediaKey, keptTag, lostTag, placeholderAnswer(req.bodyText));
      incoming.accept({ body: answer, contentType: 'application/sdp' });
    })().catch((e: Error) => {
      this.log.warn({ err: e.message }, 're-INVITE while the other leg is lost failed');
      incoming.reject(500);
    });
  }

  // ---------------------------------------------------------------- ending
  /** Release the call from `by`'s side (or the server): BYE whatever is still up. */
  hangup(by: 'a' | 'b' | 'server', why: string): void {
    if (this.ended) return;
    this.releasing = true;
    this.log.debug({ by, why }, 'hangup');
    const wasConnected = this.state === 'connected';
    if (by !== 'a' && this.aDialog !== undefined && this.aDialog.state !== 'terminated') void this.opts.ua.bye(this.aDialog);
    if (by !== 'b' && this.bDialog !== undefined && this.bDialog.state !== 'terminated') void this.opts.ua.bye(this.bDialog);
    if (this.a.finalStatus === undefined) this.a.reject(by === 'server' ? 500 : 487);
    this.a.stopRetransmit();
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
      if (b.status === undefined) b.invite?.cancel();
    }
    void this.finish({ result: wasConnected ? 'answered' : 'error', by });
  }

  private fail(status: number, reason?: string, result?: CallEnd['result']): void {
    if (this.ended) return;
    if (this.a.finalStatus === undefined) this.a.reject(status, reason === undefined ? {} : { reason });
    const r: CallEnd['result'] =
      result ?? (status === 486 || status === 600 ? 'busy' : status === 480 || status === 408 ? 'no-answer' : 'failed');
    void this.finish({ result: r, status, by: 'b' });
  }

  private async finish(end: CallEnd): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.state = 'ended';
    this.replacing?.abort.abort();
    for (const r of this.relaying) r.reject(487);
    this.relaying.clear();
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
    }
    this.opts.onEnd?.(this, end);
    for (const o of this.observers()) o.onEnd?.(this, end);
    if (this.opts.media !== undefined) {
      try {
        const media = await this.opts.media.release(this.mediaKey);
        if (media !== undefined) this.log.info({ media }, 'media stats');
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'media delete failed');
      }
    }
  }

  private clearBranchTimer(b: BranchState): void {
    if (b.timer !== undefined) clearTimeout(b.timer);
    b.timer = undefined;
  }
}
