/**
 * RFC 4475 (SIP Torture Test Messages): every message of §3.1.1 (valid), §3.1.2
 * (invalid), §3.2 (transaction layer), §3.3 (application layer) and §3.4 (backward
 * compatibility), parsed as a UDP datagram (the RFC's setting) and checked the way
 * the RFC describes: valid messages parse and validate to the right fields; invalid
 * ones are dropped by the parser or answered by validateMessage (400, 416, 483, 505).
 * Where the RFC allows either rejecting or accepting, the test states which we do.
 */
import { describe, expect, it } from 'vitest';
import type { SipMessageAny, SipRequest, SipResponse } from '../../../src/sip/message/message.js';
import type { NameAddr } from '../../../src/sip/message/name-addr.js';
import { AbsoluteUri, SipUri, unescapeUriPart } from '../../../src/sip/message/uri.js';
import { type ValidationProblem, validateMessage } from '../../../src/sip/message/validate.js';
import { SipParseError, parseMessage } from '../../../src/sip/parser/parse-message.js';
import { StreamParser } from '../../../src/sip/parser/stream-parser.js';
import { rfc4475, rfc4475Messages } from './torture/load.js';

const parse = (name: string): SipMessageAny => parseMessage(rfc4475(name), { datagram: true });
const request = (name: string): SipRequest => {
  const m = parse(name);
  if (!m.isRequest()) throw new Error(`${name} is not a request`);
  return m;
};
const response = (name: string): SipResponse => {
  const m = parse(name);
  if (m.isRequest()) throw new Error(`${name} is not a response`);
  return m;
};
const nameAddrs = (c: NameAddr[] | '*'): NameAddr[] => {
  if (c === '*') throw new Error('wildcard');
  return c;
};
const sipUri = (u: unknown): SipUri => {
  expect(u).toBeInstanceOf(SipUri);
  return u as SipUri;
};

/** A valid message parses without problems and validates. */
function valid(name: string): SipMessageAny {
  const m = parse(name);
  expect(m.parseError, `${name} parseError`).toBeUndefined();
  expect(validateMessage(m), `${name} validation`).toBeUndefined();
  return m;
}

/** Serialising and parsing again keeps what the message says. */
function reparsed(m: SipMessageAny): SipMessageAny {
  return parseMessage(m.toBuffer(), { datagram: true });
}

function rejected(name: string): ValidationProblem {
  const p = validateMessage(parse(name));
  expect(p, `${name} must be rejected`).toBeDefined();
  return p!;
}

const ALL = [
  // §3.1.1
  'wsinv', 'intmeth', 'esc01', 'escnull', 'esc02', 'lwsdisp', 'longreq', 'dblreq', 'semiuri', 'transports', 'mpart01', 'unreason', 'noreason',
  // §3.1.2
  'badinv01', 'clerr', 'ncl', 'scalar02', 'scalarlg', 'quotbal', 'ltgtruri', 'lwsruri', 'lwsstart', 'trws', 'escruri', 'baddate', 'regbadct',
  'badaspec', 'baddn', 'badvers', 'mismatch01', 'mismatch02', 'bigcode',
  // §3.2
  'badbranch',
  // §3.3
  'insuf', 'unkscm', 'novelsc', 'unksm2', 'bext01', 'invut', 'regaut01', 'multi01', 'mcl01', 'bcast', 'zeromf', 'cparam01', 'cparam02', 'regescrt', 'sdp01',
  // §3.4
  'inv2543',
];

it('has every message of RFC 4475 §3 as a data file', () => {
  expect([...rfc4475Messages().keys()].sort()).toEqual([...ALL].sort());
});

describe('RFC 4475 §3.1.1 valid messages', () => {
  it('3.1.1.1 wsinv: a short tortuous INVITE', () => {
    const m = valid('wsinv') as SipRequest;
    for (const msg of [m, reparsed(m) as SipRequest]) {
      expect(msg.method).toBe('INVITE');
      expect(sipUri(msg.uri).params.has('unknownparam')).toBe(true);
      expect(msg.to.uri.toString()).toBe('sip:vivekg@chair-dnrc.example.com');
      expect(msg.to.tag).toBe('1918181833n');
      expect(msg.from.displayName).toBe('J Rosenberg \\"');
      expect(msg.from.tag).toBe('98asjd8');
      expect(msg.maxForwards).toBe(68);
      expect(msg.callId).toBe('wsinv.ndaksdj@192.0.2.1');
      expect(msg.cseq.seq).toBe(9);
      expect(msg.cseq.method).toBe('INVITE');
      expect(msg.vias.map((v) => [v.protocol, v.transport, v.host, v.branch])).toEqual([
        ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
        ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
      ]);
      expect(msg.has('subject')).toBe(true);
      expect(msg.get('subject')).toBe('');
      expect(msg.get('newfangledheader')).toBe('newfangled value continued newfangled value');
      expect(msg.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
      expect(msg.contentType).toBe('application/sdp');
      const route = sipUri(msg.routes[0]!.uri);
      expect(route.host).toBe('services.example.com');
      expect([...route.params]).toEqual([
        ['lr', null],
        ['unknownwith', 'value'],
        ['unknown-no-value', null],
      ]);
      const contact = nameAddrs(msg.contacts)[0]!;
      expect(contact.displayName).toBe('Quoted string ""');
      expect([...contact.params]).toEqual([
        ['newparam', 'newvalue'],
        ['secondparam', null],
        ['q', '0.33'],
      ]);
      expect(msg.body.length).toBe(150);
    }
  });

  it('3.1.1.2 intmeth: wide range of valid characters', () => {
    const method = "!interesting-Method0123456789_*+`.%indeed'~";
    const m = valid('intmeth') as SipRequest;
    for (const msg of [m, reparsed(m) as SipRequest]) {
      expect(msg.method).toBe(method);
      const ruri = sipUri(msg.uri);
      expect(ruri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(ruri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
      expect(ruri.host).toBe('example.com');
      expect(msg.topVia.branch).toBe("z9hG4bK-.!%66*_+`'~");
      expect(msg.to.displayName).toBe('BEL:\u0007 NUL:\u0000 DEL:\u007f');
      expect(sipUri(msg.to.uri).user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(msg.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
      expect(msg.from.params.get("fromparam''~+*_!.-%")).toBe('работающий');
      expect(msg.from.tag).toBe("_token~1'+`*%!-.");
      expect(msg.callId).toBe("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
      expect(msg.cseq.seq).toBe(139122385);
      expect(msg.cseq.method).toBe(method);
      expect(msg.maxForwards).toBe(255);
      expect(msg.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
      expect(msg.body.length).toBe(0);
    }
  });

  it('3.1.1.3 esc01: valid use of the % escaping mechanism', () => {
    const m = valid('esc01') as SipRequest;
    const ruri = sipUri(m.uri);
    expect(ruri.user).toBe('sips%3Auser%40example.com');
    expect(ruri.host).toBe('example.net');
    expect(m.startLine()).toBe('INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0');
    expect(unescapeUriPart(sipUri(m.to.uri).user!)).toBe('user');
    expect(unescapeUriPart(sipUri(m.from.uri).user!)).toBe('I have spaces');
    expect(m.from.tag).toBe('938');
    expect(m.callId).toBe('esc01.239409asdfakjkn23onasd0-3234');
    expect(m.contentType).toBe('application/sdp');
    const contact = sipUri(nameAddrs(m.contacts)[0]!.uri);
    expect(unescapeUriPart(contact.user!)).toBe('caller');
    expect(contact.params.has('%6c%72')).toBe(true);
    // "value%41" is NOT "valueA": unescaping is not recursive
    expect(unescapeUriPart(contact.params.get('n%61me')!)).toBe('value%41');
    expect(m.body.length).toBe(150);
  });

  it('3.1.1.4 escnull: escaped nulls in URIs stay escaped', () => {
    const m = valid('escnull') as SipRequest;
    expect(sipUri(m.to.uri).user).toBe('null-%00-null');
    expect(unescapeUriPart(sipUri(m.from.uri).user!)).toBe('null-\u0000-null');
    expect(nameAddrs(m.contacts).map((c) => sipUri(c.uri).user)).toEqual(['%00', '%00%00']);
    const out = m.toBuffer();
    expect(out.includes(0)).toBe(false);
    expect(out.toString()).toContain('sip:%00%00@host5.example.com');
  });

  it('3.1.1.5 esc02: % that is not an escape; RE%47IST%45R is not REGISTER', () => {
    const m = valid('esc02') as SipRequest;
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.cseq.method).toBe('RE%47IST%45R');
    expect(m.to.displayName).toBe('%Z%45');
    expect(m.topVia.branch).toBe('z9hG4bK209%fzsnel234');
    // C%6Fntact is an extension header, not Contact
    expect(nameAddrs(m.contacts).map((c) => sipUri(c.uri).user)).toEqual(['alias1', 'alias3']);
    expect(m.get('c%6fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('3.1.1.6 lwsdisp: no LWS between display name and <', () => {
    const m = valid('lwsdisp');
    expect(m.from.displayName).toBe('caller');
    expect(m.from.tag).toBe('323');
  });

  it('3.1.1.7 longreq: long values in header fields', () => {
    const m = valid('longreq') as SipRequest;
    expect(m.to.displayName).toBe(`I have a user name of ${'extreme'.repeat(10)} proportion`);
    const to = sipUri(m.to.uri);
    expect(to.port).toBe(6000);
    expect(to.params.get('unknownparam1')).toBe(`very${'long'.repeat(20)}value`);
    expect(to.params.get(`longparam${'name'.repeat(25)}`)).toBe('shortvalue');
    expect(to.params.get(`very${'long'.repeat(25)}parameternamewithnovalue`)).toBeNull();
    expect(m.from.tag).toBe(`1${'298'.repeat(50)}2424`);
    expect(m.from.params.get(`unknownheaderparam${'name'.repeat(20)}`)).toBe(`unknowheaderparam${'value'.repeat(15)}`);
    expect(m.callId).toBe(`longreq.one${'really'.repeat(20)}longcallid`);
    expect(m.get(`Unknown-${'Long'.repeat(20)}-Name`)).toBe(
      `unknown-${'long'.repeat(20)}-value; unknown-${'long'.repeat(20)}-parameter-name = unknown-${'long'.repeat(20)}-parameter-value`,
    );
    const vias = m.vias;
    expect(vias).toHaveLength(34);
    expect(vias.slice(0, 33).map((v) => v.host)).toEqual(Array.from({ length: 33 }, (_, i) => `sip${33 - i}.example.com`));
    expect(vias[33]!.received).toBe('192.0.2.5');
    expect(vias[33]!.branch).toBe(`very${'long'.repeat(50)}branchvalue`);
    expect(m.topVia.host).toBe('sip33.example.com');
    expect(m.body.length).toBe(150);
    expect(reparsed(m).vias).toHaveLength(34);
  });

  it('3.1.1.8 dblreq: extra trailing octets in a UDP datagram are discarded', () => {
    const m = valid('dblreq') as SipRequest;
    expect(m.method).toBe('REGISTER');
    expect(m.callId).toBe('dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    expect(m.body.length).toBe(0);
    expect(nameAddrs(m.contacts)[0]!.uri.toString()).toBe('sip:j.user@host.example.com');
    expect(m.toString()).not.toContain('INVITE');
  });

  it('3.1.1.9 semiuri: semicolon-separated parameters in the URI user part', () => {
    const m = valid('semiuri') as SipRequest;
    const ruri = sipUri(m.uri);
    expect(ruri.user).toBe('user;par=u%40example.net');
    expect(ruri.host).toBe('example.com');
    expect(ruri.params.size).toBe(0);
    expect(m.getAll('accept')).toEqual(['application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag']);
  });

  it('3.1.1.10 transports: varied and unknown transport types', () => {
    const m = valid('transports');
    expect(m.vias.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(m.callId).toBe('transports.kijh4akdnaqjkwendsasfdj');
  });

  it('3.1.1.11 mpart01: multipart MIME with a binary part', () => {
    const raw = rfc4475('mpart01');
    const m = valid('mpart01') as SipRequest;
    expect(m.method).toBe('MESSAGE');
    expect(m.body.length).toBe(553);
    expect(m.body.equals(raw.subarray(raw.length - 553))).toBe(true);
    expect(m.contentType).toBe('multipart/mixed;boundary=7a9cbec02ceef655');
    expect(m.topVia.rport).toBeNull();
    expect(m.topVia.sentBy).toBe('127.0.0.1:5070');
    expect(sipUri(m.routes[0]!.uri).port).toBe(5080);
    expect(m.get('identity')).toMatch(/^r5mwreLuyDRYBi.*UA=$/);
    expect(m.get('date')).toBe('Sat, 15 Oct 2005 04:44:56 GMT');
    const out = m.toBuffer();
    expect(out.subarray(out.length - 553).equals(m.body)).toBe(true);
  });

  it('3.1.1.12 unreason: unusual reason phrase in UTF-8', () => {
    const r = response('unreason');
    expect(validateMessage(r)).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(r.body.length).toBe(154);
    expect((reparsed(r) as SipResponse).reason).toBe(r.reason);
  });

  it('3.1.1.13 noreason: empty reason phrase', () => {
    const r = response('noreason');
    expect(validateMessage(r)).toBeUndefined();
    expect(r.status).toBe(100);
    expect(r.reason).toBe('');
    expect(r.toString().startsWith('SIP/2.0 100 \r\n')).toBe(true);
  });
});

describe('RFC 4475 §3.1.2 invalid messages', () => {
  it('3.1.2.1 badinv01: extraneous header field separators → 400, answerable', () => {
    const p = rejected('badinv01');
    expect(p.status).toBe(400);
    expect(p.routable).toBe(true);
    expect(p.reason).toMatch(/Via/);
    expect(parse('badinv01').topVia.host).toBe('192.0.2.15');
  });

  it('3.1.2.2 clerr: Content-Length larger than the message → 400 on UDP, wait on a stream', () => {
    expect(rejected('clerr')).toMatchObject({ status: 400, routable: true });
    expect(rejected('clerr').reason).toMatch(/Content-Length 9999 larger/);
    const p = new StreamParser();
    expect(p.push(rfc4475('clerr'))).toEqual([]);
    expect(p.buffered).toBe(rfc4475('clerr').length);
  });

  it('3.1.2.3 ncl: negative Content-Length → 400; fatal on a stream', () => {
    expect(rejected('ncl')).toMatchObject({ status: 400, reason: 'Bad Request - invalid Content-Length "-999"' });
    const ev = new StreamParser().push(rfc4475('ncl'));
    expect(ev.map((e) => e.kind)).toEqual(['fatal']);
  });

  it('3.1.2.4 scalar02: request scalar fields with overlarge values → 400', () => {
    const p = rejected('scalar02');
    expect(p.status).toBe(400);
    expect(p.reason).toMatch(/CSeq/);
    expect(() => parse('scalar02').maxForwards).toThrow();
  });

  it('3.1.2.5 scalarlg: response scalar fields with overlarge values → rejected (discarded)', () => {
    expect(rejected('scalarlg')).toMatchObject({ status: 400 });
    expect(parse('scalarlg').isRequest()).toBe(false);
  });

  it('3.1.2.6 quotbal: unterminated quoted string in display name → 400', () => {
    expect(rejected('quotbal')).toMatchObject({ status: 400, routable: true });
    expect(rejected('quotbal').reason).toMatch(/^Bad Request - To: /);
  });

  it('3.1.2.7 ltgtruri: <> enclosing the Request-URI → 400', () => {
    expect(rejected('ltgtruri').reason).toMatch(/^Bad Request - Request-URI/);
  });

  it('3.1.2.8 lwsruri: malformed SIP Request-URI (embedded LWS) → 400', () => {
    const p = rejected('lwsruri');
    expect(p.status).toBe(400);
    expect(p.reason).toMatch(/Request-URI/);
  });

  it('3.1.2.9 lwsstart: multiple SP separating Request-Line elements → accepted (liberal), written back with single SP', () => {
    const m = valid('lwsstart') as SipRequest;
    expect(m.uriString).toBe('sip:user@example.com');
    expect(m.toString().startsWith('INVITE sip:user@example.com SIP/2.0\r\n')).toBe(true);
  });

  it('3.1.2.10 trws: SP characters at end of Request-Line → accepted (liberal), not forwarded', () => {
    const m = valid('trws') as SipRequest;
    expect(m.startLine()).toBe('OPTIONS sip:remote-target@example.com SIP/2.0');
  });

  it('3.1.2.11 escruri: escaped headers in the SIP Request-URI → 400', () => {
    expect(rejected('escruri').reason).toMatch(/^Bad Request - Request-URI/);
  });

  it('3.1.2.12 baddate: invalid time zone in Date → accepted; Date is not used and never split', () => {
    const m = valid('baddate');
    expect(m.getAll('date')).toEqual(['Fri, 01 Jan 2010 16:00:00 EST']);
  });

  it('3.1.2.13 regbadct: failure to enclose name-addr URI in <> → 400', () => {
    expect(rejected('regbadct').reason).toMatch(/^Bad Request - Contact: /);
  });

  it('3.1.2.14 badaspec: spaces within addr-spec → 400', () => {
    expect(rejected('badaspec').reason).toMatch(/^Bad Request - To: /);
  });

  it('3.1.2.15 baddn: non-token characters in display name → 400', () => {
    expect(rejected('baddn').reason).toMatch(/^Bad Request - From: /);
  });

  it('3.1.2.16 badvers: unknown protocol version → 505', () => {
    expect(rejected('badvers')).toEqual({ status: 505, reason: 'Version Not Supported', routable: true });
  });

  it('3.1.2.17 mismatch01: start line and CSeq method mismatch → 400', () => {
    expect(rejected('mismatch01')).toMatchObject({ status: 400, reason: 'Bad Request - CSeq method does not match the request method' });
  });

  it('3.1.2.18 mismatch02: unknown method with CSeq method mismatch → 400 (RFC: 501 or 400)', () => {
    expect(rejected('mismatch02')).toMatchObject({ status: 400, routable: true });
  });

  it('3.1.2.19 bigcode: overlarge response code → dropped by the parser', () => {
    expect(() => parse('bigcode')).toThrow(SipParseError);
    const ev = new StreamParser().push(rfc4475('bigcode'));
    expect(ev.map((e) => e.kind)).toEqual(['error']);
  });
});

describe('RFC 4475 §3.2 transaction layer', () => {
  it('3.2.1 badbranch: branch is just the magic cookie → parses; matching is left to the transaction layer', () => {
    const m = valid('badbranch');
    expect(m.topVia.branch).toBe('z9hG4bK');
  });
});

describe('RFC 4475 §3.3 application-layer semantics: the parser must not fail', () => {
  it('3.3.1 insuf: missing Call-ID, From, To → 400', () => {
    expect(rejected('insuf')).toEqual({ status: 400, reason: 'Bad Request - missing From', routable: true });
  });

  it('3.3.2 unkscm: unknown Request-URI scheme → 416', () => {
    expect(rejected('unkscm')).toEqual({ status: 416, reason: 'Unsupported URI Scheme', routable: true });
    expect((parse('unkscm') as SipRequest).uri).toBeInstanceOf(AbsoluteUri);
  });

  it('3.3.3 novelsc: known but atypical Request-URI scheme → 416', () => {
    expect(rejected('novelsc').status).toBe(416);
    expect(((parse('novelsc') as SipRequest).uri as AbsoluteUri).scheme).toBe('soap.beep');
  });

  it('3.3.4 unksm2: unknown URI schemes in header fields → parses (the registrar, not the parser, refuses it)', () => {
    const m = valid('unksm2');
    expect(m.to.uri).toBeInstanceOf(AbsoluteUri);
    expect(m.to.uri.toString()).toBe('isbn:2983792873');
    expect(m.from.uri.toString()).toBe('http://www.example.com');
    expect(m.from.tag).toBe('3234233');
    expect(nameAddrs(m.contacts)[0]!.uri.toString()).toBe('name:John_Smith');
  });

  it('3.3.5 bext01: Proxy-Require and Require with unknown extensions → parses', () => {
    const m = valid('bext01');
    expect(m.getAll('require')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(m.getAll('proxy-require')).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
    expect(m.topVia.transport).toBe('TLS');
  });

  it('3.3.6 invut: unknown Content-Type → parses', () => {
    const m = valid('invut');
    expect(m.contentType).toBe('application/unknownformat');
    expect(m.bodyText).toBe('<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
  });

  it('3.3.7 regaut01: unknown authorization scheme → parses, Authorization kept whole', () => {
    const m = valid('regaut01');
    expect(m.getAll('authorization')).toEqual(['NoOneKnowsThisScheme opaque-data=here']);
  });

  it('3.3.8 multi01: multiple values in single-value required fields → 400', () => {
    expect(rejected('multi01')).toEqual({ status: 400, reason: 'Bad Request - more than one From', routable: true });
    expect(parse('multi01').body.length).toBe(154);
  });

  it('3.3.9 mcl01: multiple Content-Length values → 400; fatal on a stream', () => {
    expect(rejected('mcl01')).toMatchObject({ status: 400, reason: 'Bad Request - conflicting Content-Length headers' });
    expect(new StreamParser().push(rfc4475('mcl01')).map((e) => e.kind)).toEqual(['fatal']);
  });

  it('3.3.10 bcast: 200 OK with broadcast Via → parses', () => {
    const m = valid('bcast');
    expect(m.vias.map((v) => v.host)).toEqual(['192.0.2.198', '255.255.255.255']);
    expect(m.body.length).toBe(154);
  });

  it('3.3.11 zeromf: Max-Forwards of zero → 483', () => {
    expect(rejected('zeromf')).toEqual({ status: 483, reason: 'Too Many Hops', routable: true });
  });

  it('3.3.12 cparam01: REGISTER with a contact header parameter', () => {
    const c = nameAddrs(valid('cparam01').contacts)[0]!;
    expect(c.params.has('unknownparam')).toBe(true);
    expect(sipUri(c.uri).params.size).toBe(0);
    expect(sipUri(c.uri).user).toBe('+19725552222');
  });

  it('3.3.13 cparam02: REGISTER with a URI parameter', () => {
    const c = nameAddrs(valid('cparam02').contacts)[0]!;
    expect(c.params.size).toBe(0);
    expect(sipUri(c.uri).params.has('unknownparam')).toBe(true);
  });

  it('3.3.14 regescrt: REGISTER with a URL escaped header', () => {
    const c = nameAddrs(valid('regescrt').contacts)[0]!;
    expect(sipUri(c.uri).headers.get('Route')).toBe('%3Csip:sip.example.com%3E');
    expect(unescapeUriPart(sipUri(c.uri).headers.get('Route')!)).toBe('<sip:sip.example.com>');
  });

  it('3.3.15 sdp01: unacceptable Accept offering → parses', () => {
    const m = valid('sdp01');
    expect(m.getAll('accept')).toEqual(['text/nobodyKnowsThis']);
    expect(m.body.length).toBe(150);
  });
});

describe('RFC 4475 §3.4 backward compatibility', () => {
  it('3.4.1 inv2543: RFC 2543 syntax (no Max-Forwards, no branch, no Content-Length) → accepted', () => {
    const m = valid('inv2543') as SipRequest;
    expect(m.maxForwards).toBeUndefined();
    expect(m.topVia.branch).toBeUndefined();
    expect(m.topVia.host).toBe('iftgw.example.com');
    expect(m.to.params.get('user')).toBe('phone');
    expect(sipUri(m.to.uri).params.size).toBe(0);
    expect(sipUri(m.from.uri).params.get('user')).toBe('phone');
    expect(m.recordRoutes).toHaveLength(1);
    expect(m.bodyText.endsWith('m=audio 49217 RTP/AVP 0\r\n')).toBe(true);
  });
});

describe('RFC 4475 messages over a stream', () => {
  it('every message with a usable Content-Length frames on TCP like it parses on UDP', () => {
    const skip = new Set(['clerr', 'ncl', 'mcl01', 'dblreq', 'bigcode', 'baddn', 'inv2543']);
    for (const [name, raw] of rfc4475Messages()) {
      if (skip.has(name)) continue;
      const ev = new StreamParser().push(raw);
      expect(ev.map((e) => e.kind), name).toEqual(['message']);
      const m = ev[0]!;
      if (m.kind !== 'message') throw new Error('unreachable');
      expect(m.message.toString(), name).toBe(parse(name).toString());
    }
  });

  it('dblreq on a stream is two messages (the second with its own Content-Length)', () => {
    const ev = new StreamParser().push(rfc4475('dblreq'));
    const msgs = ev.flatMap((e) => (e.kind === 'message' ? [e.message] : []));
    expect(msgs.map((m) => m.cseq.method)).toEqual(['REGISTER', 'INVITE']);
    expect(msgs[1]!.body.length).toBe(150);
  });
});
