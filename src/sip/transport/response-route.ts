/**
 * Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4), as a Destination.
 * Shared by the real layer and the fake so both route identically.
 */
import type { SipResponse } from '../message/message.js';
import { DEFAULT_PORTS, normalizeAddress } from './address.js';
import type { Destination, Flow } from './types.js';

/**
 * Reliable: the request's connection (`connectionId`) if still open, else the
 * `received` address (or sent-by host) and the sent-by port (or the default).
 * UDP: `received` + `rport` when rport was filled in; otherwise `received` (or
 * the sent-by host) + sent-by port or 5060. `maddr` (multicast) is not supported.
 * Throws SipSyntaxError when the response has no usable top Via.
 */
export function responseDestination(response: SipResponse, requestFlow: Flow): Destination {
  const via = response.topVia;
  const protocol = requestFlow.protocol;
  const address = normalizeAddress(via.received ?? via.host);
  if (protocol !== 'udp') {
    const dest: Destination = { protocol, address, port: via.port ?? DEFAULT_PORTS[protocol] };
    if (requestFlow.connectionId !== undefined) dest.connectionId = requestFlow.connectionId;
    return dest;
  }
  const rport = via.rport;
  if (typeof rport === 'number' && Number.isInteger(rport) && rport > 0) return { protocol, address, port: rport };
  // rport asked for but never filled in (request did not pass through stampVia): the flow knows the source.
  if (rport === null) return { protocol, address: normalizeAddress(requestFlow.remoteAddress), port: requestFlow.remotePort };
  return { protocol, address, port: via.port ?? DEFAULT_PORTS.udp };
}
