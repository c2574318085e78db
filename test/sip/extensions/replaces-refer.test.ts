/**
 * RFC 3891 Replaces, RFC 3515 Refer-To (with embedded, URL-encoded headers) and
 * RFC 3892 Referred-By.
 */
import { describe, expect, it } from 'vitest';
import { Dialog } from '../../../src/sip/dialog/dialog.js';
import {
  buildReferTo,
  buildReferredBy,
  parseReferTo,
  parseReferredBy,
  readReferTo,
  readReferredBy,
  referRequestOptions,
} from '../../../src/sip/extensions/refer.js';
import { matchReplaces, parseReplaces, readReplaces, replacesFor, serializeReplaces } from '../../../src/sip/extensions/replaces.js';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import { SipRequest } from '../../../src/sip/message/message.js';
import { parseNameAddr } from '../../../src/sip/message/name-addr.js';
import { SipUri, parseUri } from '../../../src/sip/message/uri.js';

function dialog(role: 'uac' | 'uas', state: 'early' | 'confirmed' | 'terminated', local = 'L', remote = 'R'): Dialog {
  return new Dialog(role, 'cid@host', local, remote, parseNameAddr(`<sip:a@x>;tag=${local}`), parseNameAddr(`<sip:b@x>;tag=${remote}`), parseUri('sip:b@127.0.0.1'), [], 1, 1, '<sip:a@127.0.0.1>', state);
}

function request(method: string, headers: [string, string][]): SipRequest {
  const r = new SipRequest(method, 'sip:bob@example.com');
  for (const [k, v] of headers) r.append(k, v);
  return r;
}

describe('Replaces', () => {
  it('parses call-id, tags and early-only; serialises back', () => {
    const r = parseReplaces('98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only');
    expect(r).toEqual({ callId: '98732@sip.example.com', toTag: 'ff87ff', fromTag: 'r33th4x0r', earlyOnly: true });
    expect(serializeReplaces(r)).toBe('98732@sip.example.com;to-tag=ff87ff;from-tag=r33th4x0r;early-only');
    const p = parseReplaces('abc;to-tag=1;from-tag=2;x=y');
    expect(p.earlyOnly).toBe(false);
    expect(serializeReplaces(p)).toBe('abc;to-tag=1;from-tag=2;x=y');
  });

  it('rejects missing tags and empty call-ids', () => {
    for (const bad of ['abc;to-tag=1', 'abc;from-tag=2', ';to-tag=1;from-tag=2', 'a b;to-tag=1;from-tag=2', 'abc;to-tag;from-tag=2']) {
      expect(() => parseReplaces(bad), bad).toThrow(SipSyntaxError);
    }
  });

  it('readReplaces: none, one, more than one (400), not in an INVITE (400)', () => {
    expect(readReplaces(request('INVITE', []))).toBeUndefined();
    expect(readReplaces(request('INVITE', [['Replaces', 'c;to-tag=1;from-tag=2']]))?.callId).toBe('c');
    expect(() => readReplaces(request('INVITE', [['Replaces', 'c;to-tag=1;from-tag=2'], ['Replaces', 'd;to-tag=1;from-tag=2']]))).toThrow(/more than one/);
    expect(() => readReplaces(request('BYE', [['Replaces', 'c;to-tag=1;from-tag=2']]))).toThrow(/BYE/);
  });

  it('replacesFor: the peer of the dialog sees our remote tag as its local tag', () => {
    const d = dialog('uac', 'confirmed', 'mine', 'theirs');
    expect(replacesFor(d)).toEqual({ callId: 'cid@host', toTag: 'theirs', fromTag: 'mine', earlyOnly: false });
    expect(replacesFor(d, true).earlyOnly).toBe(true);
  });

  it('matchReplaces: to-tag against the local tag; 481 / 603 / 486 rules', () => {
    const dialogs = new Map<string, Dialog>();
    const add = (d: Dialog): Dialog => (dialogs.set(`${d.callId} ${d.localTag} ${d.remoteTag}`, d), d);
    const lookup = (c: string, l: string, r: string): Dialog | undefined => dialogs.get(`${c} ${l} ${r}`);
    const confirmed = add(dialog('uas', 'confirmed', 'L1', 'R1'));
    const earlyUas = add(dialog('uas', 'early', 'L2', 'R2'));
    const earlyUac = add(dialog('uac', 'early', 'L3', 'R3'));
    const gone = add(dialog('uac', 'terminated', 'L4', 'R4'));
    const r = (to: string, from: string, earlyOnly = false) => ({ callId: 'cid@host', toTag: to, fromTag: from, earlyOnly });
    expect(matchReplaces(r('L1', 'R1'), lookup)).toEqual({ ok: true, dialog: confirmed });
    expect(matchReplaces(r('R1', 'L1'), lookup)).toMatchObject({ ok: false, status: 481 });
    expect(matchReplaces(r('L1', 'R1', true), lookup)).toMatchObject({ ok: false, status: 486, dialog: confirmed });
    expect(matchReplaces(r('L2', 'R2'), lookup)).toMatchObject({ ok: false, status: 481, dialog: earlyUas });
    expect(matchReplaces(r('L3', 'R3', true), lookup)).toEqual({ ok: true, dialog: earlyUac });
    expect(matchReplaces(r('L4', 'R4'), lookup)).toMatchObject({ ok: false, status: 603, dialog: gone });
  });
});

describe('Refer-To', () => {
  it('parses the embedded Replaces URL-decoded; the target loses the headers', () => {
    const v = '<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>';
    const r = parseReferTo(v);
    expect(r.target.toString()).toBe('sip:dave@denver.example.org');
    expect(r.headers.get('replaces')).toBe('12345@192.168.118.3;to-tag=12345;from-tag=5FFE-3994');
    expect(r.replaces).toEqual({ callId: '12345@192.168.118.3', toTag: '12345', fromTag: '5FFE-3994', earlyOnly: false });
    expect(r.method).toBe('INVITE');
  });

  it('plain targets, method parameter, other embedded headers, display names', () => {
    const blind = parseReferTo('"Carol" <sip:carol@chicago.example.com>');
    expect(blind.replaces).toBeUndefined();
    expect(blind.headers.size).toBe(0);
    expect(blind.address.displayName).toBe('Carol');
    const bye = parseReferTo('<sip:bob@x;method=BYE?Accept-Contact=%3Csip%3Abob%40x%3E>');
    expect(bye.method).toBe('BYE');
    expect(bye.headers.get('accept-contact')).toBe('<sip:bob@x>');
    expect(parseReferTo('sip:alice@atlanta.example.com').target.toString()).toBe('sip:alice@atlanta.example.com');
    expect(parseReferTo('<tel:+15551234>').target.toString()).toBe('tel:+15551234');
  });

  it('rejects malformed values and bad escapes', () => {
    expect(() => parseReferTo('<sip:x@y?Replaces=%E0%A4%A>')).toThrow(SipSyntaxError);
    expect(() => parseReferTo('<sip:x@y?Replaces=abc>')).toThrow(SipSyntaxError); // no tags
    expect(() => parseReferTo('')).toThrow(SipSyntaxError);
  });

  it('buildReferTo encodes Replaces and other headers; round-trips through parseReferTo', () => {
    const replaces = { callId: '12345@192.168.118.3', toTag: 't;1', fromTag: 'f', earlyOnly: true };
    const v = buildReferTo('sip:dave@denver.example.org', { replaces, headers: { 'Referred-By': '<sip:alice@a>' }, displayName: 'Dave' });
    expect(v).toBe(
      '"Dave" <sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3Dt%3B1%3Bfrom-tag%3Df%3Bearly-only&Referred-By=%3Csip%3Aalice%40a%3E>',
    );
    const back = parseReferTo(v);
    expect(back.headers.get('referred-by')).toBe('<sip:alice@a>');
    expect(back.replaces?.fromTag).toBe('f');
    expect(buildReferTo(new SipUri('sip', 'carol', 'c.example'))).toBe('<sip:carol@c.example>');
    expect(() => buildReferTo('tel:+1555', { replaces })).toThrow(SipSyntaxError);
  });

  it('readReferTo: exactly one Refer-To (also the compact form r)', () => {
    expect(readReferTo(request('REFER', [['r', '<sip:c@x>']])).target.toString()).toBe('sip:c@x');
    expect(() => readReferTo(request('REFER', []))).toThrow(/without Refer-To/);
    expect(() => readReferTo(request('REFER', [['Refer-To', '<sip:c@x>'], ['Refer-To', '<sip:d@x>']]))).toThrow(/more than one/);
  });
});

describe('Referred-By', () => {
  it('parses and builds (tag dropped, cid kept)', () => {
    const r = parseReferredBy('<sip:referrer@atlanta.example.com>;cid="20398823.2UWQFN309shb3@atlanta.example.com"');
    expect(r.address.uri.toString()).toBe('sip:referrer@atlanta.example.com');
    expect(r.cid).toBe('20398823.2UWQFN309shb3@atlanta.example.com');
    expect(parseReferredBy('sip:a@b').cid).toBeUndefined();
    expect(buildReferredBy('"Alice" <sip:alice@a>;tag=xyz')).toBe('"Alice" <sip:alice@a>');
    expect(buildReferredBy(parseNameAddr('<sip:alice@a>'), 'c1@a')).toBe('<sip:alice@a>;cid=c1@a');
    expect(readReferredBy(request('REFER', [['b', '<sip:alice@a>']]))?.address.uri.toString()).toBe('sip:alice@a');
    expect(readReferredBy(request('REFER', [['Referred-By', '<<<']]))).toBeUndefined();
    expect(readReferredBy(request('REFER', []))).toBeUndefined();
  });

  it('referRequestOptions for a blind and an attended transfer', () => {
    expect(referRequestOptions({ target: 'sip:carol@c', referredBy: '<sip:alice@a>' })).toEqual({
      headers: { 'refer-to': '<sip:carol@c>', 'referred-by': '<sip:alice@a>' },
    });
    const att = referRequestOptions({ target: 'sip:carol@c', replaces: { callId: 'x', toTag: '1', fromTag: '2', earlyOnly: false } });
    expect(parseReferTo(att.headers!['refer-to'] as string).replaces?.callId).toBe('x');
  });
});
