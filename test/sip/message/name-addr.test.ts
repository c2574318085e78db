import { describe, expect, it } from 'vitest';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import { NameAddr, parseNameAddr } from '../../../src/sip/message/name-addr.js';
import { AbsoluteUri, SipUri, TelUri, parseUri } from '../../../src/sip/message/uri.js';

describe('parseNameAddr', () => {
  it('parses <URI> with header parameters', () => {
    const a = parseNameAddr('<sip:alice@atlanta.example.com;transport=tcp>;tag=1928301774;x');
    expect(a.displayName).toBeUndefined();
    expect(a.bare).toBe(false);
    expect(a.uri.toString()).toBe('sip:alice@atlanta.example.com;transport=tcp');
    expect((a.uri as SipUri).params.get('transport')).toBe('tcp');
    expect(a.tag).toBe('1928301774');
    expect(a.params.get('x')).toBeNull();
  });

  it('parses an unquoted display name (tokens separated by LWS, collapsed)', () => {
    expect(parseNameAddr('Bob <sip:bob@biloxi.example.com>').displayName).toBe('Bob');
    expect(parseNameAddr('A.  Bell\t<sip:a.g.bell@example.com>').displayName).toBe('A. Bell');
    expect(parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>").displayName).toBe("token1~` token2'+_ token3*%!.-");
  });

  it('parses a display name written directly before < (RFC 4475 lwsdisp)', () => {
    const a = parseNameAddr('caller<sip:caller@example.com>;tag=323');
    expect(a.displayName).toBe('caller');
    expect(a.tag).toBe('323');
  });

  it('parses quoted display names with escapes', () => {
    expect(parseNameAddr('"Alice Liddell" <sip:alice@atlanta.example.com>').displayName).toBe('Alice Liddell');
    expect(parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>').displayName).toBe('J Rosenberg \\"');
    expect(parseNameAddr('"Quoted string \\"\\"" <sip:jdrosen@example.com>').displayName).toBe('Quoted string ""');
    expect(parseNameAddr('"Doe, John"<sip:j@x.example>').displayName).toBe('Doe, John');
    expect(parseNameAddr('"" <sip:j@x.example>').displayName).toBe('');
  });

  it('allows LWS around the header parameters (RFC 4475 wsinv)', () => {
    const a = parseNameAddr('"Quoted" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33');
    expect(a.params.get('newparam')).toBe('newvalue');
    expect(a.params.get('secondparam')).toBeNull();
    expect(a.params.get('q')).toBe('0.33');
  });

  it('addr-spec: parameters after the URI belong to the header, not the URI', () => {
    const a = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=abc');
    expect(a.bare).toBe(true);
    expect(a.uri.toString()).toBe('sip:+19725552222@gw1.example.net');
    expect((a.uri as SipUri).params.size).toBe(0);
    expect(a.params.has('unknownparam')).toBe(true);
    expect(a.tag).toBe('abc');
  });

  it('addr-spec with whitespace before the parameters (RFC 4475 wsinv To)', () => {
    const a = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(a.uri.toString()).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(a.tag).toBe('1918181833n');
  });

  it('parses tel and other absolute URIs', () => {
    expect(parseNameAddr('<tel:+1-201-555-0123>').uri).toBeInstanceOf(TelUri);
    expect(parseNameAddr('isbn:2983792873').uri).toBeInstanceOf(AbsoluteUri);
    expect(parseNameAddr('<http://www.example.com>;tag=1').uri).toBeInstanceOf(AbsoluteUri);
  });

  it('rejects malformed addresses with SipSyntaxError', () => {
    for (const t of [
      '',
      '   ',
      '"Mr. J. User <sip:j.user@example.com>',
      '"Watson, Thomas" < sip:t.watson@example.org >',
      'Watson, Thomas <sip:t.watson@example.org>',
      '"name" sip:a@b',
      '<sip:a@b',
      'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
      'sip:a b@c',
      '<sip:a@b>;;',
      '<sip:a@b> junk',
      '<>',
      'a@b',
    ]) {
      expect(() => parseNameAddr(t), JSON.stringify(t)).toThrow(SipSyntaxError);
    }
  });
});

describe('NameAddr', () => {
  it('tag getter/setter edits the parameters', () => {
    const a = parseNameAddr('<sip:a@b>');
    expect(a.tag).toBeUndefined();
    a.tag = 'xyz';
    expect(a.toString()).toBe('<sip:a@b>;tag=xyz');
    a.tag = undefined;
    expect(a.toString()).toBe('<sip:a@b>');
  });

  it('always serialises with <> and quotes display names', () => {
    expect(parseNameAddr('sip:a@b;tag=1').toString()).toBe('<sip:a@b>;tag=1');
    expect(parseNameAddr('Bob <sip:bob@b>').toString()).toBe('"Bob" <sip:bob@b>');
    expect(parseNameAddr('"a \\"b\\"" <sip:a@b>').toString()).toBe('"a \\"b\\"" <sip:a@b>');
  });

  it('clone is independent', () => {
    const a = parseNameAddr('"A" <sip:a@b;lr>;tag=1');
    const c = a.clone();
    c.tag = '2';
    (c.uri as SipUri).params.delete('lr');
    expect(a.toString()).toBe('"A" <sip:a@b;lr>;tag=1');
    expect(c.toString()).toBe('"A" <sip:a@b>;tag=2');
  });

  it('can be built directly', () => {
    const n = new NameAddr(parseUri('sip:x@y'), 'X', new Map([['tag', '9']]));
    expect(n.toString()).toBe('"X" <sip:x@y>;tag=9');
  });
});
