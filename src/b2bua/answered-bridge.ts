/**
 * An inbound call the server answers itself (an IVR: MVA, EFA two-stage dialling) and may
 * later bridge to one outbound leg it places on the caller's behalf (MVA-05, EFA-03).
 *
 * Media, all through rtpengine (call-id = the inbound Call-ID):
 *  1. The caller's offer goes to rtpengine (from-tag = the caller's tag). The callee side
 *     is a stand-in (placeholder answer on the discard port, media tag `bTag`), so the
 *     caller can be answered at once and prompts played to it (`play media`), and RFC 4733
 *     digits from it reach rtpengine's DTMF log.
 *  2. rtpengine's offer towards the callee side (kept from step 1) is the outbound leg's
 *     INVITE offer. When that leg answers, the callee side is re-offered from `bTag` with the
 *     real SDP and answered with the caller's SDP; `port-latching` keeps every port either
 *     party already knows, so the answered caller never needs a re-INVITE (as in
 *     outbound-bridge.ts).
 * Re-INVITEs from either leg are answered locally through rtpengine; they never cross.
 *
 * Once bridged, the two legs can be handed over to a B2BCall (handOver(), B2BCall.adopt) so
 * the connected call gets what every anchored call has (mid-call features, desk pickup,
 * transfers); the media session stays, under the same call-id and tags.
 *
 * Layering: SIP UA core and media anchor only; the features drive it.
 */
import type { MediaAnchor } from '../media/media-anchor.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import { newTag } from '../sip/message/ids.js';
import type { SipRequest, SipResponse } from '../sip/message/message.js';
import { createResponse } from '../sip/message/response.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { OutgoingInvite } from '../sip/ua/outgoing-invite.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { AdoptedLegs, CallLogger, CallTarget } from './call.js';
import { placeholderAnswer } from './sdp-placeholder.js';

const FLAGS = ['port-latching'] as const;

export interface InboundHandlers {
  /** An in-dialog INFO from the caller (already answered 200), e.g. DTMF. */
  onInfo?(info: SipRequest): void;
  /** The caller hung up (BYE) or the dialog died (no ACK). */
  onBye?(): void;
}

export interface OutLegHandlers {
  /** 1xx (100 excluded). */
  onProvisional?(res: SipResponse): void;
  /** 2xx: ACKed and media bridged with the caller. */
  onAnswer?(res: SipResponse): void;
  /** The leg will not be answered: its status (480 for our ring timeout, 503 if media failed). */
  onFailure?(status: number): void;
  /** The callee hung up after answering. */
  onBye?(): void;
  onInfo?(info: SipRequest): void;
}

export type OutLegState = 'calling' | 'answered' | 'ended';

export class OutLeg {
  state: OutLegState = 'calling';
  readonly sentAt = Date.now();
  answeredAt: number | undefined;
  dialog: Dialog | undefined;
  invite: OutgoingInvite | undefined;
  sdp: string | undefined;
  /** Ended by us: later events are ours, not the peer's. */
  local = false;
  noAnswer = false;
  ringTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly target: CallTarget,
    readonly handlers: OutLegHandlers,
  ) {}
}

export interface AnsweredBridgeOptions {
  ua: UserAgentCore;
  anchor: MediaAnchor;
  log: CallLogger;
}

export class AnsweredBridge {
  readonly callId: string;
  readonly callerTag: string;
  /** Media tag of the callee side (stand-in, then the outbound leg). */
  readonly calleeTag = `ab-${newTag()}`;
  inbound: Dialog | undefined;
  out: OutLeg | undefined;
  private callerSdp: string;
  /** rtpengine's SDP towards the callee side: the outbound leg's offer. */
  private towardsCallee: string | undefined;
  /** The SDP we last sent the caller (200, re-INVITE answers): a B2BCall taking over needs it. */
  private sentToCaller: string | undefined;
  /** The same for the outbound leg (its offer, then our re-INVITE answers). */
  private sentToOut: string | undefined;
  private released = false;
  private inboundUp = false;

  constructor(
    readonly inv: IncomingInvite,
    private readonly opts: AnsweredBridgeOptions,
  ) {
    this.callId = inv.request.callId;
    this.callerTag = inv.request.from.tag ?? '';
    this.callerSdp = inv.request.bodyText;
  }

  get log(): CallLogger {
    return this.opts.log;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** The inbound call is up (answered and not hung up). */
  get up(): boolean {
    return this.inboundUp && !this.released;
  }

  get bridged(): boolean {
    return this.inboundUp && this.out?.state === 'answered';
  }

  /**
   * Anchor and answer the inbound INVITE (200 with rtpengine's SDP). Resolves false when it
   * could not be answered (no SDP offer, anchor down: the INVITE got `failStatus`; or the
   * caller cancelled meanwhile).
   */
  async answer(handlers: InboundHandlers, failStatus = 503): Promise<boolean> {
    const inv = this.inv;
    if (inv.request.body.length === 0) {
      inv.reject(488, { reason: 'Not Acceptable Here - an SDP offer is needed' });
      return false;
    }
    const a = this.opts.anchor;
    try {
      const off = await a.offer({ callId: this.callId, fromTag: this.callerTag, sdp: this.callerSdp, flags: FLAGS });
      this.towardsCallee = off.sdp;
      const ans = await a.answer({ callId: this.callId, fromTag: this.callerTag, toTag: this.calleeTag, sdp: placeholderAnswer(off.sdp), flags: FLAGS });
      if (inv.finalStatus !== undefined || this.released) {
        void a.delete({ callId: this.callId }).catch(() => undefined);
        return false;
      }
      inv.onAckTimeout = () => {
        this.inboundUp = false;
        handlers.onBye?.();
      };
      const dialog = inv.accept({ body: ans.sdp, contentType: 'application/sdp' });
      this.sentToCaller = ans.sdp;
      this.inbound = dialog;
      this.inboundUp = true;
      dialog.owner = this;
      dialog.onRequest = (req, tx) => this.onRequest('inbound', dialog, req, tx, handlers.onInfo);
      dialog.onTerminated = () => {
        if (!this.inboundUp) return;
        this.inboundUp = false;
        if (!this.released) handlers.onBye?.();
      };
      return true;
    } catch (e) {
      this.log.warn({ err: (e as Error).message, callId: this.callId }, 'IVR call could not be anchored');
      if (inv.finalStatus === undefined) inv.reject(failStatus, { reason: 'Service Unavailable - media anchor unavailable' });
      void a.delete({ callId: this.callId }).catch(() => undefined);
      return false;
    }
  }

  /** Play a file to the caller. Resolves with its length when rtpengine reports it. */
  async play(file: string, repeatTimes?: number): Promise<number | undefined> {
    const r = await this.opts.anchor.playMedia({ callId: this.callId, fromTag: this.callerTag, file, ...(repeatTimes !== undefined ? { repeatTimes } : {}) });
    return r.durationMs;
  }

  async stopPlay(): Promise<void> {
    try {
      await this.opts.anchor.stopMedia({ callId: this.callId, fromTag: this.callerTag });
    } catch {
      // nothing playing
    }
  }

  /** Place the outbound leg; it is bridged with the caller when it answers. */
  callOut(target: CallTarget, handlers: OutLegHandlers): OutLeg {
    if (!this.up || this.towardsCallee === undefined) throw new Error('inbound leg not answered');
    if (this.out !== undefined && this.out.state !== 'ended') throw new Error('outbound leg already placed');
    const leg = new OutLeg(target, handlers);
    this.out = leg;
    const ua = this.opts.ua;
    this.sentToOut = this.towardsCallee;
    const req = ua.createRequest({
      method: 'INVITE',
      uri: target.uri,
      from: target.from,
      to: target.to,
      options: { headers: { supported: 'replaces, timer', ...(target.headers ?? {}) }, body: this.towardsCallee, contentType: 'application/sdp' },
    });
    leg.invite = ua.invite(req, target.destination, {
      onProvisional: (res) => {
        if (leg.state === 'calling' && !leg.local) leg.handlers.onProvisional?.(res);
      },
      onAnswer: (res, dialog) => this.onOutAnswer(leg, res, dialog),
      onFailure: (res) => {
        this.clearRing(leg);
        if (leg.state !== 'calling') return;
        leg.state = 'ended';
        if (!leg.local) leg.handlers.onFailure?.(leg.noAnswer ? 480 : res.status);
      },
    });
    if (target.ringTimeoutMs !== undefined && target.ringTimeoutMs > 0) {
      leg.ringTimer = setTimeout(() => {
        leg.ringTimer = undefined;
        if (leg.state !== 'calling') return;
        leg.noAnswer = true;
        leg.invite?.cancel();
      }, target.ringTimeoutMs);
    }
    return leg;
  }

  /** End the outbound leg (BYE or CANCEL); no handler is called for it afterwards. */
  hangupOut(reason?: string): void {
    const leg = this.out;
    if (leg === undefined || leg.state === 'ended') return;
    leg.local = true;
    this.clearRing(leg);
    const was = leg.state;
    leg.state = 'ended';
    if (leg.dialog !== undefined) {
      if (leg.dialog.state !== 'terminated') void this.opts.ua.bye(leg.dialog);
    } else if (was === 'calling') leg.invite?.cancel(reason);
  }

  /**
   * Take the answered outbound leg out of this bridge without ending it (it moves to another
   * call, e.g. a mid-call transfer, MID-06): the bridge no longer touches its dialog.
   */
  detachOut(): Dialog | undefined {
    const leg = this.out;
    if (leg === undefined || leg.state !== 'answered' || leg.dialog === undefined) return undefined;
    leg.local = true;
    leg.state = 'ended';
    this.clearRing(leg);
    const d = leg.dialog;
    d.onRequest = undefined;
    d.onTerminated = undefined;
    return d;
  }

  /** Take the answered inbound leg out of this bridge without ending it (e.g. into a conference, MID-08). */
  detachInbound(): Dialog | undefined {
    const d = this.inbound;
    if (!this.inboundUp || d === undefined) return undefined;
    this.inboundUp = false;
    d.onRequest = undefined;
    d.onTerminated = undefined;
    return d;
  }

  /** BYE the caller only; the outbound leg (ringing or answered) goes on (early attended transfer, MID-06). */
  releaseInbound(): void {
    const d = this.inbound;
    if (!this.inboundUp || d === undefined) return;
    this.inboundUp = false;
    if (d.state !== 'terminated') void this.opts.ua.bye(d);
  }

  /**
   * Give both legs of the bridged call to a B2BCall (B2BCall.adopt): the bridge lets go of
   * their dialogs without ending them, keeps the media session (the new owner deletes it) and
   * calls no handler any more; release() is then a no-op. Undefined (nothing changed) unless
   * the call is bridged.
   */
  handOver(): AdoptedLegs | undefined {
    const out = this.out;
    const inbound = this.inbound;
    if (!this.bridged || this.released || out?.dialog === undefined || inbound === undefined || out.answeredAt === undefined) return undefined;
    this.released = true;
    this.inboundUp = false;
    out.local = true;
    out.state = 'ended';
    this.clearRing(out);
    for (const d of [inbound, out.dialog]) {
      d.onRequest = undefined;
      d.onTerminated = undefined;
    }
    return {
      aDialog: inbound,
      bDialog: out.dialog,
      bTarget: out.target,
      bMediaTag: this.calleeTag,
      sdp: { a: { got: this.callerSdp, sent: this.sentToCaller }, b: { got: out.sdp, sent: this.sentToOut } },
      connectedAt: out.answeredAt,
    };
  }

  /** BYE the caller (if up), end the outbound leg, delete the media session. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.hangupOut();
    const d = this.inbound;
    if (this.inboundUp && d !== undefined && d.state !== 'terminated') void this.opts.ua.bye(d);
    this.inboundUp = false;
    void this.opts.anchor.delete({ callId: this.callId }).catch(() => undefined);
  }

  // ---------------------------------------------------------------- internals
  private onOutAnswer(leg: OutLeg, res: SipResponse, dialog: Dialog): void {
    this.clearRing(leg);
    if (leg.state !== 'calling' || leg.local || this.released) {
      void this.opts.ua.bye(dialog);
      return;
    }
    leg.dialog = dialog;
    leg.answeredAt = Date.now();
    leg.sdp = res.body.length > 0 ? res.bodyText : undefined;
    dialog.owner = this;
    dialog.onRequest = (req, tx) => this.onRequest('out', dialog, req, tx, leg.handlers.onInfo);
    dialog.onTerminated = () => {
      if (leg.local || leg.state === 'ended') return;
      leg.state = 'ended';
      leg.handlers.onBye?.();
    };
    void this.joinMedia(leg).then(
      () => {
        if (leg.state !== 'calling' || leg.local) return;
        leg.state = 'answered';
        leg.handlers.onAnswer?.(res);
      },
      (e: Error) => {
        this.log.warn({ err: e.message }, 'bridging the answered outbound leg failed');
        if (leg.state !== 'calling' || leg.local) return;
        leg.state = 'ended';
        leg.local = true;
        void this.opts.ua.bye(dialog);
        leg.handlers.onFailure?.(503);
      },
    );
  }

  private async joinMedia(leg: OutLeg): Promise<void> {
    if (leg.sdp === undefined) throw new Error('2xx without SDP answer');
    const a = this.opts.anchor;
    await a.offer({ callId: this.callId, fromTag: this.calleeTag, toTag: this.callerTag, sdp: leg.sdp, flags: FLAGS });
    await a.answer({ callId: this.callId, fromTag: this.calleeTag, toTag: this.callerTag, sdp: this.callerSdp, flags: FLAGS });
  }

  private onRequest(side: 'inbound' | 'out', dialog: Dialog, req: SipRequest, tx: ServerTransaction, onInfo: ((r: SipRequest) => void) | undefined): void {
    switch (req.method) {
      case 'INFO':
        tx.respond(createResponse(req, 200));
        onInfo?.(req);
        return;
      case 'OPTIONS':
        tx.respond(createResponse(req, 200));
        return;
      case 'UPDATE':
        tx.respond(createResponse(req, req.body.length === 0 ? 200 : 488));
        return;
      case 'INVITE':
        this.answerReinvite(side, dialog, req);
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }

  /** A re-INVITE from one leg, answered through rtpengine against the other side's current SDP. */
  private answerReinvite(side: 'inbound' | 'out', dialog: Dialog, req: SipRequest): void {
    const incoming = dialog.reinvite;
    dialog.reinvite = undefined;
    if (incoming === undefined) return;
    if (req.body.length === 0) {
      incoming.reject(488);
      return;
    }
    const out = this.out?.state === 'answered' ? this.out : undefined;
    const fromTag = side === 'inbound' ? this.callerTag : this.calleeTag;
    const toTag = side === 'inbound' ? this.calleeTag : this.callerTag;
    const otherSdp = side === 'inbound' ? (out?.sdp ?? placeholderAnswer(req.bodyText)) : this.callerSdp;
    if (side === 'inbound') this.callerSdp = req.bodyText;
    else if (out !== undefined) out.sdp = req.bodyText;
    const a = this.opts.anchor;
    void (async () => {
      await a.offer({ callId: this.callId, fromTag, toTag, sdp: req.bodyText, flags: FLAGS });
      const r = await a.answer({ callId: this.callId, fromTag, toTag, sdp: otherSdp, flags: FLAGS });
      if (side === 'inbound') this.sentToCaller = r.sdp;
      else this.sentToOut = r.sdp;
      incoming.accept({ body: r.sdp, contentType: 'application/sdp' });
    })().catch((e: Error) => {
      this.log.warn({ err: e.message }, 're-INVITE on an IVR call failed');
      incoming.reject(500);
    });
  }

  private clearRing(leg: OutLeg): void {
    if (leg.ringTimer !== undefined) clearTimeout(leg.ringTimer);
    leg.ringTimer = undefined;
  }
}
