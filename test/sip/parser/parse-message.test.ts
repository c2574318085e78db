import { describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '../../../src/sip/message/message.js';
import { SipParseError, findHeaderEnd, parseMessage } from '../../../src/sip/parser/parse-message.js';
import { INVITE, OK200, VIA_HEAVY } from '../fixtures.js';
import { INVITE_EXACT } from '../message/exact.js';

const crlf = (...lines: string[]): string => lines.join('\r\n');
const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const asReq = (buf: Buffer, datagram = true): SipRequest => {
  const m = parseMessage(buf, { datagram });
  if (!m.isRequest()) throw new Error('expected a request');
  return m;
};
const asRes = (buf: Buffer, datagram = true): SipResponse => {
  const m = parseMessage(buf, { datagram });
  if (m.isRequest()) throw new Error('expected a response');
  return m;
};

describe('parseMessage: start line', () => {
  it('parses requests', () => {
    const m = asReq(b(INVITE));
    expect(m.method).toBe('INVITE');
    expect(m.uriString).toBe('sip:bob@biloxi.example.com');
    expect(m.version).toBe('SIP/2.0');
    expect(m.parseError).toBeUndefined();
  });

  it('parses responses, with empty and non-ASCII reason phrases', () => {
    const r = asRes(b(OK200));
    expect(r.status).toBe(200);
    expect(r.reason).toBe('OK');
    expect(asRes(b('SIP/2.0 100 \r\nl: 0\r\n\r\n')).reason).toBe('');
    expect(asRes(b('SIP/2.0 180\r\nl: 0\r\n\r\n')).reason).toBe('');
    expect(asRes(b('SIP/2.0 183 Session  Progress \r\nl: 0\r\n\r\n')).reason).toBe('Session  Progress ');
    expect(asRes(b('SIP/2.0 200 Très bien ✓\r\nl: 0\r\n\r\n')).reason).toBe('Très bien ✓');
  });

  it('upper-cases the version (it is case-insensitive) and keeps method case', () => {
    const m = asReq(b('invite sip:a@b sip/2.0\r\nl: 0\r\n\r\n'));
    expect(m.method).toBe('invite');
    expect(m.version).toBe('SIP/2.0');
    expect(asRes(b('sip/2.0 200 OK\r\n\r\n')).version).toBe('SIP/2.0');
  });

  it('tolerates extra SP between and after the elements of a request line (RFC 4475 lwsstart, trws)', () => {
    const m = asReq(b('INVITE  sip:user@example.com  SIP/2.0  \r\nl: 0\r\n\r\n'));
    expect(m.uriString).toBe('sip:user@example.com');
    expect(m.startLine()).toBe('INVITE sip:user@example.com SIP/2.0');
    expect(m.parseError).toBeUndefined();
  });

  it('records whitespace inside the Request-URI as a problem to answer with 400 (RFC 4475 lwsruri)', () => {
    const m = asReq(b('INVITE sip:user@example.com; lr SIP/2.0\r\nl: 0\r\n\r\n'));
    expect(m.uriString).toBe('sip:user@example.com; lr');
    expect(m.parseError).toMatch(/Request-URI/);
  });

  it('rejects start lines that are neither request nor status line', () => {
    for (const line of [
      'INVITE sip:a@b',
      'INVITE sip:a@b HTTP/1.1',
      'INVITE SIP/2.0',
      'IN\u00e9VITE sip:a@b SIP/2.0',
      'SIP/2.0 4294967301 better not break the receiver',
      'SIP/2.0 20 OK',
      'SIP/2.0 2000 OK',
      'SIP/2.0 099 Too small',
      'SIP/2.0 700 Too big',
      'SIP/2.0 abc OK',
      'SIP/2.0',
      'SIP/x.y 200 OK',
      'GET / HTTP/1.1',
      ' INVITE sip:a@b SIP/2.0',
    ]) {
      expect(() => parseMessage(b(`${line}\r\nl: 0\r\n\r\n`), { datagram: true }), line).toThrow(SipParseError);
    }
  });

  it('skips CRLFs before the start line (RFC 3261 §7.5) and rejects empty input', () => {
    expect(asReq(b(`\r\n\r\n\n${INVITE}`)).method).toBe('INVITE');
    for (const s of ['', '\r\n', '\r\n\r\n', '\n']) expect(() => parseMessage(b(s), { datagram: true })).toThrow(SipParseError);
  });
});

describe('parseMessage: header block', () => {
  it('parses names case-insensitively, with whitespace before the colon and compact forms', () => {
    const m = parseMessage(b(crlf('OPTIONS sip:a@b SIP/2.0', 'VIA  : SIP/2.0/UDP h;branch=z9hG4bK1', 'i:x', 'cseq :1 OPTIONS', 'l: 0', '', '')));
    expect(m.headers.map((h) => [h.key, h.name, h.value])).toEqual([
      ['via', 'VIA', 'SIP/2.0/UDP h;branch=z9hG4bK1'],
      ['call-id', 'i', 'x'],
      ['cseq', 'cseq', '1 OPTIONS'],
      ['content-length', 'l', '0'],
    ]);
  });

  it('accepts bare LF line ends and a mix of CRLF and LF', () => {
    const i = INVITE_EXACT.indexOf('\r\n\r\n');
    const lf = `${INVITE_EXACT.slice(0, i).replace(/\r\n/g, '\n')}\n\n${INVITE_EXACT.slice(i + 4)}`;
    const m = parseMessage(b(lf), { datagram: false });
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.body.length).toBe(149);
    expect(m.parseError).toBeUndefined();
    const mixed = parseMessage(b('OPTIONS sip:a@b SIP/2.0\nCall-ID: x\r\nl: 3\n\r\nabc'));
    expect(mixed.callId).toBe('x');
    expect(mixed.bodyText).toBe('abc');
  });

  it('records structural problems in parseError and keeps the good headers', () => {
    const cases: [string, RegExp][] = [
      ['No colon here', /without a colon/],
      ['Bad Name: x', /invalid header name/],
      ['Ba"d: x', /invalid header name/],
      [': x', /invalid header name/],
    ];
    for (const [line, re] of cases) {
      const m = parseMessage(b(crlf('OPTIONS sip:a@b SIP/2.0', 'Call-ID: x', line, 'To: <sip:a@b>', 'l: 0', '', '')));
      expect(m.parseError, line).toMatch(re);
      expect(m.get('to')).toBe('<sip:a@b>');
      expect(m.callId).toBe('x');
    }
    const cont = parseMessage(b(crlf('OPTIONS sip:a@b SIP/2.0', ' leading continuation', 'Call-ID: x', 'l: 0', '', '')));
    expect(cont.parseError).toMatch(/continuation/);
  });

  it('treats header values with non-ASCII as UTF-8, and leaves the body alone', () => {
    const body = Buffer.from([0xc3, 0x28, 0xff, 0x00]);
    const m = parseMessage(Buffer.concat([b(crlf('MESSAGE sip:a@b SIP/2.0', 'Subject: Grüße', 'X-Raw: \u00e9t\u00e9', `Content-Length: ${body.length}`, '', '')), body]));
    expect(m.get('subject')).toBe('Grüße');
    expect(m.get('x-raw')).toBe('été');
    expect(m.body.equals(body)).toBe(true);
  });

  it('keeps control characters and NUL inside values', () => {
    const m = parseMessage(b(crlf('OPTIONS sip:a@b SIP/2.0', 'X-Odd: a\u0000b\u0007c', 'l: 0', '', '')));
    expect(m.get('x-odd')).toBe('a\u0000b\u0007c');
  });
});

describe('parseMessage: body framing', () => {
  const head = (cl?: string): string => crlf('MESSAGE sip:a@b SIP/2.0', 'Call-ID: x', ...(cl === undefined ? [] : [`Content-Length: ${cl}`]), '', '');

  it('takes Content-Length octets and ignores the rest of a datagram (RFC 3261 §18.3)', () => {
    const m = parseMessage(b(`${head('5')}HelloEXTRA`), { datagram: true });
    expect(m.bodyText).toBe('Hello');
    expect(m.parseError).toBeUndefined();
  });

  it('without Content-Length a datagram body runs to the end, a stream message has a problem', () => {
    expect(parseMessage(b(`${head()}Hello`), { datagram: true }).bodyText).toBe('Hello');
    expect(parseMessage(b(`${head()}Hello`), { datagram: true }).parseError).toBeUndefined();
    expect(parseMessage(b(`${head()}Hello`)).parseError).toMatch(/missing Content-Length/);
    expect(parseMessage(b(head())).parseError).toBeUndefined();
  });

  it('Content-Length larger than what arrived, negative, non-numeric or huge: parseError', () => {
    expect(parseMessage(b(`${head('9999')}Hello`), { datagram: true }).parseError).toMatch(/larger than the 5 bytes/);
    expect(parseMessage(b(`${head('-999')}Hello`), { datagram: true }).parseError).toMatch(/invalid Content-Length/);
    expect(parseMessage(b(`${head('abc')}Hello`), { datagram: true }).parseError).toMatch(/invalid Content-Length/);
    expect(parseMessage(b(`${head('99999999999999999999')}Hello`), { datagram: true }).parseError).toMatch(/Content-Length/);
  });

  it('conflicting Content-Length headers are a problem, identical repeats are not', () => {
    const two = (a: string, c: string): string => crlf('MESSAGE sip:a@b SIP/2.0', `Content-Length: ${a}`, `l: ${c}`, '', 'Hello');
    expect(parseMessage(b(two('5', '3')), { datagram: true }).parseError).toMatch(/conflicting Content-Length/);
    expect(parseMessage(b(two('5', '5')), { datagram: true }).parseError).toBeUndefined();
  });

  it('a datagram may end without the empty line after the headers', () => {
    const m = parseMessage(b(crlf('OPTIONS sip:a@b SIP/2.0', 'Call-ID: x', 'Content-Length: 0', '')), { datagram: true });
    expect(m.callId).toBe('x');
    expect(m.parseError).toBeUndefined();
    expect(() => parseMessage(b(crlf('OPTIONS sip:a@b SIP/2.0', 'Call-ID: x', '')))).toThrow(SipParseError);
  });

  it('a body may contain empty lines', () => {
    const m = parseMessage(b(VIA_HEAVY.replace('l: 0', 'l: 8') + 'a\r\n\r\nb\n\nc'), { datagram: true });
    expect(m.bodyText).toBe('a\r\n\r\nb\n\n');
  });

  it('the body of an LF-only message is found at the first empty line even if the body has CRLFCRLF', () => {
    const text = 'MESSAGE sip:a@b SIP/2.0\nContent-Length: 6\n\nx\r\n\r\ny';
    const m = parseMessage(b(text));
    expect(m.bodyText).toBe('x\r\n\r\ny');
  });
});

describe('findHeaderEnd', () => {
  it('finds CRLFCRLF, LFLF and mixed terminators, whichever comes first', () => {
    expect(findHeaderEnd(b('A\r\nB\r\n\r\nbody'))).toEqual({ headEnd: 4, bodyStart: 8 });
    expect(findHeaderEnd(b('A\nB\n\nbody'))).toEqual({ headEnd: 3, bodyStart: 5 });
    expect(findHeaderEnd(b('A\r\nB\r\n\nbody'))).toEqual({ headEnd: 4, bodyStart: 7 });
    expect(findHeaderEnd(b('A\nB\n\r\nbody'))).toEqual({ headEnd: 3, bodyStart: 6 });
    expect(findHeaderEnd(b('A\nB\n\nx\r\n\r\n'))).toEqual({ headEnd: 3, bodyStart: 5 });
    expect(findHeaderEnd(b('A\r\nB\r\n'))).toBeUndefined();
    expect(findHeaderEnd(b(''))).toBeUndefined();
  });

  it('starts at `from`', () => {
    expect(findHeaderEnd(b('\r\n\r\nA\r\n\r\n'), 4)).toEqual({ headEnd: 5, bodyStart: 9 });
  });
});

describe('SipParseError', () => {
  it('is an Error with its own name', () => {
    const e = new SipParseError('x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SipParseError');
    expect(e.message).toBe('x');
  });
});
