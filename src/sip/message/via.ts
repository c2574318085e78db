/**
 * Via header (RFC 3261 §20.42, §18.2.1 received, RFC 3581 rport, RFC 5118 §4.5).
 */
import { type Params, SipSyntaxError, TOKEN_CHARS, charTable, parseParams, serializeParams } from './grammar.js';
import { isHostOrReference } from './uri.js';

const HOST_CHARS = charTable('-.');

/** RFC 3261 §8.1.1.7: branch IDs from compliant UAs start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

export class Via {
  constructor(
    /** Upper-case transport token: UDP, TCP, TLS, WS, WSS, SCTP… */
    public transport: string,
    public host: string,
    public port: number | undefined = undefined,
    public params: Params = new Map(),
    public protocol = 'SIP/2.0',
  ) {}

  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }
  /**
   * The received address. Written with or without IPv6 brackets by peers (RFC 5118
   * §4.5 asks to accept both); reported without them, as RFC 3261's grammar has it.
   */
  get received(): string | undefined {
    const r = this.params.get('received');
    if (r === null || r === undefined) return undefined;
    return r.length > 2 && r.charCodeAt(0) === 91 && r.charCodeAt(r.length - 1) === 93 ? r.slice(1, -1) : r;
  }
  /** undefined: no rport; null: rport requested without a value; number: filled in. */
  get rport(): number | null | undefined {
    const v = this.params.get('rport');
    return v === undefined || v === null ? v : Number(v);
  }

  /** host:port as it appears in the Via sent-by (IPv6 keeps brackets). */
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  toString(): string {
    const params = this.params.size === 0 ? '' : serializeParams(this.params);
    return this.port === undefined
      ? `${this.protocol}/${this.transport} ${this.host}${params}`
      : `${this.protocol}/${this.transport} ${this.host}:${this.port}${params}`;
  }
}

/**
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params ), with SWS around the
 * slashes, the colon and the semicolons. Empty parameters (`;;`) are skipped so the
 * sent-by of a sloppy Via stays usable for answering with 400 (RFC 4475 badinv01).
 */
export function parseVia(text: string): Via {
  const n = text.length;
  let i = 0;
  let c = 0;
  while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  // sent-protocol: protocol-name SLASH protocol-version SLASH transport
  const p1 = i;
  i = skipToken(text, i);
  const p1e = i;
  i = expectSlash(text, i, p1 === p1e);
  const p2 = i;
  i = skipToken(text, i);
  const p2e = i;
  i = expectSlash(text, i, p2 === p2e);
  const p3 = i;
  i = skipToken(text, i);
  if (i === p3) throw new SipSyntaxError(`invalid Via sent-protocol: "${clip(text)}"`);
  const transport = upper(text.slice(p3, i));
  const ws = i;
  while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  if (i === ws) throw new SipSyntaxError(`invalid Via sent-protocol: "${clip(text)}"`);
  const protocol = isSip20(text, p1, p1e, p2, p2e) ? 'SIP/2.0' : `${text.slice(p1, p1e).toUpperCase()}/${text.slice(p2, p2e)}`;
  // sent-by: host [ COLON port ]
  const hs = i;
  if (i < n && text.charCodeAt(i) === 91) {
    const close = text.indexOf(']', i);
    if (close === -1) throw new SipSyntaxError('unterminated IPv6 reference in Via');
    i = close + 1;
    const host = text.slice(hs, i);
    if (!isHostOrReference(host)) throw new SipSyntaxError(`invalid Via host "${clip(host)}"`);
  } else {
    // hostname / IPv4address: alphanumerics, "-" and "."
    while (i < n) {
      c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 59 || c === 58) break;
      if (c >= 128 || HOST_CHARS[c] !== 1) throw new SipSyntaxError(`invalid Via host "${clip(text.slice(hs, i + 8))}"`);
      i++;
    }
    if (i === hs) throw new SipSyntaxError(`invalid Via host "${clip(text)}"`);
  }
  const host = text.slice(hs, i);
  let k = i;
  while (k < n && ((c = text.charCodeAt(k)) === 32 || c === 9)) k++;
  let port: number | undefined;
  if (k < n && c === 58) {
    k++;
    while (k < n && ((c = text.charCodeAt(k)) === 32 || c === 9)) k++;
    const ps = k;
    let p = 0;
    while (k < n && (c = text.charCodeAt(k)) >= 48 && c <= 57) {
      p = p * 10 + (c - 48);
      k++;
    }
    if (k === ps || k - ps > 5 || p > 65535) throw new SipSyntaxError(`invalid Via port "${clip(text.slice(ps, ps + 8))}"`);
    port = p;
    i = k;
  }
  const params = i >= n ? new Map<string, string | null>() : parseParams(i === 0 ? text : text.slice(i), false, true);
  const rp = params.get('rport');
  if (rp !== undefined && rp !== null && !isPortText(rp)) throw new SipSyntaxError('invalid rport value');
  return new Via(transport, host, port, params, protocol);
}

function skipToken(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  return i;
}

/** SLASH = SWS "/" SWS; `empty` means the token before it was missing. */
function expectSlash(text: string, i: number, empty: boolean): number {
  const n = text.length;
  let c = 0;
  while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  if (empty || i >= n || c !== 47) throw new SipSyntaxError(`invalid Via sent-protocol: "${clip(text)}"`);
  i++;
  while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  return i;
}

function isSip20(text: string, p1: number, p1e: number, p2: number, p2e: number): boolean {
  return (
    p1e - p1 === 3 &&
    p2e - p2 === 3 &&
    (text.charCodeAt(p1) | 0x20) === 115 &&
    (text.charCodeAt(p1 + 1) | 0x20) === 105 &&
    (text.charCodeAt(p1 + 2) | 0x20) === 112 &&
    text.charCodeAt(p2) === 50 &&
    text.charCodeAt(p2 + 1) === 46 &&
    text.charCodeAt(p2 + 2) === 48
  );
}

/** Transport tokens are nearly always upper case already: avoid the copy then. */
function upper(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return s.toUpperCase();
  }
  return s;
}

function isPortText(s: string): boolean {
  if (s.length === 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
