/**
 * RFC 5118 (SIP Torture Test Messages for IPv6), §4: every message parsed as a
 * datagram and checked the way the RFC describes. All but §4.2 are to be accepted
 * (§4.10's three colons are tolerated, "following the Robustness Principle").
 */
import { describe, expect, it } from 'vitest';
import type { SipMessageAny, SipRequest } from '../../../src/sip/message/message.js';
import type { NameAddr } from '../../../src/sip/message/name-addr.js';
import { SipUri } from '../../../src/sip/message/uri.js';
import { validateMessage } from '../../../src/sip/message/validate.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { StreamParser } from '../../../src/sip/parser/stream-parser.js';
import { rfc5118, rfc5118Messages } from './torture/load.js';

const parse = (name: string): SipMessageAny => parseMessage(rfc5118(name), { datagram: true });
function valid(name: string): SipRequest {
  const m = parse(name);
  expect(m.parseError, name).toBeUndefined();
  expect(validateMessage(m), name).toBeUndefined();
  if (!m.isRequest()) throw new Error('request expected');
  return m;
}
const sipUri = (u: unknown): SipUri => {
  expect(u).toBeInstanceOf(SipUri);
  return u as SipUri;
};
const first = (c: NameAddr[] | '*'): NameAddr => {
  if (c === '*') throw new Error('wildcard');
  return c[0]!;
};

it('has every message of RFC 5118 §4 as a data file', () => {
  expect([...rfc5118Messages().keys()].sort()).toEqual(
    [
      'ipv6-good', 'ipv6-bad', 'port-ambiguous', 'port-unambiguous', 'via-received-param-with-delim', 'via-received-param-no-delim',
      'ipv6-in-sdp', 'mult-ip-in-header', 'mult-ip-in-sdp', 'ipv4-mapped-ipv6', 'ipv6-bug-abnf-3-colons', 'ipv6-correct-abnf-2-colons',
    ].sort(),
  );
});

describe('RFC 5118 §4', () => {
  it('4.1 ipv6-good: IPv6 references in Request-URI, Via and Contact', () => {
    const m = valid('ipv6-good');
    expect(sipUri(m.uri).host).toBe('[2001:db8::10]');
    expect(sipUri(m.uri).port).toBeUndefined();
    expect(m.topVia.host).toBe('[2001:db8::9:1]');
    expect(sipUri(first(m.contacts).uri).host).toBe('[2001:db8::1]');
    expect(first(m.contacts).displayName).toBe('Caller');
  });

  it('4.2 ipv6-bad: IPv6 address without brackets in the Request-URI → 400', () => {
    const p = validateMessage(parse('ipv6-bad'));
    expect(p).toMatchObject({ status: 400, routable: true });
    expect(p!.reason).toMatch(/^Bad Request - Request-URI/);
  });

  it('4.3 port-ambiguous: everything inside the brackets is the address, no port', () => {
    const u = sipUri(valid('port-ambiguous').uri);
    expect(u.host).toBe('[2001:db8::10:5070]');
    expect(u.port).toBeUndefined();
  });

  it('4.4 port-unambiguous: address and port', () => {
    const u = sipUri(valid('port-unambiguous').uri);
    expect(u.host).toBe('[2001:db8::10]');
    expect(u.port).toBe(5070);
  });

  it('4.5 via-received-param-with-delim: received with brackets is accepted', () => {
    const v = valid('via-received-param-with-delim').topVia;
    expect(v.received).toBe('2001:db8::9:255');
    expect(v.branch).toBe('z9hG4bKas3-111');
  });

  it('4.5 via-received-param-no-delim: received without brackets is accepted', () => {
    const v = valid('via-received-param-no-delim').topVia;
    expect(v.received).toBe('2001:db8::9:255');
    expect(v.branch).toBe('z9hG4bKas3');
    expect(v.host).toBe('[2001:db8::9:1]');
  });

  it('4.6 ipv6-in-sdp: IPv6 in headers and body', () => {
    const m = valid('ipv6-in-sdp');
    expect(sipUri(m.uri).host).toBe('[2001:db8::10]');
    expect(sipUri(m.to.uri).host).toBe('[2001:db8::10]');
    expect(m.topVia.host).toBe('[2001:db8::20]');
    expect(m.bodyText).toContain('c=IN IP6 2001:db8::20\r\n');
  });

  it('4.7 mult-ip-in-header: IPv6 and IPv4 in the Via list', () => {
    const vias = valid('mult-ip-in-header').vias;
    expect(vias.map((v) => [v.transport, v.host, v.port, v.received])).toEqual([
      ['UDP', '[2001:db8::9:1]', 6050, undefined],
      ['UDP', '192.0.2.1', undefined, undefined],
      ['TCP', '[2001:db8::9:255]', undefined, '192.0.2.200'],
    ]);
  });

  it('4.8 mult-ip-in-sdp: IPv4 and IPv6 connection lines in the body', () => {
    const m = valid('mult-ip-in-sdp');
    expect(m.bodyText).toContain('c=IN IP4 192.0.2.1\r\n');
    expect(m.bodyText).toContain('c=IN IP6 2001:db8::1\r\n');
  });

  it('4.9 ipv4-mapped-ipv6: IPv4-mapped addresses in Via, Contact and body', () => {
    const m = valid('ipv4-mapped-ipv6');
    expect(m.vias.map((v) => [v.host, v.port])).toEqual([
      ['[::ffff:192.0.2.10]', 19823],
      ['[::ffff:192.0.2.2]', undefined],
    ]);
    expect(sipUri(first(m.contacts).uri).host).toBe('[::ffff:192.0.2.2]');
    expect(first(m.contacts).displayName).toBe('T. desk phone');
  });

  it('4.10 ipv6-bug-abnf-3-colons: the RFC 3261 ABNF bug form is tolerated, kept as written', () => {
    const m = valid('ipv6-bug-abnf-3-colons');
    expect(sipUri(m.uri).host).toBe('[2001:db8:::192.0.2.1]');
    expect(sipUri(m.to.uri).host).toBe('[2001:db8:::192.0.2.1]');
    expect(m.toString()).toContain('OPTIONS sip:user@[2001:db8:::192.0.2.1] SIP/2.0\r\n');
  });

  it('4.10 ipv6-correct-abnf-2-colons: the correct form', () => {
    const m = valid('ipv6-correct-abnf-2-colons');
    expect(sipUri(m.uri).host).toBe('[2001:db8::192.0.2.1]');
  });

  it('messages with a header end frame on a stream like they parse as datagrams', () => {
    for (const [name, raw] of rfc5118Messages()) {
      if (name.includes('abnf')) continue; // archived without the empty line after the headers
      const ev = new StreamParser().push(raw);
      expect(ev.map((e) => e.kind), name).toEqual(['message']);
    }
  });
});
