/**
 * The UAS side of an INVITE (RFC 3261 §13.3): provisional and final responses,
 * early dialogs, and retransmission of the 2xx until the ACK arrives
 * (§13.3.1.4; with RFC 6026 the TU, not the transaction, retransmits 2xx).
 */
import { Dialog, type RequestOptions } from '../dialog/dialog.js';
import { newTag } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { ServerTransaction, TimerSettings } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';

export interface DialogRegistry {
  register(dialog: Dialog): void;
  unregister(dialog: Dialog): void;
}

export interface ResponseOptions extends RequestOptions {
  reason?: string;
}

export class IncomingInvite {
  readonly localTag = newTag();
  dialog: Dialog | undefined;
  /** Set once a final response was sent. */
  finalStatus: number | undefined;
  /** Called when the caller CANCELs (the layer already answered 200 to the CANCEL). */
  onCancel: ((cancel: SipRequest) => void) | undefined;
  /** Called when the 2xx ACK arrives (with the ACK, which may carry the SDP answer). */
  onAck: ((ack: SipRequest) => void) | undefined;
  /** Called when no ACK came for our 2xx within 64*T1 (§13.3.1.4: the UAS should BYE). */
  onAckTimeout: (() => void) | undefined;
  /** Internal hook for the UA core (bookkeeping of pending INVITEs). */
  onFinalSent: ((status: number) => void) | undefined;
  private retransmitTimer: NodeJS.Timeout | undefined;
  private giveUpAt = 0;
  private interval = 0;
  private okResponse: SipResponse | undefined;

  constructor(
    readonly request: SipRequest,
    readonly tx: ServerTransaction,
    readonly flow: Flow,
    private readonly registry: DialogRegistry,
    private readonly localContact: string,
    private readonly timers: TimerSettings,
    /** For a re-INVITE: the dialog it belongs to. */
    existing?: Dialog,
  ) {
    this.dialog = existing;
  }

  get cancelled(): boolean {
    return this.tx.cancelled;
  }

  /** Send a provisional response; one with a tag creates the early dialog (§12.1.1). */
  progress(status: number, options: ResponseOptions = {}): SipResponse {
    if (this.finalStatus !== undefined) throw new Error('INVITE already answered');
    const res = this.buildResponse(status, options);
    if (status > 100 && this.dialog === undefined) {
      this.dialog = Dialog.fromUasRequest(this.request, this.localTag, this.localContact, this.flow, 'early');
      this.registry.register(this.dialog);
    }
    this.tx.respond(res);
    return res;
  }

  /** Send 2xx: the dialog is confirmed; the 2xx is retransmitted until ACK. */
  accept(options: ResponseOptions = {}, status = 200): Dialog {
    if (this.finalStatus !== undefined) throw new Error('INVITE already answered');
    this.finalStatus = status;
    const res = this.buildResponse(status, options);
    if (this.dialog === undefined) {
      this.dialog = Dialog.fromUasRequest(this.request, this.localTag, this.localContact, this.flow, 'confirmed');
      this.registry.register(this.dialog);
    } else this.dialog.state = 'confirmed';
    this.okResponse = res;
    this.tx.respond(res);
    this.onFinalSent?.(status);
    // §13.3.1.4: retransmit at T1, doubling to T2, for 64*T1. Over reliable transports
    // the transport guarantees delivery, but the ACK guard timer still runs.
    const reliable = this.flow.protocol !== 'udp';
    this.interval = this.timers.t1Ms;
    this.giveUpAt = Date.now() + 64 * this.timers.t1Ms;
    this.retransmitTimer = setTimeout(() => this.retransmit(reliable), reliable ? 64 * this.timers.t1Ms : this.interval);
    return this.dialog;
  }

  /** Final non-2xx response; an early dialog is discarded. */
  reject(status: number, options: ResponseOptions = {}): void {
    if (this.finalStatus !== undefined) return;
    this.finalStatus = status;
    this.tx.respond(this.buildResponse(status, options));
    this.onFinalSent?.(status);
    if (this.dialog !== undefined && this.dialog.state === 'early') {
      this.dialog.state = 'terminated';
      this.registry.unregister(this.dialog);
    }
  }

  /** The ACK for our 2xx arrived (dispatched by the UA core). */
  ackReceived(ack: SipRequest): void {
    if (this.retransmitTimer === undefined) return;
    this.stopRetransmit();
    this.onAck?.(ack);
  }

  /** Stop the 2xx retransmission (ACK received or the call is being torn down). */
  stopRetransmit(): void {
    if (this.retransmitTimer !== undefined) clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    this.okResponse = undefined;
  }

  get awaitingAck(): boolean {
    return this.retransmitTimer !== undefined;
  }

  private retransmit(reliable: boolean): void {
    this.retransmitTimer = undefined;
    if (this.okResponse === undefined) return;
    if (reliable || Date.now() >= this.giveUpAt) {
      this.okResponse = undefined;
      this.onAckTimeout?.();
      return;
    }
    this.tx.respond(this.okResponse);
    this.interval = Math.min(this.interval * 2, this.timers.t2Ms);
    this.retransmitTimer = setTimeout(() => this.retransmit(false), this.interval);
  }

  private buildResponse(status: number, options: ResponseOptions): SipResponse {
    const res = createResponse(this.request, status, options.reason, status > 100 ? this.localTag : undefined);
    // §12.1.1: Record-Route is copied into responses that establish a dialog.
    if (status > 100 && status < 300) {
      const rr = this.request.getAll('record-route');
      if (rr.length > 0) res.set('record-route', rr);
      res.set('contact', this.localContact);
    }
    if (options.headers !== undefined) for (const [k, v] of Object.entries(options.headers)) res.set(k, v);
    if (options.body !== undefined) res.setBody(options.body, options.contentType ?? 'application/sdp');
    return res;
  }
}
