/** Option-tag helpers (§8.2.2.3) and the RFC 3262 RSeq/RAck headers. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SUPPORTED, addOptionTag, hasOptionTag, unsupportedRequired } from '../../../src/sip/extensions/option-tags.js';
import { initialRSeq, parseRAck, parseRSeq, reliabilityOf, reliableRSeq, serializeRAck } from '../../../src/sip/extensions/prack.js';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import { SipRequest, SipResponse } from '../../../src/sip/message/message.js';

function req(headers: [string, string][] = []): SipRequest {
  const r = new SipRequest('INVITE', 'sip:b@x');
  r.set('cseq', '1 INVITE');
  for (const [k, v] of headers) r.append(k, v);
  return r;
}

function res(status: number, headers: [string, string][] = []): SipResponse {
  const r = new SipResponse(status, 'x');
  for (const [k, v] of headers) r.append(k, v);
  return r;
}

describe('option tags', () => {
  it('hasOptionTag is case-insensitive across list headers and compact forms', () => {
    const r = req([['k', '100REL, timer'], ['Require', 'replaces']]);
    expect(hasOptionTag(r, 'supported', '100rel')).toBe(true);
    expect(hasOptionTag(r, 'supported', 'path')).toBe(false);
    expect(hasOptionTag(r, 'require', 'Replaces')).toBe(true);
  });

  it('unsupportedRequired lists unknown tags once, as written', () => {
    const r = req([['Require', '100rel, foo'], ['Require', 'Bar, foo, TIMER']]);
    expect(unsupportedRequired(r, DEFAULT_SUPPORTED)).toEqual(['foo', 'Bar']);
    expect(unsupportedRequired(req(), DEFAULT_SUPPORTED)).toEqual([]);
    expect(unsupportedRequired(r, [])).toEqual(['100rel', 'foo', 'Bar', 'TIMER']);
  });

  it('addOptionTag merges without duplicating', () => {
    const r = req([['Supported', 'replaces']]);
    addOptionTag(r, 'supported', 'timer');
    addOptionTag(r, 'supported', 'TIMER');
    expect(r.getAll('supported')).toEqual(['replaces', 'timer']);
    const e = req();
    addOptionTag(e, 'require', 'timer');
    expect(e.get('require')).toBe('timer');
  });

  it('the default supported set', () => {
    expect(DEFAULT_SUPPORTED).toEqual(['100rel', 'timer', 'replaces', 'path']);
  });
});

describe('RSeq / RAck (RFC 3262 §7)', () => {
  it('parse and serialise', () => {
    expect(parseRSeq(' 988789 ')).toBe(988789);
    expect(parseRAck('776656 1 INVITE')).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    expect(serializeRAck({ rseq: 5, cseq: 314, method: 'INVITE' })).toBe('5 314 INVITE');
    for (const bad of ['', '0', 'x', '4294967296']) expect(() => parseRSeq(bad), bad).toThrow(SipSyntaxError);
    for (const bad of ['1 1', '1 1 INVITE x', 'a 1 INVITE', '1 1 INV@ITE']) expect(() => parseRAck(bad), bad).toThrow(SipSyntaxError);
  });

  it('initialRSeq is within 1 .. 2^31-1', () => {
    for (let i = 0; i < 200; i++) {
      const n = initialRSeq();
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(2 ** 31 - 1);
    }
  });

  it('reliabilityOf the INVITE', () => {
    expect(reliabilityOf(req([['Require', '100rel']]))).toBe('required');
    expect(reliabilityOf(req([['Supported', 'timer, 100rel']]))).toBe('supported');
    expect(reliabilityOf(req())).toBeUndefined();
  });

  it('reliableRSeq: only 101-199 with Require: 100rel and a valid RSeq', () => {
    expect(reliableRSeq(res(180, [['Require', '100rel'], ['RSeq', '7']]))).toBe(7);
    expect(reliableRSeq(res(180, [['RSeq', '7']]))).toBeUndefined();
    expect(reliableRSeq(res(180, [['Require', '100rel']]))).toBeUndefined();
    expect(reliableRSeq(res(180, [['Require', '100rel'], ['RSeq', 'x']]))).toBeUndefined();
    expect(reliableRSeq(res(100, [['Require', '100rel'], ['RSeq', '7']]))).toBeUndefined();
    expect(reliableRSeq(res(200, [['Require', '100rel'], ['RSeq', '7']]))).toBeUndefined();
  });
});
