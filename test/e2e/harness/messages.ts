// Parse SIPp `-trace_msg` files (-message_file) into the SIP messages a SIPp peer sent and
// received, so tests can assert on what crossed the wire: the 183 body the caller got, the
// From / P-Asserted-Identity of the INVITE the gateway got, a CANCEL's Reason header...
//
// SIPp 3.6.1 writes one entry per message:
//   ----------------------------------------------- 2026-12-01 00:54:56.516453
//   UDP message sent (515 bytes):
//   <blank line>
//   <the message, CRLF line ends, as sent>
// and "UDP message received [313] bytes :" for received ones (TCP/TLS/SCTP likewise). It also
// logs entries without a timestamp ("Unexpected UDP message received:", "Ignoring provisional
// ...") that repeat a message already logged; those are skipped (see `unexpected`).

export type SippDirection = 'sent' | 'received';

export interface SippMessage {
  readonly direction: SippDirection;
  /** UDP, TCP, TLS, SCTP as SIPp names it. */
  readonly transport: string;
  /** "2026-12-01 00:54:56.516453" as logged. */
  readonly timestamp: string;
  /** Position in the trace (0-based, counting only sent/received entries). */
  readonly index: number;
  /** The message with LF line ends (CRs removed). */
  readonly text: string;
  /** The message as logged (CRLF). */
  readonly raw: string;
  readonly startLine: string;
  /** Request method, e.g. "INVITE"; undefined for responses. */
  readonly method: string | undefined;
  /** Response status code; undefined for requests. */
  readonly status: number | undefined;
  readonly reason: string | undefined;
  /** Header fields in order, names as written, multi-line values unfolded. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body (text after the blank line, cut to Content-Length when present). */
  readonly body: string;
}

const SEPARATOR = /^-{20,}(?: (.*))?$/;
const ENTRY = /^(\w+) message (sent|received) (?:\((\d+) bytes\)|\[(\d+)\] bytes) ?:\s*$/;

// RFC 3261 compact forms, so header(msg, 'From') also finds "f:".
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  u: 'allow-events',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

function canonical(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Parse a whole -message_file content. Unknown entries are skipped. */
export function parseSippMessages(trace: string): SippMessage[] {
  const lines = trace.split('\n');
  const out: SippMessage[] = [];
  let i = 0;
  while (i < lines.length) {
    const sep = SEPARATOR.exec(lines[i]!.replace(/\r$/, ''));
    if (!sep) {
      i++;
      continue;
    }
    const timestamp = sep[1]?.trim() ?? '';
    const entry = ENTRY.exec((lines[i + 1] ?? '').replace(/\r$/, ''));
    // Find where this entry ends: the next separator line.
    let j = i + 1;
    while (j < lines.length && !SEPARATOR.test(lines[j]!.replace(/\r$/, ''))) j++;
    if (entry && timestamp !== '') {
      // lines[i+2] is the blank line SIPp writes before the message.
      const rawBlock = lines.slice(i + 3, j).join('\n');
      const msg = buildMessage(rawBlock, entry[2] as SippDirection, entry[1]!, timestamp, out.length);
      if (msg) out.push(msg);
    }
    i = j;
  }
  return out;
}

function buildMessage(block: string, direction: SippDirection, transport: string, timestamp: string, index: number): SippMessage | undefined {
  const headEnd = block.indexOf('\r\n\r\n');
  const headEndLf = block.indexOf('\n\n');
  let head: string;
  let rest: string;
  if (headEnd >= 0 && (headEndLf < 0 || headEnd < headEndLf)) {
    head = block.slice(0, headEnd);
    rest = block.slice(headEnd + 4);
  } else if (headEndLf >= 0) {
    head = block.slice(0, headEndLf);
    rest = block.slice(headEndLf + 2);
  } else {
    head = block.replace(/\n+$/, '');
    rest = '';
  }
  const headLines = unfold(head.split(/\r?\n/));
  const startLine = (headLines.shift() ?? '').trim();
  if (startLine === '') return undefined;
  const headers: Array<readonly [string, string]> = [];
  for (const line of headLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const clHeader = headers.find(([n]) => canonical(n) === 'content-length');
  const cl = clHeader ? Number.parseInt(clHeader[1], 10) : NaN;
  let body: string;
  if (Number.isFinite(cl) && cl >= 0) {
    body = Buffer.from(rest, 'utf8').subarray(0, cl).toString('utf8');
  } else {
    body = rest.replace(/\n+$/, ''); // SIPp's own trailing newlines
  }
  const raw = `${head}\r\n\r\n${body}`;
  let method: string | undefined;
  let status: number | undefined;
  let reason: string | undefined;
  const resp = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(startLine);
  if (resp) {
    status = Number(resp[1]);
    reason = resp[2];
  } else {
    method = startLine.split(/\s+/)[0];
  }
  return {
    direction,
    transport,
    timestamp,
    index,
    raw,
    text: raw.replace(/\r/g, ''),
    startLine,
    method,
    status,
    reason,
    headers,
    body: body.replace(/\r/g, ''),
  };
}

function unfold(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && out.length > 0) out[out.length - 1] += ` ${line.trim()}`;
    else out.push(line);
  }
  return out;
}

/** The first value of header `name` (case-insensitive, compact forms too). */
export function header(msg: SippMessage, name: string): string | undefined {
  const want = canonical(name);
  return msg.headers.find(([n]) => canonical(n) === want)?.[1];
}

/** Every value of header `name`, in order (repeated headers, not comma-split). */
export function headers(msg: SippMessage, name: string): string[] {
  const want = canonical(name);
  return msg.headers.filter(([n]) => canonical(n) === want).map(([, v]) => v);
}

/** The method part of the CSeq header ("INVITE" for "CSeq: 1 INVITE"). */
export function cseqMethod(msg: SippMessage): string | undefined {
  return header(msg, 'CSeq')?.split(/\s+/)[1];
}

/** The branch parameter of the top Via. */
export function topViaBranch(msg: SippMessage): string | undefined {
  const via = header(msg, 'Via');
  return via ? /;\s*branch=([^;,\s]+)/i.exec(via)?.[1] : undefined;
}

/** The tag parameter of a From/To header value. */
export function tagOf(value: string | undefined): string | undefined {
  return value ? /;\s*tag=([^;,\s>]+)/i.exec(value)?.[1] : undefined;
}

export interface MessageFilter {
  direction?: SippDirection;
  /** Request method (requests only). */
  method?: string;
  /** Status code (responses only). */
  status?: number;
  /** CSeq method (requests and responses). */
  cseqMethod?: string;
  callId?: string;
  /** Substring or regexp the LF-normalised text must match. */
  contains?: string | RegExp;
}

function matches(msg: SippMessage, f: MessageFilter): boolean {
  if (f.direction !== undefined && msg.direction !== f.direction) return false;
  if (f.method !== undefined && msg.method !== f.method.toUpperCase()) return false;
  if (f.status !== undefined && msg.status !== f.status) return false;
  if (f.cseqMethod !== undefined && cseqMethod(msg)?.toUpperCase() !== f.cseqMethod.toUpperCase()) return false;
  if (f.callId !== undefined && header(msg, 'Call-ID') !== f.callId) return false;
  if (f.contains !== undefined) {
    if (typeof f.contains === 'string' ? !msg.text.includes(f.contains) : !f.contains.test(msg.text)) return false;
  }
  return true;
}

/** All messages matching the filter, in trace order. */
export function findMessages(list: readonly SippMessage[], filter: MessageFilter = {}): SippMessage[] {
  return list.filter((m) => matches(m, filter));
}

/** The first message matching the filter, or undefined. */
export function findMessage(list: readonly SippMessage[], filter: MessageFilter = {}): SippMessage | undefined {
  return list.find((m) => matches(m, filter));
}

/** Like findMessage but throws a readable error listing what the trace does contain. */
export function expectMessage(list: readonly SippMessage[], filter: MessageFilter): SippMessage {
  const found = findMessage(list, filter);
  if (found) return found;
  const seen = list.map((m) => `${m.direction === 'sent' ? '->' : '<-'} ${m.startLine}`).join('\n  ');
  throw new Error(`no SIPp message matches ${JSON.stringify(filter, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v))}; trace has:\n  ${seen || '(nothing)'}`);
}

/** One line per message ("-> INVITE sip:..", "<- SIP/2.0 180 Ringing"), for failure output. */
export function summarize(list: readonly SippMessage[]): string {
  // The time of day and the Call-ID's tail tell apart messages of concurrent calls when a test fails.
  return list
    .map((m) => `${m.timestamp.split(' ')[1] ?? ''} ${m.direction === 'sent' ? '->' : '<-'} ${m.startLine}  [${header(m, 'CSeq') ?? ''}] ${(header(m, 'Call-ID') ?? '').slice(-8)}`)
    .join('\n');
}
