/**
 * The transaction layer's contract (RFC 3261 §17, RFC 6026). The transaction
 * user (TU: dialogs, the B2BUA core) talks to transactions only through this.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Destination, Flow } from '../transport/types.js';

/** Timer base values (RFC 3261 §17.1.1.1, Table 4); configurable so tests can run short. */
export interface TimerSettings {
  t1Ms: number; // RTT estimate, default 500
  t2Ms: number; // max non-INVITE request / INVITE response retransmit interval, default 4000
  t4Ms: number; // max time a message stays in the network, default 5000
  /** Timer C (§16.6 / §16.8): proxy-style INVITE guard; the B2BUA uses it as a ring timeout fallback. Default 180000. */
  timerCMs?: number;
}

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';
export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ClientTransactionUser {
  /** Every provisional and final response, 2xx retransmissions to INVITE included (RFC 6026 Accepted state). */
  onResponse(response: SipResponse, tx: ClientTransaction): void;
  /** Timer B/F fired: the TU should act as if a 408 was received (§8.1.3.1). */
  onTimeout?(tx: ClientTransaction): void;
  /** Transport failure: act as if a 503 was received (§8.1.3.1). */
  onTransportError?(error: Error, tx: ClientTransaction): void;
  onTerminated?(tx: ClientTransaction): void;
}

export interface ClientTransaction {
  readonly id: string; // top Via branch + method
  readonly request: SipRequest;
  readonly destination: Destination;
  readonly state: ClientTransactionState;
  /**
   * Send a CANCEL for this INVITE (§9.1): only once a provisional response has
   * been received; before that it is deferred until one arrives. Returns the
   * CANCEL's own client transaction once sent (or undefined if deferred/too late).
   */
  cancel(reason?: string): void;
}

export interface ServerTransaction {
  readonly id: string;
  readonly request: SipRequest;
  readonly flow: Flow;
  readonly state: ServerTransactionState;
  /** Send a response (the transaction retransmits finals over UDP per its state machine). */
  respond(response: SipResponse): void;
  /** True once a CANCEL for this INVITE has been received. */
  readonly cancelled: boolean;
}

export interface TransactionUser {
  /**
   * A new request that matched no existing server transaction (retransmissions are
   * absorbed). For INVITE a `100 Trying` has already been sent (or is sent after
   * 200 ms if the TU has not responded — either is RFC compliant; pick one and document).
   * ACK for a 2xx arrives here too, with `tx` undefined (ACK for 2xx is not part of
   * the INVITE transaction, §17.1.1.3 / §13.2.2.4); an ACK matching a non-2xx final
   * is absorbed by the INVITE server transaction.
   */
  onRequest(request: SipRequest, tx: ServerTransaction | undefined, flow: Flow): void;
  /**
   * A CANCEL matched a pending INVITE server transaction (§9.2). The layer has
   * already answered the CANCEL with 200; the TU decides what to do with the
   * INVITE (normally respond 487 after cancelling its own forks).
   * A CANCEL that matches nothing gets 481 from the layer.
   */
  onCancel(inviteTx: ServerTransaction, cancel: SipRequest): void;
  /** A response that matched no client transaction (e.g. 2xx retransmission after the tx ended): hand to dialogs. */
  onStrayResponse?(response: SipResponse, flow: Flow): void;
  /** Timer H fired: no ACK arrived for a non-2xx final. */
  onServerTimeout?(tx: ServerTransaction): void;
  /** A response could not be sent by a server transaction. */
  onServerTransportError?(error: Error, tx: ServerTransaction): void;
}

export interface TransactionLayerStats {
  clientTransactions: number;
  serverTransactions: number;
  retransmissions: number;
}
