/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6).
 *
 *   Trying     --1xx-->             Proceeding   (1xx to TU)
 *   Trying     --200-699-->         Completed    (response to TU, start K)
 *   Proceeding --1xx-->             Proceeding   (1xx to TU)
 *   Proceeding --200-699-->         Completed    (response to TU, start K)
 *   Trying/Proceeding --Timer F or transport error--> Terminated (inform TU)
 *   Completed  --any response-->    Completed    (absorbed)
 *   Completed  --Timer K-->         Terminated
 * Timer E retransmits in Trying (T1 doubling, capped at T2) and Proceeding (T2).
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Destination } from '../transport/types.js';
import { ClientTransactionBase } from './client-transaction.js';
import type { TransactionContext } from './context.js';
import { type Timer, type TransitionTable, stop } from './transaction.js';
import type { ClientTransaction, ClientTransactionState, ClientTransactionUser } from './types.js';

const TRANSITIONS: TransitionTable<ClientTransactionState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  calling: [], // INVITE only
  accepted: [], // INVITE only
  terminated: [],
};

function fireTimerE(tx: NonInviteClientTransaction): void {
  tx.timerEFired();
}
function fireTimerF(tx: NonInviteClientTransaction): void {
  tx.timerFFired();
}
function fireTimerK(tx: NonInviteClientTransaction): void {
  tx.timerKFired();
}

export class NonInviteClientTransaction extends ClientTransactionBase {
  private timerE: Timer | undefined;
  private timerF: Timer | undefined;
  private timerK: Timer | undefined;
  private intervalE: number;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, destination: Destination, user: ClientTransactionUser) {
    super(ctx, id, request, destination, user, 'trying', TRANSITIONS);
    this.intervalE = ctx.timers.t1;
  }

  start(): void {
    // §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client
    // transaction with a request. When entering this state, the client
    // transaction SHOULD set timer F to fire in 64*T1 seconds. The request MUST be
    // passed to the transport layer for transmission. If an unreliable transport
    // is in use, the client transaction MUST set timer E to fire in T1 seconds."
    this.timerF = setTimeout(fireTimerF, this.ctx.timers.f, this);
    this.sendRequest(true);
    if (!this.reliable) this.timerE = setTimeout(fireTimerE, this.intervalE, this);
  }

  /** §9.1: "a CANCEL ... SHOULD NOT be sent to cancel a non-INVITE request". No-op. */
  cancel(_reason?: string): ClientTransaction | undefined {
    return undefined;
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this._state) {
      case 'trying':
      case 'proceeding':
        if (status < 200) {
          // §17.1.2.2: "If a provisional response is received while in the
          // "Trying" state, the response MUST be passed to the TU, and then the
          // client transaction SHOULD move to the "Proceeding" state."
          if (this._state === 'trying') this.transition('proceeding');
          this.deliver(response);
          return;
        }
        // "If a final response (status codes 200-699) is received while in the
        // "Trying" [or "Proceeding"] state, the response MUST be passed to the TU,
        // and the client transaction MUST transition to the "Completed" state."
        this.transition('completed');
        this.timerE = stop(this.timerE);
        this.timerF = stop(this.timerF);
        // "Once the client transaction enters the "Completed" state, it MUST set
        // Timer K to fire in T4 seconds for unreliable transports, and zero
        // seconds for reliable transports."
        if (!this.reliable) this.timerK = setTimeout(fireTimerK, this.ctx.timers.k, this);
        this.deliver(response);
        if (this.reliable) this.terminate();
        return;
      case 'completed':
        // "The "Completed" state exists to buffer any additional response
        // retransmissions that may be received (which is why the client
        // transaction remains there only for unreliable transports)."
        this.ctx.stats.absorbedRetransmissions++;
        return;
      default:
        return;
    }
  }

  // ------------------------------------------------------------------ timers

  /** @internal */
  timerEFired(): void {
    this.timerE = undefined;
    if (this.reliable) return;
    if (this._state === 'trying') {
      // §17.1.2.2: "If timer E fires while still in this state, the timer is
      // reset, but this time with a value of MIN(2*T1, T2). When the timer fires
      // again, it is reset to a MIN(4*T1, T2). This process continues so that
      // retransmissions occur with an exponentially increasing interval that caps at T2."
      this.intervalE = Math.min(this.intervalE * 2, this.ctx.timers.t2);
    } else if (this._state === 'proceeding') {
      // "If Timer E fires while in the "Proceeding" state, the request MUST be
      // passed to the transport layer for retransmission, and Timer E MUST be
      // reset with a value of T2 seconds."
      this.intervalE = this.ctx.timers.t2;
    } else {
      return;
    }
    this.ctx.stats.retransmissions++;
    this.sendRequest(false);
    this.timerE = setTimeout(fireTimerE, this.intervalE, this);
  }

  /** @internal */
  timerFFired(): void {
    this.timerF = undefined;
    if (this._state !== 'trying' && this._state !== 'proceeding') return;
    // §17.1.2.2: "If Timer F fires while the client transaction is still in the
    // "Trying" [or "Proceeding"] state, the client transaction SHOULD inform the
    // TU about the timeout, and then it SHOULD enter the "Terminated" state."
    this.notifyTimeout();
    this.terminate();
  }

  /** @internal */
  timerKFired(): void {
    this.timerK = undefined;
    // "If Timer K fires while in this state, the client transaction MUST transition to the "Terminated" state."
    if (this._state === 'completed') this.terminate();
  }

  // --------------------------------------------------------------- internals

  protected stopRetransmissions(): void {
    this.timerE = stop(this.timerE);
  }

  protected awaitingResponse(): boolean {
    return this._state === 'trying' || this._state === 'proceeding';
  }

  protected clearTimers(): void {
    this.timerE = stop(this.timerE);
    this.timerF = stop(this.timerF);
    this.timerK = stop(this.timerK);
  }
}
