import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client-transaction.js';
import { TCP_DEST, UDP_DEST } from './helpers/fake-transport.js';
import { clientUser, flush, setup, times, useFakeClock } from './helpers/harness.js';
import { outgoing, reply } from './helpers/messages.js';

function start(dest = UDP_DEST) {
  const h = setup();
  const user = clientUser();
  const tx = h.layer.sendRequest(outgoing({ method: 'OPTIONS' }), dest, user);
  const sent = h.transport.sent[0]!.message;
  if (!sent.isRequest()) throw new Error('expected the request');
  return { ...h, user, tx, sent };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  beforeEach(useFakeClock);
  afterEach(() => vi.useRealTimers());

  it('Trying: Timer E doubles from T1 and caps at T2; Timer F reports a timeout', () => {
    const { transport, user, tx, layer } = start();
    expect(tx).toBeInstanceOf(NonInviteClientTransaction);
    expect(tx.state).toBe('trying');
    vi.advanceTimersByTime(31_999);
    expect(times(transport.sentWith('OPTIONS'), 0)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(user.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(user.terminated).toBe(1);
    expect(layer.stats.timeouts).toBe(1);
    expect(layer.sizes().clientTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Trying → Proceeding on 1xx: Timer E continues every T2; Timer F still applies', () => {
    const { transport, user, tx, sent } = start();
    vi.advanceTimersByTime(600); // retransmission at 500, next due at 1500
    transport.inject(reply(sent, 100));
    expect(tx.state).toBe('proceeding');
    vi.advanceTimersByTime(31_400);
    expect(times(transport.sentWith('OPTIONS'), 0)).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    expect(user.responses.map((r) => r.status)).toEqual([100]);
    expect(user.timeouts).toBe(1); // Timer F fires in Proceeding too
    expect(tx.state).toBe('terminated');
  });

  it('Trying → Completed on a final: passed to the TU once, retransmissions absorbed, Timer K = T4', () => {
    const { transport, user, tx, sent, layer } = start();
    transport.inject(reply(sent, 200, 'x'));
    expect(tx.state).toBe('completed');
    expect(user.statesSeen).toEqual(['completed']);
    transport.inject(reply(sent, 200, 'x'));
    transport.inject(reply(sent, 200, 'x'));
    expect(user.responses).toHaveLength(1);
    expect(layer.stats.absorbedRetransmissions).toBe(2);
    vi.advanceTimersByTime(10_000);
    expect(transport.sentWith('OPTIONS')).toHaveLength(1); // E stopped
  });

  it('Timer K is T4 on UDP', () => {
    const { transport, tx, sent, layer } = start();
    transport.inject(reply(sent, 404, 'x'));
    vi.advanceTimersByTime(4999);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().clientTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Proceeding → Completed on a final', () => {
    const { transport, user, tx, sent } = start();
    transport.inject(reply(sent, 100));
    transport.inject(reply(sent, 183, 'x'));
    transport.inject(reply(sent, 500, 'x'));
    expect(user.responses.map((r) => r.status)).toEqual([100, 183, 500]);
    expect(user.statesSeen).toEqual(['proceeding', 'proceeding', 'completed']);
    expect(tx.state).toBe('completed');
  });

  it('reliable transport: no Timer E, Timer K zero', () => {
    const { transport, user, tx, sent, layer } = start(TCP_DEST);
    vi.advanceTimersByTime(10_000);
    expect(transport.sentWith('OPTIONS')).toHaveLength(1);
    transport.inject(reply(sent, 200, 'x'));
    expect(tx.state).toBe('terminated');
    expect(user.responses).toHaveLength(1);
    expect(user.terminated).toBe(1);
    expect(layer.sizes().clientTransactions).toBe(0);
  });

  it('Timer F over a reliable transport', () => {
    const { user, tx } = start(TCP_DEST);
    vi.advanceTimersByTime(32_000);
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('a transport error on a retransmission is reported and terminates (§17.1.4)', async () => {
    const { transport, user, tx, layer } = start();
    transport.failWith = () => new Error('unreachable');
    vi.advanceTimersByTime(500);
    await flush();
    expect(user.transportErrors).toHaveLength(1);
    expect(user.timeouts).toBe(0);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().clientTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancel() on a non-INVITE transaction sends nothing (§9.1)', () => {
    const { transport, tx, sent } = start();
    transport.inject(reply(sent, 100));
    expect(tx.cancel()).toBeUndefined();
    expect(transport.sentWith('CANCEL')).toHaveLength(0);
  });
});
