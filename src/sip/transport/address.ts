/**
 * Address helpers shared by the transports: one spelling per address so that
 * connection lookups by "address:port" match whatever form the peer used.
 */
import { isIP, type Socket } from 'node:net';
import type { ListenOptions } from './options.js';
import type { Flow, ListeningPoint, TransportProtocol } from './types.js';

/** RFC 3261 §19.1.2 / RFC 7118: default ports per transport. */
export const DEFAULT_PORTS: Readonly<Record<TransportProtocol, number>> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

export const ALL_PROTOCOLS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Strip IPv6 brackets, unmap IPv4-mapped IPv6 (`::ffff:1.2.3.4`), lower-case. */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  a = a.toLowerCase();
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

/** 4, 6, or 0 for a host name. */
export function addressFamily(address: string): 0 | 4 | 6 {
  const f = isIP(normalizeAddress(address));
  return f === 4 ? 4 : f === 6 ? 6 : 0;
}

export function isWildcard(address: string): boolean {
  const a = normalizeAddress(address);
  return a === '0.0.0.0' || a === '::' || a === '';
}

export function remoteKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol} ${normalizeAddress(address)} ${port}`;
}

/** host:port for logs and URLs (IPv6 bracketed). */
export function hostPort(address: string, port: number): string {
  return addressFamily(address) === 6 ? `[${normalizeAddress(address)}]:${port}` : `${address}:${port}`;
}

/** What a transport bound at boundAddress:boundPort reports: the advertised host/port of `listen` where given. */
export function listeningPointOf(protocol: TransportProtocol, listen: ListenOptions, boundAddress: string, boundPort: number): ListeningPoint {
  return {
    protocol,
    address: listen.advertisedHost ?? boundAddress,
    port: listen.advertisedPort ?? boundPort,
    localAddress: boundAddress,
    localPort: boundPort,
  };
}

/** The flow of connection `connectionId` over a connected socket. */
export function socketFlow(protocol: TransportProtocol, socket: Socket, connectionId: string): Flow {
  return {
    protocol,
    localAddress: normalizeAddress(socket.localAddress ?? ''),
    localPort: socket.localPort ?? 0,
    remoteAddress: normalizeAddress(socket.remoteAddress ?? ''),
    remotePort: socket.remotePort ?? 0,
    connectionId,
  };
}
