/**
 * What the four state machines share (RFC 3261 §17): an id, a state that only
 * moves along the transitions its machine declares, timers that are all cleared
 * on entering Terminated, and release from the layer's maps exactly once.
 */
import type { TransactionContext } from './context.js';
import type { ClientTransactionState, ServerTransactionState } from './types.js';

export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

export type Timer = ReturnType<typeof setTimeout>;

/** Clear a timer slot; returns undefined so callers can write `this.timerA = stop(this.timerA)`. */
export function stop(timer: Timer | undefined): undefined {
  if (timer !== undefined) clearTimeout(timer);
  return undefined;
}

export abstract class Transaction<S extends ClientTransactionState | ServerTransactionState> {
  protected _state: S;

  protected constructor(
    /** Key in the layer's map; also the transaction id. */
    readonly id: string,
    protected readonly ctx: TransactionContext,
    /**
     * Reliable transport (TCP, TLS, WS): no retransmission timers, zero-length
     * D/I/J/K. Not readonly: an oversized UDP request may be moved to TCP by the transport.
     */
    protected reliable: boolean,
    initial: S,
    private readonly table: TransitionTable<S>,
    private readonly side: 'client' | 'server',
  ) {
    this._state = initial;
  }

  get state(): S {
    return this._state;
  }

  get terminated(): boolean {
    return this._state === 'terminated';
  }

  /** Explicit, validated state change: a transition the machine does not declare is a bug. */
  protected transition(to: S): void {
    const from = this._state;
    if (!this.table[from].includes(to)) {
      throw new Error(`${this.constructor.name} ${this.id}: invalid transition ${from} -> ${to}`);
    }
    this._state = to;
  }

  /** Enter Terminated: clear every timer, leave the layer's map, tell the TU. */
  protected terminate(): void {
    if (this._state === 'terminated') return;
    this.transition('terminated' as S);
    this.clearTimers();
    this.ctx.release(this.side, this.id, this);
    this.notifyTerminated();
    this.releaseMessages();
  }

  /** Layer shutdown: stop timers and forget, without any TU callback. */
  dispose(): void {
    if (this._state === 'terminated') return;
    this._state = 'terminated' as S;
    this.clearTimers();
    this.ctx.release(this.side, this.id, this);
    this.releaseMessages();
  }

  /**
   * Terminated: let go of the messages kept for retransmission (last response, ACK).
   * The TU may hold the transaction for the whole call (IncomingInvite.tx), and a
   * response with its received datagram is kilobytes per call.
   */
  protected releaseMessages(): void {}

  protected abstract clearTimers(): void;
  protected abstract notifyTerminated(): void;
}
