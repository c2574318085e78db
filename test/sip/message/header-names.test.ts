import { describe, expect, it } from 'vitest';
import { canonicalHeaderName, isListHeader, normalizeHeaderName } from '../../../src/sip/message/header-names.js';

describe('normalizeHeaderName', () => {
  it('lower-cases names (header names are case-insensitive, RFC 3261 §7.3.1)', () => {
    for (const n of ['Via', 'VIA', 'via', 'vIa']) expect(normalizeHeaderName(n)).toBe('via');
    expect(normalizeHeaderName('MaX-fOrWaRdS')).toBe('max-forwards');
  });

  it('expands the compact forms of RFC 3261 §7.3.3 and later RFCs, in either case', () => {
    const compact: Record<string, string> = {
      i: 'call-id', m: 'contact', f: 'from', t: 'to', v: 'via', l: 'content-length', c: 'content-type',
      k: 'supported', s: 'subject', e: 'content-encoding', o: 'event', r: 'refer-to', b: 'referred-by',
      u: 'allow-events', x: 'session-expires', a: 'accept-contact', j: 'reject-contact', d: 'request-disposition',
      y: 'identity', n: 'identity-info',
    };
    for (const [short, full] of Object.entries(compact)) {
      expect(normalizeHeaderName(short)).toBe(full);
      expect(normalizeHeaderName(short.toUpperCase())).toBe(full);
    }
  });

  it('keeps unknown single letters and prototype names as plain strings', () => {
    expect(normalizeHeaderName('q')).toBe('q');
    expect(normalizeHeaderName('__proto__')).toBe('__proto__');
    expect(normalizeHeaderName('constructor')).toBe('constructor');
  });

  it('stays correct past its cache limit', () => {
    for (let i = 0; i < 5000; i++) expect(normalizeHeaderName(`X-Fill-${i}`)).toBe(`x-fill-${i}`);
    expect(normalizeHeaderName('Call-ID')).toBe('call-id');
  });
});

describe('canonicalHeaderName', () => {
  it('capitalises each dash-separated word', () => {
    expect(canonicalHeaderName('max-forwards')).toBe('Max-Forwards');
    expect(canonicalHeaderName('x-my-header')).toBe('X-My-Header');
  });

  it('uses the RFC spelling for irregular names', () => {
    expect(canonicalHeaderName('call-id')).toBe('Call-ID');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
    expect(canonicalHeaderName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalHeaderName('rack')).toBe('RAck');
  });

  it('returns a string for names that exist on Object.prototype', () => {
    expect(canonicalHeaderName('__proto__')).toBe('__proto__');
    expect(canonicalHeaderName('constructor')).toBe('Constructor');
    expect(canonicalHeaderName('tostring')).toBe('Tostring');
    expect(canonicalHeaderName('hasownproperty')).toBe('Hasownproperty');
  });
});

describe('isListHeader', () => {
  it('knows the comma-separated list headers', () => {
    for (const k of ['via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'accept']) {
      expect(isListHeader(k), k).toBe(true);
    }
  });

  it('never treats headers whose values contain commas as lists', () => {
    for (const k of ['www-authenticate', 'authorization', 'proxy-authenticate', 'proxy-authorization', 'date', 'subject', 'call-id', 'from', 'to']) {
      expect(isListHeader(k), k).toBe(false);
    }
  });

  it('is false for prototype names', () => {
    expect(isListHeader('__proto__')).toBe(false);
    expect(isListHeader('constructor')).toBe(false);
  });
});
