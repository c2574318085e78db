/**
 * Offer/answer through rtpengine for one B2B call. rtpengine knows the call by
 * the A-leg Call-ID and each side by its tag: the caller by the A-leg From tag,
 * a callee by its B-leg To tag (so forked branches are told apart).
 */
import type { MediaAnchor } from '../media/media-anchor.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/message.js';

/**
 * How rtpengine knows a call: the A-leg Call-ID and the caller's From tag as it was in the
 * initial INVITE (a B2BCall keeps this instead of re-reading its dormant INVITE).
 */
export interface MediaCallKey {
  readonly callId: string;
  readonly fromTag: string;
}

export class CallMedia {
  constructor(private readonly anchor: MediaAnchor) {}

  /** Caller's offer in the initial INVITE → the offer we send to callees. */
  async offerFromCaller(key: MediaCallKey, sdp: string): Promise<string> {
    const r = await this.anchor.offer({ callId: key.callId, fromTag: key.fromTag, sdp });
    return r.sdp;
  }

  /** A callee's answer (18x or 2xx) → the answer for the caller. */
  async answerFromCallee(key: MediaCallKey, res: SipResponse): Promise<string> {
    const r = await this.anchor.answer({ callId: key.callId, fromTag: key.fromTag, toTag: res.to.tag ?? '', sdp: res.bodyText });
    return r.sdp;
  }

  /** Late offer: the callee's 2xx carries the offer. */
  async offerFromCallee(key: MediaCallKey, res: SipResponse): Promise<string> {
    const r = await this.anchor.offer({ callId: key.callId, fromTag: res.to.tag ?? '', toTag: key.fromTag, sdp: res.bodyText });
    return r.sdp;
  }

  /** Late offer: the caller's ACK carries the answer. */
  async answerFromCaller(key: MediaCallKey, bDialog: Dialog, ack: SipRequest): Promise<string> {
    const r = await this.anchor.answer({ callId: key.callId, fromTag: bDialog.remoteTag, toTag: key.fromTag, sdp: ack.bodyText });
    return r.sdp;
  }

  /**
   * A mid-call offer from the side with media tag `fromTag` towards `toTag` (tags, not dialogs:
   * a leg adopted from an IVR keeps the stand-in tag it was anchored under, B2BCall.mediaTagOf).
   */
  async reoffer(key: MediaCallKey, fromTag: string, toTag: string, sdp: string): Promise<string> {
    const r = await this.anchor.offer({ callId: key.callId, fromTag, toTag, sdp });
    return r.sdp;
  }

  /** The answer to a mid-call offer that `fromTag` made, coming from `toTag`. */
  async reanswer(key: MediaCallKey, fromTag: string, toTag: string, sdp: string): Promise<string> {
    const r = await this.anchor.answer({ callId: key.callId, fromTag, toTag, sdp });
    return r.sdp;
  }

  /**
   * An offer between two media tags the call chooses itself: a new leg taking over one
   * side (session resumption), or a local answer while that side is gone. Port latching
   * keeps the anchor's ports towards `toTag`, so that side needs no re-INVITE.
   */
  async offerBetween(key: MediaCallKey, fromTag: string, toTag: string, sdp: string): Promise<string> {
    const r = await this.anchor.offer({ callId: key.callId, fromTag, toTag, sdp, flags: ['port-latching'] });
    return r.sdp;
  }

  /** The answer to offerBetween(fromTag, toTag), carrying `toTag`'s SDP; returns the SDP for `fromTag`. */
  async answerBetween(key: MediaCallKey, fromTag: string, toTag: string, sdp: string): Promise<string> {
    const r = await this.anchor.answer({ callId: key.callId, fromTag, toTag, sdp, flags: ['port-latching'] });
    return r.sdp;
  }

  /** Delete the call in rtpengine; returns its final per-leg packet counts for the call log. */
  async release(key: MediaCallKey): Promise<MediaSummary | undefined> {
    const stats = await this.anchor.deleteWithStats(key.callId);
    if (stats === undefined) return undefined;
    return {
      instance: stats.instance,
      legs: stats.legs.map((l) => ({ tag: l.tag, packets: l.rtp.packets, bytes: l.rtp.bytes, errors: l.rtp.errors })),
      ...(stats.ssrc.length > 0 ? { quality: stats.ssrc } : {}),
    };
  }
}

/** What the call log shows of the media at the end of a call. */
export interface MediaSummary {
  instance: string;
  /** RTP received from each participant. */
  legs: { tag: string; packets: number; bytes: number; errors: number }[];
  /** Loss, jitter, MOS per SSRC when the endpoints sent RTCP. */
  quality?: readonly unknown[];
}
