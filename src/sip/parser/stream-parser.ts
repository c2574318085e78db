/**
 * Frames SIP messages on stream transports (TCP, TLS) by Content-Length
 * (RFC 3261 §18.3): several messages in one read, one message across reads.
 * Also recognises RFC 5626 §3.5.1 keepalives: CRLFCRLF ping, CRLF pong.
 *
 * The header block is parsed once, by the same scanner parseMessage uses, so the
 * framing and the message always agree on Content-Length. Partial data is kept in
 * a growable buffer (appending is amortised O(1), and the search for the end of the
 * header block resumes where it stopped), so a message trickling in byte by byte
 * costs linear time.
 */
import type { SipMessageAny } from '../message/message.js';
import { SipParseError, type ScannedHead, contentLengthValue, findHeaderEnd, scanHead } from './parse-message.js';

export type StreamEvent =
  | { kind: 'message'; message: SipMessageAny }
  | { kind: 'ping' }
  | { kind: 'pong' }
  /** A frame that could not be parsed; the stream stays usable after it. */
  | { kind: 'error'; error: SipParseError; raw: Buffer }
  /** Framing lost (oversize, bad Content-Length): the connection must be closed. */
  | { kind: 'fatal'; error: SipParseError };

const EMPTY = Buffer.alloc(0);

export class StreamParser {
  /** Unconsumed bytes: a view of the caller's chunk, or of `store`. */
  private buf: Buffer = EMPTY;
  /** Our own storage for partial data; buf is store[bufStart, bufStart + buf.length). */
  private store: Buffer | undefined;
  private bufStart = 0;
  /** Where to resume looking for the end of the header block in buf. */
  private scanFrom = 0;
  /** Head of the message whose body is still arriving. */
  private pending: { head: ScannedHead; total: number } | undefined;
  private failed = false;

  constructor(private readonly maxMessageBytes = 65_535) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): StreamEvent[] {
    if (this.failed) return [];
    if (chunk.length === 0) return [];
    if (this.buf.length === 0) {
      this.buf = chunk;
      this.store = undefined;
    } else this.append(chunk);
    const events: StreamEvent[] = [];
    for (;;) {
      if (this.pending === undefined) {
        // Keepalives and stray CRLFs between messages.
        const b = this.buf;
        let i = 0;
        while (i < b.length && (b[i] === 13 || b[i] === 10)) i++;
        if (i > 0) {
          events.push({ kind: isPing(b, i) ? 'ping' : 'pong' });
          this.consume(i);
        }
        if (this.buf.length === 0) break;
        const end = findHeaderEnd(this.buf, this.scanFrom);
        if (end === undefined) {
          if (this.buf.length > this.maxMessageBytes) return this.fail(events, 'header block exceeds the maximum message size');
          // The terminator may straddle this read and the next.
          this.scanFrom = Math.max(0, this.buf.length - 3);
          break;
        }
        this.scanFrom = 0;
        const head = scanHead(this.buf, 0, end.bodyStart, false, false);
        if (head === undefined) return this.fail(events, 'header block could not be delimited');
        if (head.clConflict) return this.fail(events, 'conflicting Content-Length headers on a stream transport');
        if (head.contentLength === undefined) return this.fail(events, 'missing Content-Length on a stream transport');
        const cl = contentLengthValue(head.contentLength);
        if (cl === undefined) return this.fail(events, `invalid Content-Length "${head.contentLength.slice(0, 16)}"`);
        const total = head.bodyStart + cl;
        if (total > this.maxMessageBytes) return this.fail(events, `message of ${total} bytes exceeds the maximum of ${this.maxMessageBytes}`);
        this.pending = { head, total };
      }
      const { head, total } = this.pending;
      if (this.buf.length < total) break;
      this.pending = undefined;
      // Frames cut from our own store are copied out so messages do not pin it.
      let frame = this.buf.subarray(0, total);
      if (this.store !== undefined) frame = Buffer.from(frame);
      this.consume(total);
      if (head.message === undefined) {
        events.push({ kind: 'error', error: head.error ?? new SipParseError('unparseable message'), raw: frame });
        continue;
      }
      const msg = head.message;
      if (total > head.bodyStart) msg.adoptBody(frame, head.bodyStart, total);
      events.push({ kind: 'message', message: msg });
    }
    // Do not pin the caller's (possibly large) read buffer for a small remainder.
    if (this.buf.length > 0 && this.store === undefined) this.own(this.buf.length);
    return events;
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.bufStart += n;
    if (this.buf.length === 0) {
      this.buf = EMPTY;
      this.store = undefined;
      this.bufStart = 0;
    }
  }

  private append(chunk: Buffer): void {
    const have = this.buf.length;
    const need = have + chunk.length;
    const store = this.store;
    if (store !== undefined && this.bufStart + need <= store.length) {
      chunk.copy(store, this.bufStart + have);
      this.buf = store.subarray(this.bufStart, this.bufStart + need);
      return;
    }
    this.own(need);
    chunk.copy(this.store!, have);
    this.buf = this.store!.subarray(0, need);
  }

  /** Move the unconsumed bytes into fresh storage with room for `need` bytes (and more). */
  private own(need: number): void {
    const store = Buffer.allocUnsafe(Math.max(4096, need * 2));
    this.buf.copy(store, 0);
    this.store = store;
    this.bufStart = 0;
    this.buf = store.subarray(0, this.buf.length);
  }

  private fail(events: StreamEvent[], reason: string): StreamEvent[] {
    this.failed = true;
    this.buf = EMPTY;
    this.store = undefined;
    this.pending = undefined;
    events.push({ kind: 'fatal', error: new SipParseError(reason) });
    return events;
  }
}

function isPing(b: Buffer, n: number): boolean {
  for (let i = 0; i + 3 < n; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return true;
  }
  return false;
}
