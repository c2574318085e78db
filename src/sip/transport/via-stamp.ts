/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: record where a request really came from in
 * its top Via, so responses find their way back through NAT.
 */
import type { SipRequest } from '../message/message.js';
import type { Via } from '../message/via.js';
import { normalizeAddress } from './address.js';

/**
 * Mutates the live top Via of `req`:
 * - `received` = source address when it differs from the sent-by host, or
 *   always when `rport` is present (RFC 3581 requires it then), or when the
 *   peer sent a `received` of its own (a stale value must not survive);
 * - `rport` = source port when the parameter is present.
 * A request whose Via cannot be parsed is left alone (validation answers it).
 */
export function stampVia(req: SipRequest, sourceAddress: string, sourcePort: number): void {
  let via: Via;
  try {
    via = req.topVia;
  } catch {
    return;
  }
  const source = normalizeAddress(sourceAddress);
  const params = via.params;
  const hasRport = params.has('rport');
  if (hasRport) params.set('rport', String(sourcePort));
  if (hasRport || params.has('received') || normalizeAddress(via.host) !== source) params.set('received', source);
}
