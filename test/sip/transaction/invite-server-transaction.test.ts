import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTag } from '../../../src/sip/message/ids.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../../../src/sip/transaction/types.js';
import { TCP_FLOW, UDP_FLOW } from './helpers/fake-transport.js';
import { flush, setup, times, useFakeClock } from './helpers/harness.js';
import { requestText } from './helpers/messages.js';

function receiveInvite(flow = UDP_FLOW) {
  const h = setup();
  h.transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv1' }), flow);
  expect(h.tu.requests).toHaveLength(1);
  const tx = h.tu.requests[0]!.tx as ServerTransaction;
  const respond = (status: number, tag = 'uastag') => tx.respond(createResponse(tx.request, status, undefined, tag));
  const ack = (branch = 'z9hG4bKinv1', toTag = 'uastag') => requestText({ method: 'ACK', branch, toTag });
  return { ...h, tx, respond, ack, flow };
}

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  beforeEach(useFakeClock);
  afterEach(() => vi.useRealTimers());

  it('sends 100 Trying immediately, before the TU sees the INVITE, and enters Proceeding', () => {
    const h = setup();
    let sentBeforeTu = -1;
    h.tu.onNew = () => {
      sentBeforeTu = h.transport.sentWith('SIP/2.0 100').length;
    };
    h.transport.inject(requestText({ method: 'INVITE', extra: ['Timestamp: 54'] }));
    expect(sentBeforeTu).toBe(1);
    const trying = h.transport.sentWith('SIP/2.0 100')[0]!;
    expect(trying.flow).toEqual(UDP_FLOW);
    expect(trying.message.to.tag).toBeUndefined();
    expect(trying.message.get('timestamp')).toBe('54');
    const tx = h.tu.requests[0]!.tx!;
    expect(tx).toBeInstanceOf(InviteServerTransaction);
    expect(tx.state).toBe('proceeding');
    expect(tx.flow).toEqual(UDP_FLOW);
  });

  it('Proceeding: a retransmitted INVITE is absorbed and the last provisional re-sent', () => {
    const { transport, tu, respond, layer } = receiveInvite();
    transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv1' }));
    expect(transport.sentWith('SIP/2.0 100')).toHaveLength(2);
    respond(180);
    transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv1' }));
    expect(transport.sentWith('SIP/2.0 180')).toHaveLength(2);
    expect(tu.requests).toHaveLength(1);
    expect(layer.stats.absorbedRetransmissions).toBe(2);
    expect(layer.stats.retransmissions).toBe(2);
    expect(layer.stats.serverTransactions).toBe(1);
  });

  it('Completed: Timer G retransmits the final doubling up to T2; a retransmitted INVITE re-sends it; ACK → Confirmed; Timer I ends it', () => {
    const { transport, tu, tx, respond, ack, layer } = receiveInvite();
    respond(486);
    expect(tx.state).toBe('completed');
    transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv1' }));
    vi.advanceTimersByTime(15_600);
    const finals = transport.sentWith('SIP/2.0 486');
    // original at 0, retransmission for the INVITE at 0, then Timer G: 500, 1500, 3500, 7500, 11500, 15500
    expect(times(finals, 0)).toEqual([0, 0, 500, 1500, 3500, 7500, 11500, 15500]);
    transport.inject(ack());
    expect(tx.state).toBe('confirmed');
    transport.inject(ack()); // ACK retransmission absorbed
    vi.advanceTimersByTime(4000);
    expect(transport.sentWith('SIP/2.0 486')).toHaveLength(8); // G stopped
    expect(tu.requests).toHaveLength(1); // neither ACK reached the TU
    vi.advanceTimersByTime(999); // Timer I = T4 = 5000 after the ACK
    expect(tx.state).toBe('confirmed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes()).toEqual({ clientTransactions: 0, serverTransactions: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Completed: Timer H without an ACK informs the TU', () => {
    const { tu, tx, respond, layer, transport } = receiveInvite();
    respond(603);
    vi.advanceTimersByTime(31_999);
    expect(tu.serverTimeouts).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(tu.serverTimeouts).toEqual([tx]);
    expect(tx.state).toBe('terminated');
    expect(layer.stats.serverTimeouts).toBe(1);
    expect(layer.sizes().serverTransactions).toBe(0);
    // a late ACK now has no transaction: it goes to the TU
    transport.inject(requestText({ method: 'ACK', branch: 'z9hG4bKinv1', toTag: 'uastag' }));
    expect(tu.requests.at(-1)!.request.method).toBe('ACK');
    expect(tu.requests.at(-1)!.tx).toBeUndefined();
  });

  it('Accepted (RFC 6026): sends the 2xx once, absorbs INVITE retransmissions silently, sends the TU 2xx retransmissions, passes ACKs to the TU; Timer L ends it', () => {
    const { transport, tu, tx, respond, ack, layer } = receiveInvite();
    respond(200);
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(2000);
    expect(transport.sentWith('SIP/2.0 200')).toHaveLength(1); // no retransmission by the transaction
    transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv1' }));
    expect(transport.sentWith('SIP/2.0 200')).toHaveLength(1); // absorbed, nothing re-sent
    expect(tu.requests).toHaveLength(1);
    respond(200); // the TU's own 2xx retransmission (§13.3.1.4)
    expect(transport.sentWith('SIP/2.0 200')).toHaveLength(2);
    respond(486); // not a 2xx: ignored
    expect(transport.sentWith('SIP/2.0 486')).toHaveLength(0);
    // an ACK for the 2xx re-using the INVITE branch is NOT absorbed
    transport.inject(ack());
    // and the normal case: the ACK for a 2xx has its own branch
    transport.inject(ack('z9hG4bKack2'));
    const acks = tu.requests.filter((r) => r.request.method === 'ACK');
    expect(acks).toHaveLength(2);
    expect(acks.every((a) => a.tx === undefined)).toBe(true);
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(30_000 - 1); // Timer L = 64*T1 from the 200 at t=0
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().serverTransactions).toBe(0);
    // the TU may still retransmit its 2xx after Timer L: it goes out
    respond(200);
    expect(transport.sentWith('SIP/2.0 200')).toHaveLength(3);
  });

  it('reliable transport: no Timer G, Timer I zero', () => {
    const { transport, tx, respond, ack, layer } = receiveInvite(TCP_FLOW);
    respond(480);
    vi.advanceTimersByTime(10_000);
    expect(transport.sentWith('SIP/2.0 480')).toHaveLength(1);
    expect(tx.state).toBe('completed');
    transport.inject(ack(), TCP_FLOW);
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().serverTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Timer H also runs over a reliable transport', () => {
    const { tu, respond } = receiveInvite(TCP_FLOW);
    respond(486);
    vi.advanceTimersByTime(32_000);
    expect(tu.serverTimeouts).toHaveLength(1);
  });

  it('an ACK before any final response is dropped', () => {
    const { transport, tu, tx } = receiveInvite();
    transport.inject(requestText({ method: 'ACK', branch: 'z9hG4bKinv1' }));
    expect(tx.state).toBe('proceeding');
    expect(tu.requests).toHaveLength(1);
  });

  it('a transport error sending a response informs the TU and terminates (§17.2.4)', async () => {
    const { transport, tu, tx, respond, layer } = receiveInvite();
    transport.failWith = () => new Error('connection reset');
    respond(486);
    await flush();
    expect(tu.serverTransportErrors.map((e) => e.message)).toEqual(['connection reset']);
    expect(tx.state).toBe('terminated');
    expect(layer.stats.transportErrors).toBe(1);
    expect(layer.sizes().serverTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a status outside 100-699', () => {
    const { tx } = receiveInvite();
    expect(() => tx.respond(createResponse(tx.request, 700, 'Nope', newTag()))).toThrow(RangeError);
    expect(tx.state).toBe('proceeding');
  });

  it('a TU that throws on a new INVITE gets a 500 sent for it', () => {
    const h = setup();
    h.tu.onNew = () => {
      throw new Error('TU bug');
    };
    h.transport.inject(requestText({ method: 'INVITE' }));
    expect(h.transport.sentWith('SIP/2.0 500')).toHaveLength(1);
    expect(h.layer.stats.tuErrors).toBe(1);
  });
});
