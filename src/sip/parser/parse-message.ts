/**
 * Parse one SIP message from bytes (RFC 3261 §7, §25). Structural failures that
 * leave nothing to answer (no start line) throw SipParseError; problems inside
 * headers are recorded in `message.parseError` so the transport can still answer
 * 400 when the Via is readable (RFC 3261 §16.3, §21.4.1).
 */
import { isAscii } from 'node:buffer';
import { isToken } from '../message/grammar.js';
import { normalizeHeaderName } from '../message/header-names.js';
import { type SipMessageAny, SipRequest, SipResponse } from '../message/message.js';

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

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const REQUEST_LINE_RE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) (SIP\/\d+\.\d+)$/i;
const STATUS_LINE_RE = /^(SIP\/\d+\.\d+) ([1-9]\d\d) ?(.*)$/i;

/** Index just past the header block terminator, or -1. */
export function findHeaderEnd(buf: Buffer, from = 0): { bodyStart: number; headEnd: number } | undefined {
  const i = buf.indexOf(CRLFCRLF, from);
  if (i !== -1) return { headEnd: i, bodyStart: i + 4 };
  const j = buf.indexOf(LFLF, from);
  if (j !== -1) return { headEnd: j, bodyStart: j + 2 };
  return undefined;
}

export function parseMessage(buf: Buffer, options: ParseOptions = {}): SipMessageAny {
  // latin1 maps bytes 1:1 to chars, so string offsets are byte offsets for the body.
  const whole = buf.toString('latin1');
  let start = 0;
  // RFC 3261 §7.5: ignore CRLFs before the start line.
  while (start < whole.length && (whole.charCodeAt(start) === 13 || whole.charCodeAt(start) === 10)) start++;
  if (start >= whole.length) throw new SipParseError('empty message');
  let headEnd = whole.indexOf('\r\n\r\n', start);
  let bodyStart: number;
  if (headEnd !== -1) bodyStart = headEnd + 4;
  else {
    headEnd = whole.indexOf('\n\n', start);
    if (headEnd !== -1) bodyStart = headEnd + 2;
    else if (options.datagram === true) {
      // A datagram may end right after the last header with a single CRLF.
      headEnd = whole.length;
      bodyStart = whole.length;
    } else throw new SipParseError('incomplete header block');
  }
  // Non-ASCII (UTF-8 display names, reason phrases): decode the header block properly.
  const parsed = isAscii(buf) ? parseHead(whole, start, headEnd) : parseHeadText(buf.toString('utf8', start, headEnd));
  const msg = parsed.msg;
  // Body framing (§18.3, §20.14).
  const clRaw = parsed.contentLength;
  const available = buf.length - bodyStart;
  if (clRaw === undefined) {
    if (options.datagram === true) {
      if (available > 0) msg.body = buf.subarray(bodyStart);
    } else if (available > 0) msg.parseError ??= 'missing Content-Length on a stream transport';
  } else if (!DIGITS_RE.test(clRaw)) {
    msg.parseError ??= `invalid Content-Length "${clRaw.slice(0, 16)}"`;
    if (options.datagram === true && available > 0) msg.body = buf.subarray(bodyStart);
  } else {
    const cl = Number(clRaw);
    if (cl > available) {
      msg.parseError ??= `Content-Length ${cl} larger than the ${available} bytes received`;
      if (available > 0) msg.body = buf.subarray(bodyStart);
    } else if (cl > 0) {
      msg.body = buf.subarray(bodyStart, bodyStart + cl);
    }
  }
  return msg;
}

const DIGITS_RE = /^[0-9]{1,10}$/;

/** Validated header names as received → lower-case full names. */
const NAME_KEYS = new Map<string, string>();

/**
 * The spellings peers use for common headers, bucketed by first char and length,
 * so the hot path matches them in place without slicing and hashing a name.
 */
const COMMON = [
  'Via', 'v', 'Call-ID', 'Call-Id', 'i', 'From', 'f', 'To', 't', 'CSeq', 'Contact', 'm', 'Max-Forwards', 'Content-Type', 'c',
  'Content-Length', 'l', 'Allow', 'Supported', 'k', 'User-Agent', 'Server', 'Route', 'Record-Route', 'Require', 'Session-Expires',
  'Min-SE', 'P-Asserted-Identity', 'Expires', 'Authorization', 'WWW-Authenticate', 'Proxy-Authorization', 'Proxy-Authenticate',
  'Accept', 'Subject', 'Event', 'RSeq', 'RAck', 'Refer-To', 'Referred-By', 'Replaces', 'Privacy', 'Reason', 'Diversion',
  'Allow-Events', 'Subscription-State', 'Date', 'Timestamp', 'Organization', 'Priority', 'Content-Disposition', 'Unsupported',
];
const COMMON_BUCKETS = new Map<number, { name: string; key: string }[]>();
for (const name of COMMON) {
  const id = (name.charCodeAt(0) << 8) | name.length;
  const bucket = COMMON_BUCKETS.get(id) ?? [];
  bucket.push({ name, key: normalizeHeaderName(name) });
  COMMON_BUCKETS.set(id, bucket);
}

function headerKey(name: string): string | undefined {
  const known = NAME_KEYS.get(name);
  if (known !== undefined) return known;
  if (!isToken(name)) return undefined;
  const key = normalizeHeaderName(name);
  // Bounded so a peer sending random header names cannot grow it without limit.
  if (NAME_KEYS.size < 2048) NAME_KEYS.set(name, key);
  return key;
}

function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

interface ParsedHead {
  msg: SipMessageAny;
  contentLength: string | undefined;
}

function parseHeadText(text: string): ParsedHead {
  return parseHead(text, 0, text.length);
}

/** Parse the start line and header fields found in text[from, n). */
function parseHead(text: string, from: number, n: number): ParsedHead {
  let nl = text.indexOf('\n', from);
  if (nl >= n) nl = -1;
  let firstEnd = nl === -1 ? n : nl;
  if (firstEnd > from && text.charCodeAt(firstEnd - 1) === 13) firstEnd--;
  const first = text.slice(from, firstEnd);
  let msg: SipMessageAny;
  const rm = first.charCodeAt(0) === 83 /* S */ && /^SIP\//i.test(first) ? null : REQUEST_LINE_RE.exec(first);
  if (rm !== null) {
    msg = new SipRequest(rm[1]!, rm[2]!, rm[3]!.toUpperCase());
  } else {
    const sm = STATUS_LINE_RE.exec(first);
    if (sm === null) throw new SipParseError(`invalid start line "${first.slice(0, 60)}"`);
    msg = new SipResponse(Number(sm[2]), sm[3]!, sm[1]!.toUpperCase());
  }
  let contentLength: string | undefined;
  const headers = msg.headers;
  let pos = nl === -1 ? n : nl + 1;
  while (pos < n) {
    nl = text.indexOf('\n', pos);
    if (nl >= n) nl = -1;
    let lineEnd = nl === -1 ? n : nl;
    const next = nl === -1 ? n : nl + 1;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    if (lineEnd === pos) {
      pos = next;
      continue;
    }
    if (isWs(text.charCodeAt(pos))) {
      msg.parseError ??= 'continuation line without a header';
      pos = next;
      continue;
    }
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > lineEnd) {
      msg.parseError ??= `header line without a colon: "${text.slice(pos, Math.min(lineEnd, pos + 40))}"`;
      pos = next;
      continue;
    }
    let nameEnd = colon;
    while (nameEnd > pos && isWs(text.charCodeAt(nameEnd - 1))) nameEnd--;
    let name: string | undefined;
    let key: string | undefined;
    const bucket = COMMON_BUCKETS.get((text.charCodeAt(pos) << 8) | (nameEnd - pos));
    if (bucket !== undefined) {
      for (const c of bucket) {
        if (text.startsWith(c.name, pos)) {
          name = c.name;
          key = c.key;
          break;
        }
      }
    }
    if (name === undefined) {
      name = text.slice(pos, nameEnd);
      key = headerKey(name);
    }
    let vs = colon + 1;
    while (vs < lineEnd && isWs(text.charCodeAt(vs))) vs++;
    let ve = lineEnd;
    while (ve > vs && isWs(text.charCodeAt(ve - 1))) ve--;
    let value = text.slice(vs, ve);
    pos = next;
    // Line folding (§7.3.1): continuation lines join the value with one space.
    while (pos < n && isWs(text.charCodeAt(pos))) {
      nl = text.indexOf('\n', pos);
      if (nl >= n) nl = -1;
      const contEnd = nl === -1 ? n : nl;
      const cont = text.slice(pos, contEnd).trim();
      if (cont !== '') value = value === '' ? cont : `${value} ${cont}`;
      pos = nl === -1 ? n : nl + 1;
    }
    if (key === undefined) {
      msg.parseError ??= `invalid header name "${name.slice(0, 40)}"`;
      continue;
    }
    if (key === 'content-length') {
      contentLength ??= value;
      if (contentLength !== value) msg.parseError ??= 'conflicting Content-Length headers';
    }
    headers.push({ key, name, value });
  }
  return { msg, contentLength };
}
