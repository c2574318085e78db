/**
 * createTransportLayer() options and their defaults. Timers and limits are all
 * configurable so tests can run them short.
 */
import type { TlsOptions } from 'node:tls';
import type { TransportLogger } from './logger.js';
import type { TransportProtocol } from './types.js';

/** PEM text (or buffers) for a TLS / WSS listening point. */
export interface TlsServerCredentials {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA bundle for client certificates (with requestCert). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Ask TLS clients for a certificate (not required unless rejectUnauthorized). Default false. */
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

/** Node TLS server options for these credentials (TLS and WSS listeners). */
export function tlsServerOptions(creds: TlsServerCredentials, handshakeTimeoutMs: number): TlsOptions {
  return {
    cert: creds.cert,
    key: creds.key,
    ca: creds.ca,
    requestCert: creds.requestCert ?? false,
    rejectUnauthorized: creds.rejectUnauthorized ?? false,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/** Options for connections we open over TLS / WSS. */
export interface TlsClientOptions {
  /** Trusted CAs; default: Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default true: verify the server certificate and its name. */
  rejectUnauthorized?: boolean;
  /** Client certificate for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface ListenOptions {
  protocol: TransportProtocol;
  /** Address to bind (127.0.0.1, 0.0.0.0, ::). */
  host: string;
  /** 0 = ephemeral; listeningPoint() reports the bound port. */
  port: number;
  /** Required for tls and wss. */
  tls?: TlsServerCredentials;
  /** Address/port to advertise in Via and Contact (behind NAT, or when bound to a wildcard). */
  advertisedHost?: string;
  advertisedPort?: number;
}

export interface UdpOptions {
  /** SO_RCVBUF; default 4 MiB (the kernel may cap it at net.core.rmem_max; a warning is logged). */
  recvBufferSize?: number;
  /** SO_SNDBUF; default 4 MiB. */
  sendBufferSize?: number;
  /** Largest datagram we send; larger → TransportError code 'too-large'. Default 65507 (IPv4 UDP maximum). */
  maxDatagramSize?: number;
  /**
   * RFC 3261 §18.1.1: requests larger than this go over TCP instead, but only
   * when the Destination has `allowTcpSwitch` and a TCP listening point exists.
   * Default 1300.
   */
  mtuThreshold?: number;
}

export interface ConnectionOptions {
  /** Close connections without traffic (in or out) for this long; 0 disables. Default 300000 (5 min). */
  idleTimeoutMs?: number;
  /** Outbound TCP/TLS/WS connect (and handshake) timeout. Default 10000. */
  connectTimeoutMs?: number;
  /** Inbound TLS handshake must finish within this. Default 10000. */
  handshakeTimeoutMs?: number;
  /** Cap on open inbound connections (all stream protocols together). Default 10000. */
  maxConnections?: number;
  /** Cap on open inbound connections from one remote IP. Default 100. */
  maxConnectionsPerIp?: number;
  /** A peer that does not read: its connection is closed once this much output is queued. Default 4 MiB. */
  maxWriteBuffer?: number;
}

export interface TransportLayerOptions {
  listen: ListenOptions[];
  logger?: TransportLogger;
  /** Largest inbound (and stream outbound) message, every protocol. Default 65535. */
  maxMessageSize?: number;
  udp?: UdpOptions;
  connections?: ConnectionOptions;
  /** For connections we open over TLS and WSS. */
  tlsClient?: TlsClientOptions;
  /** Path for outbound WebSocket connections (ws://host:port<path>). Default "/". */
  wsPath?: string;
}

export interface ResolvedOptions {
  maxMessageSize: number;
  udp: Required<UdpOptions>;
  connections: Required<ConnectionOptions>;
  tlsClient: TlsClientOptions;
  wsPath: string;
}

const MiB = 1024 * 1024;

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new RangeError(`transport option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  return v;
}

export function resolveOptions(o: TransportLayerOptions): ResolvedOptions {
  const u = o.udp ?? {};
  const c = o.connections ?? {};
  const maxMessageSize = positive('maxMessageSize', o.maxMessageSize, 65_535);
  return {
    maxMessageSize,
    udp: {
      recvBufferSize: positive('udp.recvBufferSize', u.recvBufferSize, 4 * MiB),
      sendBufferSize: positive('udp.sendBufferSize', u.sendBufferSize, 4 * MiB),
      maxDatagramSize: Math.min(positive('udp.maxDatagramSize', u.maxDatagramSize, 65_507), 65_507),
      mtuThreshold: positive('udp.mtuThreshold', u.mtuThreshold, 1300),
    },
    connections: {
      idleTimeoutMs: positive('connections.idleTimeoutMs', c.idleTimeoutMs, 300_000, true),
      connectTimeoutMs: positive('connections.connectTimeoutMs', c.connectTimeoutMs, 10_000),
      handshakeTimeoutMs: positive('connections.handshakeTimeoutMs', c.handshakeTimeoutMs, 10_000),
      maxConnections: positive('connections.maxConnections', c.maxConnections, 10_000),
      maxConnectionsPerIp: positive('connections.maxConnectionsPerIp', c.maxConnectionsPerIp, 100),
      maxWriteBuffer: positive('connections.maxWriteBuffer', c.maxWriteBuffer, 4 * MiB),
    },
    tlsClient: o.tlsClient ?? {},
    wsPath: o.wsPath ?? '/',
  };
}
