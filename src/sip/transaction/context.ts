/**
 * What a transaction needs from the layer that owns it. Kept as an interface so
 * the state machines do not import the layer (and tests could drive them alone).
 */
import type { SipRequest } from '../message/message.js';
import type { Destination, TransportLayer } from '../transport/types.js';
import type { TimerValues } from './timers.js';
import type { ClientTransaction, TransactionLayerStats, TransactionUser } from './types.js';

/** pino's `(obj, msg)` call shape, so a pino logger (or child) can be passed as is. */
export interface TransactionLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface TransactionContext {
  readonly transport: TransportLayer;
  readonly timers: TimerValues;
  readonly stats: TransactionLayerStats;
  /** The TU of server transactions (client transactions carry their own user). */
  readonly tu: TransactionUser;
  readonly logger: TransactionLogger | undefined;
  /** A transaction reached Terminated: forget it (called exactly once per transaction). */
  release(side: 'client' | 'server', key: string, tx: object): void;
  /** Start the non-INVITE client transaction of a CANCEL built by an INVITE client transaction (§9.1). */
  startCancel(cancel: SipRequest, destination: Destination): ClientTransaction;
  /** A TU callback threw: count and log, never let it break a state machine. */
  tuError(error: unknown, where: string): void;
}

export function errorOf(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
