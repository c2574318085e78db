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
}

export interface ListeningPoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
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

export class TransportError extends Error {
  constructor(
    message: string,
    public readonly destination: Destination,
  ) {
    super(message);
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
