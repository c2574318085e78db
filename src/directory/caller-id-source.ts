/**
 * Which calling number a call carries (spec CID-01, ACL-04, D-03). Takes strings the SIP layer
 * has already extracted (user part of P-Asserted-Identity and From, or a tel: URI's subscriber
 * part) and returns the number before globalisation. No SIP imports.
 */

export interface CallerIdSourceInput {
  /** User part of the P-Asserted-Identity URI (or the tel: URI), if the header is present. */
  paiUser?: string | null;
  /** User part of the From URI (or the tel: URI). */
  fromUser?: string | null;
  /** The From URI's host is anonymous.invalid, or the display name says anonymous. */
  fromAnonymous?: boolean;
  /** The call came from a trunk marked `trusted`. */
  trusted: boolean;
  /** A `Privacy: id` (or `user`/`header`) header is present. */
  privacyId?: boolean;
}

export interface CallerIdSource {
  /** Usable calling number (separators and URI parameters dropped), or null: matching is not possible. */
  number: string | null;
  source: 'pai' | 'from' | null;
  /** Caller ID withheld: anonymous From or Privacy: id (ACL-04 `private`). */
  withheld: boolean;
  /** No usable number (ACL-04 `notAvailable`). */
  notAvailable: boolean;
}

const NOT_A_NUMBER = /^(anonymous|unavailable|unknown|restricted|private|withheld)$/i;

/**
 * Cleans a user part / telephone-subscriber: drops `tel:`/`sip:` scheme, URI parameters
 * (`;phone-context=…`), percent-escapes and visual separators (`-` `.` `(` `)` space).
 * Returns null if no usable digits remain or the string is not a dial string.
 */
export function cleanCallingNumber(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  let s = raw.trim().replace(/^(tel|sips?):/i, '');
  s = s.split(/[;@?]/)[0]!;
  try {
    s = decodeURIComponent(s);
  } catch {
    return null;
  }
  s = s.replace(/[\s\-.()]/g, '');
  if (s === '' || NOT_A_NUMBER.test(s)) return null;
  if (!/^\+?[0-9*#]+$/.test(s) || !/[0-9]/.test(s)) return null;
  return s;
}

/** CID-01: trusted PAI first (even with Privacy: id), else From. */
export function extractCallingNumber(input: CallerIdSourceInput): CallerIdSource {
  const fromUser = input.fromUser ?? null;
  const anonymousFrom = !!input.fromAnonymous || (fromUser !== null && /^anonymous$/i.test(fromUser.trim()));
  const withheld = anonymousFrom || !!input.privacyId;
  if (input.trusted) {
    const pai = cleanCallingNumber(input.paiUser);
    if (pai !== null) return { number: pai, source: 'pai', withheld, notAvailable: false };
  }
  const from = anonymousFrom ? null : cleanCallingNumber(fromUser);
  if (from !== null) return { number: from, source: 'from', withheld, notAvailable: false };
  return { number: null, source: null, withheld, notAvailable: true };
}
