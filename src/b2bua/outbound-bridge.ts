/**
 * Third-party call control (RFC 3725) for two legs the server places itself, media
 * anchored through rtpengine: DVO-R calls the mobile back (first leg), then the target
 * (second leg), and bridges them (spec DVO-R-03..06).
 *
 * Media: rtpengine needs an offer for every side, but neither leg has one to give
 * before it is called. The second side starts as a stand-in (placeholder SDP on the
 * discard port); rtpengine's offer for it is what the first leg gets. The first leg's
 * answer gives rtpengine's ports for the second side, which become the second leg's
 * offer. When the second leg answers, rtpengine is re-offered from the second side with
 * its real SDP. The `port-latching` flag keeps every port the legs already know, so no
 * leg ever needs a re-INVITE. Each leg is ACKed as soon as it answers (its offer was in
 * the INVITE), so a slow second leg never holds the first leg's 2xx unacknowledged.
 *
 * Layering: uses the SIP UA core and the media anchor only; features drive it.
 */
import type { MediaAnchor } from '../media/media-anchor.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import { newCallId, newTag } from '../sip/message/ids.js';
import type { SipRequest, SipResponse } from '../sip/message/message.js';
import { createResponse } from '../sip/message/response.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { OutgoingInvite } from '../sip/ua/outgoing-invite.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { CallLogger, CallTarget } from './call.js';
import { placeholderAnswer, placeholderOffer } from './sdp-placeholder.js';

const FLAGS = ['port-latching'] as const;

export interface OutboundLegHandlers {
  /** 1xx (100 excluded). */
  onProvisional?(res: SipResponse): void;
  /** 2xx: ACKed, media bound in the anchor (for the second leg: bridged with the first). */
  onAnswer?(res: SipResponse): void;
  /**
   * The leg will not be answered: its final status (480 for our ring timeout, 487 when
   * cancelled, 503 when the anchor failed). Not called after hangup() by us.
   */
  onFailure?(status: number): void;
  /** The peer sent BYE after answering (the leg is gone). */
  onBye?(): void;
  /** An in-dialog INFO (e.g. DTMF `application/dtmf-relay`); answered 200 already. */
  onInfo?(info: SipRequest): void;
}

export type OutboundLegState = 'calling' | 'answered' | 'ended';

export class OutboundLeg {
  state: OutboundLegState = 'calling';
  readonly sentAt = Date.now();
  answeredAt: number | undefined;
  dialog: Dialog | undefined;
  invite: OutgoingInvite | undefined;
  /** The leg's media tag in the anchor. */
  mediaTag: string;
  /** The peer's latest SDP. */
  sdp: string | undefined;
  /** We hung up / cancelled it: later events are ours, not the peer's. */
  local = false;
  /** Cancelled by its ring timer: reported as 480, not 487. */
  noAnswer = false;
  ringTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly role: 'first' | 'second',
    readonly target: CallTarget,
    readonly handlers: OutboundLegHandlers,
    mediaTag: string,
  ) {
    this.mediaTag = mediaTag;
  }
}

export interface OutboundBridgeOptions {
  ua: UserAgentCore;
  anchor: MediaAnchor;
  log: CallLogger;
}

export class OutboundBridge {
  /** The anchor's call id (also the first leg's Call-ID). */
  readonly callId = newCallId();
  first: OutboundLeg | undefined;
  second: OutboundLeg | undefined;
  /** Media tag of the second side: fixed before that leg exists. */
  private readonly secondTag = `b2-${newTag()}`;
  /** rtpengine's SDP towards the second side (the second leg's offer), once the first leg answered. */
  private secondOffer: string | undefined;
  private released = false;
  private mediaUsed = false;

  constructor(private readonly opts: OutboundBridgeOptions) {}

  get log(): CallLogger {
    return this.opts.log;
  }

  /** Both legs answered and media joined. */
  get bridged(): boolean {
    return this.first?.state === 'answered' && this.second?.state === 'answered';
  }

  /** Call the first leg (e.g. the callback to the mobile). Rejects when the anchor fails. */
  async callFirst(target: CallTarget, handlers: OutboundLegHandlers): Promise<OutboundLeg> {
    if (this.first !== undefined) throw new Error('first leg already placed');
    this.mediaUsed = true;
    const r = await this.opts.anchor.offer({ callId: this.callId, fromTag: this.secondTag, sdp: placeholderOffer(), flags: FLAGS });
    const leg = new OutboundLeg('first', target, handlers, '');
    this.first = leg;
    if (this.released) {
      leg.state = 'ended';
      return leg;
    }
    this.launch(leg, r.sdp, this.callId);
    return leg;
  }

  /** Call the second leg (the target) once the first one has answered. */
  callSecond(target: CallTarget, handlers: OutboundLegHandlers): OutboundLeg {
    if (this.first?.state !== 'answered' || this.secondOffer === undefined) throw new Error('first leg not answered');
    if (this.second !== undefined) throw new Error('second leg already placed');
    const leg = new OutboundLeg('second', target, handlers, this.secondTag);
    this.second = leg;
    this.launch(leg, this.secondOffer, undefined);
    return leg;
  }

  /** Play a file to one (answered) leg: prompts, ringback, busy tone. Resolves with its length when known. */
  async play(leg: OutboundLeg, file: string, repeatTimes?: number): Promise<number | undefined> {
    const r = await this.opts.anchor.playMedia({ callId: this.callId, fromTag: leg.mediaTag, file, ...(repeatTimes !== undefined ? { repeatTimes } : {}) });
    return r.durationMs;
  }

  async stopPlay(leg: OutboundLeg): Promise<void> {
    try {
      await this.opts.anchor.stopMedia({ callId: this.callId, fromTag: leg.mediaTag });
    } catch {
      // nothing playing
    }
  }

  /** End one leg: BYE when answered, CANCEL while it rings. No handler is called for it afterwards. */
  hangupLeg(leg: OutboundLeg | undefined, reason?: string): void {
    if (leg === undefined || leg.state === 'ended') return;
    leg.local = true;
    this.clearRing(leg);
    const was = leg.state;
    leg.state = 'ended';
    // A 2xx may already be in (media still being joined): then it is a BYE, not a CANCEL.
    if (leg.dialog !== undefined) {
      if (leg.dialog.state !== 'terminated') void this.opts.ua.bye(leg.dialog);
    } else if (was === 'calling') leg.invite?.cancel(reason);
  }

  /** End both legs and the media session. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.hangupLeg(this.first);
    this.hangupLeg(this.second);
    if (this.mediaUsed) void this.opts.anchor.delete({ callId: this.callId }).catch(() => undefined);
  }

  // ---------------------------------------------------------------- internals
  private launch(leg: OutboundLeg, offer: string, callId: string | undefined): void {
    const t = leg.target;
    const ua = this.opts.ua;
    const req = ua.createRequest({
      method: 'INVITE',
      uri: t.uri,
      from: t.from,
      to: t.to,
      ...(callId !== undefined ? { callId } : {}),
      options: { headers: { supported: 'replaces, timer', ...(t.headers ?? {}) }, body: offer, contentType: 'application/sdp' },
    });
    leg.invite = ua.invite(req, t.destination, {
      onProvisional: (res) => {
        if (leg.state === 'calling' && !leg.local) leg.handlers.onProvisional?.(res);
      },
      onAnswer: (res, dialog) => this.onAnswer(leg, res, dialog),
      onFailure: (res) => {
        this.clearRing(leg);
        if (leg.state !== 'calling') return;
        leg.state = 'ended';
        if (!leg.local) leg.handlers.onFailure?.(leg.noAnswer ? 480 : res.status);
      },
    });
    if (t.ringTimeoutMs !== undefined && t.ringTimeoutMs > 0) {
      leg.ringTimer = setTimeout(() => {
        leg.ringTimer = undefined;
        if (leg.state !== 'calling') return;
        leg.noAnswer = true;
        leg.invite?.cancel();
      }, t.ringTimeoutMs);
    }
  }

  private onAnswer(leg: OutboundLeg, res: SipResponse, dialog: Dialog): void {
    this.clearRing(leg);
    if (leg.state !== 'calling' || leg.local || this.released) {
      // Cancelled meanwhile (CANCEL crossed the 2xx): ACK (the UA core does) and BYE.
      void this.opts.ua.bye(dialog);
      return;
    }
    leg.dialog = dialog;
    leg.answeredAt = Date.now();
    leg.sdp = res.body.length > 0 ? res.bodyText : undefined;
    if (leg.role === 'first') leg.mediaTag = res.to.tag ?? '';
    this.bind(leg, dialog);
    void this.joinMedia(leg).then(
      () => {
        if (leg.state !== 'calling' || leg.local) return;
        leg.state = 'answered';
        leg.handlers.onAnswer?.(res);
      },
      (e: Error) => {
        this.log.warn({ err: e.message, leg: leg.role }, 'anchoring the answered leg failed');
        if (leg.state !== 'calling' || leg.local) return;
        leg.state = 'ended';
        leg.local = true;
        void this.opts.ua.bye(dialog);
        leg.handlers.onFailure?.(503);
      },
    );
  }

  private async joinMedia(leg: OutboundLeg): Promise<void> {
    if (leg.sdp === undefined) throw new Error('2xx without SDP answer');
    const a = this.opts.anchor;
    if (leg.role === 'first') {
      const r = await a.answer({ callId: this.callId, fromTag: this.secondTag, toTag: leg.mediaTag, sdp: leg.sdp, flags: FLAGS });
      this.secondOffer = r.sdp;
      return;
    }
    const first = this.first!;
    // The second side's real endpoint replaces the stand-in; the first leg keeps its ports.
    await a.offer({ callId: this.callId, fromTag: this.secondTag, toTag: first.mediaTag, sdp: leg.sdp, flags: FLAGS });
    await a.answer({ callId: this.callId, fromTag: this.secondTag, toTag: first.mediaTag, sdp: first.sdp!, flags: FLAGS });
  }

  private bind(leg: OutboundLeg, dialog: Dialog): void {
    dialog.owner = this;
    dialog.onRequest = (req, tx) => this.onRequest(leg, dialog, req, tx);
    dialog.onTerminated = () => {
      if (leg.local || leg.state === 'ended') return;
      leg.state = 'ended';
      this.clearRing(leg);
      leg.handlers.onBye?.();
    };
  }

  private onRequest(leg: OutboundLeg, dialog: Dialog, req: SipRequest, tx: ServerTransaction): void {
    switch (req.method) {
      case 'INFO':
        tx.respond(createResponse(req, 200));
        leg.handlers.onInfo?.(req);
        return;
      case 'OPTIONS':
        tx.respond(createResponse(req, 200));
        return;
      case 'UPDATE':
        tx.respond(createResponse(req, req.body.length === 0 ? 200 : 488));
        return;
      case 'INVITE':
        this.answerReinvite(leg, dialog, req);
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }

  /**
   * A re-INVITE (hold, resume, new address) from one leg is answered locally through the
   * anchor against the other side's current SDP: the other leg never sees it (port
   * latching keeps its ports), so no offer/answer ever crosses between the two legs.
   */
  private answerReinvite(leg: OutboundLeg, dialog: Dialog, req: SipRequest): void {
    const incoming = dialog.reinvite;
    dialog.reinvite = undefined;
    if (incoming === undefined) return;
    if (req.body.length === 0 || leg.state !== 'answered') {
      incoming.reject(req.body.length === 0 ? 488 : 491);
      return;
    }
    const other = leg.role === 'first' ? this.second : this.first;
    const otherTag = leg.role === 'first' ? this.secondTag : this.first!.mediaTag;
    const otherSdp = other?.state === 'answered' && other.sdp !== undefined ? other.sdp : placeholderAnswer(req.bodyText);
    leg.sdp = req.bodyText;
    const a = this.opts.anchor;
    void (async () => {
      await a.offer({ callId: this.callId, fromTag: leg.mediaTag, toTag: otherTag, sdp: req.bodyText, flags: FLAGS });
      const r = await a.answer({ callId: this.callId, fromTag: leg.mediaTag, toTag: otherTag, sdp: otherSdp, flags: FLAGS });
      incoming.accept({ body: r.sdp, contentType: 'application/sdp' });
    })().catch((e: Error) => {
      this.log.warn({ err: e.message }, 're-INVITE on a bridged leg failed');
      incoming.reject(500);
    });
  }

  private clearRing(leg: OutboundLeg): void {
    if (leg.ringTimer !== undefined) clearTimeout(leg.ringTimer);
    leg.ringTimer = undefined;
  }
}
