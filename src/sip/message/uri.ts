/**
 * SIP, SIPS (RFC 3261 §19.1) and TEL (RFC 3966) URIs. Other absolute URIs are
 * kept as opaque text so they can still be carried in headers.
 */
import { type Params, SipSyntaxError, parseParams, serializeParams } from './grammar.js';

export class SipUri {
  constructor(
    public scheme: 'sip' | 'sips',
    public user: string | undefined,
    public host: string,
    public port: number | undefined = undefined,
    public params: Params = new Map(),
    public headers: Map<string, string> = new Map(),
    public password: string | undefined = undefined,
  ) {}

  get transport(): string | undefined {
    const t = this.params.get('transport');
    return t === null || t === undefined ? undefined : t.toLowerCase();
  }

  /** Host as written in a Via/connection: IPv6 references keep their brackets. */
  get hostport(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  clone(): SipUri {
    return new SipUri(this.scheme, this.user, this.host, this.port, new Map(this.params), new Map(this.headers), this.password);
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
    s += serializeParams(this.params);
    if (this.headers.size > 0) {
      let first = true;
      for (const [k, v] of this.headers) {
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

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+\-.]*$/;
const PORT_RE = /^[0-9]{1,5}$/;
const HOSTNAME_RE = /^[A-Za-z0-9\-.]+$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const TEL_NUMBER_RE = /^(?:\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*)$/;

export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SipSyntaxError(`URI without scheme: "${clip(text)}"`);
  const scheme = text.slice(0, colon).toLowerCase();
  if (!SCHEME_RE.test(scheme)) throw new SipSyntaxError(`invalid URI scheme "${clip(scheme)}"`);
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  if (rest === '' || /[\s<>"]/.test(rest)) throw new SipSyntaxError(`invalid URI "${clip(text)}"`);
  return new AbsoluteUri(scheme, rest);
}

export function parseSipUriStrict(text: string): SipUri {
  const uri = parseUri(text);
  if (!(uri instanceof SipUri)) throw new SipSyntaxError(`not a SIP URI: "${clip(text)}"`);
  return uri;
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = pc === -1 ? userinfo : userinfo.slice(0, pc);
    password = pc === -1 ? undefined : userinfo.slice(pc + 1);
    if (user === '' || !USER_RE.test(user)) throw new SipSyntaxError(`invalid user part in SIP URI "${clip(rest)}"`);
  }
  // headers
  let headersText = '';
  const q = hostPart.indexOf('?');
  if (q !== -1) {
    headersText = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  let paramsText = '';
  const semi = hostPart.indexOf(';');
  if (semi !== -1) {
    paramsText = hostPart.slice(semi);
    hostPart = hostPart.slice(0, semi);
  }
  let host: string;
  let port: number | undefined;
  if (hostPart.startsWith('[')) {
    const close = hostPart.indexOf(']');
    if (close === -1) throw new SipSyntaxError('unterminated IPv6 reference');
    host = hostPart.slice(0, close + 1);
    const after = hostPart.slice(close + 1);
    if (after !== '') {
      if (after[0] !== ':') throw new SipSyntaxError(`junk after IPv6 reference: "${clip(after)}"`);
      port = parsePort(after.slice(1));
    }
    if (!IPV6_RE.test(host)) throw new SipSyntaxError(`invalid IPv6 reference "${clip(host)}"`);
  } else {
    const pc = hostPart.indexOf(':');
    if (pc === -1) host = hostPart;
    else {
      host = hostPart.slice(0, pc);
      port = parsePort(hostPart.slice(pc + 1));
    }
    if (host === '' || !HOSTNAME_RE.test(host)) throw new SipSyntaxError(`invalid host in SIP URI: "${clip(hostPart)}"`);
  }
  const params = parseParams(paramsText);
  const headers = new Map<string, string>();
  if (headersText !== '') {
    for (const pair of headersText.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SipSyntaxError(`invalid URI header "${clip(pair)}"`);
      headers.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return new SipUri(scheme, user, host, port, params, headers, password);
}

function parsePort(text: string): number {
  if (!PORT_RE.test(text)) throw new SipSyntaxError(`invalid port "${clip(text)}"`);
  const port = Number(text);
  if (port > 65535) throw new SipSyntaxError(`port out of range: ${port}`);
  return port;
}

function parseTelUri(rest: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi === -1 ? rest : rest.slice(0, semi);
  if (!TEL_NUMBER_RE.test(number)) throw new SipSyntaxError(`invalid tel URI number "${clip(number)}"`);
  return new TelUri(number, parseParams(semi === -1 ? '' : rest.slice(semi)));
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
