import { describe, expect, it } from 'vitest';
import { SipSyntaxError, splitList } from '../../../src/sip/message/grammar.js';
import { MAGIC_COOKIE, Via, parseVia } from '../../../src/sip/message/via.js';

describe('parseVia', () => {
  it('parses protocol, transport, sent-by and parameters', () => {
    const v = parseVia('SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport');
    expect(v.protocol).toBe('SIP/2.0');
    expect(v.transport).toBe('UDP');
    expect(v.host).toBe('pc33.atlanta.example.com');
    expect(v.port).toBe(5066);
    expect(v.branch).toBe('z9hG4bK776asdhds');
    expect(v.rport).toBeNull();
    expect(v.received).toBeUndefined();
    expect(v.sentBy).toBe('pc33.atlanta.example.com:5066');
  });

  it('upper-cases the transport and the protocol name', () => {
    const v = parseVia('sip/2.0/tcp a.example.com');
    expect(v.protocol).toBe('SIP/2.0');
    expect(v.transport).toBe('TCP');
    expect(v.port).toBeUndefined();
    expect(v.branch).toBeUndefined();
  });

  it('accepts unknown transports (RFC 4475 transports)', () => {
    expect(parseVia('SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en').transport).toBe('UNKNOWN');
    expect(parseVia('SIP/2.0/SCTP t2.example.com').transport).toBe('SCTP');
  });

  it('accepts LWS around the slashes, before parameters and around = (RFC 4475 wsinv)', () => {
    const v = parseVia('SIP  /   2.0 /UDP     192.0.2.2;branch=390skdjuw');
    expect(v.protocol).toBe('SIP/2.0');
    expect(v.host).toBe('192.0.2.2');
    const w = parseVia('SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  ');
    expect(w.transport).toBe('TCP');
    expect(w.host).toBe('spindle.example.com');
    expect(w.branch).toBe('z9hG4bK9ikj8');
    expect(parseVia('SIP/2.0/UDP h.example.com : 5060;branch=x').port).toBe(5060);
  });

  it('parses received and rport values', () => {
    const v = parseVia('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx;received=192.0.2.1;rport=4321');
    expect(v.received).toBe('192.0.2.1');
    expect(v.rport).toBe(4321);
  });

  it('parses IPv6 sent-by with and without port', () => {
    const a = parseVia('SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111');
    expect(a.host).toBe('[2001:db8::9:1]');
    expect(a.port).toBeUndefined();
    const b = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111');
    expect(b.host).toBe('[2001:db8::9:1]');
    expect(b.port).toBe(6050);
    expect(b.sentBy).toBe('[2001:db8::9:1]:6050');
    expect(parseVia('SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19').host).toBe('[::ffff:192.0.2.10]');
  });

  it('accepts received with and without IPv6 brackets, reporting the bare address (RFC 5118 §4.5)', () => {
    const a = parseVia('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111');
    expect(a.received).toBe('2001:db8::9:255');
    expect(a.branch).toBe('z9hG4bKas3-111');
    const b = parseVia('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3');
    expect(b.received).toBe('2001:db8::9:255');
    expect(b.branch).toBe('z9hG4bKas3');
  });

  it('skips empty parameters so that the sent-by stays usable for a 400 (RFC 4475 badinv01)', () => {
    const v = parseVia('SIP/2.0/UDP 192.0.2.15;;');
    expect(v.host).toBe('192.0.2.15');
    expect(v.params.size).toBe(0);
  });

  it('parameter names are case-insensitive and __proto__ is harmless', () => {
    const v = parseVia('SIP/2.0/UDP h;BRANCH=z9hG4bKA;__proto__=1');
    expect(v.branch).toBe('z9hG4bKA');
    expect(v.params.get('__proto__')).toBe('1');
  });

  it('rejects malformed Vias with SipSyntaxError', () => {
    for (const t of [
      '',
      ';',
      'SIP/2.0 host',
      'SIP/2.0/UDP',
      'SIP/2.0/UDP ',
      'SIP/2.0/UDP;branch=x',
      'SIP/2.0/UDPhost',
      'SIP/2.0/UDP host:',
      'SIP/2.0/UDP host:99999',
      'SIP/2.0/UDP host:12a',
      'SIP/2.0/UDP ho"st',
      'SIP/2.0/UDP [2001:db8::1',
      'SIP/2.0/UDP [zz::1]',
      'SIP/2.0/UDP 2001:db8::1',
      'SIP/2.0/UDP host;rport=abc',
      'SIP/2.0/UDP host;branch="unterminated',
      'SIP/2.0/UDP host junk',
    ]) {
      expect(() => parseVia(t), JSON.stringify(t)).toThrow(SipSyntaxError);
    }
  });
});

describe('Via list values', () => {
  it('several Vias in one header line split into separate values', () => {
    const parts = splitList('SIP/2.0/TCP a.example.com;branch=z9hG4bKx1 , SIP/2.0/UDP b.example.com;branch=z9hG4bKx2');
    expect(parts.map((p) => parseVia(p).host)).toEqual(['a.example.com', 'b.example.com']);
  });
});

describe('Via', () => {
  it('serialises in canonical form', () => {
    const v = new Via('TLS', 'proxy.example.com', 5061, new Map([['branch', `${MAGIC_COOKIE}abc`]]));
    expect(v.toString()).toBe('SIP/2.0/TLS proxy.example.com:5061;branch=z9hG4bKabc');
    expect(parseVia('SIP  /2.0/ UDP  h ;  branch = x ;rport').toString()).toBe('SIP/2.0/UDP h;branch=x;rport');
  });

  it('rport is undefined without the parameter, null when empty, a number when filled', () => {
    expect(parseVia('SIP/2.0/UDP h').rport).toBeUndefined();
    expect(parseVia('SIP/2.0/UDP h;rport').rport).toBeNull();
    expect(parseVia('SIP/2.0/UDP h;rport=5060').rport).toBe(5060);
  });

  it('MAGIC_COOKIE is the RFC 3261 branch prefix', () => {
    expect(MAGIC_COOKIE).toBe('z9hG4bK');
  });
});
