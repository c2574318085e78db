import { describe, expect, it } from 'vitest';
import type { SipMessageAny } from '../../../src/sip/message/message.js';
import { SipParseError } from '../../../src/sip/parser/parse-message.js';
import { type StreamEvent, StreamParser } from '../../../src/sip/parser/stream-parser.js';
import { OK200, VIA_HEAVY } from '../fixtures.js';
import { INVITE_EXACT as INVITE } from '../message/exact.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const messages = (events: StreamEvent[]): SipMessageAny[] => events.flatMap((e) => (e.kind === 'message' ? [e.message] : []));
const kinds = (events: StreamEvent[]): string[] => events.map((e) => e.kind);

describe('StreamParser', () => {
  it('frames one message per push', () => {
    const p = new StreamParser();
    const ev = p.push(b(INVITE));
    expect(kinds(ev)).toEqual(['message']);
    const m = messages(ev)[0]!;
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.body.length).toBe(149);
    expect(m.parseError).toBeUndefined();
    expect(p.buffered).toBe(0);
  });

  it('frames several messages in one push, in order', () => {
    const p = new StreamParser();
    const ev = p.push(b(INVITE + OK200 + VIA_HEAVY));
    expect(kinds(ev)).toEqual(['message', 'message', 'message']);
    expect(messages(ev).map((m) => m.cseq.method)).toEqual(['INVITE', 'INVITE', 'BYE']);
  });

  it('reassembles a message delivered one byte at a time', () => {
    const p = new StreamParser();
    const all: StreamEvent[] = [];
    const data = b(INVITE + OK200);
    for (let i = 0; i < data.length; i++) all.push(...p.push(data.subarray(i, i + 1)));
    expect(kinds(all)).toEqual(['message', 'message']);
    expect(messages(all)[0]!.toString()).toBe(INVITE);
    expect(p.buffered).toBe(0);
  });

  it('keeps a partial message buffered until the body is complete', () => {
    const p = new StreamParser();
    const data = b(INVITE);
    expect(p.push(data.subarray(0, data.length - 10))).toEqual([]);
    expect(p.buffered).toBe(data.length - 10);
    expect(kinds(p.push(data.subarray(data.length - 10)))).toEqual(['message']);
  });

  it('recognises RFC 5626 keepalives: CRLFCRLF ping, CRLF pong', () => {
    const p = new StreamParser();
    expect(kinds(p.push(b('\r\n\r\n')))).toEqual(['ping']);
    expect(kinds(p.push(b('\r\n')))).toEqual(['pong']);
    expect(kinds(p.push(b(`\r\n\r\n${OK200}\r\n`)))).toEqual(['ping', 'message', 'pong']);
  });

  it('a body may contain CRLFCRLF', () => {
    const body = 'a\r\n\r\nb';
    const text = OK200.replace('Content-Length: 0', `Content-Length: ${body.length}`) + body;
    const ev = new StreamParser().push(b(text + text));
    expect(messages(ev).map((m) => m.bodyText)).toEqual([body, body]);
  });

  it('frames messages with bare LF line ends and compact Content-Length', () => {
    const text = VIA_HEAVY.replace(/\r\n/g, '\n').replace('l: 0', 'l: 3') + 'xyz';
    const ev = new StreamParser().push(b(text + text));
    expect(messages(ev).map((m) => m.bodyText)).toEqual(['xyz', 'xyz']);
  });

  it('reports an unparseable frame and carries on with the next', () => {
    const bad = 'GARBAGE\r\nContent-Length: 2\r\n\r\nhi';
    const p = new StreamParser();
    const ev = p.push(b(bad + OK200));
    expect(kinds(ev)).toEqual(['error', 'message']);
    const err = ev[0]!;
    if (err.kind !== 'error') throw new Error('unreachable');
    expect(err.error).toBeInstanceOf(SipParseError);
    expect(err.raw.toString('latin1')).toBe(bad);
  });

  it('missing, negative or non-numeric Content-Length loses the framing: fatal', () => {
    for (const [cl, re] of [
      [null, /missing Content-Length/],
      ['-5', /invalid Content-Length/],
      ['abc', /invalid Content-Length/],
      ['', /invalid Content-Length/],
    ] as const) {
      const text = OK200.replace('Content-Length: 0\r\n', cl === null ? '' : `Content-Length: ${cl}\r\n`);
      const p = new StreamParser();
      const ev = p.push(b(text + OK200));
      expect(kinds(ev), String(cl)).toEqual(['fatal']);
      const f = ev[0]!;
      if (f.kind !== 'fatal') throw new Error('unreachable');
      expect(f.error.message).toMatch(re);
      expect(p.push(b(OK200))).toEqual([]);
      expect(p.buffered).toBe(0);
    }
  });

  it('conflicting Content-Length values are fatal on a stream', () => {
    const text = OK200.replace('Content-Length: 0\r\n', 'Content-Length: 0\r\nl: 5\r\n');
    expect(kinds(new StreamParser().push(b(text)))).toEqual(['fatal']);
  });

  it('enforces the maximum message size for the header block and the whole message', () => {
    const p = new StreamParser(1000);
    expect(kinds(p.push(b(`INVITE sip:a@b SIP/2.0\r\nX-Long: ${'a'.repeat(2000)}`)))).toEqual(['fatal']);
    const q = new StreamParser(1000);
    expect(kinds(q.push(b(OK200.replace('Content-Length: 0', 'Content-Length: 5000'))))).toEqual(['fatal']);
    const r = new StreamParser(1000);
    expect(kinds(r.push(b(OK200)))).toEqual(['message']);
  });

  it('a huge Content-Length is fatal, not a wait', () => {
    const p = new StreamParser();
    const ev = p.push(b(OK200.replace('Content-Length: 0', 'Content-Length: 99999999999999999999999')));
    expect(kinds(ev)).toEqual(['fatal']);
  });

  it('does not rescan the whole buffer for every small chunk (header trickle stays linear)', () => {
    const p = new StreamParser(2_000_000);
    const line = `X-Filler: ${'f'.repeat(60)}\r\n`;
    p.push(b('OPTIONS sip:a@b SIP/2.0\r\n'));
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) p.push(b(line));
    const ev = p.push(b('Content-Length: 0\r\n\r\n'));
    expect(kinds(ev)).toEqual(['message']);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
