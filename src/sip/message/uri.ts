/**
 * SIP, SIPS (RFC 3261 §19.1) and TEL (RFC 3966) URIs. Other absolute URIs are
 * kept as opaque text so they can still be carried in headers. Parsed with
 * charCode scans: a URI never contains whitespace, and regular expressions with
 * nested repetition would let a long hostile value take quadratic time.
 */
import { type Params, SipSyntaxError, charTable, parseParams, serializeParams } from './grammar.js';

export class SipUri {
  /**
   * params and headers are made on first use: most URIs have neither, and dialogs
   * keep several URIs for a call's whole life (an empty Map is about 200 bytes).
   */
  private paramMap: Params | undefined;
  private headerMap: Map<string, string> | undefined;

  constructor(
    public scheme: 'sip' | 'sips',
    public user: string | undefined,
    public host: string,
    public port: number | undefined = undefined,
    params?: Params,
    headers?: Map<string, string>,
    public password: string | undefined = undefined,
  ) {
    this.paramMap = params;
    this.headerMap = headers;
  }

  get params(): Params {
    return (this.paramMap ??= new Map());
  }
  set params(value: Params) {
    this.paramMap = value;
  }

  get headers(): Map<string, string> {
    return (this.headerMap ??= new Map());
  }
  set headers(value: Map<string, string>) {
    this.headerMap = value;
  }

  get transport(): string | undefined {
    const t = this.paramMap?.get('transport');
    return t === null || t === undefined ? undefined : t.toLowerCase();
  }

  /** Host as written in a Via/connection: IPv6 references keep their brackets. */
  get hostport(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  clone(): SipUri {
    const p = this.paramMap;
    const h = this.headerMap;
    return new SipUri(
      this.scheme,
      this.user,
      this.host,
      this.port,
      p === undefined || p.size === 0 ? undefined : new Map(p),
      h === undefined || h.size === 0 ? undefined : new Map(h),
      this.password,
    );
  }

  toString(): string {
    let s = `${this.scheme}:`;
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += `:${this.password}`;
      s += '@';
    }
    s += this.host;
    if (this.port !== undefined) s += `:${this.port}`;
    const p = this.paramMap;
    if (p !== undefined && p.size > 0) s += serializeParams(p);
    const h = this.headerMap;
    if (h !== undefined && h.size > 0) {
      let first = true;
      for (const [k, v] of h) {
        s += `${first ? '?' : '&'}${k}=${v}`;
        first = false;
      }
    }
    return s;
  }
}

export class TelUri {
  readonly scheme = 'tel';
  constructor(
    /** global-number (with '+') or local-number digits as written */
    public number: string,
    public params: Params = new Map(),
  ) {}
  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }
  toString(): string {
    return `tel:${this.number}${serializeParams(this.params)}`;
  }
}

export class AbsoluteUri {
  constructor(
    public scheme: string,
    public rest: string,
  ) {}
  toString(): string {
    return `${this.scheme}:${this.rest}`;
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

/** user = 1*( unreserved / escaped / user-unreserved ), RFC 3261 §25.1 (escapes checked separately). */
const USER_CHARS = charTable("-_.!~*'()&=+$,;?/");
/** hostname characters (alphanum / "-" / "."), checked loosely like most stacks do. */
const HOST_CHARS = charTable('-.');
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
const SCHEME_CHARS = charTable('+-.');

export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SipSyntaxError(`URI without scheme: "${clip(text)}"`);
  const c0 = text.charCodeAt(0) | 0x20;
  if (c0 < 97 || c0 > 122) throw new SipSyntaxError(`invalid URI scheme "${clip(text.slice(0, colon))}"`);
  for (let i = 1; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || SCHEME_CHARS[c] !== 1) throw new SipSyntaxError(`invalid URI scheme "${clip(text.slice(0, colon))}"`);
  }
  // The common schemes without allocating a lower-cased copy.
  if (colon === 3 && (text.charCodeAt(0) | 0x20) === 115 && (text.charCodeAt(1) | 0x20) === 105 && (text.charCodeAt(2) | 0x20) === 112) {
    return parseSipUri('sip', text, 4);
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sips') return parseSipUri('sips', text, colon + 1);
  const rest = text.slice(colon + 1);
  if (scheme === 'tel') return parseTelUri(rest);
  if (rest === '') throw new SipSyntaxError(`invalid URI "${clip(text)}"`);
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 /* < */ || c === 62 /* > */ || c === 34 /* " */) throw new SipSyntaxError(`invalid URI "${clip(text)}"`);
  }
  return new AbsoluteUri(scheme, rest);
}

export function parseSipUriStrict(text: string): SipUri {
  const uri = parseUri(text);
  if (!(uri instanceof SipUri)) throw new SipSyntaxError(`not a SIP URI: "${clip(text)}"`);
  return uri;
}

/** Parse text[from..] of a sip:/sips: URI. */
function parseSipUri(scheme: 'sip' | 'sips', text: string, from: number): SipUri {
  const n = text.length;
  // user, host and port are checked char by char below (no whitespace gets through);
  // parameters and headers are checked for whitespace on their own.
  const at = text.indexOf('@', from);
  let user: string | undefined;
  let password: string | undefined;
  let i = from;
  if (at !== -1) {
    let pc = -1;
    for (let k = from; k < at; k++) {
      const c = text.charCodeAt(k);
      if (c === 58 /* : */) {
        pc = k;
        break;
      }
      if (c === 37 /* % */) {
        if (!isHex(text.charCodeAt(k + 1)) || !isHex(text.charCodeAt(k + 2)) || k + 2 >= at) throw new SipSyntaxError(`invalid escape in SIP URI user part "${clip(text)}"`);
        k += 2;
      } else if (c >= 128 || USER_CHARS[c] !== 1) throw new SipSyntaxError(`invalid user part in SIP URI "${clip(text)}"`);
    }
    const userEnd = pc === -1 ? at : pc;
    if (userEnd === from) throw new SipSyntaxError(`empty user part in SIP URI "${clip(text)}"`);
    user = text.slice(from, userEnd);
    if (pc !== -1) {
      password = text.slice(pc + 1, at);
      if (hasSpaceOrControl(password)) throw new SipSyntaxError(`whitespace or control character in URI "${clip(text)}"`);
    }
    i = at + 1;
  }
  // host
  let host: string;
  let port: number | undefined;
  if (i < n && text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close === -1) throw new SipSyntaxError('unterminated IPv6 reference');
    const inner = text.slice(i + 1, close);
    if (!isIPv6Reference(inner)) throw new SipSyntaxError(`invalid IPv6 reference "${clip(inner)}"`);
    host = text.slice(i, close + 1);
    i = close + 1;
    if (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 58 && c !== 59 && c !== 63) throw new SipSyntaxError(`junk after IPv6 reference: "${clip(text.slice(i))}"`);
    }
  } else {
    const hs = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 58 || c === 59 || c === 63) break;
      if (c >= 128 || HOST_CHARS[c] !== 1) throw new SipSyntaxError(`invalid host in SIP URI: "${clip(text.slice(hs))}"`);
      i++;
    }
    if (i === hs) throw new SipSyntaxError(`invalid host in SIP URI: "${clip(text)}"`);
    host = text.slice(hs, i);
  }
  if (i < n && text.charCodeAt(i) === 58) {
    const ps = ++i;
    let p = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      p = p * 10 + (c - 48);
      i++;
    }
    const c = i < n ? text.charCodeAt(i) : 59;
    if (i === ps || i - ps > 5 || (c !== 59 && c !== 63)) throw new SipSyntaxError(`invalid port "${clip(text.slice(ps))}"`);
    if (p > 65535) throw new SipSyntaxError(`port out of range: ${p}`);
    port = p;
  }
  if (i < n && hasSpaceOrControl(i === from ? text : text.slice(i))) throw new SipSyntaxError(`whitespace or control character in URI "${clip(text)}"`);
  let params: Params | undefined;
  const q = text.indexOf('?', i);
  if (i < n && text.charCodeAt(i) === 59) params = parseParams(q === -1 ? text.slice(i) : text.slice(i, q));
  let headers: Map<string, string> | undefined;
  if (q !== -1) {
    headers = new Map<string, string>();
    const headersText = text.slice(q + 1);
    for (const pair of headersText.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SipSyntaxError(`invalid URI header "${clip(pair)}"`);
      headers.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return new SipUri(scheme, user, host, port, params, headers, password);
}

const SPACE_OR_CONTROL = /[\x00-\x20\x7f]/;
function hasSpaceOrControl(s: string): boolean {
  return SPACE_OR_CONTROL.test(s);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/** IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet (RFC 3986, no leading zeros). */
export function isIPv4Address(s: string): boolean {
  const n = s.length;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    const start = i;
    let v = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
      if (i - start > 3) return false;
    }
    const len = i - start;
    if (len === 0 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
    if (part < 3) {
      if (i >= n || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  return i === n;
}

/** IPv6address of RFC 4291 §2.2 / RFC 3986 §3.2.2 (no brackets, no zone). */
export function isIPv6Address(s: string): boolean {
  const n = s.length;
  if (n < 2) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    compressed = true;
    i = 2;
    if (i === n) return true;
  }
  for (;;) {
    const start = i;
    while (i < n && i - start < 5 && isHex(s.charCodeAt(i))) i++;
    if (i < n && s.charCodeAt(i) === 46) {
      // embedded IPv4 in the last 32 bits
      if (!isIPv4Address(s.slice(start))) return false;
      groups += 2;
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === n) break;
    } else if (i === n) return false;
    if (groups > 8) return false;
  }
  return compressed ? groups <= 7 : groups === 8;
}

/**
 * The inside of an IPv6reference. Besides valid addresses this tolerates the form
 * RFC 3261's ABNF wrongly allowed, three colons before an embedded IPv4 address
 * (RFC 5118 §4.10: "an implementation must tolerate both").
 */
function isIPv6Reference(inner: string): boolean {
  if (isIPv6Address(inner)) return true;
  const k = inner.indexOf(':::');
  if (k === -1) return false;
  const tail = inner.slice(k + 3);
  return isIPv4Address(tail) && isIPv6Address(`${inner.slice(0, k)}::${tail}`);
}

/** Host of a Via sent-by or similar: hostname, IPv4address or IPv6reference. */
export function isHostOrReference(host: string): boolean {
  const n = host.length;
  if (n === 0) return false;
  if (host.charCodeAt(0) === 91) return n > 2 && host.charCodeAt(n - 1) === 93 && isIPv6Reference(host.slice(1, n - 1));
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c >= 128 || HOST_CHARS[c] !== 1) return false;
  }
  return true;
}

function parseTelUri(rest: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi === -1 ? rest : rest.slice(0, semi);
  if (!isTelNumber(number)) throw new SipSyntaxError(`invalid tel URI number "${clip(number)}"`);
  for (let i = number.length; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c === 127) throw new SipSyntaxError(`whitespace or control character in tel URI "${clip(rest)}"`);
  }
  return new TelUri(number, parseParams(semi === -1 ? '' : rest.slice(semi)));
}

/**
 * global-number-digits = "+" *phonedigit DIGIT *phonedigit;
 * local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex (RFC 3966).
 */
function isTelNumber(s: string): boolean {
  const global = s.charCodeAt(0) === 43;
  let digits = 0;
  for (let i = global ? 1 : 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 45 || c === 46 || c === 40 || c === 41) continue; // visual separators - . ( )
    if (c >= 48 && c <= 57) digits++;
    else if (!global && (isHex(c) || c === 42 || c === 35)) digits++;
    else return false;
  }
  return digits > 0;
}

/** Decode %XX escapes (RFC 3261 §19.1.4: compare user parts unescaped). */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Telephone digits of a URI's user part or tel number with visual separators removed. */
export function uriUserDigits(uri: Uri): string | undefined {
  if (uri instanceof TelUri) return uri.number.replace(/[-.()]/g, '');
  if (uri instanceof SipUri && uri.user !== undefined) return unescapeUriPart(uri.user).replace(/[-.()]/g, '');
  return undefined;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
