// Minimal bencode codec for the rtpengine ng protocol.
//
// Why our own: the ng hot path (offer/answer/delete per call) must stay far below 1 ms of CPU.
// The npm `bencode` package used by rtpengine-client is generic (typed arrays, sorted keys,
// TextDecoder per string); this codec does only what ng needs: dicts, lists, byte strings and
// integers. Byte strings decode to JS strings (UTF-8), since every ng value we read is text
// (SDP, tags, reasons). Encoding accepts Buffers for binary payloads (e.g. `play media` blob).
//
// Keys are written in insertion order, not sorted: rtpengine's parser does not require sorted
// dictionaries (verified by the media tests against the real daemon).

export type BencodeValue =
  | string
  | number
  | boolean
  | Buffer
  | readonly BencodeValue[]
  | { readonly [key: string]: BencodeValue | undefined };

/** What the decoder produces: strings (never Buffers), integers, lists and dicts. */
export type BDecoded = string | number | BDecoded[] | BDict;
export interface BDict {
  [key: string]: BDecoded;
}

export class BencodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BencodeError';
  }
}

// Encoder and decoder are module-level functions over module-level state (both run
// synchronously, never re-entered): no closure allocation per call on the hot path.
let parts: (string | Buffer)[] = [];
let hasBuffer = false;

function encodeValue(v: BencodeValue): void {
  if (typeof v === 'string') {
    parts.push(`${Buffer.byteLength(v)}:`, v);
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new BencodeError(`bencode: not an integer: ${v}`);
    parts.push(`i${v}e`);
  } else if (typeof v === 'boolean') {
    parts.push(v ? 'i1e' : 'i0e');
  } else if (Buffer.isBuffer(v)) {
    hasBuffer = true;
    parts.push(`${v.length}:`, v);
  } else if (Array.isArray(v)) {
    parts.push('l');
    for (const item of v as readonly BencodeValue[]) encodeValue(item);
    parts.push('e');
  } else if (v !== null && typeof v === 'object') {
    parts.push('d');
    const obj = v as { readonly [key: string]: BencodeValue | undefined };
    for (const key in obj) {
      const item = obj[key];
      if (item === undefined) continue;
      parts.push(`${Buffer.byteLength(key)}:`, key);
      encodeValue(item);
    }
    parts.push('e');
  } else {
    throw new BencodeError(`bencode: unsupported value ${String(v)}`);
  }
}

/**
 * Encode to bytes. `undefined` dict values are skipped, booleans become 1/0. `prefix` is
 * written verbatim first (the ng cookie and its space), saving a Buffer.concat per request.
 */
export function bencode(value: BencodeValue, prefix = ''): Buffer {
  parts = prefix === '' ? [] : [prefix];
  hasBuffer = false;
  try {
    encodeValue(value);
    if (!hasBuffer) return Buffer.from((parts as string[]).join(''), 'utf8');
    return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  } finally {
    parts = [];
  }
}

const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_D = 0x64;
const CH_E = 0x65;
const CH_I = 0x69;
const CH_L = 0x6c;

let dBuf: Buffer = Buffer.alloc(0);
let dPos = 0;
let dEnd = 0;

function readInt(terminator: number): number {
  let neg = false;
  if (dBuf[dPos] === CH_MINUS) {
    neg = true;
    dPos++;
  }
  const first = dPos;
  let n = 0;
  while (dPos < dEnd) {
    const c = dBuf[dPos]!;
    if (c === terminator) break;
    if (c < CH_0 || c > CH_9) throw new BencodeError(`bdecode: bad digit at ${dPos}`);
    n = n * 10 + (c - CH_0);
    dPos++;
  }
  if (dPos >= dEnd || dPos === first) throw new BencodeError(`bdecode: bad integer at ${first}`);
  dPos++; // terminator
  return neg ? -n : n;
}

function readString(): string {
  const len = readInt(CH_COLON);
  if (len < 0 || dPos + len > dEnd) throw new BencodeError(`bdecode: string overruns at ${dPos}`);
  const s = dBuf.toString('utf8', dPos, dPos + len);
  dPos += len;
  return s;
}

function readValue(depth: number): BDecoded {
  if (depth > 64) throw new BencodeError('bdecode: nesting too deep');
  if (dPos >= dEnd) throw new BencodeError('bdecode: unexpected end');
  const c = dBuf[dPos]!;
  if (c === CH_I) {
    dPos++;
    return readInt(CH_E);
  }
  if (c === CH_L) {
    dPos++;
    const list: BDecoded[] = [];
    while (dPos < dEnd && dBuf[dPos] !== CH_E) list.push(readValue(depth + 1));
    if (dPos >= dEnd) throw new BencodeError('bdecode: unterminated list');
    dPos++;
    return list;
  }
  if (c === CH_D) {
    dPos++;
    // Null prototype: keys come from the network and must not reach Object.prototype.
    const dict = Object.create(null) as BDict;
    while (dPos < dEnd && dBuf[dPos] !== CH_E) {
      const c2 = dBuf[dPos]!;
      if (c2 < CH_0 || c2 > CH_9) throw new BencodeError(`bdecode: dict key not a string at ${dPos}`);
      const key = readString();
      dict[key] = readValue(depth + 1);
    }
    if (dPos >= dEnd) throw new BencodeError('bdecode: unterminated dict');
    dPos++;
    return dict;
  }
  if (c >= CH_0 && c <= CH_9) return readString();
  throw new BencodeError(`bdecode: unexpected byte 0x${c.toString(16)} at ${dPos}`);
}

/** Decode `buf[start..end)`; throws BencodeError on malformed or trailing input. */
export function bdecode(buf: Buffer, start = 0, end = buf.length): BDecoded {
  dBuf = buf;
  dPos = start;
  dEnd = end;
  try {
    const value = readValue(0);
    if (dPos !== dEnd) throw new BencodeError(`bdecode: trailing bytes at ${dPos}`);
    return value;
  } finally {
    dBuf = EMPTY; // do not pin the datagram
  }
}

const EMPTY = Buffer.alloc(0);

export function isBDict(v: BDecoded | undefined): v is BDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
