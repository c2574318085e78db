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
  cancel(reason?: string): ClientTransaction | undefined;
  /** The last response passed to the TU (undefined until one arrives). */
  readonly lastResponse: SipResponse | undefined;
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
  /** The last response sent (the INVITE server tx starts with its own 100 Trying). */
  readonly lastResponse: SipResponse | undefined;
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

/** Counters since the layer was created; plain numbers so exporters can read them directly. */
export interface TransactionLayerStats {
  /** Client transactions created (CANCELs included). Live count: TransactionLayer.sizes(). */
  clientTransactions: number;
  /** Server transactions created (CANCELs included). */
  serverTransactions: number;
  /**
   * Messages the layer sent again: timer A/E/G retransmissions, the last response
   * re-sent for an absorbed request retransmission, the ACK re-sent for a
   * retransmitted non-2xx final.
   */
  retransmissions: number;
  /** Retransmitted requests and responses consumed by a transaction (not passed to the TU). */
  absorbedRetransmissions: number;
  /** Timer B, F or C expiries reported to the TU (§8.1.3.1: act as 408). */
  timeouts: number;
  /** Timer H expiries: no ACK for a non-2xx final. */
  serverTimeouts: number;
  /** Sends that failed with the transaction still waiting on them (reported to the TU). */
  transportErrors: number;
  requestsReceived: number;
  responsesReceived: number;
  /** Invalid requests answered statelessly with the validation status (400/416/483/505). */
  rejectedRequests: number;
  /** Invalid requests that could not be answered (unusable Via, or ACK): dropped. */
  droppedRequests: number;
  /** Invalid responses, or responses with more than one Via (§8.1.3.3): dropped. */
  droppedResponses: number;
  /** Responses that matched no client transaction (handed to onStrayResponse). */
  strayResponses: number;
  /** CANCELs that matched an INVITE server transaction (answered 200). */
  cancelsMatched: number;
  /** CANCELs that matched nothing (answered 481). */
  cancelsUnmatched: number;
  /** Messages the transport could not parse at all. */
  parseFailures: number;
  /** Exceptions thrown by TU callbacks (caught and logged). */
  tuErrors: number;
}
