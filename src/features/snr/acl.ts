/**
 * Access lists of remote destinations (spec ACL-01..04, D-03, D-12): who may reach an RD.
 * Pure functions over the directory records and the calling party of one call.
 */
import type { AccessList, AccessListMember, AccessPolicy } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';

/** What ACL members are compared with. */
export interface CallingParty {
  /**
   * Globalised, unreplaced calling numbers (GEN-09): the trunk caller's number, or an
   * internal caller's DID and DN. Empty: no usable number (`notAvailable`).
   */
  numbers: string[];
  /** Caller ID withheld: anonymous From or `Privacy: id` (`private`). */
  withheld: boolean;
}

export function callingPartyOf(caller: Caller): CallingParty {
  if (caller.kind === 'trunk') return { numbers: caller.callingNumber === null ? [] : [caller.callingNumber], withheld: caller.withheld };
  const line = caller.line;
  const numbers = line === undefined ? [] : [line.did, line.number].filter((n): n is string => n !== null && n !== '');
  return { numbers, withheld: false };
}

/** D-12: `X` is exactly one digit, lengths must be equal, everything else (a leading `+` too) is literal. */
export function maskMatches(mask: string, number: string): boolean {
  if (mask.length !== number.length) return false;
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i]!;
    const c = number[i]!;
    if (m === 'X' || m === 'x') {
      if (c < '0' || c > '9') return false;
    } else if (m !== c) return false;
  }
  return true;
}

/** ACL-04: does one list member match this calling party? */
export function memberMatches(m: AccessListMember, p: CallingParty): boolean {
  switch (m.kind) {
    case 'private':
      return p.withheld;
    case 'notAvailable':
      return p.numbers.length === 0;
    case 'number':
      return m.value !== null && p.numbers.includes(m.value);
    case 'mask':
      return m.value !== null && p.numbers.some((n) => maskMatches(m.value!, n));
    default:
      return false;
  }
}

export function listMatches(list: AccessList, p: CallingParty): boolean {
  return list.members.some((m) => memberMatches(m, p));
}

/**
 * ACL-02/03: may this caller ring the RD? A blocked list ends with an implicit "allow all",
 * an allowed list with an implicit "deny all". A list that no longer exists counts as empty
 * (an allowed list then lets nobody through, a blocked list everybody).
 */
export function accessAllows(policy: AccessPolicy, lookup: (id: string) => AccessList | undefined, p: CallingParty): boolean {
  if (policy === 'always') return true;
  if ('allowedList' in policy) {
    const list = lookup(policy.allowedList);
    return list !== undefined && listMatches(list, p);
  }
  const list = lookup(policy.blockedList);
  return list === undefined || !listMatches(list, p);
}
