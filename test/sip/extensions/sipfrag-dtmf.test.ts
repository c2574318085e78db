/** message/sipfrag NOTIFY bodies (RFC 3515/3420), Event and Subscription-State, and DTMF INFO bodies. */
import { describe, expect, it } from 'vitest';
import {
  DTMF_CONTENT_TYPE,
  DTMF_RELAY_CONTENT_TYPE,
  buildDtmf,
  buildDtmfRelay,
  dtmfInfoOptions,
  parseDtmf,
  parseDtmfInfo,
  parseDtmfRelay,
} from '../../../src/sip/extensions/dtmf-info.js';
import {
  SIPFRAG_CONTENT_TYPE,
  buildSipFrag,
  parseEvent,
  parseSipFrag,
  parseSubscriptionState,
  referNotifyOptions,
  serializeSubscriptionState,
} from '../../../src/sip/extensions/sipfrag.js';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';

describe('sipfrag', () => {
  it('builds and parses status-line fragments', () => {
    expect(buildSipFrag(200)).toBe('SIP/2.0 200 OK\r\n');
    expect(buildSipFrag(100)).toBe('SIP/2.0 100 Trying\r\n');
    expect(buildSipFrag(503, 'Service Unavailable - gateway')).toBe('SIP/2.0 503 Service Unavailable - gateway\r\n');
    expect(() => buildSipFrag(42)).toThrow(RangeError);
    expect(parseSipFrag('SIP/2.0 180 Ringing\r\n')).toEqual({ status: 180, reason: 'Ringing' });
    expect(parseSipFrag(Buffer.from('SIP/2.0 603 Declined\r\nContact: <sip:x@y>\r\n'))).toEqual({ status: 603, reason: 'Declined' });
    expect(parseSipFrag('SIP/2.0 200')).toEqual({ status: 200, reason: '' });
    expect(parseSipFrag('INVITE sip:x@y SIP/2.0\r\n')).toBeUndefined();
    expect(parseSipFrag('')).toBeUndefined();
  });

  it('Subscription-State parse/serialise', () => {
    expect(parseSubscriptionState('active;expires=60')).toEqual({ state: 'active', expires: 60 });
    expect(parseSubscriptionState('Terminated;reason=NoResource;retry-after=5;x=1')).toEqual({
      state: 'terminated',
      reason: 'noresource',
      retryAfter: 5,
      params: new Map([['x', '1']]),
    });
    expect(() => parseSubscriptionState('active;expires=soon')).toThrow(SipSyntaxError);
    expect(serializeSubscriptionState({ state: 'terminated', reason: 'noresource' })).toBe('terminated;reason=noresource');
    expect(serializeSubscriptionState({ state: 'active', expires: 30 })).toBe('active;expires=30');
  });

  it('Event parse', () => {
    expect(parseEvent('refer')).toMatchObject({ event: 'refer', id: undefined });
    expect(parseEvent('Refer;id=93809824')).toMatchObject({ event: 'refer', id: '93809824' });
    expect(() => parseEvent('')).toThrow(SipSyntaxError);
  });

  it('referNotifyOptions: active while trying, terminated on a final status', () => {
    const trying = referNotifyOptions({ status: 100 });
    expect(trying).toEqual({
      headers: { event: 'refer', 'subscription-state': 'active;expires=60' },
      body: 'SIP/2.0 100 Trying\r\n',
      contentType: SIPFRAG_CONTENT_TYPE,
    });
    const done = referNotifyOptions({ status: 200, id: 7 });
    expect(done.headers).toEqual({ event: 'refer;id=7', 'subscription-state': 'terminated;reason=noresource' });
    expect(done.body).toBe('SIP/2.0 200 OK\r\n');
    expect(referNotifyOptions({ status: 180, expires: 10 }).headers!['subscription-state']).toBe('active;expires=10');
  });
});

describe('DTMF INFO bodies', () => {
  it('application/dtmf-relay', () => {
    expect(parseDtmfRelay('Signal=5\r\nDuration=160\r\n')).toEqual({ digit: '5', durationMs: 160 });
    expect(parseDtmfRelay('signal= #\nduration = 250')).toEqual({ digit: '#', durationMs: 250 });
    expect(parseDtmfRelay('Signal=11\r\nDuration=100')).toEqual({ digit: '#', durationMs: 100 });
    expect(parseDtmfRelay('Signal=a')).toEqual({ digit: 'A', durationMs: 250 });
    for (const bad of ['Duration=160', 'Signal=X\r\nDuration=100', 'Signal=5\r\nDuration=0', 'Signal=5\r\nDuration=-3', 'Signal=16']) {
      expect(() => parseDtmfRelay(bad), bad).toThrow(SipSyntaxError);
    }
  });

  it('application/dtmf', () => {
    expect(parseDtmf('7\r\n')).toEqual({ digit: '7', durationMs: 250 });
    expect(parseDtmf(Buffer.from('*'), 100)).toEqual({ digit: '*', durationMs: 100 });
    expect(() => parseDtmf('')).toThrow(SipSyntaxError);
    expect(() => parseDtmf('77')).toThrow(SipSyntaxError);
  });

  it('parseDtmfInfo dispatches on Content-Type (parameters ignored); others and malformed → undefined', () => {
    expect(parseDtmfInfo('Application/DTMF-Relay', 'Signal=1\r\nDuration=80')).toEqual({ digit: '1', durationMs: 80 });
    expect(parseDtmfInfo('application/dtmf;charset=utf-8', '9')).toEqual({ digit: '9', durationMs: 250 });
    expect(parseDtmfInfo('application/sdp', 'v=0')).toBeUndefined();
    expect(parseDtmfInfo(undefined, 'Signal=1')).toBeUndefined();
    expect(parseDtmfInfo(DTMF_RELAY_CONTENT_TYPE, 'garbage')).toBeUndefined();
  });

  it('builds both formats; round trip', () => {
    expect(buildDtmfRelay({ digit: '5', durationMs: 160 })).toBe('Signal=5\r\nDuration=160\r\n');
    expect(buildDtmf({ digit: 'd' })).toBe('D');
    expect(() => buildDtmf({ digit: 'Z' })).toThrow(SipSyntaxError);
    expect(dtmfInfoOptions({ digit: '#', durationMs: 100 })).toEqual({ body: 'Signal=#\r\nDuration=100\r\n', contentType: DTMF_RELAY_CONTENT_TYPE });
    expect(dtmfInfoOptions({ digit: '3', durationMs: 100 }, 'dtmf')).toEqual({ body: '3', contentType: DTMF_CONTENT_TYPE });
    for (const d of '0123456789*#ABCD') expect(parseDtmfRelay(buildDtmfRelay({ digit: d, durationMs: 120 }))).toEqual({ digit: d, durationMs: 120 });
  });
});
