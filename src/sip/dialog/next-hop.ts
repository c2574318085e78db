/**
 * Where a request goes (RFC 3261 §8.1.2, §16.12 loose routing, RFC 3263 reduced
 * to what a server on numeric addresses needs): the first Route if there is a
 * route set, otherwise the Request-URI. Host names are taken as written (the
 * transport resolves them); no NAPTR/SRV.
 */
import type { NameAddr } from '../message/name-addr.js';
import { SipUri, type Uri } from '../message/uri.js';
import type { Destination, TransportProtocol } from '../transport/types.js';

const DEFAULT_PORT: Record<TransportProtocol, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

export class UnroutableUriError extends Error {
  constructor(uri: string) {
    super(`cannot route to "${uri}": not a SIP URI`);
    this.name = 'UnroutableUriError';
  }
}

/** Destination for a SIP URI: `transport` param, `sips` → TLS, default ports per §19.1.2. */
export function destinationForUri(uri: Uri, fallbackProtocol: TransportProtocol = 'udp'): Destination {
  if (!(uri instanceof SipUri)) throw new UnroutableUriError(uri.toString());
  let protocol: TransportProtocol;
  const t = uri.transport;
  if (uri.scheme === 'sips') protocol = t === 'ws' || t === 'wss' ? 'wss' : 'tls';
  else if (t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' || t === 'udp') protocol = t;
  else protocol = fallbackProtocol;
  const maddr = uri.params.get('maddr');
  let host = maddr !== undefined && maddr !== null ? maddr : uri.host;
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { protocol, address: host, port: uri.port ?? DEFAULT_PORT[protocol] };
}

/** Next hop for a request with this Request-URI and route set (loose routing only: `lr` expected). */
export function nextHop(requestUri: Uri, routeSet: readonly NameAddr[], fallbackProtocol: TransportProtocol = 'udp'): Destination {
  const first = routeSet[0];
  return destinationForUri(first !== undefined ? first.uri : requestUri, fallbackProtocol);
}
