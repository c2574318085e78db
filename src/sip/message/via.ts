/**
 * Via header (RFC 3261 §20.42, §18.2.1 received, RFC 3581 rport).
 */
import { type Params, SipSyntaxError, parseParams, serializeParams } from './grammar.js';

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
  get received(): string | undefined {
    return this.params.get('received') ?? undefined;
  }
  /** undefined: no rport; null: rport requested without a value; number: filled in. */
  get rport(): number | null | undefined {
    if (!this.params.has('rport')) return undefined;
    const v = this.params.get('rport');
    return v === null || v === undefined ? null : Number(v);
  }

  /** host:port as it appears in the Via sent-by (IPv6 keeps brackets). */
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  toString(): string {
    return `${this.protocol}/${this.transport} ${this.sentBy}${serializeParams(this.params)}`;
  }
}

const VIA_RE = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+/;

export function parseVia(text: string): Via {
  const s = text.trim();
  const m = VIA_RE.exec(s);
  if (m === null) throw new SipSyntaxError(`invalid Via sent-protocol: "${s.slice(0, 40)}"`);
  const protocol = `${m[1]!.toUpperCase()}/${m[2]}`;
  const transport = m[3]!.toUpperCase();
  let rest = s.slice(m[0].length);
  let host: string;
  let port: number | undefined;
  let end: number;
  if (rest.startsWith('[')) {
    end = rest.indexOf(']');
    if (end === -1) throw new SipSyntaxError('unterminated IPv6 reference in Via');
    host = rest.slice(0, end + 1);
    end++;
  } else {
    end = 0;
    while (end < rest.length && !' \t;:'.includes(rest[end]!)) end++;
    host = rest.slice(0, end);
  }
  if (host === '' || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)$/.test(host)) throw new SipSyntaxError(`invalid Via host "${host.slice(0, 40)}"`);
  rest = rest.slice(end);
  let k = 0;
  while (rest[k] === ' ' || rest[k] === '\t') k++;
  if (rest[k] === ':') {
    k++;
    while (rest[k] === ' ' || rest[k] === '\t') k++;
    let e = k;
    while (e < rest.length && rest.charCodeAt(e) >= 48 && rest.charCodeAt(e) <= 57) e++;
    const portText = rest.slice(k, e);
    if (portText === '' || portText.length > 5 || Number(portText) > 65535) throw new SipSyntaxError(`invalid Via port "${rest.slice(k, k + 8)}"`);
    port = Number(portText);
    k = e;
  }
  const params = parseParams(rest.slice(k));
  const rp = params.get('rport');
  if (rp !== undefined && rp !== null && !/^[0-9]{1,5}$/.test(rp)) throw new SipSyntaxError('invalid rport value');
  return new Via(transport, host, port, params, protocol);
}
