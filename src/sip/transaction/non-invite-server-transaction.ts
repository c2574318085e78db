/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8). Also used for
 * CANCEL, which the layer answers itself (§9.2).
 *
 *   (request)  --> Trying
 *   Trying     --request-->          Trying     (absorbed: nothing to re-send yet)
 *   Trying     --1xx from TU-->      Proceeding (sent)
 *   Trying/Proceeding --200-699 from TU--> Completed (sent, start J)
 *   Proceeding --1xx from TU-->      Proceeding (sent)
 *   Proceeding --request-->          Proceeding (last provisional re-sent)
 *   Completed  --request-->          Completed  (final re-sent)
 *   Completed  --Timer J-->          Terminated
 *   any        --transport error-->  Terminated (inform TU)
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Flow } from '../transport/types.js';
import type { TransactionContext } from './context.js';
import { ServerTransactionBase } from './server-transaction.js';
import { type Timer, type TransitionTable, stop } from './transaction.js';
import type { ServerTransactionState } from './types.js';

const TRANSITIONS: TransitionTable<ServerTransactionState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  confirmed: [], // INVITE only
  accepted: [], // INVITE only
  terminated: [],
};

function fireTimerJ(tx: NonInviteServerTransaction): void {
  tx.timerJFired();
}

export class NonInviteServerTransaction extends ServerTransactionBase {
  private timerJ: Timer | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, flow: Flow) {
    super(ctx, id, request, flow, 'trying', TRANSITIONS);
  }

  /**
   * §17.2.2: "The state machine is initialized in the "Trying" state and is
   * passed a request other than INVITE or ACK when initialized. This request is
   * passed up to the TU." Nothing is sent until the TU responds.
   */
  start(): void {}

  receiveRequest(_request: SipRequest): void {
    switch (this._state) {
      case 'trying':
        // "Once in the "Trying" state, any further request retransmissions are discarded."
        this.ctx.stats.absorbedRetransmissions++;
        return;
      case 'proceeding':
        // "If a retransmission of the request is received while in the
        // "Proceeding" state, the most recently sent provisional response MUST be
        // passed to the transport layer for retransmission."
        this.resendLast();
        return;
      case 'completed':
        // "While in the "Completed" state, the server transaction MUST pass the
        // final response to the transport layer for retransmission whenever a
        // retransmission of the request is received."
        this.resendLast();
        return;
      default:
        return;
    }
  }

  respond(response: SipResponse): void {
    this.checkStatus(response);
    const status = response.status;
    switch (this._state) {
      case 'trying':
      case 'proceeding':
        this.last = response;
        if (status < 200) {
          // "While in the "Trying" state, if the TU passes a provisional response
          // to the server transaction, the server transaction MUST enter the
          // "Proceeding" state. The response MUST be passed to the transport layer
          // for transmission. Any further provisional responses that are received
          // from the TU while in the "Proceeding" state MUST be passed to the transport layer for transmission."
          if (this._state === 'trying') this.transition('proceeding');
          this.sendResponse(response);
          return;
        }
        // "If the TU passes a final response (status codes 200-699) to the server
        // while in the "Proceeding" [or "Trying"] state, the transaction MUST enter
        // the "Completed" state, and the response MUST be passed to the transport
        // layer for transmission."
        this.transition('completed');
        this.sendResponse(response);
        // "When the server transaction enters the "Completed" state, it MUST set
        // Timer J to fire in 64*T1 seconds for unreliable transports, and zero
        // seconds for reliable transports."
        if (this.reliable) this.terminate();
        else {
          this.timerJ = setTimeout(fireTimerJ, this.ctx.timers.j, this);
          // Kept 64*T1 only to answer retransmissions: the bytes are enough (see SipMessage.compact).
          response.compact();
          this.request.compact();
        }
        return;
      default:
        // "Any other final responses passed by the TU to the server transaction
        // MUST be discarded while in the "Completed" state."
        this.ignored(response);
        return;
    }
  }

  /** @internal */
  timerJFired(): void {
    this.timerJ = undefined;
    // "The server transaction remains in this state until Timer J fires, at
    // which point it MUST transition to the "Terminated" state."
    if (this._state === 'completed') this.terminate();
  }

  protected clearTimers(): void {
    this.timerJ = stop(this.timerJ);
  }
}
