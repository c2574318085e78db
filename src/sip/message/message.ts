/**
 * The SIP message model (RFC 3261 §7). Header values stay raw text until a typed
 * accessor reads them (lazy parsing keeps forwarding cheap). Typed values that
 * are objects (Via, From, To, Contact, Route, Record-Route, CSeq) are *live*:
 * mutate them and the change is serialised.
 */
import { SipSyntaxError, splitList } from './grammar.js';
import { canonicalHeaderName, isListHeader, normalizeHeaderName } from './header-names.js';
import { NameAddr, parseNameAddr } from './name-addr.js';
import { type Uri, parseUri } from './uri.js';
import { Via, parseVia } from './via.js';

export interface HeaderField {
  /** lower-case full header name (compact forms expanded) */
  key: string;
  /** the name as it will be written */
  name: string;
  value: string;
}

export class CSeq {
  constructor(
    public seq: number,
    public method: string,
  ) {}
  toString(): string {
    return `${this.seq} ${this.method}`;
  }
}

type Live = Via | NameAddr | CSeq;

const EMPTY = Buffer.alloc(0);
const CSEQ_RE = /^([0-9]{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/;

export abstract class SipMessage {
  headers: HeaderField[] = [];
  body: Buffer = EMPTY;
  /** First structural problem found while parsing headers (validate() reports it as 400). */
  parseError: string | undefined;
  /** Live parsed values per header key, written back on serialisation. */
  private live: Map<string, Live[]> | undefined;
  private cache: Map<string, unknown> | undefined;

  abstract isRequest(): this is SipRequest;
  abstract startLine(): string;

  // ---------------------------------------------------------------- raw access

  /** First value of a header (list headers: the first element). */
  get(name: string): string | undefined {
    const key = normalizeHeaderName(name);
    if (this.live?.has(key)) return this.live.get(key)![0]?.toString();
    for (const h of this.headers) {
      if (h.key === key) return isListHeader(key) ? splitList(h.value)[0] : h.value;
    }
    return undefined;
  }

  /** All values of a header; list headers are split into elements. */
  getAll(name: string): string[] {
    const key = normalizeHeaderName(name);
    const live = this.live?.get(key);
    if (live !== undefined) return live.map((v) => v.toString());
    const out: string[] = [];
    const list = isListHeader(key);
    for (const h of this.headers) {
      if (h.key !== key) continue;
      if (list) for (const v of splitList(h.value)) out.push(v);
      else out.push(h.value);
    }
    return out;
  }

  has(name: string): boolean {
    const key = normalizeHeaderName(name);
    if (this.live?.has(key)) return this.live.get(key)!.length > 0;
    for (const h of this.headers) if (h.key === key) return true;
    return false;
  }

  /** Replace every field of this header with the given value(s), at the first one's position. */
  set(name: string, value: string | readonly string[]): this {
    const key = normalizeHeaderName(name);
    this.forget(key);
    const values = typeof value === 'string' ? [value] : value;
    let at = this.headers.findIndex((h) => h.key === key);
    this.headers = this.headers.filter((h) => h.key !== key);
    if (at === -1 || at > this.headers.length) at = this.headers.length;
    const display = canonicalHeaderName(key);
    this.headers.splice(at, 0, ...values.map((v) => ({ key, name: display, value: v })));
    return this;
  }

  append(name: string, value: string): this {
    const key = normalizeHeaderName(name);
    this.materialize(key);
    this.forget(key);
    this.headers.push({ key, name: canonicalHeaderName(key), value });
    return this;
  }

  /** Insert before every other field of this header (Via, Record-Route, Route). */
  prepend(name: string, value: string): this {
    const key = normalizeHeaderName(name);
    this.materialize(key);
    this.forget(key);
    const at = this.headers.findIndex((h) => h.key === key);
    const field = { key, name: canonicalHeaderName(key), value };
    if (at === -1) this.headers.push(field);
    else this.headers.splice(at, 0, field);
    return this;
  }

  remove(name: string): this {
    const key = normalizeHeaderName(name);
    this.forget(key);
    this.headers = this.headers.filter((h) => h.key !== key);
    return this;
  }

  // ---------------------------------------------------------- typed accessors

  get callId(): string {
    const v = this.get('call-id');
    if (v === undefined) throw new SipSyntaxError('missing Call-ID');
    return v;
  }

  get cseq(): CSeq {
    return this.liveOne('cseq', (v) => {
      const m = CSEQ_RE.exec(v.trim());
      if (m === null) throw new SipSyntaxError(`invalid CSeq "${v.slice(0, 40)}"`);
      const seq = Number(m[1]);
      if (seq > 0xffffffff) throw new SipSyntaxError('CSeq number out of range');
      return new CSeq(seq, m[2]!);
    });
  }

  get from(): NameAddr {
    return this.liveOne('from', parseNameAddr);
  }

  get to(): NameAddr {
    return this.liveOne('to', parseNameAddr);
  }

  /** All Via values, top first. Live: edit in place (e.g. received/rport). */
  get vias(): Via[] {
    return this.liveList('via', parseVia);
  }

  get topVia(): Via {
    const v = this.vias[0];
    if (v === undefined) throw new SipSyntaxError('missing Via');
    return v;
  }

  /** Contacts; `'*'` for a wildcard Contact (REGISTER). */
  get contacts(): NameAddr[] | '*' {
    const raw = this.get('contact');
    if (raw !== undefined && raw.trim() === '*' && !this.live?.has('contact')) return '*';
    return this.liveList('contact', parseNameAddr);
  }

  get routes(): NameAddr[] {
    return this.liveList('route', parseNameAddr);
  }

  get recordRoutes(): NameAddr[] {
    return this.liveList('record-route', parseNameAddr);
  }

  get maxForwards(): number | undefined {
    const v = this.get('max-forwards');
    if (v === undefined) return undefined;
    const t = v.trim();
    if (!/^[0-9]{1,3}$/.test(t)) throw new SipSyntaxError(`invalid Max-Forwards "${t.slice(0, 16)}"`);
    return Number(t);
  }

  get contentType(): string | undefined {
    return this.get('content-type')?.trim();
  }

  /** Lower-case option tags of a list header such as Supported or Require. */
  optionTags(name: string): string[] {
    return this.getAll(name).map((t) => t.trim().toLowerCase());
  }

  /** Body as text (SDP, sipfrag, DTMF INFO). */
  get bodyText(): string {
    return this.body.toString('utf8');
  }

  setBody(body: string | Buffer, contentType?: string): this {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType !== undefined) this.set('content-type', contentType);
    else if (this.body.length === 0) this.remove('content-type');
    return this;
  }

  // ------------------------------------------------------------- serialising

  toString(): string {
    return this.toBuffer().toString('utf8');
  }

  toBuffer(): Buffer {
    let s = this.startLine() + '\r\n';
    const written = this.live === undefined ? undefined : new Set<string>();
    for (const h of this.headers) {
      if (h.key === 'content-length') continue;
      const live = this.live?.get(h.key);
      if (live !== undefined) {
        if (written!.has(h.key)) continue;
        written!.add(h.key);
        for (const v of live) s += `${h.name}: ${v.toString()}\r\n`;
        continue;
      }
      s += `${h.name}: ${h.value}\r\n`;
    }
    s += `Content-Length: ${this.body.length}\r\n\r\n`;
    const head = Buffer.from(s, 'utf8');
    return this.body.length === 0 ? head : Buffer.concat([head, this.body], head.length + this.body.length);
  }

  // ---------------------------------------------------------------- internals

  private liveOne<T extends Live>(key: string, parse: (v: string) => T): T {
    const have = this.live?.get(key);
    if (have !== undefined && have.length > 0) return have[0] as T;
    const raw = this.rawFirst(key);
    if (raw === undefined) throw new SipSyntaxError(`missing ${canonicalHeaderName(key)}`);
    const v = parse(raw);
    (this.live ??= new Map()).set(key, [v]);
    return v;
  }

  private liveList<T extends Live>(key: string, parse: (v: string) => T): T[] {
    const have = this.live?.get(key);
    if (have !== undefined) return have as T[];
    const out: T[] = [];
    for (const h of this.headers) {
      if (h.key !== key) continue;
      for (const part of splitList(h.value)) out.push(parse(part));
    }
    // A header we never had cannot be written back, so only cache what exists.
    if (out.length > 0) (this.live ??= new Map()).set(key, out);
    return out;
  }

  private rawFirst(key: string): string | undefined {
    for (const h of this.headers) if (h.key === key) return h.value;
    return undefined;
  }

  /** Write live objects of a key back into raw fields before editing the raw list. */
  private materialize(key: string): void {
    const live = this.live?.get(key);
    if (live === undefined) return;
    const at = this.headers.findIndex((h) => h.key === key);
    const name = at === -1 ? canonicalHeaderName(key) : this.headers[at]!.name;
    this.headers = this.headers.filter((h) => h.key !== key);
    const fields = live.map((v) => ({ key, name, value: v.toString() }));
    this.headers.splice(at === -1 ? this.headers.length : at, 0, ...fields);
    this.live!.delete(key);
  }

  private forget(key: string): void {
    this.live?.delete(key);
    this.cache?.delete(key);
  }

  /** Memoise derived values (e.g. a parsed Request-URI) per message. */
  protected memo<T>(key: string, make: () => T): T {
    const c = (this.cache ??= new Map());
    if (c.has(key)) return c.get(key) as T;
    const v = make();
    c.set(key, v);
    return v;
  }

  protected dropMemo(key: string): void {
    this.cache?.delete(key);
  }
}

export class SipRequest extends SipMessage {
  constructor(
    public method: string,
    private uriText: string,
    public version = 'SIP/2.0',
  ) {
    super();
  }

  isRequest(): this is SipRequest {
    return true;
  }

  /** Request-URI as written. */
  get uriString(): string {
    return this.uriText;
  }

  /** Parsed Request-URI (throws SipSyntaxError if malformed). */
  get uri(): Uri {
    return this.memo('@ruri', () => parseUri(this.uriText));
  }

  set uri(value: Uri | string) {
    this.uriText = value.toString();
    this.dropMemo('@ruri');
  }

  startLine(): string {
    return `${this.method} ${this.uriText} ${this.version}`;
  }
}

export class SipResponse extends SipMessage {
  constructor(
    public status: number,
    public reason: string,
    public version = 'SIP/2.0',
  ) {
    super();
  }

  isRequest(): this is SipRequest {
    return false;
  }

  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }
}

export type SipMessageAny = SipRequest | SipResponse;
