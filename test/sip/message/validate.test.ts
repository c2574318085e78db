import { describe, expect, it } from 'vitest';
import { SipRequest } from '../../../src/sip/message/message.js';
import { validateMessage } from '../../../src/sip/message/validate.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { OK200, VIA_HEAVY } from '../fixtures.js';
import { INVITE_EXACT as INVITE } from './exact.js';

const crlf = (...lines: string[]): string => lines.join('\r\n');
const validate = (text: string): ReturnType<typeof validateMessage> => validateMessage(parseMessage(Buffer.from(text), { datagram: true }));

/** A valid OPTIONS with one header replaced (or removed with value null). */
function options(changes: Record<string, string | null> = {}, startLine = 'OPTIONS sip:bob@biloxi.example.com SIP/2.0'): string {
  const base: [string, string][] = [
    ['Via', 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877'],
    ['Max-Forwards', '70'],
    ['To', '<sip:bob@biloxi.example.com>'],
    ['From', 'Alice <sip:alice@atlanta.example.com>;tag=1928301774'],
    ['Call-ID', 'a84b4c76e66710'],
    ['CSeq', '63104 OPTIONS'],
  ];
  const lines = [startLine];
  for (const [name, value] of base) {
    const v = name in changes ? changes[name] : value;
    if (v !== null && v !== undefined) lines.push(`${name}: ${v}`);
  }
  for (const [name, value] of Object.entries(changes)) if (!base.some(([n]) => n === name) && value !== null) lines.push(`${name}: ${value}`);
  lines.push('Content-Length: 0', '', '');
  return crlf(...lines);
}

describe('validateMessage', () => {
  it('accepts well-formed requests and responses', () => {
    expect(validate(options())).toBeUndefined();
    expect(validate(INVITE)).toBeUndefined();
    expect(validate(OK200)).toBeUndefined();
    expect(validate(VIA_HEAVY)).toBeUndefined();
  });

  it('no Via or an unreadable top Via: 400, not routable (drop)', () => {
    expect(validate(options({ Via: null }))).toEqual({ status: 400, reason: 'Bad Request - missing Via', routable: false });
    const bad = validate(options({ Via: 'SIP/2.0/UDP' }));
    expect(bad?.status).toBe(400);
    expect(bad?.routable).toBe(false);
    expect(bad?.reason).toMatch(/^Bad Request - Via: /);
  });

  it('a later Via that does not parse: 400, routable', () => {
    const r = validate(options({ Via: 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, nonsense' }));
    expect(r).toMatchObject({ status: 400, routable: true });
    expect(r!.reason).toMatch(/Via/);
  });

  it('another SIP version: 505 (RFC 4475 badvers)', () => {
    expect(validate(options({ Via: 'SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw' }, 'OPTIONS sip:bob@biloxi.example.com SIP/7.0'))).toEqual({
      status: 505,
      reason: 'Version Not Supported',
      routable: true,
    });
  });

  it('SIP/2.0 request with another Via protocol: 400', () => {
    expect(validate(options({ Via: 'SIP/3.0/UDP c.example.com;branch=z9hG4bKkdjuw' }))).toMatchObject({ status: 400, routable: false });
  });

  it('missing or repeated mandatory headers: 400', () => {
    for (const h of ['From', 'To', 'Call-ID', 'CSeq']) {
      expect(validate(options({ [h]: null })), h).toEqual({ status: 400, reason: `Bad Request - missing ${h}`, routable: true });
    }
    const twice = crlf(...options().split('\r\n').slice(0, -3), 'Call-ID: other', 'Content-Length: 0', '', '');
    expect(validate(twice)).toEqual({ status: 400, reason: 'Bad Request - more than one Call-ID', routable: true });
    const cseqTwice = crlf(...options().split('\r\n').slice(0, -3), 'CSeq: 2 OPTIONS', 'Content-Length: 0', '', '');
    expect(validate(cseqTwice)).toMatchObject({ status: 400, reason: 'Bad Request - more than one CSeq' });
  });

  it('malformed From, To, CSeq or an empty Call-ID: 400 naming the header', () => {
    expect(validate(options({ From: '"unterminated <sip:a@b>' }))?.reason).toMatch(/^Bad Request - From: /);
    expect(validate(options({ To: 'Watson, Thomas <sip:t@example.org>' }))?.reason).toMatch(/^Bad Request - To: /);
    expect(validate(options({ CSeq: '4294967296 OPTIONS' }))?.reason).toMatch(/^Bad Request - CSeq: /);
    expect(validate(options({ 'Call-ID': '' }))).toMatchObject({ status: 400, reason: 'Bad Request - empty Call-ID' });
  });

  it('CSeq method must match the request method', () => {
    expect(validate(options({ CSeq: '8 INVITE' }))).toMatchObject({ status: 400, reason: 'Bad Request - CSeq method does not match the request method' });
  });

  it('Max-Forwards: malformed → 400, zero → 483 except for ACK, missing → accepted (RFC 3261 §16.3 step 3)', () => {
    expect(validate(options({ 'Max-Forwards': 'seventy' }))).toMatchObject({ status: 400 });
    expect(validate(options({ 'Max-Forwards': '256' }))).toMatchObject({ status: 400 });
    expect(validate(options({ 'Max-Forwards': '0' }))).toEqual({ status: 483, reason: 'Too Many Hops', routable: true });
    expect(validate(options({ 'Max-Forwards': '0', CSeq: '1 ACK' }, 'ACK sip:bob@biloxi.example.com SIP/2.0'))).toBeUndefined();
    expect(validate(options({ 'Max-Forwards': null }))).toBeUndefined();
  });

  it('Request-URI: other schemes → 416, malformed → 400, URI headers → 400', () => {
    expect(validate(options({}, 'OPTIONS http://www.example.com SIP/2.0'))).toEqual({ status: 416, reason: 'Unsupported URI Scheme', routable: true });
    expect(validate(options({}, 'OPTIONS sip:a@ SIP/2.0'))?.reason).toMatch(/^Bad Request - Request-URI: /);
    expect(validate(options({}, 'OPTIONS sip:a@b?Route=%3Csip:x%3E SIP/2.0'))?.reason).toMatch(/^Bad Request - Request-URI: /);
    expect(validate(options({}, 'OPTIONS tel:+1-555-0100 SIP/2.0'))).toBeUndefined();
  });

  it('Contact of dialog-creating requests must parse', () => {
    const inv = (contact: string): string =>
      options({ CSeq: '1 INVITE', Contact: contact }, 'INVITE sip:bob@biloxi.example.com SIP/2.0');
    expect(validate(inv('<sip:alice@pc33.atlanta.example.com>'))).toBeUndefined();
    expect(validate(inv('sip:user@example.com?Route=%3Csip:sip.example.com%3E'))?.reason).toMatch(/^Bad Request - Contact: /);
    // OPTIONS does not create a dialog: its Contact is not looked at
    expect(validate(options({ Contact: '<sip:a@b' }))).toBeUndefined();
  });

  it('header-level parse problems recorded by the parser: 400', () => {
    const r = validate(crlf(...options().split('\r\n').slice(0, -3), 'Bad Header Name: x', 'Content-Length: 0', '', ''));
    expect(r).toMatchObject({ status: 400, routable: true });
    expect(r!.reason).toMatch(/invalid header name/);
  });

  it('responses are checked without the request-only rules', () => {
    expect(validate(crlf('SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: x', 'CSeq: 1 INVITE', 'l: 0', '', ''))).toBeUndefined();
  });

  it('never throws for messages built in code', () => {
    const r = new SipRequest('INVITE', 'not a uri');
    expect(validateMessage(r)).toMatchObject({ status: 400, routable: false });
    r.set('via', 'SIP/2.0/UDP h;branch=z9hG4bK1').set('from', '<sip:a@b>;tag=1').set('to', '<sip:c@d>').set('call-id', 'x').set('cseq', '1 INVITE').set('max-forwards', '70');
    expect(validateMessage(r)?.reason).toMatch(/Request-URI/);
  });
});
