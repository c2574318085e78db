/**
 * Header names: compact forms (RFC 3261 §7.3.3, §20), canonical spelling for
 * serialisation, and which headers may be folded into comma-separated lists
 * (RFC 3261 §7.3.1: only headers whose grammar is a comma-separated list).
 * Maps, not object literals: names come from the wire ("__proto__", "constructor").
 */

/** Compact form → full lower-case name (RFC 3261 §20 and later RFCs). */
const COMPACT = new Map<string, string>([
  ['i', 'call-id'],
  ['m', 'contact'],
  ['f', 'from'],
  ['t', 'to'],
  ['v', 'via'],
  ['l', 'content-length'],
  ['c', 'content-type'],
  ['k', 'supported'],
  ['s', 'subject'],
  ['e', 'content-encoding'],
  ['o', 'event'], // RFC 6665
  ['r', 'refer-to'], // RFC 3515
  ['b', 'referred-by'], // RFC 3892
  ['u', 'allow-events'], // RFC 6665
  ['x', 'session-expires'], // RFC 4028
  ['a', 'accept-contact'], // RFC 3841
  ['j', 'reject-contact'], // RFC 3841
  ['d', 'request-disposition'], // RFC 3841
  ['y', 'identity'], // RFC 8224
  ['n', 'identity-info'],
]);

const CANONICAL = new Map<string, string>([
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['www-authenticate', 'WWW-Authenticate'],
  ['mime-version', 'MIME-Version'],
  ['p-asserted-identity', 'P-Asserted-Identity'],
  ['p-preferred-identity', 'P-Preferred-Identity'],
  ['rack', 'RAck'],
  ['rseq', 'RSeq'],
  ['sip-etag', 'SIP-ETag'],
  ['sip-if-match', 'SIP-If-Match'],
  ['__proto__', '__proto__'],
]);

/**
 * Headers whose ABNF is `#element`: several values may share one header line.
 * WWW-Authenticate, Authorization, Date etc. contain commas but are NOT lists.
 */
const LIST_HEADERS = new Set<string>([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'allow-events',
  'content-encoding',
  'content-language',
  'in-reply-to',
  'p-asserted-identity',
  'p-preferred-identity',
  'path',
  'service-route',
  'reason',
  'security-client',
  'security-server',
  'security-verify',
  'alert-info',
  'call-info',
  'error-info',
  'history-info',
  'diversion',
  'accept-contact',
  'reject-contact',
  'request-disposition',
]);

const lowerCache = new Map<string, string>();

/** Lower-case full name for a header name as received (handles compact forms). */
export function normalizeHeaderName(name: string): string {
  let key = lowerCache.get(name);
  if (key !== undefined) return key;
  const lower = name.toLowerCase();
  key = lower.length === 1 ? (COMPACT.get(lower) ?? lower) : lower;
  // The cache only holds names we have seen; cap it so hostile peers cannot grow it.
  if (lowerCache.size < 4096) lowerCache.set(name, key);
  return key;
}

const canonicalCache = new Map<string, string>();

/** Canonical spelling used when we serialise a header. */
export function canonicalHeaderName(key: string): string {
  const special = CANONICAL.get(key) ?? canonicalCache.get(key);
  if (special !== undefined) return special;
  let out = '';
  let upper = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  if (canonicalCache.size < 1024) canonicalCache.set(key, out);
  return out;
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
