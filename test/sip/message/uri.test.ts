import { describe, expect, it } from 'vitest';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import {
  AbsoluteUri,
  SipUri,
  TelUri,
  isIPv6Address,
  parseSipUriStrict,
  parseUri,
  unescapeUriPart,
  uriUserDigits,
} from '../../../src/sip/message/uri.js';

function sip(text: string): SipUri {
  const u = parseUri(text);
  expect(u).toBeInstanceOf(SipUri);
  return u as SipUri;
}

describe('parseUri: SIP and SIPS', () => {
  it('parses user, host, port, parameters and headers', () => {
    const u = sip('sip:alice@atlanta.example.com:5060;transport=TCP;lr?Subject=hi&Priority=urgent');
    expect(u.scheme).toBe('sip');
    expect(u.user).toBe('alice');
    expect(u.password).toBeUndefined();
    expect(u.host).toBe('atlanta.example.com');
    expect(u.port).toBe(5060);
    expect(u.params.get('transport')).toBe('TCP');
    expect(u.params.get('lr')).toBeNull();
    expect([...u.headers]).toEqual([
      ['Subject', 'hi'],
      ['Priority', 'urgent'],
    ]);
    expect(u.transport).toBe('tcp');
  });

  it('lower-cases the scheme and recognises sips', () => {
    expect(sip('SIP:bob@example.com').scheme).toBe('sip');
    expect(sip('sips:bob@example.com').scheme).toBe('sips');
  });

  it('parses a URI without user part', () => {
    const u = sip('sip:proxy.example.com;lr');
    expect(u.user).toBeUndefined();
    expect(u.host).toBe('proxy.example.com');
    expect(u.params.has('lr')).toBe(true);
  });

  it('parses a password', () => {
    const u = sip('sip:alice:secretword@atlanta.example.com;transport=tcp');
    expect(u.user).toBe('alice');
    expect(u.password).toBe('secretword');
    expect(u.toString()).toBe('sip:alice:secretword@atlanta.example.com;transport=tcp');
  });

  it('keeps escaped user parts escaped and splits at the last structural @', () => {
    const a = sip('sip:%75se%72@example.com');
    expect(a.user).toBe('%75se%72');
    expect(unescapeUriPart(a.user!)).toBe('user');
    const b = sip('sip:sips%3Auser%40example.com@example.net');
    expect(b.user).toBe('sips%3Auser%40example.com');
    expect(b.host).toBe('example.net');
    expect(unescapeUriPart(b.user!)).toBe('sips:user@example.com');
  });

  it('allows ; ? / and friends in the user part (RFC 3261 user-unreserved)', () => {
    const u = sip('sip:user;par=u%40example.net@example.com');
    expect(u.user).toBe('user;par=u%40example.net');
    expect(u.host).toBe('example.com');
    expect(u.params.size).toBe(0);
    const w = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
    expect(w.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(w.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(w.host).toBe('example.com');
  });

  it('keeps escaped parameter names and values as written (unescaping is not recursive)', () => {
    const u = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
    expect(u.params.has('%6c%72')).toBe(true);
    expect(unescapeUriPart('%6C%72')).toBe('lr');
    expect(unescapeUriPart(u.params.get('n%61me')!)).toBe('value%41');
  });

  it('round-trips through toString', () => {
    for (const t of [
      'sip:alice@atlanta.example.com',
      'sips:bob:pw@biloxi.example.com:5061;transport=tls;lr;maddr=192.0.2.1?Subject=x&Route=%3Csip:a%3E',
      'sip:[2001:db8::10]:5070;lr',
      'sip:+19725552222@gw1.example.net;user=phone',
    ]) {
      expect(parseUri(t).toString()).toBe(t);
    }
  });

  it('clone is a deep copy of params and headers', () => {
    const u = sip('sip:a@b;x=1?h=v');
    const c = u.clone();
    c.params.set('y', '2');
    c.headers.set('h2', 'v2');
    c.user = 'z';
    expect(u.toString()).toBe('sip:a@b;x=1?h=v');
    expect(c.toString()).toBe('sip:z@b;x=1;y=2?h=v&h2=v2');
  });

  it('hostport keeps IPv6 brackets', () => {
    expect(sip('sip:a@[2001:db8::1]:5060').hostport).toBe('[2001:db8::1]:5060');
    expect(sip('sip:a@example.com').hostport).toBe('example.com');
  });

  it('rejects malformed SIP URIs with SipSyntaxError', () => {
    for (const t of [
      'sip:',
      'sip:@example.com',
      'sip:alice@',
      'sip:alice@exa mple.com',
      'sip:alice@example.com; lr',
      'sip:al ice@example.com',
      'sip:a"b@example.com',
      'sip:a%zz@example.com',
      'sip:a@example.com:',
      'sip:a@example.com:port',
      'sip:a@example.com:99999',
      'sip:a@example.com:123456',
      'sip:a@example.com?Subject',
      'sip:a@example.com;=x',
      'sip:a@[2001:db8::1',
      'sip:a@[2001:db8::1]x',
      'sip:a@<example.com>',
    ]) {
      expect(() => parseUri(t), t).toThrow(SipSyntaxError);
    }
  });
});

describe('parseUri: IPv6 references (RFC 5118)', () => {
  it('parses an IPv6 reference with and without port', () => {
    expect(sip('sip:[2001:db8::10]').host).toBe('[2001:db8::10]');
    const p = sip('sip:[2001:db8::10]:5070');
    expect(p.host).toBe('[2001:db8::10]');
    expect(p.port).toBe(5070);
  });

  it('treats everything inside the brackets as the address (§4.3 port-ambiguous)', () => {
    const u = sip('sip:[2001:db8::10:5070]');
    expect(u.host).toBe('[2001:db8::10:5070]');
    expect(u.port).toBeUndefined();
  });

  it('accepts IPv4-mapped and embedded IPv4 forms', () => {
    expect(sip('sip:ted@[::ffff:192.0.2.2]').host).toBe('[::ffff:192.0.2.2]');
    expect(sip('sip:user@[2001:db8::192.0.2.1]').host).toBe('[2001:db8::192.0.2.1]');
  });

  it('tolerates the RFC 3261 ABNF bug of three colons before embedded IPv4 (§4.10), keeping it as written', () => {
    const u = sip('sip:user@[2001:db8:::192.0.2.1]');
    expect(u.host).toBe('[2001:db8:::192.0.2.1]');
  });

  it('rejects an IPv6 address without brackets (§4.2) and malformed references', () => {
    for (const t of [
      'sip:2001:db8::10',
      'sip:[2001:db8::10::1]',
      'sip:[12345::1]',
      'sip:[g::1]',
      'sip:[1:2:3:4:5:6:7:8:9]',
      'sip:[1:2:3:4:5:6:7]',
      'sip:[]',
      'sip:[::ffff:300.0.0.1]',
      'sip:[::ffff:1.2.3]',
      'sip:[1:::2]',
      'sip:[:1::2]',
      'sip:[1::2:]',
    ]) {
      expect(() => parseUri(t), t).toThrow(SipSyntaxError);
    }
  });
});

describe('isIPv6Address', () => {
  it('accepts RFC 4291 text forms', () => {
    for (const a of ['::', '::1', '1::', '2001:db8::9:1', '2001:db8:0:0:1:0:5:1', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.2', '1:2:3:4:5:6:1.2.3.4', 'FE80::0202:B3FF:FE1E:8329']) {
      expect(isIPv6Address(a), a).toBe(true);
    }
  });

  it('rejects what is not an IPv6 address', () => {
    for (const a of ['', ':', ':::', '1', '1:2', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::1.2.3.4.5', '::256.1.1.1', '[::1]', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', '::01.2.3.4']) {
      expect(isIPv6Address(a), a).toBe(false);
    }
  });
});

describe('parseUri: tel (RFC 3966)', () => {
  it('parses global numbers with visual separators and parameters', () => {
    const u = parseUri('tel:+1-201-555-0123;ext=1234');
    expect(u).toBeInstanceOf(TelUri);
    const t = u as TelUri;
    expect(t.number).toBe('+1-201-555-0123');
    expect(t.isGlobal).toBe(true);
    expect(t.params.get('ext')).toBe('1234');
    expect(t.toString()).toBe('tel:+1-201-555-0123;ext=1234');
  });

  it('parses local numbers with phone-context', () => {
    const t = parseUri('tel:7042;phone-context=example.com') as TelUri;
    expect(t.isGlobal).toBe(false);
    expect(t.number).toBe('7042');
    expect(t.params.get('phone-context')).toBe('example.com');
  });

  it('accepts * # and hex digits in local numbers', () => {
    expect((parseUri('tel:*21#;phone-context=+1') as TelUri).number).toBe('*21#');
  });

  it('rejects numbers without digits or with junk', () => {
    for (const t of ['tel:', 'tel:+', 'tel:+-.', 'tel:12 34', 'tel:+1x', 'tel:---', `tel:+${'1'.repeat(20000)}x`]) {
      expect(() => parseUri(t), t.slice(0, 20)).toThrow(SipSyntaxError);
    }
  });
});

describe('parseUri: other schemes', () => {
  it('keeps other absolute URIs opaque', () => {
    for (const [text, scheme, rest] of [
      ['http://www.example.com', 'http', '//www.example.com'],
      ['isbn:2983792873', 'isbn', '2983792873'],
      ['soap.beep://192.0.2.103:3002', 'soap.beep', '//192.0.2.103:3002'],
      ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme', 'totallyopaquecontent'],
      ['urn:service:sos', 'urn', 'service:sos'],
    ] as const) {
      const u = parseUri(text);
      expect(u).toBeInstanceOf(AbsoluteUri);
      expect((u as AbsoluteUri).scheme).toBe(scheme);
      expect((u as AbsoluteUri).rest).toBe(rest);
      expect(u.toString()).toBe(`${scheme}:${rest}`);
    }
  });

  it('rejects text without a valid scheme', () => {
    for (const t of ['', 'alice', ':alice', '1x:abc', '<sip:a@b>', 'http:', 'http:a b', 'x:a<b', 'x:a"b']) {
      expect(() => parseUri(t), t).toThrow(SipSyntaxError);
    }
  });
});

describe('parseSipUriStrict', () => {
  it('returns SIP URIs and rejects other schemes', () => {
    expect(parseSipUriStrict('sips:a@b').scheme).toBe('sips');
    expect(() => parseSipUriStrict('tel:+1234')).toThrow(SipSyntaxError);
    expect(() => parseSipUriStrict('http://x')).toThrow(SipSyntaxError);
  });
});

describe('unescapeUriPart / uriUserDigits', () => {
  it('unescapes %HH and leaves invalid escapes alone', () => {
    expect(unescapeUriPart('I%20have%20spaces')).toBe('I have spaces');
    expect(unescapeUriPart('null-%00-null')).toBe('null-\u0000-null');
    expect(unescapeUriPart('%Z%45')).toBe('%Z%45');
    expect(unescapeUriPart('plain')).toBe('plain');
  });

  it('extracts digits of tel numbers and SIP users without visual separators', () => {
    expect(uriUserDigits(parseUri('tel:+1-201-555-0123'))).toBe('+12015550123');
    expect(uriUserDigits(parseUri('sip:%2B1(555)123.4567@gw.example.com'))).toBe('+15551234567');
    expect(uriUserDigits(parseUri('sip:gw.example.com'))).toBeUndefined();
    expect(uriUserDigits(parseUri('http://x'))).toBeUndefined();
  });
});
