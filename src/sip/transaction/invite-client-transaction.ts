/**
 * INVITE client transaction: RFC 3261 §17.1.1 as corrected by RFC 6026 §8.4
 * (the "Accepted" state and Timer M), with Timer C of §16.6/§16.8 as a guard
 * against a peer that rings forever, and the deferred CANCEL of §9.1.
 *
 *   (INVITE sent) --> Calling        start A (unreliable) and B
 *   Calling    --Timer A-->          Calling    (INVITE re-sent, A doubled)
 *   Calling    --1xx-->              Proceeding (1xx to TU, stop A/B, start C)
 *   Calling/Proceeding --2xx-->      Accepted   (2xx to TU, start M)
 *   Calling/Proceeding --300-699-->  Completed  (ACK sent, response to TU, start D)
 *   Calling    --Timer B or transport error--> Terminated (inform TU)
 *   Proceeding --1xx-->              Proceeding (1xx to TU, 101-199 reset C)
 *   Proceeding --Timer C-->          Proceeding (CANCEL sent, C re-armed 64*T1);
 *                                    second expiry: Terminated (inform TU)
 *   Completed  --300-699-->          Completed  (ACK re-sent, not to TU)
 *   Completed  --Timer D-->          Terminated
 *   Accepted   --2xx-->              Accepted   (2xx to TU, no ACK)
 *   Accepted   --Timer M-->          Terminated
 * Over reliable transports there is no Timer A and Timer D is zero.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Destination } from '../transport/types.js';
import { ClientTransactionBase } from './client-transaction.js';
import type { TransactionContext } from './context.js';
import { buildAckForNon2xx, buildCancel } from './requests.js';
import { type Timer, type TransitionTable, stop } from './transaction.js';
import type { ClientTransaction, ClientTransactionState, ClientTransactionUser } from './types.js';

const TRANSITIONS: TransitionTable<ClientTransactionState> = {
  calling: ['proceeding', 'completed', 'accepted', 'terminated'],
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['terminated'],
  accepted: ['terminated'],
  trying: [], // non-INVITE only
  terminated: [],
};

// Timer callbacks are module functions taking the transaction as setTimeout's
// argument: no closure is allocated per (re)arming on the hot path.
function fireTimerA(tx: InviteClientTransaction): void {
  tx.timerAFired();
}
function fireTimerB(tx: InviteClientTransaction): void {
  tx.timerBFired();
}
function fireTimerC(tx: InviteClientTransaction): void {
  tx.timerCFired();
}
function fireTimerD(tx: InviteClientTransaction): void {
  tx.timerDFired();
}
function fireTimerM(tx: InviteClientTransaction): void {
  tx.timerMFired();
}

export class InviteClientTransaction extends ClientTransactionBase {
  private timerA: Timer | undefined;
  private timerB: Timer | undefined;
  private timerC: Timer | undefined;
  private timerD: Timer | undefined;
  private timerM: Timer | undefined;
  /** Current Timer A interval: T1, 2*T1, 4*T1 ... (no T2 cap for INVITE). */
  private intervalA: number;
  /** Timer C fired once and a CANCEL went out; the next expiry is a timeout. */
  private timerCExpired = false;
  /** The ACK for the non-2xx final, re-sent for each retransmission of that final. */
  private ack: SipRequest | undefined;
  /** cancel() was called before any provisional response arrived (§9.1 deferral). */
  private cancelPending = false;
  private cancelReason: string | undefined;
  private cancelTx: ClientTransaction | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, destination: Destination, user: ClientTransactionUser) {
    super(ctx, id, request, destination, user, 'calling', TRANSITIONS);
    this.intervalA = ctx.timers.t1;
  }

  /** True once a CANCEL has been requested (sent or still deferred). */
  get cancelRequested(): boolean {
    return this.cancelPending || this.cancelTx !== undefined;
  }

  /** The CANCEL's own client transaction once it has been sent. */
  get cancelTransaction(): ClientTransaction | undefined {
    return this.cancelTx;
  }

  start(): void {
    // §17.1.1.2: "The initial state, "calling", MUST be entered when the TU
    // initiates a new client transaction with an INVITE request. The client
    // transaction MUST pass the request to the transport layer for transmission."
    this.sendRequest(true);
    // "If an unreliable transport is being used, the client transaction MUST
    // start timer A with a value of T1. If a reliable transport is being used,
    // the client transaction SHOULD NOT start timer A."
    if (!this.reliable) this.timerA = setTimeout(fireTimerA, this.intervalA, this);
    // "For any transport, the client transaction MUST start timer B with a value of 64*T1 seconds."
    this.timerB = setTimeout(fireTimerB, this.ctx.timers.b, this);
  }

  /**
   * §9.1: "If no provisional response has been received, the CANCEL request
   * MUST NOT be sent; rather, the client MUST wait for the arrival of a
   * provisional response before sending the request. If the original request
   * has generated a final response, the CANCEL SHOULD NOT be sent."
   * Returns the CANCEL's client transaction when sent now (or earlier).
   */
  cancel(reason?: string): ClientTransaction | undefined {
    if (this.cancelTx !== undefined) return this.cancelTx;
    switch (this._state) {
      case 'calling':
        this.cancelPending = true;
        this.cancelReason = reason;
        return undefined;
      case 'proceeding':
        return this.sendCancel(reason);
      default:
        return undefined; // a final response arrived already: too late
    }
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this._state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          // §17.1.1.2: "If the client transaction receives a provisional response
          // while in the "Calling" state, it transitions to the "Proceeding" state.
          // In the "Proceeding" state, the client transaction SHOULD NOT retransmit
          // the request any longer. Furthermore, the provisional response MUST be
          // passed to the TU. Any further provisional responses MUST be passed up
          // to the TU while in the "Proceeding" state."
          if (this._state === 'calling') {
            this.transition('proceeding');
            this.timerA = stop(this.timerA);
            // Timer B only guards "Calling"; Timer C takes over (§16.6 item 11).
            this.timerB = stop(this.timerB);
            this.startTimerC();
          } else if (status > 100) {
            // §16.7 step 2: "If the response is provisional (101-199), Timer C MUST be reset".
            this.startTimerC();
          }
          this.deliver(response);
          // §9.1: the deferred CANCEL goes out now that a provisional response arrived.
          if (this.cancelPending && this._state === 'proceeding') this.sendCancel(this.cancelReason);
          return;
        }
        this.stopCallingTimers();
        this.cancelPending = false;
        if (status < 300) {
          // RFC 6026 §8.4: "When a 2xx response is received while in either the
          // "Calling" or "Proceeding" states, the client transaction MUST
          // transition to the "Accepted" state, and Timer M MUST be started with
          // a value of 64*T1. The 2xx response MUST be passed up to the TU. The
          // client transaction MUST NOT generate an ACK to the 2xx response -- its
          // handling is delegated to the TU."
          this.transition('accepted');
          this.timerM = setTimeout(fireTimerM, this.ctx.timers.m, this);
          this.deliver(response);
          return;
        }
        // §17.1.1.2: "When in either the "Calling" or "Proceeding" states,
        // reception of a response with status code from 300-699 MUST cause the
        // client transaction to transition to "Completed". The client transaction
        // MUST pass the received response up to the TU, and the client transaction
        // MUST generate an ACK request, even if the transport is reliable ... The
        // ACK MUST be sent to the same address, port, and transport to which the
        // original request was sent."
        this.transition('completed');
        this.ack = buildAckForNon2xx(this.request, response);
        this.sendAck(this.ack);
        // "The client transaction SHOULD start timer D when it enters the
        // "Completed" state, with a value of at least 32 seconds for unreliable
        // transports, and a value of zero seconds for reliable transports."
        if (!this.reliable) this.timerD = setTimeout(fireTimerD, this.ctx.timers.d, this);
        this.deliver(response);
        if (this.reliable) this.terminate();
        return;
      case 'completed':
        // "Any retransmissions of the final response that are received while in
        // the "Completed" state MUST cause the ACK to be re-passed to the transport
        // layer for retransmission, but the newly received response MUST NOT be
        // passed up to the TU."
        if (status >= 300 && this.ack !== undefined) {
          this.ctx.stats.absorbedRetransmissions++;
          this.ctx.stats.retransmissions++;
          this.sendAck(this.ack);
        }
        return;
      case 'accepted':
        // RFC 6026 §8.4: "Any 2xx responses that match this client transaction and
        // that are received while in the "Accepted" state MUST be passed up to the
        // TU. The client transaction MUST NOT generate an ACK to the 2xx response."
        if (status >= 200 && status < 300) this.deliver(response);
        return;
      default:
        return;
    }
  }

  // ------------------------------------------------------------------ timers

  /** @internal */
  timerAFired(): void {
    this.timerA = undefined;
    if (this._state !== 'calling' || this.reliable) return;
    // §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the
    // request by passing it to the transport layer, and MUST reset the timer with
    // a value of 2*T1. ... When timer A fires 2*T1 seconds later, the request MUST
    // be retransmitted again (assuming the client transaction is still in this
    // state). This process MUST continue so that the request is retransmitted
    // with intervals that double after each transmission."
    this.ctx.stats.retransmissions++;
    this.sendRequest(false);
    this.intervalA *= 2;
    this.timerA = setTimeout(fireTimerA, this.intervalA, this);
  }

  /** @internal */
  timerBFired(): void {
    this.timerB = undefined;
    if (this._state !== 'calling') return;
    // §17.1.1.2: "If the client transaction is still in the "Calling" state when
    // timer B fires, the client transaction SHOULD inform the TU that a timeout
    // has occurred. The client transaction MUST NOT generate an ACK."
    this.cancelPending = false;
    this.notifyTimeout();
    this.terminate();
  }

  /** @internal */
  timerCFired(): void {
    this.timerC = undefined;
    if (this._state !== 'proceeding') return;
    if (!this.timerCExpired) {
      // §16.8: "If timer C should fire, the proxy MUST either reset the timer with
      // any value it chooses, or terminate the client transaction. If the client
      // transaction has received a provisional response, the proxy MUST generate
      // a CANCEL request matching that transaction."
      // We CANCEL and re-arm for 64*T1: the 487 normally ends the transaction;
      // if nothing final arrives, the second expiry reports a timeout (408).
      this.timerCExpired = true;
      this.cancel();
      this.timerC = setTimeout(fireTimerC, this.ctx.timers.b, this);
      return;
    }
    this.notifyTimeout();
    this.terminate();
  }

  /** @internal */
  timerDFired(): void {
    this.timerD = undefined;
    // §17.1.1.2: "If timer D fires while the client transaction is in the
    // "Completed" state, the client transaction MUST move to the "Terminated" state."
    if (this._state === 'completed') this.terminate();
  }

  /** @internal */
  timerMFired(): void {
    this.timerM = undefined;
    // RFC 6026 §8.4: "If Timer M fires while the client transaction is in the
    // "Accepted" state, the client transaction MUST move to the "Terminated" state."
    if (this._state === 'accepted') this.terminate();
  }

  // --------------------------------------------------------------- internals

  private startTimerC(): void {
    const c = this.ctx.timers.c;
    if (c === 0 || this.timerCExpired) return;
    stop(this.timerC);
    this.timerC = setTimeout(fireTimerC, c, this);
  }

  private sendCancel(reason: string | undefined): ClientTransaction {
    this.cancelPending = false;
    this.cancelReason = undefined;
    // §9.1: "The destination address, port, and transport for the CANCEL MUST be
    // identical to those used to send the original request."
    const cancelTx = this.ctx.startCancel(buildCancel(this.request, reason), this.sentTo);
    this.cancelTx = cancelTx;
    return cancelTx;
  }

  private stopCallingTimers(): void {
    this.timerA = stop(this.timerA);
    this.timerB = stop(this.timerB);
    this.timerC = stop(this.timerC);
  }

  protected stopRetransmissions(): void {
    this.timerA = stop(this.timerA);
  }

  protected awaitingResponse(): boolean {
    return this._state === 'calling' || this._state === 'proceeding';
  }

  protected override releaseMessages(): void {
    super.releaseMessages();
    this.ack = undefined;
  }

  protected clearTimers(): void {
    this.stopCallingTimers();
    this.timerD = stop(this.timerD);
    this.timerM = stop(this.timerM);
  }
}
