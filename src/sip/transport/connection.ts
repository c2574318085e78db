/**
 * What the layer knows about a stream connection (TCP, TLS, WS, WSS), and the
 * context each transport gets from the layer. Internal to the transport folder.
 */
import type net from 'node:net';
import type { SipMessageAny } from '../message/message.js';
import { normalizeAddress } from './address.js';
import { errorInfo, type TransportLogger } from './logger.js';
import type { ResolvedOptions } from './options.js';
import type { StatsCounters } from './stats.js';
import type { Flow, ListeningPoint, TransportProtocol } from './types.js';

export interface Connection {
  readonly id: string;
  readonly protocol: TransportProtocol;
  readonly flow: Flow;
  /** true when the peer connected to us */
  readonly inbound: boolean;
  readonly isOpen: boolean;
  /** ms timestamp of the last byte in or out (keepalives count). */
  lastActivity: number;
  /** retainConnection() count: > 0 means never reap as idle. */
  holds: number;
  send(data: Buffer): Promise<void>;
  /**
   * Idempotent; the table hears about it through TransportContext.connectionClosed.
   * `immediate` skips graceful shutdown (WebSocket closing handshake) on layer close.
   */
  close(reason: string, immediate?: boolean): void;
}

/** Callbacks and shared state the layer hands to every transport. */
export interface TransportContext {
  readonly logger: TransportLogger;
  readonly options: ResolvedOptions;
  readonly stats: StatsCounters;
  deliver(message: SipMessageAny, flow: Flow, size: number): void;
  parseFailure(flow: Flow, reason: string, size: number): void;
  /** A connection finished its handshake and can carry messages. */
  connectionOpened(conn: Connection): void;
  connectionClosed(conn: Connection, reason: string): void;
  /**
   * Admission control for an inbound socket; returns a release function to
   * call when the socket closes, or undefined when over a cap.
   */
  admit(protocol: TransportProtocol, remoteAddress: string): (() => void) | undefined;
  nextConnectionId(protocol: TransportProtocol): string;
}

export interface Transport {
  readonly protocol: TransportProtocol;
  /** 4 or 6: the address family of the bound socket. */
  readonly family: 4 | 6;
  start(): Promise<void>;
  listeningPoint(): ListeningPoint;
  close(): Promise<void>;
}

export interface StreamTransport extends Transport {
  /** Open a connection to address:port (hostnames resolved by the OS). Rejects with TransportError. */
  connect(address: string, port: number): Promise<Connection>;
}

/** Size of a parsed message as framed on the wire (headers as received plus body), without re-serialising. */
export function wireSize(msg: SipMessageAny): number {
  let n = msg.startLine().length + 4 + msg.body.length;
  for (const h of msg.headers) n += h.name.length + h.value.length + 4;
  return n;
}

export function isOnlyCrlf(buf: Buffer): boolean {
  for (const b of buf) if (b !== 13 && b !== 10) return false;
  return true;
}

/**
 * Start a stream transport's `server` listening at host:port (rejects on a bind error), log its
 * later errors; resolves with the address and port it bound (undefined if not an IP socket).
 */
export async function listenServer(
  server: net.Server,
  at: { host: string; port: number },
  logger: TransportLogger,
  protocol: TransportProtocol,
): Promise<{ address: string; port: number } | undefined> {
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen({ port: at.port, host: at.host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e: Error) => logger.error({ ...errorInfo(e), protocol }, 'server error'));
  const a = server.address();
  return a !== null && typeof a === 'object' ? { address: normalizeAddress(a.address), port: a.port } : undefined;
}
