/**
 * The transport layer's contract (RFC 3261 §18). Transports move whole SIP
 * messages; the transaction layer above never sees sockets.
 */
import type { SipMessageAny, SipResponse } from '../message/message.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Where a message came from: the socket/connection it arrived on. */
export interface Flow {
  protocol: TransportProtocol;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Set for connection-oriented transports: the connection it arrived on. */
  connectionId?: string;
}

/** Where to send a message. With `connectionId` an existing connection is used if still open. */
export interface Destination {
  protocol: TransportProtocol;
  address: string;
  port: number;
  connectionId?: string;
  /**
   * RFC 3261 §18.1.1: the caller knows this peer also accepts TCP on the same
   * address and port (e.g. from SRV/NAPTR or a `transport=tcp` Contact). Only
   * then may the layer move a UDP request above the MTU threshold to TCP; the
   * top Via is rewritten to TCP, so after send() resolves
   * `request.topVia.transport === 'TCP'` tells the caller it went reliable.
   */
  allowTcpSwitch?: boolean;
}

export interface ListeningPoint {
  protocol: TransportProtocol;
  /** Address for Via sent-by / Contact (the advertised one when configured). */
  address: string;
  /** Port for Via sent-by / Contact (the bound port when listening on port 0). */
  port: number;
  /** The address and port the socket is actually bound to. */
  localAddress?: string;
  localPort?: number;
}

export interface InboundMessage {
  message: SipMessageAny;
  flow: Flow;
  /** bytes on the wire, for traces and size accounting */
  size: number;
}

/** A message that could not be parsed at all (no start line...): dropped and counted. */
export interface InboundParseFailure {
  flow: Flow;
  reason: string;
  size: number;
}

/** Why a send failed, so the layer above can pick 503, a retry over TCP, etc. */
export type TransportErrorCode =
  | 'send-failed' // the socket rejected the write
  | 'no-route' // no listening point / socket for that protocol or address family
  | 'too-large' // larger than the datagram or message size limit (§18.1.1: retry over TCP)
  | 'connect-failed' // refused, reset, DNS failure, TLS handshake failure
  | 'connect-timeout'
  | 'connection-closed' // the required connection is gone (WebSocket peers cannot be reconnected to)
  | 'closed'; // the transport layer was closed

export class TransportError extends Error {
  constructor(
    message: string,
    public readonly destination: Destination,
    public readonly code: TransportErrorCode = 'send-failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface TransportEvents {
  message(msg: InboundMessage): void;
  parseFailure(failure: InboundParseFailure): void;
}

export interface TransportLayer {
  /**
   * Send a request or a response. Rejects with TransportError when the message
   * cannot be sent (no route, connection refused, ICMP unreachable on UDP if
   * observed, message too large). Never throws synchronously.
   */
  send(message: SipMessageAny, destination: Destination): Promise<void>;
  /**
   * Send a response per RFC 3261 §18.2.2 / RFC 3581: over the request's
   * connection if reliable and still open, else to the top Via's
   * received/rport (or sent-by) address.
   */
  sendResponse(response: SipResponse, requestFlow: Flow): Promise<void>;
  /** The address/port to put in Via sent-by and Contact for a given protocol. */
  listeningPoint(protocol: TransportProtocol): ListeningPoint | undefined;
  listeningPoints(): ListeningPoint[];
  isReliable(protocol: TransportProtocol): boolean;
  on<E extends keyof TransportEvents>(event: E, handler: TransportEvents[E]): void;
  close(): Promise<void>;
}

/** Counters per protocol; a plain object so metrics exporters can read it directly. */
export interface ProtocolStats {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Inbound messages dropped as unparseable or oversized (each also emitted as parseFailure). */
  parseFailures: number;
  sendFailures: number;
  /** RFC 5626 pings answered (CRLFCRLF on streams, STUN binding on UDP). */
  keepalives: number;
  openConnections: number;
  connectionsAccepted: number;
  /** Inbound connections refused by the per-IP or total cap, WS upgrades without the "sip" subprotocol. */
  connectionsRejected: number;
  connectionsReaped: number;
}

export type TransportStats = Record<TransportProtocol, ProtocolStats>;

/** A connection opened or closed (RFC 5626 flow tracking: a registration bound to a flow dies with it). */
export interface ConnectionEvent {
  flow: Flow;
  /** true when the peer connected to us */
  inbound: boolean;
  reason?: string;
}

export interface ManagedTransportEvents extends TransportEvents {
  connectionOpened(event: ConnectionEvent): void;
  connectionClosed(event: ConnectionEvent): void;
}

/**
 * What createTransportLayer() and the fake return: the contract plus
 * connection control and counters.
 */
export interface ManagedTransportLayer extends TransportLayer {
  on<E extends keyof ManagedTransportEvents>(event: E, handler: ManagedTransportEvents[E]): void;
  off<E extends keyof ManagedTransportEvents>(event: E, handler: ManagedTransportEvents[E]): void;
  stats(): TransportStats;
  isConnectionOpen(connectionId: string): boolean;
  /**
   * Keep a connection from being reaped while idle (pending transactions, a
   * registration bound to this flow). Returns an idempotent release function,
   * or undefined when the connection is not open.
   */
  retainConnection(connectionId: string): (() => void) | undefined;
  closeConnection(connectionId: string, reason?: string): void;
}
