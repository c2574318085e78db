/**
 * The UAS side of an INVITE (RFC 3261 §13.3): provisional and final responses,
 * early dialogs, and retransmission of the 2xx until the ACK arrives
 * (§13.3.1.4; with RFC 6026 the TU, not the transaction, retransmits 2xx).
 *
 * Reliable provisionals (RFC 3262 §3) when the INVITE has Supported or Require
 * 100rel: `progress(status, { reliable: true })` (every non-100 provisional when
 * it has Require: 100rel) adds Require: 100rel and RSeq and is retransmitted at
 * T1, doubling, until the PRACK; after 64*T1 without one the INVITE is rejected
 * with 500. Only one is unacknowledged at a time: the next waits in a queue.
 * A 2xx is held back while an unacknowledged reliable provisional carries a body
 * (an SDP offer or answer, §3: "MUST NOT send a final response until those
 * provisional responses are acknowledged"); it goes out right after the PRACK.
 * We do not track offer/answer state any finer: any body counts.
 */
import { Dialog, type RequestOptions } from '../dialog/dialog.js';
import { addOptionTag } from '../extensions/option-tags.js';
import { type RAck, TAG_100REL, initialRSeq, parseRAck, reliabilityOf } from '../extensions/prack.js';
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
  /**
   * Provisionals only: send reliably (RFC 3262) if the INVITE allows it (Supported
   * or Require: 100rel); otherwise it goes out unreliably, as RFC 3262 §3 demands.
   */
  reliable?: boolean;
}

/** What onPrack may return: options (e.g. an SDP answer) for the 200 to the PRACK. */
export type PrackAnswer = ResponseOptions | undefined | void;

interface Unacked {
  response: SipResponse;
  rseq: number;
  hasBody: boolean;
}

export class IncomingInvite {
  readonly localTag = newTag();
  dialog: Dialog | undefined;
  /** Set once a final response was sent (or, for a 2xx held back until a PRACK, decided). */
  finalStatus: number | undefined;
  /** Called when the caller CANCELs (the layer already answered 200 to the CANCEL). */
  onCancel: ((cancel: SipRequest) => void) | undefined;
  /** Called when the 2xx ACK arrives (with the ACK, which may carry the SDP answer). */
  onAck: ((ack: SipRequest) => void) | undefined;
  /** Called when no ACK came for our 2xx within 64*T1 (§13.3.1.4: the UAS should BYE). */
  onAckTimeout: (() => void) | undefined;
  /**
   * Called when the PRACK of a reliable provisional arrives (its body may answer
   * the offer of the provisional, or carry a new offer). The 200 to the PRACK
   * carries what it returns (or resolves to); a rejected promise gives 500.
   */
  onPrack: ((prack: SipRequest) => PrackAnswer | Promise<PrackAnswer>) | undefined;
  /** Called when a reliable provisional got no PRACK within 64*T1: the INVITE was rejected with 500. */
  onPrackTimeout: (() => void) | undefined;
  /** Internal hook for the UA core (bookkeeping of pending INVITEs). */
  onFinalSent: ((status: number) => void) | undefined;
  /** Allow header value for our 2xx (§13.3.1.4 SHOULD), set by the UA core; the TU's own Allow wins. */
  allowHeader: string | undefined;
  /** Internal hook for the UA core: PRACKs on `dialog` are to be routed here while `pending`. */
  onPrackPending: ((dialog: Dialog, pending: boolean) => void) | undefined;
  private retransmitTimer: NodeJS.Timeout | undefined;
  private giveUpAt = 0;
  private interval = 0;
  private okResponse: SipResponse | undefined;
  // RFC 3262 state
  private readonly reliability: 'required' | 'supported' | undefined;
  private rseq: number | undefined;
  private unacked: Unacked | undefined;
  private readonly queue: SipResponse[] = [];
  private reliableTimer: NodeJS.Timeout | undefined;
  private reliableInterval = 0;
  private reliableGiveUpAt = 0;
  private heldOk: SipResponse | undefined;

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
    this.reliability = reliabilityOf(request);
  }

  get cancelled(): boolean {
    return this.tx.cancelled;
  }

  /** Whether the INVITE lets us send reliable provisionals: 'required', 'supported' or undefined. */
  get reliableProvisionals(): 'required' | 'supported' | undefined {
    return this.reliability;
  }

  /** RSeq of the reliable provisional waiting for its PRACK, if any. */
  get awaitingPrack(): number | undefined {
    return this.unacked?.rseq;
  }

  /** A 2xx decided by accept() but held until the PRACK of a provisional with a body. */
  get answerHeld(): boolean {
    return this.heldOk !== undefined;
  }

  /**
   * Send a provisional response; one with a tag creates the early dialog (§12.1.1).
   * A reliable one (see ResponseOptions.reliable) may be queued behind an
   * unacknowledged one: the response object is returned at once, its RSeq is set
   * when it is actually sent.
   */
  progress(status: number, options: ResponseOptions = {}): SipResponse {
    if (this.finalStatus !== undefined) throw new Error('INVITE already answered');
    const res = this.buildResponse(status, options);
    if (status > 100 && this.dialog === undefined) {
      this.dialog = Dialog.fromUasRequest(this.request, this.localTag, this.localContact, this.flow, 'early');
      this.registry.register(this.dialog);
    }
    const reliable = status > 100 && this.reliability !== undefined && (options.reliable === true || this.reliability === 'required');
    if (!reliable) {
      this.tx.respond(res);
      return res;
    }
    addOptionTag(res, 'require', TAG_100REL);
    if (this.unacked !== undefined) this.queue.push(res);
    else this.sendReliable(res);
    return res;
  }

  /**
   * Send 2xx: the dialog is confirmed; the 2xx is retransmitted until ACK. Held
   * back (and sent by the PRACK) while a reliable provisional with a body is
   * unacknowledged; reliable provisionals still queued are dropped.
   */
  accept(options: ResponseOptions = {}, status = 200): Dialog {
    if (this.finalStatus !== undefined) throw new Error('INVITE already answered');
    this.finalStatus = status;
    const res = this.buildResponse(status, options);
    if (this.dialog === undefined) {
      this.dialog = Dialog.fromUasRequest(this.request, this.localTag, this.localContact, this.flow, 'confirmed');
      this.registry.register(this.dialog);
    }
    this.queue.length = 0;
    if (this.unacked?.hasBody === true) {
      this.heldOk = res;
      return this.dialog;
    }
    this.sendOk(res);
    return this.dialog;
  }

  /** Final non-2xx response; an early dialog is discarded. */
  reject(status: number, options: ResponseOptions = {}): void {
    if (this.finalStatus !== undefined) return;
    this.finalStatus = status;
    this.sendReject(this.buildResponse(status, options));
  }

  /** A final response went out: tell the UA core once, then let go of its closure. */
  private finalSent(status: number): void {
    const f = this.onFinalSent;
    this.onFinalSent = undefined;
    f?.(status);
  }

  /** The ACK for our 2xx arrived (dispatched by the UA core). */
  ackReceived(ack: SipRequest): void {
    if (this.retransmitTimer === undefined) return;
    const ok = this.okResponse;
    this.stopRetransmit();
    const onAck = this.onAck;
    // Neither can fire again: let go of the closures (and what they hold) for the call's life.
    this.onAck = undefined;
    this.onAckTimeout = undefined;
    onAck?.(ack);
    // The call is confirmed: the INVITE is kept for the call's life but seldom read again,
    // and our 2xx stays in the server transaction until Timer L (64*T1) only in case a
    // CANCEL asks for its To tag.
    this.request.compact();
    ok?.compact();
  }

  /**
   * Stop the 2xx retransmission (ACK received or the call is being torn down).
   * A 2xx still held for a PRACK is given up: the INVITE gets 500 instead, so
   * that its transaction ends.
   */
  stopRetransmit(): void {
    if (this.retransmitTimer !== undefined) clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    this.okResponse = undefined;
    if (this.heldOk !== undefined) {
      this.heldOk = undefined;
      this.stopReliable();
      this.sendReject(this.buildResponse(500, {}));
      this.finalStatus = 500;
    }
  }

  get awaitingAck(): boolean {
    return this.retransmitTimer !== undefined;
  }

  /**
   * A PRACK on this INVITE's dialog (dispatched by the UA core, §3): 200 when its
   * RAck matches the unacknowledged reliable provisional, 481 otherwise, 400
   * without a valid RAck. Then the next queued provisional, or the held 2xx, goes out.
   */
  receivePrack(prack: SipRequest, tx: ServerTransaction): void {
    let rack: RAck;
    try {
      const v = prack.get('rack');
      if (v === undefined) throw new Error('missing RAck');
      rack = parseRAck(v);
    } catch (e) {
      tx.respond(createResponse(prack, 400, `Bad Request - ${(e as Error).message.slice(0, 40)}`));
      return;
    }
    const u = this.unacked;
    const cseq = this.request.cseq;
    if (u === undefined || rack.rseq !== u.rseq || rack.cseq !== cseq.seq || rack.method !== cseq.method) {
      tx.respond(createResponse(prack, 481));
      return;
    }
    this.unacked = undefined;
    this.stopReliable();
    const finish = (answer: PrackAnswer): void => {
      const res = createResponse(prack, 200);
      if (answer !== undefined) applyOptions(res, answer);
      tx.respond(res);
      this.afterPrack();
    };
    let answer: PrackAnswer | Promise<PrackAnswer>;
    try {
      answer = this.onPrack?.(prack);
    } catch {
      tx.respond(createResponse(prack, 500));
      this.afterPrack();
      return;
    }
    if (answer instanceof Promise) {
      answer.then(finish, () => {
        tx.respond(createResponse(prack, 500));
        this.afterPrack();
      });
    } else finish(answer);
  }

  // ---------------------------------------------------------------- internals
  private afterPrack(): void {
    if (this.unacked !== undefined) return;
    const next = this.finalStatus === undefined ? this.queue.shift() : undefined;
    if (next !== undefined) {
      this.sendReliable(next);
      return;
    }
    if (this.dialog !== undefined) this.onPrackPending?.(this.dialog, false);
    const held = this.heldOk;
    if (held !== undefined) {
      this.heldOk = undefined;
      this.sendOk(held);
    }
  }

  private sendReliable(res: SipResponse): void {
    this.rseq = this.rseq === undefined ? initialRSeq() : this.rseq + 1;
    res.set('rseq', String(this.rseq));
    this.unacked = { response: res, rseq: this.rseq, hasBody: res.body.length > 0 };
    this.tx.respond(res);
    if (this.dialog !== undefined) this.onPrackPending?.(this.dialog, true);
    // §3: "passed to the transaction layer periodically with an interval that
    // starts at T1 seconds and doubles for each retransmission", whatever the transport.
    this.reliableInterval = this.timers.t1Ms;
    this.reliableGiveUpAt = Date.now() + 64 * this.timers.t1Ms;
    this.reliableTimer = setTimeout(() => this.retransmitReliable(), this.reliableInterval);
  }

  private retransmitReliable(): void {
    this.reliableTimer = undefined;
    const u = this.unacked;
    if (u === undefined) return;
    const left = this.reliableGiveUpAt - Date.now();
    if (left <= 0) {
      this.prackTimedOut();
      return;
    }
    // After a final response the transaction takes no more provisionals.
    if (this.finalStatus !== undefined && this.heldOk === undefined) return;
    this.tx.respond(u.response);
    this.reliableInterval *= 2;
    this.reliableTimer = setTimeout(() => this.retransmitReliable(), Math.min(this.reliableInterval, left));
  }

  /** §3: "If a reliable provisional response is retransmitted for 64*T1 seconds without reception of a corresponding PRACK, the UAS SHOULD reject the original request with a 5xx response." */
  private prackTimedOut(): void {
    this.unacked = undefined;
    this.queue.length = 0;
    const dialog = this.dialog;
    if (dialog !== undefined) this.onPrackPending?.(dialog, false);
    const held = this.heldOk !== undefined;
    this.heldOk = undefined;
    if (this.finalStatus === undefined || held) {
      this.finalStatus = 500;
      this.sendReject(this.buildResponse(500, { reason: 'Server Internal Error - no PRACK' }));
      // The TU had accepted and bound the dialog: it has to learn that it is gone.
      if (held) dialog?.onTerminated?.();
    }
    this.onPrackTimeout?.();
  }

  private stopReliable(): void {
    if (this.reliableTimer !== undefined) clearTimeout(this.reliableTimer);
    this.reliableTimer = undefined;
  }

  private sendOk(res: SipResponse): void {
    const dialog = this.dialog!;
    if (dialog.state === 'early') dialog.state = 'confirmed';
    // No provisional may follow the final response; a late PRACK still gets its 200.
    this.stopReliable();
    this.okResponse = res;
    this.tx.respond(res);
    this.finalSent(res.status);
    // §13.3.1.4: retransmit at T1, doubling to T2, for 64*T1. Over reliable transports
    // the transport guarantees delivery, but the ACK guard timer still runs.
    const reliable = this.flow.protocol !== 'udp';
    this.interval = this.timers.t1Ms;
    this.giveUpAt = Date.now() + 64 * this.timers.t1Ms;
    this.retransmitTimer = setTimeout(() => this.retransmit(reliable), reliable ? 64 * this.timers.t1Ms : this.interval);
  }

  private sendReject(res: SipResponse): void {
    this.queue.length = 0;
    this.stopReliable();
    if (this.unacked !== undefined && this.dialog !== undefined) this.onPrackPending?.(this.dialog, false);
    this.unacked = undefined;
    this.tx.respond(res);
    this.finalSent(res.status);
    if (this.dialog !== undefined && this.dialog.state === 'early') {
      this.dialog.state = 'terminated';
      this.registry.unregister(this.dialog);
    }
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
      if (status >= 200 && this.allowHeader !== undefined) res.set('allow', this.allowHeader);
    }
    applyOptions(res, options);
    return res;
  }
}

function applyOptions(res: SipResponse, options: ResponseOptions): void {
  if (options.headers !== undefined) for (const [k, v] of Object.entries(options.headers)) res.set(k, v);
  if (options.body !== undefined) res.setBody(options.body, options.contentType ?? 'application/sdp');
}
