/**
 * The UAC side of an INVITE (RFC 3261 §13.2): early dialogs per To tag when the
 * request forks (§13.2.2.4), the ACK for each 2xx (re-sent for every 2xx
 * retransmission), CANCEL, and 408/503 synthesised for timeouts and transport
 * errors (§8.1.3.1).
 *
 * Reliable provisionals (RFC 3262 §4): a 1xx with Require: 100rel and RSeq is
 * processed only when its RSeq is the next in sequence for its early dialog
 * (retransmissions and gaps are dropped), and PRACKed automatically in that
 * early dialog unless the TU takes over (autoPrack = false, or
 * onReliableProvisional returning true) and calls prack() itself, e.g. with the
 * SDP answer to an offer in the provisional, or to relay a PRACK end to end.
 */
import { Dialog, type RequestOptions } from '../dialog/dialog.js';
import { reliableRSeq, serializeRAck } from '../extensions/prack.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/types.js';
import type { Destination } from '../transport/types.js';
import type { DialogRegistry } from './incoming-invite.js';

export interface OutgoingInviteHandlers {
  /** 1xx (100 excluded); `dialog` is the early dialog when the response has a To tag. */
  onProvisional?(response: SipResponse, dialog: Dialog | undefined): void;
  /**
   * A reliable provisional (RFC 3262), after onProvisional. Return true when the
   * TU sends the PRACK itself (invite.prack(dialog, response, {body})), e.g. with
   * an SDP answer or relayed from the other leg; otherwise the UA core PRACKs.
   */
  onReliableProvisional?(response: SipResponse, dialog: Dialog): boolean | void;
  /** The first 2xx. Send the ACK with `invite.ack(dialog)` unless `autoAck` is on (default). */
  onAnswer(response: SipResponse, dialog: Dialog): void;
  /** A 2xx from another fork after the first; default: ACK and BYE it (§13.2.2.4). */
  onExtraAnswer?(response: SipResponse, dialog: Dialog): void;
  /** Final failure, with 408/503 synthesised for timeouts and transport errors. */
  onFailure(response: SipResponse): void;
}

export interface AckSender {
  sendAck(ack: SipRequest, destination: Destination): void;
  /** Send a BYE on a dialog we do not want (extra fork answers). */
  byeUnwanted(dialog: Dialog): void;
  /** Send a PRACK in an (early) dialog; resolves with its final response. */
  sendPrack?(dialog: Dialog, options: RequestOptions): Promise<SipResponse>;
}

/**
 * RFC 3262 §4 sequencing of reliable provisionals on one dialog of one INVITE.
 * Returns the RSeq when `response` is reliable and next in order (to be processed
 * and PRACKed), 'drop' for a retransmission or out-of-order one, undefined for an
 * unreliable provisional.
 */
export function sequenceReliable(response: SipResponse, last: number | undefined): number | 'drop' | undefined {
  const rseq = reliableRSeq(response);
  if (rseq === undefined) return undefined;
  if (last !== undefined && rseq !== last + 1) return 'drop';
  return rseq;
}

/** Build and send the PRACK for `response` (RAck = RSeq, CSeq number, method). */
export function sendPrackFor(sender: AckSender, dialog: Dialog, response: SipResponse, options: RequestOptions = {}): Promise<SipResponse> {
  const rseq = reliableRSeq(response);
  if (rseq === undefined) return Promise.reject(new Error('not a reliable provisional response'));
  if (sender.sendPrack === undefined) return Promise.reject(new Error('this UA core cannot send PRACK'));
  const rack = serializeRAck({ rseq, cseq: response.cseq.seq, method: response.cseq.method });
  return sender.sendPrack(dialog, { ...options, headers: { ...(options.headers ?? {}), rack } });
}

/** Handlers of an OutgoingInvite whose transaction is over: nothing can reach them any more. */
const FINISHED: OutgoingInviteHandlers = { onAnswer: () => undefined, onFailure: () => undefined };

export class OutgoingInvite implements ClientTransactionUser {
  tx: ClientTransaction | undefined;
  readonly earlyDialogs = new Map<string, Dialog>();
  answered: Dialog | undefined;
  finalStatus: number | undefined;
  autoAck = true;
  /** false: reliable provisionals are never PRACKed by the UA core (the TU calls prack()). */
  autoPrack = true;
  private cancelRequested: string | undefined;
  /** The ACK we sent for the winning 2xx (dropped from the dialog at Timer M, see onTerminated). */
  private sentAck: SipRequest | undefined;
  /** Last in-order RSeq per early dialog (To tag); made on the first reliable provisional. */
  private rseqs: Map<string, number> | undefined;

  constructor(
    readonly request: SipRequest,
    readonly destination: Destination,
    private handlers: OutgoingInviteHandlers,
    private readonly registry: DialogRegistry,
    private readonly sender: AckSender,
    private readonly localContact: string,
  ) {}

  /** CANCEL the INVITE (§9.1); the transaction defers it until a provisional arrives. */
  cancel(reason?: string): void {
    if (this.finalStatus !== undefined) return;
    this.cancelRequested = reason ?? '';
    this.tx?.cancel(reason);
  }

  get cancelling(): boolean {
    return this.cancelRequested !== undefined;
  }

  /** Send (or re-send) the ACK for a 2xx on `dialog` (§13.2.2.4). */
  ack(dialog: Dialog, options: RequestOptions = {}): void {
    const ack = dialog.createAck(dialog.lastInviteSeq, options);
    dialog.lastAck = ack;
    this.sender.sendAck(ack, dialog.destination());
    // Both stay for the whole call (2xx retransmissions, late forks) but are seldom read.
    ack.compact();
    if (dialog === this.answered) {
      this.sentAck = ack;
      this.request.compact();
    }
  }

  /**
   * PRACK a reliable provisional received on `dialog` (§4: RAck from its RSeq and
   * CSeq), with an optional body. For the TU that took over from the UA core.
   */
  prack(dialog: Dialog, response: SipResponse, options: RequestOptions = {}): Promise<SipResponse> {
    return sendPrackFor(this.sender, dialog, response, options);
  }

  onResponse(response: SipResponse, _tx: ClientTransaction): void {
    const status = response.status;
    const toTag = response.to.tag;
    if (status < 200) {
      if (status === 100) return;
      let dialog: Dialog | undefined;
      if (toTag !== undefined && this.finalStatus === undefined) {
        dialog = this.earlyDialogs.get(toTag);
        if (dialog === undefined) {
          dialog = Dialog.fromUacResponse(this.request, response, this.localContact, 'early');
          this.earlyDialogs.set(toTag, dialog);
          this.registry.register(dialog);
        } else dialog.refreshTargetFromResponse(response);
      }
      if (this.finalStatus !== undefined) return;
      if (dialog !== undefined && toTag !== undefined) {
        const rseq = sequenceReliable(response, this.rseqs?.get(toTag));
        if (rseq === 'drop') return;
        if (rseq !== undefined) {
          (this.rseqs ??= new Map()).set(toTag, rseq);
          this.handlers.onProvisional?.(response, dialog);
          const tuSends = this.handlers.onReliableProvisional?.(response, dialog) === true;
          if (!tuSends && this.autoPrack) this.prack(dialog, response).catch(() => undefined);
          return;
        }
      }
      this.handlers.onProvisional?.(response, dialog);
      return;
    }
    if (status < 300) {
      this.on2xx(response, toTag ?? '');
      return;
    }
    if (this.finalStatus !== undefined) return;
    this.finalStatus = status;
    this.dropEarlyDialogs();
    this.handlers.onFailure(response);
  }

  onTimeout(): void {
    this.fail(408, 'Request Timeout');
  }

  onTransportError(error: Error): void {
    this.fail(503, `Service Unavailable - ${error.message.slice(0, 60)}`);
  }

  private fail(status: number, reason: string): void {
    if (this.finalStatus !== undefined) return;
    this.finalStatus = status;
    this.dropEarlyDialogs();
    this.handlers.onFailure(createResponse(this.request, status, reason));
  }

  private on2xx(response: SipResponse, toTag: string): void {
    // A retransmitted 2xx of a dialog we already ACKed: re-send the same ACK.
    const known = this.answered?.remoteTag === toTag ? this.answered : undefined;
    if (known !== undefined) {
      if (known.lastAck !== undefined) this.sender.sendAck(known.lastAck, known.destination());
      return;
    }
    let dialog = this.earlyDialogs.get(toTag);
    if (dialog !== undefined) {
      this.earlyDialogs.delete(toTag);
      dialog.state = 'confirmed';
      dialog.refreshTargetFromResponse(response);
      dialog.routeSet = response.recordRoutes.map((r) => r.clone()).reverse();
    } else {
      dialog = Dialog.fromUacResponse(this.request, response, this.localContact, 'confirmed');
      this.registry.register(dialog);
    }
    if (this.answered === undefined && (this.finalStatus === undefined || this.finalStatus < 300)) {
      this.finalStatus = response.status;
      this.answered = dialog;
      // Other early dialogs end when the first 2xx arrives, unless they answer too.
      this.handlers.onAnswer(response, dialog);
      if (this.autoAck && dialog.lastAck === undefined) this.ack(dialog);
      return;
    }
    // Another fork answered (or a 2xx after a failure/cancel): ACK, then BYE unless the TU wants it.
    this.ack(dialog);
    if (this.handlers.onExtraAnswer !== undefined) this.handlers.onExtraAnswer(response, dialog);
    else this.sender.byeUnwanted(dialog);
  }

  /** Remaining early dialogs once the INVITE is finished. */
  private dropEarlyDialogs(): void {
    for (const d of this.earlyDialogs.values()) {
      d.state = 'terminated';
      this.registry.unregister(d);
    }
    this.earlyDialogs.clear();
  }

  onTerminated(): void {
    this.dropEarlyDialogs();
    // Nothing more can come through it (late 2xx go to the dialog, §13.2.2.4), and
    // the call may keep this object for hours: let the transaction go, and the TU's
    // handlers (closures over the call) once the INVITE has its final answer.
    this.tx = undefined;
    if (this.finalStatus !== undefined) this.handlers = FINISHED;
    // Timer M (64*T1 after the first 2xx) outlasts the peer's 2xx retransmissions
    // (§13.3.1.4: 64*T1 from its first send), so the ACK kept to answer them is no
    // longer needed; a later re-INVITE's ACK (a different object) stays.
    const answered = this.answered;
    if (answered !== undefined && this.sentAck !== undefined && answered.lastAck === this.sentAck) answered.lastAck = undefined;
    this.sentAck = undefined;
  }
}
