import { describe, expect, it } from 'vitest';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import { CSeq, SipRequest, SipResponse, type SipMessageAny } from '../../../src/sip/message/message.js';
import { NameAddr } from '../../../src/sip/message/name-addr.js';
import { SipUri, TelUri, parseUri } from '../../../src/sip/message/uri.js';
import { Via, parseVia } from '../../../src/sip/message/via.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { OK200, VIA_HEAVY } from '../fixtures.js';
import { INVITE_EXACT as INVITE } from './exact.js';

const crlf = (...lines: string[]): string => lines.join('\r\n');
const parse = (text: string): SipMessageAny => parseMessage(Buffer.from(text, 'utf8'), { datagram: true });
const req = (text: string): SipRequest => {
  const m = parse(text);
  if (!m.isRequest()) throw new Error('not a request');
  return m;
};

/** Header lines of a serialised message, without start line, Content-Length and body. */
function headerLines(m: SipMessageAny): string[] {
  const s = m.toString();
  const head = s.slice(0, s.indexOf('\r\n\r\n'));
  return head.split('\r\n').slice(1, -1);
}

const BASIC = crlf(
  'OPTIONS sip:carol@chicago.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877',
  'Max-Forwards: 70',
  'To: <sip:carol@chicago.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 63104 OPTIONS',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Accept: application/sdp',
  'Content-Length: 0',
  '',
  '',
);

describe('raw header access', () => {
  it('get/has are case-insensitive and understand compact forms', () => {
    const m = parse(VIA_HEAVY);
    expect(m.get('CALL-ID')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.get('i')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.get('To')).toBe('<sip:alice@atlanta.example.com>;tag=1928301774');
    expect(m.has('t')).toBe(true);
    expect(m.has('f')).toBe(true);
    expect(m.has('Route')).toBe(false);
    expect(m.get('route')).toBeUndefined();
  });

  it('get returns the first element of a list header, getAll every element', () => {
    const m = parse(INVITE);
    expect(m.get('allow')).toBe('INVITE');
    expect(m.getAll('Allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'OPTIONS', 'BYE', 'REFER', 'NOTIFY', 'INFO', 'UPDATE', 'PRACK']);
    const h = parse(VIA_HEAVY);
    expect(h.getAll('via')).toHaveLength(14);
    expect(h.getAll('via')[13]).toBe('SIP/2.0/TCP b.example.com;branch=z9hG4bKx2');
  });

  it('getAll never splits WWW-Authenticate, Authorization or Date at their commas', () => {
    const www = 'Digest realm="atlanta.example.com", qop="auth,auth-int", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5';
    const auth = 'Digest username="bob", realm="atlanta.example.com", nonce="ea9c8e88", uri="sip:bob@biloxi.example.com", response="dfe56131d1958046689d83306477ecc", qop=auth, nc=00000001, cnonce="0a4f113b"';
    const m = parse(
      crlf(
        'SIP/2.0 401 Unauthorized',
        'Via: SIP/2.0/UDP h;branch=z9hG4bKa',
        `WWW-Authenticate: ${www}`,
        `WWW-Authenticate: ${www.replace('MD5', 'SHA-256')}`,
        `Authorization: ${auth}`,
        `Proxy-Authorization: ${auth}`,
        'Date: Sat, 13 Nov 2010 23:29:00 GMT',
        'Content-Length: 0',
        '',
        '',
      ),
    );
    expect(m.getAll('www-authenticate')).toEqual([www, www.replace('MD5', 'SHA-256')]);
    expect(m.get('WWW-Authenticate')).toBe(www);
    expect(m.getAll('authorization')).toEqual([auth]);
    expect(m.getAll('proxy-authorization')).toEqual([auth]);
    expect(m.getAll('date')).toEqual(['Sat, 13 Nov 2010 23:29:00 GMT']);
  });

  it('joins folded lines with one space (RFC 3261 §7.3.1)', () => {
    const m = parse(
      crlf('OPTIONS sip:a@b SIP/2.0', 'Subject: I know you\'re there,', '         pick up the phone', '\t and talk to me!', 'X-Empty:', ' ', 'l: 0', '', ''),
    );
    expect(m.get('subject')).toBe("I know you're there, pick up the phone and talk to me!");
    expect(m.get('x-empty')).toBe('');
  });

  it('headers is a public, mutable list', () => {
    const m = parse(BASIC);
    expect(m.headers.map((h) => h.key)).toEqual(['via', 'max-forwards', 'to', 'from', 'call-id', 'cseq', 'contact', 'accept', 'content-length']);
    expect(m.headers[0]).toEqual({ key: 'via', name: 'Via', value: 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877' });
    m.headers.push({ key: 'x-added', name: 'X-Added', value: 'yes' });
    expect(m.get('x-added')).toBe('yes');
    m.headers = m.headers.filter((h) => h.key !== 'accept');
    expect(m.has('accept')).toBe(false);
    expect(m.toString()).toContain('X-Added: yes\r\n');
  });

  it('keeps header names as received', () => {
    const m = parse(VIA_HEAVY);
    expect(m.headers.find((h) => h.key === 'call-id')!.name).toBe('i');
    expect(m.toString()).toContain('\r\ni: a84b4c76e66710@pc33.atlanta.example.com\r\n');
  });
});

describe('set / append / prepend / remove', () => {
  it('set replaces every field of a header at the position of the first', () => {
    const m = parse(BASIC);
    m.set('max-forwards', '69');
    expect(headerLines(m)[1]).toBe('Max-Forwards: 69');
    m.set('Via', ['SIP/2.0/TCP a;branch=z9hG4bK1', 'SIP/2.0/TCP b;branch=z9hG4bK2']);
    expect(headerLines(m).slice(0, 3)).toEqual(['Via: SIP/2.0/TCP a;branch=z9hG4bK1', 'Via: SIP/2.0/TCP b;branch=z9hG4bK2', 'Max-Forwards: 69']);
    m.set('x-new', 'v');
    expect(headerLines(m).at(-1)).toBe('X-New: v');
  });

  it('append adds a field at the end, prepend before the first field of that header', () => {
    const m = parse(OK200);
    m.append('record-route', '<sip:p1.example.com;lr>');
    m.prepend('Record-Route', '<sip:p0.example.com;lr>');
    m.prepend('via', 'SIP/2.0/UDP top.example.com;branch=z9hG4bKtop');
    expect(m.getAll('record-route')).toEqual(['<sip:p0.example.com;lr>', '<sip:p1.example.com;lr>']);
    expect(m.topVia.host).toBe('top.example.com');
    expect(m.vias).toHaveLength(4);
    expect(headerLines(m)[0]).toBe('Via: SIP/2.0/UDP top.example.com;branch=z9hG4bKtop');
  });

  it('remove deletes every field of a header', () => {
    const m = parse(VIA_HEAVY);
    m.remove('v');
    expect(m.has('via')).toBe(false);
    expect(m.getAll('via')).toEqual([]);
    expect(() => m.topVia).toThrow(SipSyntaxError);
    expect(m.toString()).not.toContain('Via');
  });

  it('uses canonical names for headers it adds, also for prototype names', () => {
    const m = new SipRequest('OPTIONS', 'sip:a@b');
    m.set('call-id', 'x').set('cseq', '1 OPTIONS').append('www-authenticate', 'Digest realm="r"');
    m.set('__proto__', 'p').set('constructor', 'c');
    expect(m.headers.map((h) => h.name)).toEqual(['Call-ID', 'CSeq', 'WWW-Authenticate', '__proto__', 'Constructor']);
    expect(m.get('__proto__')).toBe('p');
    expect(m.toString()).toContain('\r\n__proto__: p\r\nConstructor: c\r\n');
  });
});

describe('typed accessors', () => {
  it('read the transaction fields', () => {
    const m = req(INVITE);
    expect(m.method).toBe('INVITE');
    expect(m.uriString).toBe('sip:bob@biloxi.example.com');
    expect((m.uri as SipUri).user).toBe('bob');
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.cseq.seq).toBe(314159);
    expect(m.cseq.method).toBe('INVITE');
    expect(m.from.tag).toBe('1928301774');
    expect(m.from.displayName).toBe('Alice Liddell');
    expect(m.to.tag).toBeUndefined();
    expect(m.topVia.branch).toBe('z9hG4bK776asdhds');
    expect(m.topVia.rport).toBeNull();
    expect(m.maxForwards).toBe(70);
    expect(m.contentType).toBe('application/sdp');
    expect(m.optionTags('supported')).toEqual(['replaces', 'timer', '100rel']);
    expect(m.optionTags('k')).toEqual(['replaces', 'timer', '100rel']);
    expect(m.optionTags('require')).toEqual([]);
    expect(m.bodyText.startsWith('v=0\r\n')).toBe(true);
    expect(m.body.length).toBe(149);
  });

  it('vias, routes, record-routes and contacts are lists, top first', () => {
    const m = parse(VIA_HEAVY);
    expect(m.vias.map((v) => v.host)).toEqual([...Array.from({ length: 12 }, (_, i) => `proxy${i}.example.com`), 'a.example.com', 'b.example.com']);
    expect(m.vias[3]!.received).toBe('10.0.0.3');
    expect(m.routes).toEqual([]);
    const r = parse(
      crlf('BYE sip:a@b SIP/2.0', 'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>', 'Route: <sip:p3.example.com;lr>', 'Record-Route: <sip:rr.example.com;lr>', 'Contact: "A, B" <sip:ab@h>;q=0.5, <tel:+123>', 'l: 0', '', ''),
    );
    expect(r.routes.map((x) => x.uri.toString())).toEqual(['sip:p1.example.com;lr', 'sip:p2.example.com;lr', 'sip:p3.example.com;lr']);
    expect(r.recordRoutes).toHaveLength(1);
    const c = r.contacts;
    expect(c).not.toBe('*');
    expect((c as NameAddr[])[0]!.displayName).toBe('A, B');
    expect((c as NameAddr[])[0]!.params.get('q')).toBe('0.5');
    expect((c as NameAddr[])[1]!.uri).toBeInstanceOf(TelUri);
  });

  it('a wildcard Contact reads as *', () => {
    const m = parse(crlf('REGISTER sip:r SIP/2.0', 'Contact: *', 'Expires: 0', 'l: 0', '', ''));
    expect(m.contacts).toBe('*');
  });

  it('missing and malformed headers throw SipSyntaxError', () => {
    const m = parse(crlf('OPTIONS sip:a@b SIP/2.0', 'CSeq: x OPTIONS', 'Max-Forwards: abc', 'From: <sip:a@b', 'l: 0', '', ''));
    expect(() => m.callId).toThrow(SipSyntaxError);
    expect(() => m.to).toThrow(SipSyntaxError);
    expect(() => m.topVia).toThrow(SipSyntaxError);
    expect(() => m.cseq).toThrow(SipSyntaxError);
    expect(() => m.from).toThrow(SipSyntaxError);
    expect(() => m.maxForwards).toThrow(SipSyntaxError);
    expect(m.vias).toEqual([]);
  });

  it('Max-Forwards accepts leading zeros and rejects values above 255', () => {
    expect(parse(crlf('OPTIONS sip:a@b SIP/2.0', 'Max-Forwards: 0068', 'l: 0', '', '')).maxForwards).toBe(68);
    expect(parse(crlf('OPTIONS sip:a@b SIP/2.0', 'l: 0', '', '')).maxForwards).toBeUndefined();
    expect(() => parse(crlf('OPTIONS sip:a@b SIP/2.0', 'Max-Forwards: 300', 'l: 0', '', '')).maxForwards).toThrow(SipSyntaxError);
    expect(() => parse(crlf('OPTIONS sip:a@b SIP/2.0', 'Max-Forwards: -1', 'l: 0', '', '')).maxForwards).toThrow(SipSyntaxError);
  });

  it('CSeq: leading zeros, folding, 32-bit range', () => {
    const at = (v: string): CSeq => parse(crlf('OPTIONS sip:a@b SIP/2.0', `CSeq: ${v}`, 'l: 0', '', '')).cseq;
    expect(at('0009\r\n  INVITE').seq).toBe(9);
    expect(at('4294967295 INVITE').seq).toBe(4294967295);
    expect(at('000000000001 ACK').seq).toBe(1);
    expect(() => at('4294967296 INVITE')).toThrow(SipSyntaxError);
    expect(() => at('36893488147419103232 REGISTER')).toThrow(SipSyntaxError);
    expect(() => at('1')).toThrow(SipSyntaxError);
    expect(() => at('1 INV ITE')).toThrow(SipSyntaxError);
    expect(new CSeq(7, 'BYE').toString()).toBe('7 BYE');
  });

  it('topVia does not need the other Vias to be well formed', () => {
    const m = parse(crlf('OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, garbage', 'l: 0', '', ''));
    expect(m.topVia.host).toBe('a.example.com');
    expect(() => m.vias).toThrow(SipSyntaxError);
  });
});

describe('live typed values', () => {
  it('editing the To tag shows in the serialised message', () => {
    const m = parse(INVITE);
    m.to.tag = 'as83kd9bs';
    expect(m.get('to')).toBe('"Bob" <sip:bob@biloxi.example.com>;tag=as83kd9bs');
    expect(m.toString()).toContain('\r\nTo: "Bob" <sip:bob@biloxi.example.com>;tag=as83kd9bs\r\n');
    expect(parse(m.toString()).to.tag).toBe('as83kd9bs');
  });

  it('editing the top Via parameters shows in the serialised message, other Vias untouched', () => {
    const m = parse(OK200);
    m.topVia.params.set('received', '203.0.113.9');
    m.topVia.params.set('rport', '5099');
    const lines = headerLines(m);
    expect(lines[0]).toBe('Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=203.0.113.9;rport=5099');
    expect(lines[1]).toBe('Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2');
    expect(lines[2]).toBe('Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1');
    expect(parse(m.toString()).topVia.rport).toBe(5099);
  });

  it('the vias array is live: shift removes the top Via on the wire', () => {
    const m = parse(OK200);
    const removed = m.vias.shift();
    expect(removed!.host).toBe('server10.biloxi.example.com');
    expect(m.getAll('via')).toHaveLength(2);
    expect(m.toString()).not.toContain('server10');
    m.vias.unshift(new Via('TCP', 'new.example.com', 5070, new Map([['branch', 'z9hG4bKnew']])));
    expect(headerLines(m)[0]).toBe('Via: SIP/2.0/TCP new.example.com:5070;branch=z9hG4bKnew');
  });

  it('a Via list on one line is written back as separate lines when edited', () => {
    const m = parse(VIA_HEAVY);
    m.vias[13]!.params.set('received', '192.0.2.99');
    const vias = headerLines(m).filter((l) => l.startsWith('Via:') || l.startsWith('v:'));
    expect(vias).toHaveLength(14);
    expect(vias[13]).toBe('Via: SIP/2.0/TCP b.example.com;branch=z9hG4bKx2;received=192.0.2.99');
  });

  it('CSeq, From, Contact and Route values are live too', () => {
    const m = parse(
      crlf('INVITE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:x@y>;tag=1', 'To: <sip:a@b>', 'Call-ID: c', 'CSeq: 1 INVITE', 'Contact: <sip:x@10.0.0.1>', 'Route: <sip:p1;lr>, <sip:p2;lr>', 'l: 0', '', ''),
    );
    m.cseq.seq = 2;
    m.from.displayName = 'X';
    (m.contacts as NameAddr[])[0]!.uri = parseUri('sip:x@192.0.2.1:5080');
    m.routes.shift();
    const s = m.toString();
    expect(s).toContain('\r\nCSeq: 2 INVITE\r\n');
    expect(s).toContain('\r\nFrom: "X" <sip:x@y>;tag=1\r\n');
    expect(s).toContain('\r\nContact: <sip:x@192.0.2.1:5080>\r\n');
    expect(s).toContain('\r\nRoute: <sip:p2;lr>\r\n');
    expect(s).not.toContain('p1');
  });

  it('the same object is returned until the header is replaced', () => {
    const m = parse(INVITE);
    expect(m.to).toBe(m.to);
    expect(m.topVia).toBe(m.vias[0]);
    const before = m.to;
    m.set('to', '<sip:carol@example.com>');
    expect(m.to).not.toBe(before);
    expect((m.to.uri as SipUri).user).toBe('carol');
  });

  it('live edits survive append/prepend of the same header', () => {
    const m = parse(OK200);
    m.topVia.params.set('received', '198.51.100.1');
    m.prepend('via', 'SIP/2.0/UDP me.example.com;branch=z9hG4bKme');
    m.append('via', 'SIP/2.0/UDP last.example.com;branch=z9hG4bKlast');
    expect(m.getAll('via')).toEqual([
      'SIP/2.0/UDP me.example.com;branch=z9hG4bKme',
      'SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=198.51.100.1',
      'SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2',
      'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
      'SIP/2.0/UDP last.example.com;branch=z9hG4bKlast',
    ]);
  });

  it('remove drops live values', () => {
    const m = parse(INVITE);
    m.to.tag = 'x';
    m.remove('to');
    expect(m.toString()).not.toMatch(/\r\nTo:/);
    expect(() => m.to).toThrow(SipSyntaxError);
  });
});

describe('serialising', () => {
  it('writes start line, headers, a fresh Content-Length and the body', () => {
    const m = parse(INVITE);
    const out = m.toBuffer();
    expect(out.toString('latin1')).toBe(INVITE);
    m.setBody('v=0\r\n', 'application/sdp');
    const s = m.toString();
    expect(s).toContain('\r\nContent-Length: 5\r\n\r\nv=0\r\n');
    expect(s.match(/Content-Length/g)).toHaveLength(1);
    m.setBody('');
    expect(m.has('content-type')).toBe(false);
    expect(m.toString().endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('normalises folding and whitespace but keeps values as received', () => {
    const m = parse(crlf('OPTIONS  sip:a@b  SIP/2.0', 'TO :', ' sip:a@b ;   tag    = 1', 'Via  : SIP/2.0/UDP h;branch=z9hG4bK1', 'l: 0', '', ''));
    expect(m.toString()).toBe(crlf('OPTIONS sip:a@b SIP/2.0', 'TO: sip:a@b ;   tag    = 1', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 0', '', ''));
  });

  it('re-parsing the output yields the same message (fixtures)', () => {
    for (const text of [INVITE, OK200, VIA_HEAVY]) {
      const a = parse(text);
      const b = parse(a.toString());
      const noCl = (m: SipMessageAny) => m.headers.filter((h) => h.key !== 'content-length');
      expect(noCl(b)).toEqual(noCl(a));
      expect(b.toString()).toBe(a.toString());
      expect(b.body.equals(a.body)).toBe(true);
    }
  });

  it('binary bodies are kept byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]);
    const m = new SipRequest('MESSAGE', 'sip:a@b').setBody(body, 'application/octet-stream');
    const out = m.toBuffer();
    expect(out.subarray(out.length - body.length).equals(body)).toBe(true);
    expect(parseMessage(out).body.equals(body)).toBe(true);
  });

  it('UTF-8 in header values survives parse and serialise', () => {
    const m = parse(crlf('MESSAGE sip:a@b SIP/2.0', 'From: "Zoë Ñandú 日本" <sip:z@b>;tag=1', 'Subject: ça va? ✓', 'l: 0', '', ''));
    expect(m.from.displayName).toBe('Zoë Ñandú 日本');
    expect(m.get('subject')).toBe('ça va? ✓');
    expect(parse(m.toString()).get('subject')).toBe('ça va? ✓');
  });
});

describe('SipRequest / SipResponse', () => {
  it('requests: start line, Request-URI parsing and replacement', () => {
    const r = new SipRequest('INVITE', 'sip:bob@biloxi.example.com');
    expect(r.isRequest()).toBe(true);
    expect(r.version).toBe('SIP/2.0');
    expect(r.startLine()).toBe('INVITE sip:bob@biloxi.example.com SIP/2.0');
    const first = r.uri;
    expect(r.uri).toBe(first);
    r.uri = 'sip:carol@chicago.example.com';
    expect((r.uri as SipUri).user).toBe('carol');
    r.uri = parseUri('tel:+1234');
    expect(r.uriString).toBe('tel:+1234');
    expect(r.startLine()).toBe('INVITE tel:+1234 SIP/2.0');
    expect(() => new SipRequest('INVITE', 'garbage').uri).toThrow(SipSyntaxError);
  });

  it('responses: start line', () => {
    const r = new SipResponse(180, 'Ringing');
    expect(r.isRequest()).toBe(false);
    expect(r.startLine()).toBe('SIP/2.0 180 Ringing');
    expect(new SipResponse(100, '').startLine()).toBe('SIP/2.0 100 ');
  });

  it('a message built from scratch serialises', () => {
    const r = new SipRequest('OPTIONS', 'sip:a@b');
    r.append('via', parseVia('SIP/2.0/UDP h;branch=z9hG4bK1').toString());
    r.set('max-forwards', '70');
    expect(r.toString()).toBe(crlf('OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Max-Forwards: 70', 'Content-Length: 0', '', ''));
    expect(r.topVia.branch).toBe('z9hG4bK1');
  });
});
