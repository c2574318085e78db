/**
 * Parse one SIP message from bytes (RFC 3261 §7, §25). Structural failures that
 * leave nothing to answer (no start line) throw SipParseError; problems inside
 * headers are recorded in `message.parseError` so the transport can still answer
 * 400 when the Via is readable (RFC 3261 §16.3, §21.4.1).
 *
 * The header block is read as one latin1 string and walked line by line with
 * native searches (indexOf for LF and colon); each header is recorded as offsets
 * into that string (RawHeaders), and common header names are recognised in place,
 * so parsing allocates a handful of objects whatever the number of headers. Values
 * with bytes >= 0x80 are decoded as UTF-8 when read; the body is never copied.
 * (Per-byte loops in JS cost several times more than these native searches; see
 * docs/performance.md.)
 */
import { isAscii } from 'node:buffer';
import { TOKEN_CHARS } from '../message/grammar.js';
import { normalizeHeaderName } from '../message/header-names.js';
import { type SipMessageAny, SipRequest, SipResponse, registerReparser } from '../message/message.js';
import { RAW_CLEAN, RAW_FOLDED, RAW_STRIDE, RawHeaders, hasHighBytes } from '../message/raw-headers.js';

export class SipParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipParseError';
  }
}

export interface ParseOptions {
  /** true for UDP/SCTP datagrams: the body runs to the end of the datagram (§18.3). */
  datagram?: boolean;
}

/**
 * The end of the header block: the first empty line after `from` (CRLF or bare LF
 * line ends, mixed as well). `headEnd` is where the last header line's terminator
 * starts, `bodyStart` the first byte after the empty line.
 */
export function findHeaderEnd(buf: Buffer, from = 0): { bodyStart: number; headEnd: number } | undefined {
  const e = blockEnd(buf, from);
  if (e === undefined) return undefined;
  const lf = e.textEnd - 1;
  return { headEnd: lf > from && buf[lf - 1] === 13 ? lf - 1 : lf, bodyStart: e.bodyStart };
}

export function parseMessage(buf: Buffer, options: ParseOptions = {}): SipMessageAny {
  const datagram = options.datagram === true;
  const len = buf.length;
  let start = 0;
  // RFC 3261 §7.5: ignore CRLFs before the start line.
  while (start < len && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= len) throw new SipParseError('empty message');
  const head = scanHead(buf, start, len, datagram);
  if (head === undefined) throw new SipParseError('incomplete header block');
  if (head.message === undefined) throw head.error!;
  const msg = head.message;
  if (head.clConflict) msg.parseError ??= 'conflicting Content-Length headers';
  // Body framing (§18.3, §20.14).
  const bodyStart = head.bodyStart;
  const clRaw = head.contentLength;
  const available = len - bodyStart;
  if (clRaw === undefined) {
    if (datagram) {
      if (available > 0) msg.adoptBody(buf, bodyStart, len);
    } else if (available > 0) msg.parseError ??= 'missing Content-Length on a stream transport';
  } else {
    const cl = contentLengthValue(clRaw);
    if (cl === undefined) {
      msg.parseError ??= `invalid Content-Length "${clRaw.slice(0, 16)}"`;
      if (datagram && available > 0) msg.adoptBody(buf, bodyStart, len);
    } else if (cl > available) {
      msg.parseError ??= `Content-Length ${cl} larger than the ${available} bytes received`;
      if (available > 0) msg.adoptBody(buf, bodyStart, len);
    } else if (cl > 0) {
      msg.adoptBody(buf, bodyStart, bodyStart + cl);
    }
  }
  return msg;
}

// A compacted message (SipMessage.compact) is parsed back from its own bytes when read.
registerReparser((bytes) => parseMessage(bytes, { datagram: true }));

/** Content-Length = 1*DIGIT; more than 10 digits is refused rather than trusted. */
export function contentLengthValue(text: string): number | undefined {
  const n = text.length;
  if (n === 0 || n > 10) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return v;
}

// ------------------------------------------------------------------ head scan

/** @internal What the head scan found; shared with StreamParser. */
export interface ScannedHead {
  /** The message, unless the start line could not be parsed. */
  message: SipMessageAny | undefined;
  error: SipParseError | undefined;
  /** First byte after the empty line that ends the header block. */
  bodyStart: number;
  /** The first Content-Length value, as written. */
  contentLength: string | undefined;
  /** More than one Content-Length, with different values. */
  clConflict: boolean;
}

interface KnownName {
  /** normalised key */
  key: string;
  /** the spelling, interned: reused as the field name */
  spelling: string;
  /** its char codes (comparing these in JS beats a startsWith call for short names) */
  codes: number[];
}

/** Spellings peers use for common headers: their field names and keys are shared strings. */
const COMMON = [
  'Via', 'v', 'Call-ID', 'i', 'From', 'f', 'To', 't', 'CSeq', 'Contact', 'm', 'Max-Forwards', 'Content-Type', 'c',
  'Content-Length', 'l', 'Allow', 'Supported', 'k', 'User-Agent', 'Server', 'Route', 'Record-Route', 'Require', 'Session-Expires', 'x',
  'Min-SE', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Expires', 'Authorization', 'WWW-Authenticate', 'Proxy-Authorization',
  'Proxy-Authenticate', 'Accept', 'Accept-Encoding', 'Accept-Language', 'Subject', 's', 'Event', 'o', 'RSeq', 'RAck', 'Refer-To', 'r',
  'Referred-By', 'b', 'Replaces', 'Privacy', 'Reason', 'Diversion', 'Allow-Events', 'u', 'Subscription-State', 'Date', 'Timestamp',
  'Organization', 'Priority', 'Content-Disposition', 'Content-Encoding', 'e', 'Unsupported', 'Proxy-Require', 'Path', 'Service-Route',
  'Min-Expires', 'Retry-After', 'Warning', 'Call-Info', 'Alert-Info', 'History-Info', 'Identity', 'y', 'MIME-Version', 'Content-Language',
  'Error-Info', 'In-Reply-To', 'Reply-To', 'Accept-Contact', 'a', 'Reject-Contact', 'j', 'Request-Disposition', 'd', 'Security-Client',
  'Security-Server', 'Security-Verify', 'P-Access-Network-Info', 'P-Charging-Vector', 'P-Called-Party-ID', 'P-Visited-Network-ID',
  'SIP-ETag', 'SIP-If-Match', 'Authentication-Info', 'Proxy-Authentication-Info', 'Content-Transfer-Encoding', 'X-Asterisk-HangupCause',
];

/**
 * Exact spellings bucketed by first char and length: a name is recognised with an
 * array index and a compare of its remaining chars, without slicing it out. Other spellings
 * (VIA, cseq) take the general path (slice, validate, normalise with a cache).
 */
const KNOWN: (KnownName[] | undefined)[] = new Array<KnownName[] | undefined>(128 * 32);
for (const spelling of COMMON) {
  const slot = (spelling.charCodeAt(0) << 5) | spelling.length;
  (KNOWN[slot] ??= []).push({ key: normalizeHeaderName(spelling), spelling, codes: Array.from(spelling, (ch) => ch.charCodeAt(0)) });
}

function knownName(text: string, ns: number, ne: number): KnownName | undefined {
  const len = ne - ns;
  if (len > 31) return undefined;
  const first = text.charCodeAt(ns);
  if (first >= 128) return undefined;
  const bucket = KNOWN[(first << 5) | len];
  if (bucket === undefined) return undefined;
  // bucket entries all have this length and first char: compare the rest
  next: for (let i = 0; i < bucket.length; i++) {
    const k = bucket[i]!;
    const codes = k.codes;
    for (let j = 1; j < len; j++) if (text.charCodeAt(ns + j) !== codes[j]) continue next;
    return k;
  }
  return undefined;
}

function isTokenRange(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}

const LF_LF = Buffer.from('\n\n', 'latin1');
const LF_CR_LF = Buffer.from('\n\r\n', 'latin1');

/**
 * End of the header block of buf[from, len): `textEnd` just past the LF that ends
 * the last header line, `bodyStart` just past the empty line. The empty line is the
 * first LF followed by LF or CRLF (this also finds CRLFCRLF), located with native
 * searches rather than a byte loop.
 */
function blockEnd(buf: Buffer, from: number): { textEnd: number; bodyStart: number } | undefined {
  const a = buf.indexOf(LF_CR_LF, from);
  const b = buf.indexOf(LF_LF, from);
  if (a === -1 && b === -1) return undefined;
  if (b === -1 || (a !== -1 && a < b)) return { textEnd: a + 1, bodyStart: a + 3 };
  return { textEnd: b + 1, bodyStart: b + 2 };
}

/** Scratch for scanHead (synchronous, never re-entered). */
const SCRATCH: (string | number)[] = [];
const SCRATCH_KEEP = 512 * RAW_STRIDE;

/** Up to this size a message is converted to one string whole (cheaper than searching first). */
const WHOLE_TEXT_LIMIT = 8192;

/**
 * Scan the start line and header block of buf[start, len). Returns undefined when
 * the block is not complete (no empty line yet) and this is not a datagram; a
 * datagram's block may run to its end. `ownsBuffer` false: `buf` is a read buffer
 * shared with other messages, the message must not keep a reference to it.
 */
export function scanHead(buf: Buffer, start: number, len: number, datagram: boolean, ownsBuffer = true): ScannedHead | undefined {
  // Small messages (nearly all): one latin1 string of everything, the line loop below
  // finds the empty line itself. Large ones: find the end natively, convert the head only.
  let text: string;
  let n: number;
  if (len - start <= WHOLE_TEXT_LIMIT) {
    text = latin1(buf, start, len);
    n = text.length;
  } else {
    const end = blockEnd(buf, start);
    if (end !== undefined && end.bodyStart <= len) text = latin1(buf, start, end.bodyStart);
    else if (datagram) text = latin1(buf, start, len);
    else return undefined;
    n = text.length;
  }
  // Start line.
  let nl = text.indexOf('\n');
  if (nl === -1) {
    if (!datagram) return undefined;
    nl = n;
  }
  const slEnd = nl > 0 && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  let pos = nl + 1;
  /** Where the empty line is (-1: none) and the body starts, in text. */
  let headEnd = -1;
  let bodyAt = n;

  // Headers go into a reused scratch array first, copied out exactly sized at the end:
  // growing arrays header by header costs more than the scan itself.
  const data = SCRATCH;
  let k = 0;
  let problem: string | undefined;
  let c = 0;

  while (pos < n) {
    c = text.charCodeAt(pos);
    // The empty line ends the header block.
    if (c === 10) {
      headEnd = pos;
      bodyAt = pos + 1;
      break;
    }
    if (c === 13 && (pos + 1 >= n ? datagram : text.charCodeAt(pos + 1) === 10)) {
      headEnd = pos;
      bodyAt = Math.min(pos + 2, n);
      break;
    }
    nl = text.indexOf('\n', pos);
    if (nl === -1) {
      if (!datagram) return undefined;
      nl = n;
    }
    if (c === 32 || c === 9) {
      problem ??= 'continuation line without a header';
      pos = nl + 1;
      continue;
    }
    // header name: up to the colon (found natively), recognised in place when common
    const ns = pos;
    const colonAt = text.indexOf(':', pos);
    let ne = colonAt;
    if (ne !== -1) while (ne > ns && ((c = text.charCodeAt(ne - 1)) === 32 || c === 9)) ne--;
    const known = colonAt === -1 || colonAt > nl || ne === ns ? undefined : knownName(text, ns, ne);
    let key: string;
    let name: string;
    if (known !== undefined) {
      key = known.key;
      name = known.spelling;
    } else if (colonAt !== -1 && colonAt < nl && ne > ns && isTokenRange(text, ns, ne)) {
      const nm = text.slice(ns, ne);
      key = normalizeHeaderName(nm);
      name = nm;
    } else {
      // Not `token *WSP ":"`: skip the line (and its continuation lines) and say why.
      if (colonAt !== -1 && colonAt < nl) problem ??= `invalid header name "${text.slice(ns, Math.min(colonAt, ns + 40)).trim()}"`;
      else problem ??= `header line without a colon: "${text.slice(ns, Math.min(nl, ns + 40)).trim()}"`;
      pos = nl + 1;
      while (pos < n && ((c = text.charCodeAt(pos)) === 32 || c === 9)) {
        nl = text.indexOf('\n', pos);
        pos = nl === -1 ? n : nl + 1;
      }
      continue;
    }
    pos = colonAt + 1;
    while (pos < nl && ((c = text.charCodeAt(pos)) === 32 || c === 9)) pos++;
    const vs = pos;
    let le = nl;
    if (le > vs && text.charCodeAt(le - 1) === 13) le--;
    let ve = le;
    while (ve > vs && ((c = text.charCodeAt(ve - 1)) === 32 || c === 9)) ve--;
    let flags = ne === colonAt && vs === colonAt + 2 && text.charCodeAt(colonAt + 1) === 32 && ve === le && le === nl - 1 && nl < n ? RAW_CLEAN : 0;
    // Folding (§7.3.1): continuation lines start with whitespace.
    let next = nl + 1;
    while (next < n && ((c = text.charCodeAt(next)) === 32 || c === 9)) {
      flags = RAW_FOLDED;
      let p = text.indexOf('\n', next);
      if (p === -1) p = n;
      let e = p;
      while (e > next && ((c = text.charCodeAt(e - 1)) === 32 || c === 9 || c === 13)) e--;
      if (e > next) ve = e;
      next = p + 1;
    }
    data[k] = key;
    data[k + 1] = name;
    data[k + 2] = ns;
    data[k + 3] = ne;
    data[k + 4] = vs;
    data[k + 5] = ve;
    data[k + 6] = flags;
    k += RAW_STRIDE;
    pos = next;
  }

  // No empty line: only a datagram may end like this (its header block runs to the end).
  if (headEnd === -1 && !datagram) return undefined;
  const bodyStart = start + bodyAt;
  // One native check of the text's bytes spares a per-value search for UTF-8.
  const ascii = start === 0 && n === buf.length ? isAscii(buf) : isAscii(buf.subarray(start, start + n));
  // A buffer the message may keep (not a stream parser's shared store): long values are copied from it.
  const raw = new RawHeaders(text, data.slice(0, k), ascii, ownsBuffer ? buf : undefined, start);
  if (k > SCRATCH_KEEP) SCRATCH.length = SCRATCH_KEEP; // a huge message does not pin a huge scratch
  // Content-Length: the first value frames the body; others must agree.
  let contentLength: string | undefined;
  let clConflict = false;
  for (let i = raw.indexOf('content-length'); i !== -1; i = raw.indexOf('content-length', i + 1)) {
    const v = raw.asciiValue(i);
    if (contentLength === undefined) contentLength = v;
    else if (v !== contentLength) clConflict = true;
  }
  // Copied out of the buffer, not sliced from `text`: the method, Request-URI and reason
  // are kept by the message and would otherwise keep the whole message text alive.
  let startLine = latin1(buf, start, start + slEnd);
  if (!ascii && hasHighBytes(startLine)) startLine = buf.toString('utf8', start, start + slEnd);
  const sl = parseStartLine(startLine);
  if (typeof sl === 'string') return { message: undefined, error: new SipParseError(sl), bodyStart, contentLength, clConflict };
  sl.message.adoptRawHeaders(raw);
  const p = sl.problem ?? problem;
  if (p !== undefined) sl.message.parseError = p;
  return { message: sl.message, error: undefined, bodyStart, contentLength, clConflict };
}

/** Buffer's own latin1 decoder, without toString's argument handling (hot: once per message). */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}
const HAS_LATIN1_SLICE = typeof (Buffer.prototype as unknown as Partial<Latin1Slicer>).latin1Slice === 'function';

function latin1(buf: Buffer, from: number, to: number): string {
  return HAS_LATIN1_SLICE ? (buf as unknown as Latin1Slicer).latin1Slice(from, to) : buf.toString('latin1', from, to);
}

// ------------------------------------------------------------------ start line

const SIP20 = 'SIP/2.0';

/**
 * Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP
 * Status-Code SP Reason-Phrase. Extra SP/HTAB between and after the elements of a
 * request line is tolerated (RFC 4475 lwsstart, trws); whitespace inside the
 * Request-URI is recorded as a problem (lwsruri). The status code must be three
 * digits 100-699 (RFC 4475 bigcode). Returns an error text when it is neither.
 */
function parseStartLine(line: string): { message: SipMessageAny; problem: string | undefined } | string {
  const n = line.length;
  // Fast paths for the canonical forms: native searches instead of char loops.
  if (line.startsWith('SIP/2.0 ')) {
    if (n >= 11 && (n === 11 || line.charCodeAt(11) === 32)) {
      const d0 = line.charCodeAt(8) - 48;
      const d1 = line.charCodeAt(9) - 48;
      const d2 = line.charCodeAt(10) - 48;
      if (d0 >= 1 && d0 <= 6 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) {
        return { message: new SipResponse(d0 * 100 + d1 * 10 + d2, n > 12 ? line.slice(12) : '', SIP20), problem: undefined };
      }
    }
  } else if (line.endsWith(' SIP/2.0')) {
    const sp1 = line.indexOf(' ');
    const sp2 = n - 8;
    if (sp1 > 0 && sp2 > sp1 + 1 && line.indexOf(' ', sp1 + 1) === sp2 && line.indexOf('\t') === -1 && isTokenRange(line, 0, sp1)) {
      return { message: new SipRequest(line.slice(0, sp1), line.slice(sp1 + 1, sp2), SIP20), problem: undefined };
    }
  }
  const v = versionEnd(line, 0);
  if (v !== -1) {
    // Status-Line
    if (v >= n || line.charCodeAt(v) !== 32) return invalid(line);
    let code = 0;
    for (let k = v + 1; k < v + 4; k++) {
      const c = k < n ? line.charCodeAt(k) : -1;
      if (c < 48 || c > 57) return invalid(line);
      code = code * 10 + (c - 48);
    }
    if (v + 4 < n && line.charCodeAt(v + 4) !== 32) return invalid(line);
    if (code < 100 || code > 699) return invalid(line);
    const reason = v + 5 <= n ? line.slice(v + 5) : '';
    return { message: new SipResponse(code, reason, version(line, 0, v)), problem: undefined };
  }
  // Request-Line
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  if (i === 0 || i >= n || !isWs(line.charCodeAt(i))) return invalid(line);
  const method = line.slice(0, i);
  let end = n;
  while (end > i && isWs(line.charCodeAt(end - 1))) end--;
  let vs = end;
  while (vs > i && !isWs(line.charCodeAt(vs - 1))) vs--;
  if (versionEnd(line, vs) !== end) return invalid(line);
  let us = i;
  while (us < vs && isWs(line.charCodeAt(us))) us++;
  let ue = vs;
  while (ue > us && isWs(line.charCodeAt(ue - 1))) ue--;
  if (ue === us) return invalid(line);
  let problem: string | undefined;
  for (let k = us; k < ue; k++) {
    if (isWs(line.charCodeAt(k))) {
      problem = 'whitespace inside the Request-URI';
      break;
    }
  }
  return { message: new SipRequest(method, line.slice(us, ue), version(line, vs, end)), problem };
}

/** End of `SIP/1*DIGIT.1*DIGIT` (case-insensitive) starting at `at`, or -1. */
function versionEnd(line: string, at: number): number {
  const n = line.length;
  if (
    at + 7 > n ||
    (line.charCodeAt(at) | 0x20) !== 115 ||
    (line.charCodeAt(at + 1) | 0x20) !== 105 ||
    (line.charCodeAt(at + 2) | 0x20) !== 112 ||
    line.charCodeAt(at + 3) !== 47
  ) {
    return -1;
  }
  let i = at + 4;
  const d1 = i;
  while (i < n && isDigit(line.charCodeAt(i))) i++;
  if (i === d1 || i - d1 > 4 || i >= n || line.charCodeAt(i) !== 46) return -1;
  const d2 = ++i;
  while (i < n && isDigit(line.charCodeAt(i))) i++;
  if (i === d2 || i - d2 > 4) return -1;
  return i;
}

function version(line: string, from: number, to: number): string {
  if (to - from === 7 && line.startsWith(SIP20, from)) return SIP20;
  return line.slice(from, to).toUpperCase();
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

function invalid(line: string): string {
  return `invalid start line "${line.slice(0, 60)}"`;
}
