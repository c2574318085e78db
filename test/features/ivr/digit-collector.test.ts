/** The IVR digit collector (spec DTMF-04, DTMF-05): fields ended by `#`, timeouts, first method wins. */
import { describe, expect, it } from 'vitest';
import { DigitCollector } from '../../../src/features/ivr/digit-collector.js';
import { SipRequest } from '../../../src/sip/message/message.js';

function info(contentType: string, body: string): SipRequest {
  const r = new SipRequest('INFO', 'sip:x@127.0.0.1');
  r.set('content-type', contentType);
  r.body = Buffer.from(body);
  return r;
}

describe('DigitCollector', () => {
  it('collects a field up to # from digits typed ahead and arriving later', async () => {
    const c = new DigitCollector();
    c.feed('1', 'info');
    c.feed('2', 'info');
    const p = c.field({ timeoutMs: 500 });
    c.feed('3', 'info');
    c.feed('4', 'info');
    c.feed('#', 'info');
    c.feed('9', 'info');
    expect(await p).toEqual({ kind: 'field', value: '1234' });
    expect(c.pending).toBe(1);
    expect(await c.nextDigit(100)).toEqual({ kind: 'digit', digit: '9' });
  });

  it('an empty field (# alone) is a field with no digits', async () => {
    const c = new DigitCollector();
    c.feed('#', 'rfc4733');
    expect(await c.field({ timeoutMs: 100 })).toEqual({ kind: 'field', value: '' });
  });

  it('times out waiting for the first digit, and between digits (DTMF-04)', async () => {
    const c = new DigitCollector();
    const t0 = Date.now();
    expect(await c.field({ timeoutMs: 150 })).toEqual({ kind: 'timeout', partial: '' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const p = c.field({ timeoutMs: 150 });
    setTimeout(() => c.feed('5', 'info'), 100);
    const t1 = Date.now();
    expect(await p).toEqual({ kind: 'timeout', partial: '5' });
    // 100 ms to the first digit, then 150 ms without the next one.
    expect(Date.now() - t1).toBeGreaterThanOrEqual(240);
  });

  it('firstTimeoutMs extends only the wait for the first digit (a prompt is playing)', async () => {
    const c = new DigitCollector();
    const p = c.field({ timeoutMs: 100, firstTimeoutMs: 400 });
    setTimeout(() => c.feed('1', 'info'), 250);
    setTimeout(() => c.feed('#', 'info'), 300);
    expect(await p).toEqual({ kind: 'field', value: '1' });
  });

  it('DTMF-05: the first method that delivers a digit wins; the other is ignored on that leg', async () => {
    const c = new DigitCollector();
    expect(c.feed('1', 'rfc4733')).toBe(true);
    expect(c.feed('1', 'info')).toBe(false);
    expect(c.feed('2', 'rfc4733')).toBe(true);
    expect(c.feedInfo(info('application/dtmf-relay', 'Signal=2\r\nDuration=160\r\n'))).toBe(false);
    expect(c.feed('#', 'rfc4733')).toBe(true);
    expect(c.method).toBe('rfc4733');
    expect(c.ignored).toBe(2);
    expect(await c.field({ timeoutMs: 100 })).toEqual({ kind: 'field', value: '12' });
  });

  it('reads both INFO body formats and ignores other INFO bodies', async () => {
    const c = new DigitCollector();
    expect(c.feedInfo(info('application/dtmf-relay', 'Signal=7\r\nDuration=100\r\n'))).toBe(true);
    expect(c.feedInfo(info('application/dtmf', '*'))).toBe(true);
    expect(c.feedInfo(info('text/plain', 'Signal=1'))).toBe(false);
    expect(c.history).toEqual(['7', '*']);
    expect(c.method).toBe('info');
  });

  it('close() ends a wait with closed and drops later digits', async () => {
    const c = new DigitCollector();
    const p = c.field({ timeoutMs: 5000 });
    c.close();
    expect(await p).toEqual({ kind: 'closed' });
    expect(c.feed('1', 'info')).toBe(false);
    expect(await c.nextDigit(10)).toEqual({ kind: 'closed' });
  });

  it('flush() drops digits typed ahead', async () => {
    const c = new DigitCollector();
    c.feed('1', 'info');
    c.feed('#', 'info');
    c.flush();
    expect(await c.field({ timeoutMs: 50 })).toEqual({ kind: 'timeout', partial: '' });
  });
});
