import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createResponse } from '../../../src/sip/message/response.js';
import { NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server-transaction.js';
import type { ServerTransaction } from '../../../src/sip/transaction/types.js';
import { TCP_FLOW, UDP_FLOW } from './helpers/fake-transport.js';
import { setup, useFakeClock } from './helpers/harness.js';
import { requestText } from './helpers/messages.js';

function receive(flow = UDP_FLOW) {
  const h = setup();
  const text = requestText({ method: 'BYE', branch: 'z9hG4bKbye1', toTag: 'uastag' });
  h.transport.inject(text, flow);
  const tx = h.tu.requests[0]!.tx as ServerTransaction;
  const respond = (status: number) => tx.respond(createResponse(tx.request, status));
  const again = () => h.transport.inject(text, flow);
  return { ...h, tx, respond, again };
}

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  beforeEach(useFakeClock);
  afterEach(() => vi.useRealTimers());

  it('Trying: nothing is sent, retransmissions are discarded', () => {
    const { transport, tu, tx, again, layer } = receive();
    expect(tx).toBeInstanceOf(NonInviteServerTransaction);
    expect(tx.state).toBe('trying');
    again();
    expect(transport.sent).toHaveLength(0);
    expect(tu.requests).toHaveLength(1);
    expect(layer.stats.absorbedRetransmissions).toBe(1);
  });

  it('Trying → Proceeding → Completed: the last response is re-sent for each retransmission; Timer J = 64*T1', () => {
    const { transport, tu, tx, respond, again, layer } = receive();
    respond(100);
    expect(tx.state).toBe('proceeding');
    again();
    expect(transport.sentWith('SIP/2.0 100')).toHaveLength(2);
    respond(200);
    expect(tx.state).toBe('completed');
    again();
    again();
    expect(transport.sentWith('SIP/2.0 200')).toHaveLength(3);
    respond(500); // "Any other final responses ... MUST be discarded"
    expect(transport.sentWith('SIP/2.0 500')).toHaveLength(0);
    expect(tu.requests).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(transport.sentWith('SIP/2.0 200')).toHaveLength(3); // no timer retransmission of non-INVITE finals
    vi.advanceTimersByTime(22_000 - 1);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().serverTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // after Timer J the same request is new again
    again();
    expect(tu.requests).toHaveLength(2);
  });

  it('Trying → Completed directly on a final', () => {
    const { tx, respond, transport } = receive();
    respond(481);
    expect(tx.state).toBe('completed');
    expect(transport.sentWith('SIP/2.0 481')[0]!.flow).toEqual(UDP_FLOW);
  });

  it('reliable transport: Timer J is zero', () => {
    const { tx, respond, layer } = receive(TCP_FLOW);
    respond(200);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().serverTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
