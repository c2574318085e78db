/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) as corrected by
 * RFC 6026 §7.1/§8.5-8.7 ("Accepted" state, Timer L).
 *
 *   (INVITE)   --> Proceeding   100 Trying sent at once (see start())
 *   Proceeding --1xx from TU-->      Proceeding (sent)
 *   Proceeding --2xx from TU-->      Accepted   (sent once, start L)
 *   Proceeding --300-699 from TU-->  Completed  (sent, start G (unreliable) and H)
 *   Proceeding --INVITE-->           Proceeding (last provisional re-sent)
 *   Completed  --INVITE / Timer G--> Completed  (final re-sent)
 *   Completed  --ACK-->              Confirmed  (start I)
 *   Completed  --Timer H-->          Terminated (inform TU)
 *   Confirmed  --ACK-->              Confirmed  (absorbed)
 *   Confirmed  --Timer I-->          Terminated
 *   Accepted   --INVITE-->           Accepted   (absorbed, nothing sent)
 *   Accepted   --2xx from TU-->      Accepted   (sent: the TU retransmits 2xx, §13.3.1.4)
 *   Accepted   --ACK-->              Accepted   (not absorbed: the layer passes it to the TU)
 *   Accepted   --Timer L-->          Terminated
 *   any        --transport error-->  Terminated (inform TU)
 */
import { type SipRequest, type SipResponse, flatString } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { Flow } from '../transport/types.js';
import type { TransactionContext } from './context.js';
import { ServerTransactionBase } from './server-transaction.js';
import { type Timer, type TransitionTable, stop } from './transaction.js';
import type { ServerTransactionState } from './types.js';

const TRANSITIONS: TransitionTable<ServerTransactionState> = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  trying: [], // non-INVITE only
  terminated: [],
};

/** A 2xx sent after termination has nobody left to report a failure to. */
function ignoreFailure(): void {}

function fireTimerG(tx: InviteServerTransaction): void {
  tx.timerGFired();
}
function fireTimerH(tx: InviteServerTransaction): void {
  tx.timerHFired();
}
function fireTimerI(tx: InviteServerTransaction): void {
  tx.timerIFired();
}
function fireTimerL(tx: InviteServerTransaction): void {
  tx.timerLFired();
}

export class InviteServerTransaction extends ServerTransactionBase {
  private timerG: Timer | undefined;
  private timerH: Timer | undefined;
  private timerI: Timer | undefined;
  private timerL: Timer | undefined;
  private intervalG: number;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, flow: Flow) {
    // The id is a concatenation (see matching.ts); the TU may keep this transaction for
    // the whole call (IncomingInvite.tx), so it keeps a flat copy (the map keeps its own key).
    super(ctx, flatString(id), request, flow, 'proceeding', TRANSITIONS);
    this.intervalG = ctx.timers.t1;
  }

  /**
   * §17.2.1: "When a server transaction is constructed for a request, it enters
   * the "Proceeding" state. The server transaction MUST generate a 100 (Trying)
   * response unless it knows that the TU will generate a provisional or final
   * response within 200 ms, in which case it MAY generate a 100 (Trying) response."
   * Choice: the 100 Trying is sent immediately, before the TU sees the INVITE.
   * It costs one small datagram per call but stops the peer's Timer A at once
   * and needs no extra 200 ms timer per INVITE.
   */
  start(): void {
    const trying = createResponse(this.request, 100);
    this.last = trying;
    this.sendResponse(trying);
  }

  /** The To tag of the last response sent (what the ACK of a non-2xx final carries). */
  get responseToTag(): string | undefined {
    const last = this.last;
    if (last === undefined || last.status === 100) return undefined;
    try {
      return last.to.tag;
    } catch {
      return undefined;
    }
  }

  receiveRequest(_request: SipRequest): void {
    switch (this._state) {
      case 'proceeding':
        // "If a request retransmission is received while in the "Proceeding"
        // state, the most recent provisional response that was received from the
        // TU MUST be passed to the transport layer for retransmission."
        this.resendLast();
        return;
      case 'completed':
        // "while in the "Completed" state, if a request retransmission is
        // received, the server SHOULD pass the response to the transport for retransmission."
        this.resendLast();
        return;
      case 'confirmed':
      case 'accepted':
        // RFC 6026 §7.1: in "Accepted", retransmissions of the INVITE are absorbed
        // without being passed to the TU; the TU's own 2xx retransmissions answer them.
        this.ctx.stats.absorbedRetransmissions++;
        return;
      default:
        return;
    }
  }

  /**
   * An ACK matched this transaction (§17.2.3). Returns true when the transaction
   * consumed it; false means it is an ACK for a 2xx and belongs to the TU.
   */
  receiveAck(_ack: SipRequest): boolean {
    switch (this._state) {
      case 'completed':
        // §17.2.1: "If an ACK is received while the server transaction is in the
        // "Completed" state, the server transaction MUST transition to the
        // "Confirmed" state. As Timer G is ignored in this state, any
        // retransmissions of the response will cease."
        this.transition('confirmed');
        this.timerG = stop(this.timerG);
        this.timerH = stop(this.timerH);
        // "When this state is entered, timer I is set to fire in T4 seconds for
        // unreliable transports, and zero seconds for reliable transports."
        if (this.reliable) this.terminate();
        else this.timerI = setTimeout(fireTimerI, this.ctx.timers.i, this);
        return true;
      case 'confirmed':
        // "The purpose of the "Confirmed" state is to absorb any additional ACK
        // messages that arrive, triggered from retransmissions of the final response."
        this.ctx.stats.absorbedRetransmissions++;
        return true;
      case 'accepted':
        // RFC 6026: the ACK for a 2xx is not part of the INVITE transaction: the
        // server transaction does not absorb it, the TU (dialog) gets it.
        return false;
      case 'proceeding':
        // An ACK before any final response cannot acknowledge anything: drop it.
        this.ctx.logger?.debug({ tx: this.id }, 'ACK before a final response dropped');
        return true;
      default:
        return false;
    }
  }

  respond(response: SipResponse): void {
    this.checkStatus(response);
    const status = response.status;
    switch (this._state) {
      case 'proceeding':
        if (status < 200) {
          // "So long as the server transaction is in the "Proceeding" state, each
          // of these MUST be passed to the transport layer for transmission."
          this.last = response;
          this.sendResponse(response);
          return;
        }
        if (status < 300) {
          // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx
          // response to the server transaction, the server transaction MUST pass
          // this response to the transport layer for transmission. It is not
          // retransmitted by the server transaction; retransmissions of 2xx
          // responses are handled by the TU. The server transaction MUST then
          // transition to the "Accepted" state." Timer L: 64*T1.
          this.transition('accepted');
          this.last = response;
          this.timerL = setTimeout(fireTimerL, this.ctx.timers.l, this);
          this.sendResponse(response);
          return;
        }
        // "While in the "Proceeding" state, if the TU passes a response with
        // status code from 300 to 699 to the server transaction, the response MUST
        // be passed to the transport layer for transmission, and the state machine
        // MUST enter the "Completed" state. For unreliable transports, timer G is
        // set to fire in T1 seconds, and is not set to fire for reliable transports."
        // "When the "Completed" state is entered, timer H MUST be set to fire in
        // 64*T1 seconds for all transports."
        this.transition('completed');
        this.last = response;
        if (!this.reliable) this.timerG = setTimeout(fireTimerG, this.intervalG, this);
        this.timerH = setTimeout(fireTimerH, this.ctx.timers.h, this);
        this.sendResponse(response);
        return;
      case 'accepted':
        // RFC 6026 §8.7: "While in the "Accepted" state, if the TU passes a 2xx
        // response, the server transaction MUST pass the response to the
        // transport layer for transmission."
        if (status >= 200 && status < 300) {
          this.last = response;
          this.sendResponse(response);
        } else this.ignored(response);
        return;
      case 'terminated':
        // After Timer L the TU may still be retransmitting its 2xx until the ACK
        // arrives (§13.3.1.4, also 64*T1): those still go out, statelessly.
        if (status >= 200 && status < 300 && this.lastStatus < 300 && this.lastStatus >= 200) {
          this.ctx.transport.sendResponse(response, this.flow).catch(ignoreFailure);
        } else this.ignored(response);
        return;
      default:
        this.ignored(response);
        return;
    }
  }

  // ------------------------------------------------------------------ timers

  /** @internal */
  timerGFired(): void {
    this.timerG = undefined;
    if (this._state !== 'completed' || this.last === undefined) return;
    // §17.2.1: "If timer G fires, the response is passed to the transport layer
    // once more for retransmission, and timer G is set to fire in MIN(2*T1, T2)
    // seconds. From then on, when timer G fires, the response is passed to the
    // transport again for transmission, and timer G is reset with a value that
    // doubles, unless that value exceeds T2, in which case it is reset with the value of T2."
    this.ctx.stats.retransmissions++;
    this.sendResponse(this.last);
    this.intervalG = Math.min(this.intervalG * 2, this.ctx.timers.t2);
    this.timerG = setTimeout(fireTimerG, this.intervalG, this);
  }

  /** @internal */
  timerHFired(): void {
    this.timerH = undefined;
    if (this._state !== 'completed') return;
    // "If timer H fires while in the "Completed" state, it implies that the ACK
    // was never received. In this case, the server transaction MUST transition to
    // the "Terminated" state, and MUST indicate to the TU that a transaction failure has occurred."
    this.ctx.stats.serverTimeouts++;
    this.terminate();
    try {
      this.ctx.tu.onServerTimeout?.(this);
    } catch (e) {
      this.ctx.tuError(e, 'onServerTimeout');
    }
  }

  /** @internal */
  timerIFired(): void {
    this.timerI = undefined;
    // "Once timer I fires, the server MUST transition to the "Terminated" state."
    if (this._state === 'confirmed') this.terminate();
  }

  /** @internal */
  timerLFired(): void {
    this.timerL = undefined;
    // RFC 6026 §7.1: "When Timer L fires and the state machine is in the
    // "Accepted" state, the machine MUST transition to the "Terminated" state."
    if (this._state === 'accepted') this.terminate();
  }

  protected clearTimers(): void {
    this.timerG = stop(this.timerG);
    this.timerH = stop(this.timerH);
    this.timerI = stop(this.timerI);
    this.timerL = stop(this.timerL);
  }
}
