/**
 * The header block of a received message as the parser found it: one string and
 * offsets into it. HeaderField objects and value strings are made only when asked
 * for, so a message that is routed on a few headers never materialises the rest,
 * and unchanged header lines are copied back out in one piece when serialising.
 */

export interface HeaderField {
  /** lower-case full header name (compact forms expanded) */
  key: string;
  /** the name as it will be written */
  name: string;
  value: string;
}

/**
 * Slots per header in RawHeaders.data: key, name, name start, name end, value
 * start, value end, flags. One flat array rather than one per field: a parse
 * allocates it once, exactly sized.
 */
export const RAW_STRIDE = 7;
export const RAW_KEY = 0;
export const RAW_NAME = 1;
export const RAW_NAME_START = 2;
export const RAW_NAME_END = 3;
export const RAW_VALUE_START = 4;
export const RAW_VALUE_END = 5;
export const RAW_FLAGS = 6;

/** flags: the value continues on folded lines. */
export const RAW_FOLDED = 1;
/**
 * flags: the line is exactly `name: value` + CRLF, so text.slice(nameStart, valueEnd)
 * + CRLF is its serialised form, and a run of such lines can be copied in one slice
 * (if the run is ASCII: bytes >= 0x80 are UTF-8 to decode).
 */
export const RAW_CLEAN = 4;

/** Any char >= 0x80 in latin1 text: UTF-8 bytes to decode. */
const HIGH = /[\x80-\xff]/;

export function hasHighBytes(s: string): boolean {
  return HIGH.test(s);
}

/**
 * V8 makes a slice of 13 chars or more a view of its parent string. A header value
 * (and every tag, Call-ID or URI part cut from it) would then keep the whole message
 * text alive for as long as a dialog, a call map or a media session holds it. Values
 * that long are copied out of the received bytes instead.
 */
const MIN_VIEW = 13;

/** Buffer's own latin1 decoder (one native call, returns a flat string). */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

const HAS_LATIN1_SLICE = typeof (Buffer.prototype as unknown as Partial<Latin1Slicer>).latin1Slice === 'function';

export class RawHeaders {
  private values: (string | undefined)[] | undefined;

  constructor(
    /** Header block text, one char per received byte (latin1). */
    readonly text: string,
    /** RAW_STRIDE slots per header; see RAW_KEY and friends. */
    readonly data: (string | number)[],
    /** The text is known to be ASCII: no value needs UTF-8 decoding. */
    readonly ascii = false,
    /** The received bytes `text` was made of (from `offset`): long values are copied from there. */
    private readonly src?: Buffer,
    private readonly offset = 0,
  ) {}

  get count(): number {
    return this.data.length / RAW_STRIDE;
  }

  key(i: number): string {
    return this.data[i * RAW_STRIDE] as string;
  }

  indexOf(key: string, from = 0): number {
    const data = this.data;
    for (let j = from * RAW_STRIDE; j < data.length; j += RAW_STRIDE) if (data[j] === key) return j / RAW_STRIDE;
    return -1;
  }

  private num(i: number, slot: number): number {
    return this.data[i * RAW_STRIDE + slot] as number;
  }

  value(i: number): string {
    const values = (this.values ??= new Array<string | undefined>(this.count));
    const have = values[i];
    if (have !== undefined) return have;
    const src = this.src;
    const vs = this.num(i, RAW_VALUE_START);
    const ve = this.num(i, RAW_VALUE_END);
    let v: string;
    if (src !== undefined && ve - vs >= MIN_VIEW && (this.num(i, RAW_FLAGS) & RAW_FOLDED) === 0) {
      const at = this.offset + vs;
      v = HAS_LATIN1_SLICE ? (src as unknown as Latin1Slicer).latin1Slice(at, at + ve - vs) : src.toString('latin1', at, at + ve - vs);
      if (!this.ascii && hasHighBytes(v)) v = src.toString('utf8', at, at + ve - vs);
    } else {
      v = this.asciiValue(i);
      if (!this.ascii && hasHighBytes(v)) v = Buffer.from(v, 'latin1').toString('utf8');
    }
    values[i] = v;
    return v;
  }

  /** The value as latin1 text, without UTF-8 decoding (for values that must be ASCII, like Content-Length). */
  asciiValue(i: number): string {
    const vs = this.num(i, RAW_VALUE_START);
    const ve = this.num(i, RAW_VALUE_END);
    return (this.num(i, RAW_FLAGS) & RAW_FOLDED) === 0 ? this.text.slice(vs, ve) : unfold(this.text, vs, ve);
  }

  name(i: number): string {
    return this.data[i * RAW_STRIDE + RAW_NAME] as string;
  }

  isClean(i: number): boolean {
    return (this.num(i, RAW_FLAGS) & RAW_CLEAN) !== 0;
  }

  /** Header i starts right after the CRLF of header i-1 (no skipped line between them). */
  followsDirectly(i: number): boolean {
    return i > 0 && this.num(i, RAW_NAME_START) === this.num(i - 1, RAW_VALUE_END) + 2;
  }

  /** text of headers i..j (inclusive, all clean and adjacent) without the final CRLF. */
  cleanRun(i: number, j: number): string {
    return this.text.slice(this.num(i, RAW_NAME_START), this.num(j, RAW_VALUE_END));
  }

  toFields(): HeaderField[] {
    const n = this.count;
    const out: HeaderField[] = new Array<HeaderField>(n);
    for (let i = 0; i < n; i++) out[i] = { key: this.key(i), name: this.name(i), value: this.value(i) };
    return out;
  }
}

/** A folded value: each line trimmed of SP/HTAB/CR, non-empty lines joined with one space (RFC 3261 §7.3.1). */
function unfold(text: string, from: number, to: number): string {
  let out = '';
  let i = from;
  while (i < to) {
    let j = text.indexOf('\n', i);
    if (j === -1 || j > to) j = to;
    let s = i;
    let e = j;
    while (s < e && isSpace(text.charCodeAt(s))) s++;
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
    if (e > s) out = out === '' ? text.slice(s, e) : `${out} ${text.slice(s, e)}`;
    i = j + 1;
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}
