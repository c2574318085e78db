/**
 * Frames SIP messages on stream transports (TCP, TLS) by Content-Length
 * (RFC 3261 §18.3): several messages in one read, one message across reads.
 * Also recognises RFC 5626 §3.5.1 keepalives: CRLFCRLF ping, CRLF pong.
 */
import type { SipMessageAny } from '../message/message.js';
import { SipParseError, findHeaderEnd, parseMessage } from './parse-message.js';

export type StreamEvent =
  | { kind: 'message'; message: SipMessageAny }
  | { kind: 'ping' }
  | { kind: 'pong' }
  /** A frame that could not be parsed; the stream stays usable after it. */
  | { kind: 'error'; error: SipParseError; raw: Buffer }
  /** Framing lost (oversize, bad Content-Length): the connection must be closed. */
  | { kind: 'fatal'; error: SipParseError };

const CL_RE = /^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$/im;

export class StreamParser {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxMessageBytes = 65_535) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): StreamEvent[] {
    if (this.failed) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: StreamEvent[] = [];
    for (;;) {
      // Keepalives and stray CRLFs between messages.
      let i = 0;
      while (i < this.buf.length && (this.buf[i] === 13 || this.buf[i] === 10)) i++;
      if (i > 0) {
        const lead = this.buf.subarray(0, i).toString('latin1');
        events.push({ kind: lead.includes('\r\n\r\n') ? 'ping' : 'pong' });
        this.buf = this.buf.subarray(i);
      }
      if (this.buf.length === 0) break;
      const end = findHeaderEnd(this.buf);
      if (end === undefined) {
        if (this.buf.length > this.maxMessageBytes) return this.fail(events, 'header block exceeds the maximum message size');
        break;
      }
      const head = this.buf.toString('latin1', 0, end.headEnd);
      const m = CL_RE.exec(head);
      if (m === null) return this.fail(events, 'missing Content-Length on a stream transport');
      const cl = Number(m[1]);
      const total = end.bodyStart + cl;
      if (total > this.maxMessageBytes) return this.fail(events, `message of ${total} bytes exceeds the maximum of ${this.maxMessageBytes}`);
      if (this.buf.length < total) break;
      const frame = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      try {
        events.push({ kind: 'message', message: parseMessage(frame) });
      } catch (e) {
        events.push({ kind: 'error', error: e instanceof SipParseError ? e : new SipParseError(String(e)), raw: frame });
      }
    }
    // Do not pin a large read buffer for a small remainder.
    if (this.buf.length > 0 && this.buf.byteOffset > 0) this.buf = Buffer.from(this.buf);
    return events;
  }

  private fail(events: StreamEvent[], reason: string): StreamEvent[] {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    events.push({ kind: 'fatal', error: new SipParseError(reason) });
    return events;
  }
}
