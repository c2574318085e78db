/**
 * The SIP message model (RFC 3261 §7). Header values stay raw text until a typed
 * accessor reads them (lazy parsing keeps forwarding cheap); a parsed message keeps
 * its header block as one string plus offsets (RawHeaders) until the header list is
 * edited or read as a whole. Typed values that are objects (Via, From, To, Contact,
 * Route, Record-Route, CSeq) are *live*: mutate them and the change is serialised.
 */
import { SipSyntaxError, TOKEN_CHARS, firstListElement, splitList } from './grammar.js';
import { canonicalHeaderName, isListHeader, normalizeHeaderName } from './header-names.js';
import { NameAddr, parseNameAddr } from './name-addr.js';
import { type HeaderField, RawHeaders, hasHighBytes } from './raw-headers.js';
import { type Uri, parseUri } from './uri.js';
import { Via, parseVia } from './via.js';

export type { HeaderField } from './raw-headers.js';

export class CSeq {
  constructor(
    public seq: number,
    public method: string,
  ) {}
  toString(): string {
    return `${this.seq} ${this.method}`;
  }
}

/**
 * A live value. A string is a list element not parsed yet (topVia parses only the
 * first Via); it serialises as itself and is parsed in place when the list is read.
 */
type Live = Via | NameAddr | CSeq | string;

const EMPTY = Buffer.alloc(0);

/**
 * Parses a dormant message's bytes back (see SipMessage.compact). Registered by the
 * parser module, which sits above this one; until it is, compact() does nothing.
 */
type Reparser = (bytes: Buffer) => SipMessage;
let reparse: Reparser | undefined;

/** @internal Called once by src/sip/parser. */
export function registerReparser(fn: Reparser): void {
  reparse = fn;
}

export abstract class SipMessage {
  private bodyBuf: Buffer = EMPTY;
  /** A parsed body still inside the received bytes: made a Buffer view on first read. */
  private bodySrc: Buffer | undefined;
  private bodyFrom = 0;
  private bodyTo = 0;
  /** First structural problem found while parsing headers (validate() reports it as 400). */
  parseError: string | undefined;
  /** The header list once materialised (always for messages built in code). */
  private fields: HeaderField[] | undefined;
  /** The header block as received, until `fields` is materialised. */
  private raw: RawHeaders | undefined;
  /** Live parsed values per header key, written back on serialisation. */
  private live: Map<string, Live[]> | undefined;
  private cache: Map<string, unknown> | undefined;
  /**
   * The serialised message while dormant (compact()), one char per byte (latin1):
   * a string is sized exactly, where a small Buffer would pin an 8 KB pool slab.
   * Everything above is then empty.
   */
  private dormant: string | undefined;

  abstract isRequest(): this is SipRequest;

  /**
   * Shrink a message that is kept but rarely read (a confirmed call's INVITE, a
   * dialog's ACK): its serialised bytes replace the header list, parsed values and
   * body, and the received datagram they pinned is let go. The message behaves the
   * same: the first read parses the bytes again (toBuffer() just returns them).
   * Live values read before stay valid objects, but editing them no longer changes
   * the message. Messages with a parse problem are left as they are.
   */
  compact(): void {
    if (this.dormant !== undefined || reparse === undefined || this.parseError !== undefined) return;
    let bytes: Buffer;
    try {
      bytes = this.toBuffer();
    } catch {
      return;
    }
    this.dormant = bytes.toString('latin1');
    this.flattenStartLine();
    this.fields = undefined;
    this.raw = undefined;
    this.live = undefined;
    this.cache = undefined;
    this.bodyBuf = EMPTY;
    this.bodySrc = undefined;
  }

  /** True while compacted and not read since. */
  get isDormant(): boolean {
    return this.dormant !== undefined;
  }

  /** Start-line strings built by concatenation are chains of small strings: keep one flat copy. */
  protected flattenStartLine(): void {}

  private wake(): void {
    const bytes = this.dormant!;
    this.dormant = undefined;
    const m = reparse!(Buffer.from(bytes, 'latin1'));
    this.raw = m.raw;
    this.fields = m.fields;
    this.bodyBuf = m.bodyBuf;
    this.bodySrc = m.bodySrc;
    this.bodyFrom = m.bodyFrom;
    this.bodyTo = m.bodyTo;
  }
  abstract startLine(): string;

  /** The body bytes (for parsed messages a view of the received buffer). */
  get body(): Buffer {
    if (this.dormant !== undefined) this.wake();
    const src = this.bodySrc;
    if (src !== undefined) {
      this.bodyBuf = src.subarray(this.bodyFrom, this.bodyTo);
      this.bodySrc = undefined;
    }
    return this.bodyBuf;
  }

  set body(value: Buffer) {
    if (this.dormant !== undefined) this.wake();
    this.bodyBuf = value;
    this.bodySrc = undefined;
  }

  /** @internal Used by the parser: the body is buf[from, to), viewed when first read. */
  adoptBody(buf: Buffer, from: number, to: number): void {
    if (this.dormant !== undefined) this.wake();
    this.bodySrc = buf;
    this.bodyFrom = from;
    this.bodyTo = to;
  }

  private get bodyLength(): number {
    return this.bodySrc !== undefined ? this.bodyTo - this.bodyFrom : this.bodyBuf.length;
  }

  /** The header fields in order. Public and mutable; reading it materialises a parsed header block. */
  get headers(): HeaderField[] {
    if (this.dormant !== undefined) this.wake();
    let f = this.fields;
    if (f === undefined) {
      f = this.raw === undefined ? [] : this.raw.toFields();
      this.fields = f;
      this.raw = undefined;
    }
    return f;
  }

  set headers(value: HeaderField[]) {
    if (this.dormant !== undefined) this.wake();
    this.fields = value;
    this.raw = undefined;
  }

  /**
   * @internal Used by the parser: the header block as received. Replaces any
   * header fields the message has.
   */
  adoptRawHeaders(raw: RawHeaders): void {
    if (this.dormant !== undefined) this.wake();
    this.raw = raw;
    this.fields = undefined;
    this.live = undefined;
    this.cache = undefined;
  }

  // ---------------------------------------------------------------- raw access

  /** First value of a header (list headers: the first element). */
  get(name: string): string | undefined {
    return this.getKey(normalizeHeaderName(name));
  }

  /** All values of a header; list headers are split into elements. */
  getAll(name: string): string[] {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    const live = this.live?.get(key);
    if (live !== undefined) return live.map((v) => v.toString());
    const out: string[] = [];
    const list = isListHeader(key);
    const raw = this.raw;
    if (raw !== undefined) {
      for (let i = raw.indexOf(key); i !== -1; i = raw.indexOf(key, i + 1)) {
        if (list) for (const v of splitList(raw.value(i))) out.push(v);
        else out.push(raw.value(i));
      }
      return out;
    }
    for (const h of this.headers) {
      if (h.key !== key) continue;
      if (list) for (const v of splitList(h.value)) out.push(v);
      else out.push(h.value);
    }
    return out;
  }

  /**
   * Number of header fields carrying this header as received or set (a list header
   * line with several elements counts once; live values are not looked at).
   */
  fieldCount(name: string): number {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    let n = 0;
    const raw = this.raw;
    if (raw !== undefined) {
      for (let i = raw.indexOf(key); i !== -1; i = raw.indexOf(key, i + 1)) n++;
      return n;
    }
    for (const h of this.headers) if (h.key === key) n++;
    return n;
  }

  has(name: string): boolean {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    const live = this.live?.get(key);
    if (live !== undefined) return live.length > 0;
    if (this.raw !== undefined) return this.raw.indexOf(key) !== -1;
    for (const h of this.headers) if (h.key === key) return true;
    return false;
  }

  /** Replace every field of this header with the given value(s), at the first one's position. */
  set(name: string, value: string | readonly string[]): this {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    this.forget(key);
    const headers = this.headers;
    const one = typeof value === 'string' ? value : value.length === 1 ? value[0]! : undefined;
    if (one !== undefined) {
      // Hot (every header of every request and response we build): one field, set in place.
      let at = -1;
      let count = 0;
      for (let i = 0; i < headers.length; i++) {
        if (headers[i]!.key !== key) continue;
        if (at === -1) at = i;
        count++;
      }
      if (count <= 1) {
        const field = { key, name: canonicalHeaderName(key), value: one };
        if (at === -1) headers.push(field);
        else headers[at] = field;
        return this;
      }
    }
    const values = typeof value === 'string' ? [value] : value;
    let at = headers.findIndex((h) => h.key === key);
    const kept = headers.filter((h) => h.key !== key);
    if (at === -1 || at > kept.length) at = kept.length;
    const display = canonicalHeaderName(key);
    kept.splice(at, 0, ...values.map((v) => ({ key, name: display, value: v })));
    this.fields = kept;
    return this;
  }

  append(name: string, value: string): this {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    this.writeBack(key);
    this.forget(key);
    this.headers.push({ key, name: canonicalHeaderName(key), value });
    return this;
  }

  /** Insert before every other field of this header (Via, Record-Route, Route). */
  prepend(name: string, value: string): this {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    this.writeBack(key);
    this.forget(key);
    const headers = this.headers;
    const at = headers.findIndex((h) => h.key === key);
    const field = { key, name: canonicalHeaderName(key), value };
    if (at === -1) headers.push(field);
    else headers.splice(at, 0, field);
    return this;
  }

  remove(name: string): this {
    if (this.dormant !== undefined) this.wake();
    const key = normalizeHeaderName(name);
    this.forget(key);
    if (this.raw !== undefined && this.raw.indexOf(key) === -1) return this;
    this.fields = this.headers.filter((h) => h.key !== key);
    return this;
  }

  // ---------------------------------------------------------- typed accessors

  get callId(): string {
    const v = this.getKey('call-id');
    if (v === undefined) throw new SipSyntaxError('missing Call-ID');
    return v;
  }

  get cseq(): CSeq {
    return this.liveOne('cseq', parseCSeq);
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

  /** The top Via. Parses only the first Via value; the others stay text until read. */
  get topVia(): Via {
    if (this.dormant !== undefined) this.wake();
    let list = this.live?.get('via');
    if (list === undefined) {
      const values = this.listValues('via');
      if (values.length === 0) throw new SipSyntaxError('missing Via');
      const top = parseVia(values[0]!);
      list = values as Live[];
      list[0] = top;
      (this.live ??= new Map()).set('via', list);
      return top;
    }
    const first = list[0];
    if (first === undefined) throw new SipSyntaxError('missing Via');
    if (typeof first !== 'string') return first as Via;
    const top = parseVia(first);
    list[0] = top;
    return top;
  }

  /** Contacts; `'*'` for a wildcard Contact (REGISTER). */
  get contacts(): NameAddr[] | '*' {
    if (this.dormant !== undefined) this.wake();
    if (this.live?.has('contact') !== true) {
      const raw = this.getKey('contact');
      if (raw !== undefined && raw.trim() === '*') return '*';
    }
    return this.liveList('contact', parseNameAddr);
  }

  get routes(): NameAddr[] {
    return this.liveList('route', parseNameAddr);
  }

  get recordRoutes(): NameAddr[] {
    return this.liveList('record-route', parseNameAddr);
  }

  /** Max-Forwards (1*DIGIT, 0-255); undefined when absent. */
  get maxForwards(): number | undefined {
    const v = this.getKey('max-forwards');
    if (v === undefined) return undefined;
    const n = parseSmallNumber(v);
    if (n === undefined || n > 255) throw new SipSyntaxError(`invalid Max-Forwards "${v.trim().slice(0, 16)}"`);
    return n;
  }

  get contentType(): string | undefined {
    return this.getKey('content-type')?.trim();
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
    if (this.dormant !== undefined) return Buffer.from(this.dormant, 'latin1');
    const s = this.raw !== undefined ? this.headRaw(this.raw) : this.headFields(this.headers);
    const body = this.body;
    if (body.length === 0) return Buffer.from(s, 'utf8');
    const headLen = Buffer.byteLength(s, 'utf8');
    const out = Buffer.allocUnsafe(headLen + body.length);
    out.write(s, 0, 'utf8');
    body.copy(out, headLen);
    return out;
  }

  private headFields(headers: HeaderField[]): string {
    let s = this.startLine() + '\r\n';
    const live = this.live;
    const written = live === undefined ? undefined : new Set<string>();
    for (const h of headers) {
      if (h.key === 'content-length') continue;
      const values = live?.get(h.key);
      if (values !== undefined) {
        if (written!.has(h.key)) continue;
        written!.add(h.key);
        for (const v of values) s += `${h.name}: ${v.toString()}\r\n`;
        continue;
      }
      s += `${h.name}: ${h.value}\r\n`;
    }
    return `${s}Content-Length: ${this.bodyLength}\r\n\r\n`;
  }

  /** Serialise from the received header block: unchanged clean lines are copied in runs. */
  private headRaw(raw: RawHeaders): string {
    let s = this.startLine() + '\r\n';
    const live = this.live;
    let written: Set<string> | undefined;
    let run = -1;
    const n = raw.count;
    for (let i = 0; i <= n; i++) {
      const key = i < n ? raw.key(i) : '';
      const values = i === n || key === 'content-length' ? undefined : live?.get(key);
      const clean = i < n && key !== 'content-length' && values === undefined && raw.isClean(i);
      if (run !== -1 && (!clean || !raw.followsDirectly(i))) {
        s += this.cleanLines(raw, run, i - 1);
        run = -1;
      }
      if (i === n) break;
      if (clean) {
        if (run === -1) run = i;
        continue;
      }
      if (key === 'content-length') continue;
      if (values !== undefined) {
        written ??= new Set<string>();
        if (written.has(key)) continue;
        written.add(key);
        const name = raw.name(i);
        for (const v of values) s += `${name}: ${v.toString()}\r\n`;
        continue;
      }
      s += `${raw.name(i)}: ${raw.value(i)}\r\n`;
    }
    return `${s}Content-Length: ${this.bodyLength}\r\n\r\n`;
  }

  /** Clean header lines from..to copied as one slice, or line by line when UTF-8 must be decoded. */
  private cleanLines(raw: RawHeaders, from: number, to: number): string {
    const run = raw.cleanRun(from, to);
    if (raw.ascii || !hasHighBytes(run)) return `${run}\r\n`;
    let s = '';
    for (let i = from; i <= to; i++) s += `${raw.name(i)}: ${raw.value(i)}\r\n`;
    return s;
  }

  // ---------------------------------------------------------------- internals

  /** get() for a normalised key. */
  private getKey(key: string): string | undefined {
    if (this.dormant !== undefined) this.wake();
    const live = this.live?.get(key);
    if (live !== undefined) return live[0]?.toString();
    const v = this.rawFirst(key);
    if (v === undefined) return undefined;
    return isListHeader(key) ? firstListElement(v) : v;
  }

  private liveOne<T extends Live>(key: string, parse: (v: string) => T): T {
    if (this.dormant !== undefined) this.wake();
    const have = this.live?.get(key);
    if (have !== undefined && have.length > 0) return have[0] as T;
    const raw = this.rawFirst(key);
    if (raw === undefined) throw new SipSyntaxError(`missing ${canonicalHeaderName(key)}`);
    const v = parse(raw);
    (this.live ??= new Map()).set(key, [v]);
    return v;
  }

  private liveList<T extends Via | NameAddr>(key: string, parse: (v: string) => T): T[] {
    if (this.dormant !== undefined) this.wake();
    const have = this.live?.get(key);
    if (have !== undefined) {
      for (let i = 0; i < have.length; i++) {
        const v = have[i]!;
        if (typeof v === 'string') have[i] = parse(v);
      }
      return have as T[];
    }
    const values = this.listValues(key);
    // A header we never had cannot be written back, so only cache what exists.
    if (values.length === 0) return [];
    const out: T[] = values.map(parse);
    (this.live ??= new Map()).set(key, out);
    return out;
  }

  /** All elements of a list header as text. */
  private listValues(key: string): string[] {
    const out: string[] = [];
    const raw = this.raw;
    if (raw !== undefined) {
      for (let i = raw.indexOf(key); i !== -1; i = raw.indexOf(key, i + 1)) for (const v of splitList(raw.value(i))) out.push(v);
      return out;
    }
    for (const h of this.headers) if (h.key === key) for (const v of splitList(h.value)) out.push(v);
    return out;
  }

  private rawFirst(key: string): string | undefined {
    const raw = this.raw;
    if (raw !== undefined) {
      const i = raw.indexOf(key);
      return i === -1 ? undefined : raw.value(i);
    }
    for (const h of this.headers) if (h.key === key) return h.value;
    return undefined;
  }

  /** Write live objects of a key back into header fields before editing the field list. */
  private writeBack(key: string): void {
    const live = this.live?.get(key);
    if (live === undefined) return;
    const headers = this.headers;
    const at = headers.findIndex((h) => h.key === key);
    const name = at === -1 ? canonicalHeaderName(key) : headers[at]!.name;
    const kept = headers.filter((h) => h.key !== key);
    const fields = live.map((v) => ({ key, name, value: v.toString() }));
    kept.splice(at === -1 ? kept.length : at, 0, ...fields);
    this.fields = kept;
    this.live!.delete(key);
  }

  private forget(key: string): void {
    this.live?.delete(key);
    this.cache?.delete(key);
  }

  /** Memoise derived values (e.g. a parsed Request-URI) per message. */
  protected memo<T>(key: string, make: () => T): T {
    if (this.dormant !== undefined) this.wake();
    const c = (this.cache ??= new Map());
    if (c.has(key)) return c.get(key) as T;
    const v = make();
    c.set(key, v);
    return v;
  }

  protected dropMemo(key: string): void {
    if (this.dormant !== undefined) this.wake();
    this.cache?.delete(key);
  }
}

/** 1*DIGIT with any number of leading zeros; undefined if not digits or above 2^32-1. */
function parseSmallNumber(text: string): number | undefined {
  let i = 0;
  let end = text.length;
  while (i < end && isWs(text.charCodeAt(i))) i++;
  while (end > i && isWs(text.charCodeAt(end - 1))) end--;
  if (i === end) return undefined;
  while (i < end - 1 && text.charCodeAt(i) === 48) i++;
  if (end - i > 10) return undefined;
  let n = 0;
  for (let k = i; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n > 0xffffffff ? undefined : n;
}

/** CSeq = 1*DIGIT LWS Method; the number must fit 32 bits (RFC 3261 §20.16). */
function parseCSeq(v: string): CSeq {
  const n = v.length;
  let i = 0;
  while (i < n && isWs(v.charCodeAt(i))) i++;
  const ds = i;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  const de = i;
  while (i < n && isWs(v.charCodeAt(i))) i++;
  const ms = i;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  const me = i;
  while (i < n && isWs(v.charCodeAt(i))) i++;
  if (de === ds || ms === de || me === ms || i !== n) throw new SipSyntaxError(`invalid CSeq "${v.slice(0, 40)}"`);
  const seq = parseSmallNumber(v.slice(ds, de));
  if (seq === undefined) throw new SipSyntaxError('CSeq number out of range');
  return new CSeq(seq, v.slice(ms, me));
}

/**
 * A sequential copy of a string, not a concatenation tree nor a view into a larger
 * string: for strings kept long (V8 keeps every part of a concatenation, and the
 * whole parent of a slice of 13 chars or more).
 */
export function flatString(s: string): string {
  if (s.length < 13) return s;
  const copy = Buffer.from(s, 'utf8').toString('utf8');
  return copy === s ? copy : s; // (a lone surrogate would not survive UTF-8: keep the original then)
}

const flat = flatString;

function isWs(c: number): boolean {
  return c === 32 || c === 9;
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

  protected override flattenStartLine(): void {
    this.uriText = flat(this.uriText);
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
