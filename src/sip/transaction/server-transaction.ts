/**
 * Shared part of the INVITE and non-INVITE server transactions (RFC 3261 §17.2):
 * sending responses back along the request's flow (§18.2.2), re-sending the last
 * response for absorbed request retransmissions, transport failures (§17.2.4).
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Flow } from '../transport/types.js';
import { type TransactionContext, errorOf } from './context.js';
import { Transaction, type TransitionTable } from './transaction.js';
import type { ServerTransaction, ServerTransactionState } from './types.js';

export abstract class ServerTransactionBase extends Transaction<ServerTransactionState> implements ServerTransaction {
  protected last: SipResponse | undefined;
  /** Status of `last` when the transaction terminated (`last` itself is released then). */
  protected lastStatus = 0;
  private isCancelled = false;

  protected constructor(
    ctx: TransactionContext,
    id: string,
    readonly request: SipRequest,
    readonly flow: Flow,
    initial: ServerTransactionState,
    table: TransitionTable<ServerTransactionState>,
  ) {
    super(id, ctx, ctx.transport.isReliable(flow.protocol), initial, table, 'server');
  }

  /** The last response sent; undefined again once the transaction terminated. */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  protected override releaseMessages(): void {
    if (this.last !== undefined) this.lastStatus = this.last.status;
    this.last = undefined;
  }

  get cancelled(): boolean {
    return this.isCancelled;
  }

  /** @internal The layer matched a CANCEL to this transaction (§9.2). */
  markCancelled(): void {
    this.isCancelled = true;
  }

  /** Enter the initial state (the INVITE server transaction sends its 100 Trying here). */
  abstract start(): void;
  /** A retransmission of the request matched this transaction (§17.2.3). */
  abstract receiveRequest(request: SipRequest): void;
  abstract respond(response: SipResponse): void;

  protected sendResponse(response: SipResponse): void {
    this.ctx.transport.sendResponse(response, this.flow).catch(this.responseFailed);
  }

  /** Re-send the last response because a retransmitted request was absorbed. */
  protected resendLast(): void {
    this.ctx.stats.absorbedRetransmissions++;
    if (this.last === undefined) return;
    this.ctx.stats.retransmissions++;
    this.sendResponse(this.last);
  }

  /** Reject responses no state machine could accept: a status outside 100-699. */
  protected checkStatus(response: SipResponse): void {
    const s = response.status;
    if (!(s >= 100 && s <= 699) || !Number.isInteger(s)) throw new RangeError(`invalid response status ${s}`);
  }

  protected ignored(response: SipResponse): void {
    this.ctx.logger?.debug({ tx: this.id, state: this._state, status: response.status }, 'response from TU ignored in this state');
  }

  /**
   * §17.2.4: "If those should all fail, based on the definition of failure in
   * Section 17.1.4, the server transaction SHOULD inform the TU that a failure
   * has occurred, and SHOULD transition to the terminated state."
   */
  private readonly responseFailed = (e: unknown): void => {
    if (this.terminated) {
      this.ctx.logger?.debug({ tx: this.id, err: errorOf(e).message }, 'late response send failure ignored');
      return;
    }
    this.ctx.stats.transportErrors++;
    try {
      this.ctx.tu.onServerTransportError?.(errorOf(e), this);
    } catch (err) {
      this.ctx.tuError(err, 'onServerTransportError');
    }
    this.terminate();
  };

  protected notifyTerminated(): void {
    // The server TU has no per-transaction termination callback in the contract.
  }
}
