/**
 * The CTRL dialog of a DVO call (spec DVO-03): the mobile client's INVITE, which carries
 * PSTN-bearer SDP and never any RTP. 183 with the number (reliable when the client
 * supports 100rel), 200 with the very same body when the call connects, or a final
 * failure. It never touches the media anchor (rtpengine refuses PSTN SDP).
 */
import { randomInt } from 'node:crypto';
import type { Dialog } from '../../sip/dialog/dialog.js';
import { createResponse } from '../../sip/message/response.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { UserAgentCore } from '../../sip/ua/user-agent-core.js';
import { buildDvoSdp } from './sdp.js';

export type CtrlState = 'waiting' | 'connected' | 'failed' | 'ended';

export interface CtrlHandlers {
  /** The client CANCELled (already answered 487). */
  onCancel?(): void;
  /** The client ended the CTRL dialog after 200 (BYE), or never ACKed the 200. */
  onEnd?(): void;
}

export class CtrlLeg {
  state: CtrlState = 'waiting';
  readonly sdp: string;
  dialog: Dialog | undefined;
  handlers: CtrlHandlers = {};
  private byUs = false;

  constructor(
    readonly inv: IncomingInvite,
    private readonly ua: UserAgentCore,
    number: string,
    setup: 'active' | 'passive',
  ) {
    this.sdp = buildDvoSdp({ number, setup, sessionId: String(randomInt(1, 2 ** 31)), address: inv.flow.localAddress });
    inv.onCancel = () => {
      if (this.state !== 'waiting') return;
      this.state = 'failed';
      inv.reject(487);
      this.handlers.onCancel?.();
    };
  }

  get callId(): string {
    return this.inv.request.callId;
  }

  /** 183 Session Progress with the PSTN SDP (DVO-R-02, DVO-F-03). */
  progress(): void {
    if (this.state !== 'waiting') return;
    this.inv.progress(183, { body: this.sdp, contentType: 'application/sdp', reliable: true });
  }

  /** 200 OK, same SDP and o= version as the 183 (DVO-03). */
  connect(): void {
    if (this.state !== 'waiting' || this.inv.finalStatus !== undefined) return;
    this.state = 'connected';
    const dialog = this.inv.accept({ body: this.sdp, contentType: 'application/sdp' });
    this.dialog = dialog;
    this.inv.onAckTimeout = () => this.ended();
    dialog.onRequest = (req, tx) => {
      if (req.method === 'INVITE') {
        // A refresh or anything else: the bearer does not change, answer with the same body.
        const r = dialog.reinvite;
        dialog.reinvite = undefined;
        r?.accept({ body: this.sdp, contentType: 'application/sdp' });
        return;
      }
      tx.respond(createResponse(req, req.method === 'INFO' || req.method === 'OPTIONS' || req.method === 'UPDATE' ? 200 : 501));
    };
    dialog.onTerminated = () => {
      if (!this.byUs) this.ended();
    };
  }

  /** Final non-2xx while waiting (D-40 codes). */
  fail(status: number, reason?: string, headers?: Record<string, string>): void {
    if (this.state !== 'waiting') return;
    this.state = 'failed';
    this.inv.reject(status, { ...(reason !== undefined ? { reason } : {}), ...(headers !== undefined ? { headers } : {}) });
  }

  /** BYE on CTRL (the mobile PSTN leg released, DVO-03). */
  bye(): void {
    if (this.state !== 'connected') return;
    this.state = 'ended';
    this.byUs = true;
    this.inv.stopRetransmit();
    if (this.dialog !== undefined && this.dialog.state !== 'terminated') void this.ua.bye(this.dialog);
  }

  /** The DVO call failed or ended: a final error while waiting, a BYE once answered. */
  end(status: number, reason?: string): void {
    if (this.state === 'waiting') this.fail(status, reason);
    else this.bye();
  }

  /** Forget the CTRL without signalling (shutdown keeps the client's transaction as it is). */
  abandon(): void {
    this.state = 'ended';
  }

  private ended(): void {
    if (this.state !== 'connected') return;
    this.state = 'ended';
    this.handlers.onEnd?.();
  }
}
