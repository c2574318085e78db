/**
 * Parse and serialize Digest challenge / credentials header *values*
 * (RFC 3261 §25.1, §22; RFC 2617 §3.2; RFC 7616).
 *
 * Works on plain strings on purpose: this module must not depend on the SIP
 * message model. One header value carries exactly one challenge or one set of
 * credentials (RFC 3261 never comma-joins WWW-Authenticate / Authorization).
 *
 * Parsing never throws: hostile input yields `{ ok: false, error }`.
 * Serializing throws `DigestHeaderError` only for values that cannot be
 * represented safely (CR/LF, control characters, non-token unquoted values),
 * which would otherwise allow header injection.
 */

/** Longest header value we accept; larger inputs are rejected before scanning. */
export const MAX_DIGEST_HEADER_LENGTH = 8192;
/** Most auth-params we accept in one value (bounds work on hostile input). */
export const MAX_DIGEST_PARAMS = 64;

/** One auth-param as received (unknown/extension params are kept this way). */
export interface AuthParam {
  /** Name as it appeared on the wire (case preserved for re-serialization). */
  readonly name: string;
  /** Unescaped value. */
  readonly value: string;
  /** Whether the value was (or should be) sent as a quoted-string. */
  readonly quoted: boolean;
}

/** Unknown params keyed by lower-case name; a Map so `__proto__` etc. are inert. */
export type AuthParamMap = ReadonlyMap<string, AuthParam>;

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly domain?: string;
  readonly opaque?: string;
  /** `stale=true` (case-insensitive). Any other value means false (RFC 2617 §3.2.1). */
  readonly stale?: boolean;
  /** Raw algorithm token, e.g. `MD5`, `SHA-256`; absent means MD5. */
  readonly algorithm?: string;
  /** qop-options, lower-cased, e.g. `['auth', 'auth-int']`. */
  readonly qop?: readonly string[];
  /** Extension / unknown params, in received order. */
  readonly params: AuthParamMap;
}

export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  /** message-qop, lower-cased (`auth` / `auth-int`). When present, cnonce and nc are present too. */
  readonly qop?: string;
  /** nc-value: exactly 8 hex digits as received. */
  readonly nc?: string;
  readonly params: AuthParamMap;
}

export type DigestParseErrorCode =
  | 'empty'
  | 'too-long'
  | 'scheme'
  | 'syntax'
  | 'too-many-params'
  | 'duplicate-param'
  | 'missing-param'
  | 'invalid-param';

export interface DigestParseError {
  readonly code: DigestParseErrorCode;
  readonly message: string;
  readonly param?: string;
}

export type DigestParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DigestParseError };

export type DigestHeaderErrorCode = 'invalid-name' | 'invalid-value' | 'duplicate-param';

/** Thrown by the serializers only; carries a machine-readable code. */
export class DigestHeaderError extends Error {
  override readonly name = 'DigestHeaderError';
  constructor(
    readonly code: DigestHeaderErrorCode,
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// Character classes (RFC 3261 §25.1)

const TOKEN_EXTRA = new Set(['-', '.', '!', '%', '*', '_', '+', '`', "'", '~']);

function isTokenChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code < 0x80 && TOKEN_EXTRA.has(String.fromCharCode(code)))
  );
}

/** True when `s` is a non-empty RFC 3261 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** C0 controls (except HT) and DEL are never acceptable inside a value we keep. */
function isForbiddenControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}

// ---------------------------------------------------------------------------
// Scanner

type Fail = { readonly ok: false; readonly error: DigestParseError };

function fail(code: DigestParseErrorCode, message: string, param?: string): Fail {
  return { ok: false, error: param === undefined ? { code, message } : { code, message, param } };
}

interface RawParam {
  readonly name: string;
  readonly lower: string;
  readonly value: string;
  readonly quoted: boolean;
}

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.pos >= this.s.length;
  }

  /**
   * Skip LWS (SP/HT and CRLF-folding). Returns false on a bare CR or LF, which
   * could only come from a header-injection attempt or a broken unfolder.
   */
  skipLws(): boolean {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09) {
        this.pos++;
      } else if (c === 0x0d || c === 0x0a) {
        const n = this.foldLength(this.pos);
        if (n === 0) return false;
        this.pos += n;
      } else {
        break;
      }
    }
    return true;
  }

  /** Length of a line fold (CRLF / LF followed by SP/HT) at `i`, or 0. */
  foldLength(i: number): number {
    const s = this.s;
    let j = i;
    if (s.charCodeAt(j) === 0x0d) j++;
    if (s.charCodeAt(j) !== 0x0a) return 0;
    j++;
    const next = s.charCodeAt(j);
    return next === 0x20 || next === 0x09 ? j - i : 0;
  }

  token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && isTokenChar(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** Reads a quoted-string starting at the opening DQUOTE; null if malformed. */
  quoted(): string | null {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(runStart, this.pos);
        const e = s.charCodeAt(this.pos + 1);
        // quoted-pair excludes CR and LF; we also refuse other controls.
        if (Number.isNaN(e) || isForbiddenControl(e)) return null;
        out += s[this.pos + 1];
        this.pos += 2;
        runStart = this.pos;
        continue;
      }
      if (c === 0x0d || c === 0x0a) {
        const n = this.foldLength(this.pos);
        if (n === 0) return null;
        // A fold inside a quoted string is equivalent to a single SP (RFC 3261 §7.3.1).
        out += s.slice(runStart, this.pos) + ' ';
        this.pos += n;
        while (s.charCodeAt(this.pos) === 0x20 || s.charCodeAt(this.pos) === 0x09) this.pos++;
        runStart = this.pos;
        continue;
      }
      if (isForbiddenControl(c)) return null;
      this.pos++;
    }
    return null; // unterminated
  }
}

/** Splits `Digest a=b, c="d"` into params. Shared by both header kinds. */
function parseDigestParams(input: unknown): DigestParseResult<readonly RawParam[]> {
  if (typeof input !== 'string') return fail('empty', 'header value is not a string');
  if (input.length > MAX_DIGEST_HEADER_LENGTH) return fail('too-long', 'header value too long');
  const sc = new Scanner(input);
  if (!sc.skipLws()) return fail('syntax', 'bare CR/LF');
  if (sc.done) return fail('empty', 'empty header value');

  const scheme = sc.token();
  if (scheme.toLowerCase() !== 'digest') return fail('scheme', 'scheme is not Digest');
  const afterScheme = sc.pos;
  if (!sc.skipLws()) return fail('syntax', 'bare CR/LF');
  if (sc.done) return fail('missing-param', 'no auth-params');
  if (sc.pos === afterScheme) return fail('syntax', 'missing whitespace after scheme');

  const params: RawParam[] = [];
  const seen = new Set<string>();
  for (;;) {
    if (!sc.skipLws()) return fail('syntax', 'bare CR/LF');
    if (sc.done) break;
    // RFC 2617 #rule permits empty list elements ("a=b,,c=d").
    if (input[sc.pos] === ',') {
      sc.pos++;
      continue;
    }
    const name = sc.token();
    if (name.length === 0) return fail('syntax', `unexpected character at ${sc.pos}`);
    if (!sc.skipLws()) return fail('syntax', 'bare CR/LF');
    if (input[sc.pos] !== '=') return fail('syntax', `expected "=" after ${name}`, name);
    sc.pos++;
    if (!sc.skipLws()) return fail('syntax', 'bare CR/LF');

    let value: string;
    let quoted: boolean;
    if (input[sc.pos] === '"') {
      const q = sc.quoted();
      if (q === null) return fail('syntax', `bad quoted-string for ${name}`, name);
      value = q;
      quoted = true;
    } else {
      value = sc.token();
      quoted = false;
      if (value.length === 0) return fail('syntax', `empty value for ${name}`, name);
    }

    const lower = name.toLowerCase();
    // Duplicates make the meaning ambiguous between implementations; refuse them.
    if (seen.has(lower)) return fail('duplicate-param', `duplicate param ${name}`, name);
    seen.add(lower);
    if (params.length >= MAX_DIGEST_PARAMS) return fail('too-many-params', 'too many auth-params');
    params.push({ name, lower, value, quoted });

    if (!sc.skipLws()) return fail('syntax', 'bare CR/LF');
    if (sc.done) break;
    if (input[sc.pos] !== ',') return fail('syntax', `expected "," after ${name}`, name);
    sc.pos++;
  }
  if (params.length === 0) return fail('missing-param', 'no auth-params');
  return { ok: true, value: params };
}

// ---------------------------------------------------------------------------
// Typed views

const CHALLENGE_KNOWN = new Set(['realm', 'nonce', 'domain', 'opaque', 'stale', 'algorithm', 'qop']);
const CREDENTIALS_KNOWN = new Set([
  'username',
  'realm',
  'nonce',
  'uri',
  'response',
  'algorithm',
  'cnonce',
  'opaque',
  'qop',
  'nc',
]);

const NC_RE = /^[0-9a-fA-F]{8}$/;

function splitParams(
  raw: readonly RawParam[],
  known: ReadonlySet<string>,
): { known: Map<string, RawParam>; extra: Map<string, AuthParam> } {
  const k = new Map<string, RawParam>();
  const extra = new Map<string, AuthParam>();
  for (const p of raw) {
    if (known.has(p.lower)) k.set(p.lower, p);
    else extra.set(p.lower, { name: p.name, value: p.value, quoted: p.quoted });
  }
  return { known: k, extra };
}

/** A value that must be a single token, whether or not the peer quoted it. */
function tokenValue(p: RawParam | undefined): string | null | undefined {
  if (p === undefined) return undefined;
  const v = p.quoted ? p.value.trim() : p.value;
  return isToken(v) ? v : null;
}

/** Parse a `WWW-Authenticate` / `Proxy-Authenticate` header value. */
export function parseChallenge(value: string): DigestParseResult<DigestChallenge> {
  const r = parseDigestParams(value);
  if (!r.ok) return r;
  const { known, extra } = splitParams(r.value, CHALLENGE_KNOWN);

  const realm = known.get('realm');
  const nonce = known.get('nonce');
  if (realm === undefined) return fail('missing-param', 'realm is required', 'realm');
  if (nonce === undefined) return fail('missing-param', 'nonce is required', 'nonce');

  const algorithm = tokenValue(known.get('algorithm'));
  if (algorithm === null) return fail('invalid-param', 'algorithm must be a token', 'algorithm');

  let qop: string[] | undefined;
  const qopRaw = known.get('qop');
  if (qopRaw !== undefined) {
    qop = [];
    for (const part of qopRaw.value.split(',')) {
      const t = part.trim();
      if (t === '') continue;
      if (!isToken(t)) return fail('invalid-param', 'qop options must be tokens', 'qop');
      qop.push(t.toLowerCase());
    }
    if (qop.length === 0) return fail('invalid-param', 'empty qop options', 'qop');
  }

  const staleRaw = known.get('stale');
  const domain = known.get('domain');
  const opaque = known.get('opaque');
  const out: DigestChallenge = {
    realm: realm.value,
    nonce: nonce.value,
    ...(domain !== undefined ? { domain: domain.value } : {}),
    ...(opaque !== undefined ? { opaque: opaque.value } : {}),
    ...(staleRaw !== undefined ? { stale: staleRaw.value.trim().toLowerCase() === 'true' } : {}),
    ...(algorithm !== undefined ? { algorithm } : {}),
    ...(qop !== undefined ? { qop } : {}),
    params: extra,
  };
  return { ok: true, value: out };
}

/** Parse an `Authorization` / `Proxy-Authorization` header value. */
export function parseCredentials(value: string): DigestParseResult<DigestCredentials> {
  const r = parseDigestParams(value);
  if (!r.ok) return r;
  const { known, extra } = splitParams(r.value, CREDENTIALS_KNOWN);

  for (const name of ['username', 'realm', 'nonce', 'uri', 'response'] as const) {
    if (!known.has(name)) return fail('missing-param', `${name} is required`, name);
  }
  const get = (n: string): string => known.get(n)?.value ?? '';

  const algorithm = tokenValue(known.get('algorithm'));
  if (algorithm === null) return fail('invalid-param', 'algorithm must be a token', 'algorithm');
  const qopTok = tokenValue(known.get('qop'));
  if (qopTok === null) return fail('invalid-param', 'qop must be a token', 'qop');
  const qop = qopTok?.toLowerCase();

  const ncRaw = known.get('nc');
  let nc: string | undefined;
  if (ncRaw !== undefined) {
    const v = ncRaw.value.trim();
    if (!NC_RE.test(v)) return fail('invalid-param', 'nc must be 8 hex digits', 'nc');
    nc = v;
  }
  const cnonce = known.get('cnonce')?.value;
  // RFC 2617 §3.2.2: with qop, cnonce and nc MUST be present.
  if (qop !== undefined) {
    if (cnonce === undefined) return fail('missing-param', 'cnonce is required with qop', 'cnonce');
    if (nc === undefined) return fail('missing-param', 'nc is required with qop', 'nc');
  }
  const opaque = known.get('opaque')?.value;

  const out: DigestCredentials = {
    username: get('username'),
    realm: get('realm'),
    nonce: get('nonce'),
    uri: get('uri'),
    response: get('response'),
    ...(algorithm !== undefined ? { algorithm } : {}),
    ...(cnonce !== undefined ? { cnonce } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
    ...(qop !== undefined ? { qop } : {}),
    ...(nc !== undefined ? { nc } : {}),
    params: extra,
  };
  return { ok: true, value: out };
}

// ---------------------------------------------------------------------------
// Serialization

function quote(name: string, value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? '';
    const c = value.charCodeAt(i);
    if (isForbiddenControl(c)) {
      throw new DigestHeaderError('invalid-value', name, `control character in ${name}`);
    }
    out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `${out}"`;
}

function bare(name: string, value: string): string {
  if (!isToken(value)) throw new DigestHeaderError('invalid-value', name, `${name} must be a token`);
  return value;
}

class ParamWriter {
  private readonly parts: string[] = [];
  private readonly names = new Set<string>();

  add(name: string, rendered: string): void {
    const lower = name.toLowerCase();
    if (this.names.has(lower)) throw new DigestHeaderError('duplicate-param', name, `duplicate ${name}`);
    this.names.add(lower);
    this.parts.push(`${name}=${rendered}`);
  }

  quoted(name: string, value: string | undefined): void {
    if (value !== undefined) this.add(name, quote(name, value));
  }

  token(name: string, value: string | undefined): void {
    if (value !== undefined) this.add(name, bare(name, value));
  }

  extras(params: AuthParamMap): void {
    for (const p of params.values()) {
      if (!isToken(p.name)) throw new DigestHeaderError('invalid-name', p.name, 'param name must be a token');
      const asToken = !p.quoted && isToken(p.value);
      this.add(p.name, asToken ? p.value : quote(p.name, p.value));
    }
  }

  toString(): string {
    return `Digest ${this.parts.join(', ')}`;
  }
}

/** Serialize a challenge for `WWW-Authenticate` / `Proxy-Authenticate`. */
export function serializeChallenge(c: DigestChallenge): string {
  const w = new ParamWriter();
  w.quoted('realm', c.realm);
  w.quoted('domain', c.domain);
  w.quoted('nonce', c.nonce);
  w.quoted('opaque', c.opaque);
  if (c.stale !== undefined) w.add('stale', c.stale ? 'true' : 'false');
  w.token('algorithm', c.algorithm);
  if (c.qop !== undefined) {
    if (c.qop.length === 0) throw new DigestHeaderError('invalid-value', 'qop', 'qop options must not be empty');
    for (const q of c.qop) bare('qop', q);
    w.quoted('qop', c.qop.join(','));
  }
  w.extras(c.params);
  return w.toString();
}

/** Serialize credentials for `Authorization` / `Proxy-Authorization`. */
export function serializeCredentials(c: DigestCredentials): string {
  const w = new ParamWriter();
  w.quoted('username', c.username);
  w.quoted('realm', c.realm);
  w.quoted('nonce', c.nonce);
  w.quoted('uri', c.uri);
  w.quoted('response', c.response);
  w.token('algorithm', c.algorithm);
  w.quoted('cnonce', c.cnonce);
  w.quoted('opaque', c.opaque);
  w.token('qop', c.qop);
  if (c.nc !== undefined) {
    if (!NC_RE.test(c.nc)) throw new DigestHeaderError('invalid-value', 'nc', 'nc must be 8 hex digits');
    w.add('nc', c.nc);
  }
  w.extras(c.params);
  return w.toString();
}

/** Shared by every header we build, so it must stay empty even if someone casts it to Map. */
class EmptyParams extends Map<string, AuthParam> {
  override set(key: string): this {
    throw new TypeError(`NO_PARAMS is immutable (tried to set ${key})`);
  }
}

/** An empty, immutable extension-param map. */
export const NO_PARAMS: AuthParamMap = new EmptyParams();
