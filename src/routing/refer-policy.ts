/**
 * Where a REFER may send the transferee (B2BCall performs the transfer, transfer.ts): the
 * Refer-To number is routed as a call from the transferor's leg — the authenticated caller
 * for the A-leg, the answering phone or trunk for the B-leg (CallTarget.identity) — with that
 * identity's calling search space. A leg without an identity (e.g. an SNR fork) may not transfer.
 */
import type { B2BCall } from '../b2bua/call.js';
import type { ReferPolicy } from '../b2bua/transfer.js';
import { uriUserDigits } from '../sip/message/uri.js';
import type { Caller, Router } from './router.js';

/** The identity of a call's leg: the A-leg's authenticated caller, or the B-leg target's identity. */
export function legIdentity(call: B2BCall, side: 'a' | 'b', callerOf: (call: B2BCall) => Caller | undefined): Caller | undefined {
  return (side === 'a' ? callerOf(call) : call.answeredTarget?.identity) as Caller | undefined;
}

export function createReferPolicy(router: Router, callerOf: (call: B2BCall) => Caller | undefined): ReferPolicy {
  return (call, side, refer) => {
    const identity = legIdentity(call, side, callerOf);
    if (identity === undefined) return { status: 403, reason: 'Forbidden - this leg may not transfer' };
    let digits: string | undefined;
    try {
      digits = uriUserDigits(refer.target);
    } catch {
      digits = undefined;
    }
    const d = router.routeNumber(identity, digits);
    if (d.kind === 'reject') return { status: d.status, reason: d.reason };
    if (d.kind === 'feature') return { status: 403, reason: `Forbidden - cannot transfer to feature ${d.id}` };
    const groups = d.groups.filter((g) => g.length > 0);
    if (groups.length === 0) return { status: 480, reason: 'Temporarily Unavailable - not registered' };
    return groups;
  };
}
