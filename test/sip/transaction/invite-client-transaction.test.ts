import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client-transaction.js';
import { TCP_DEST, UDP_DEST } from './helpers/fake-transport.js';
import { clientUser, flush, setup, times, useFakeClock } from './helpers/harness.js';
import { outgoing, reply } from './helpers/messages.js';

const ROUTES = ['<sip:proxy1.example.com;lr>', '<sip:proxy2.example.com;lr>'];

function start(dest = UDP_DEST, timers?: Parameters<typeof setup>[0]) {
  const h = setup(timers);
  const user = clientUser();
  const invite = outgoing({ method: 'INVITE', routes: ROUTES });
  const tx = h.layer.sendRequest(invite, dest, user);
  const sentInvite = h.transport.sent[0]!.message;
  if (!sentInvite.isRequest()) throw new Error('expected the INVITE');
  return { ...h, user, tx, sentInvite };
}

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026)', () => {
  beforeEach(useFakeClock);
  afterEach(() => vi.useRealTimers());

  it('Calling: retransmits on Timer A with doubling intervals (no T2 cap) until Timer B, then reports a timeout', () => {
    const { transport, user, tx, layer } = start();
    expect(tx).toBeInstanceOf(InviteClientTransaction);
    expect(tx.state).toBe('calling');
    vi.advanceTimersByTime(31_999);
    expect(times(transport.sentWith('INVITE'), 0)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(user.timeouts).toBe(0);
    vi.advanceTimersByTime(1); // Timer B = 64*T1 = 32000
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(user.terminated).toBe(1);
    expect(transport.sentWith('ACK')).toHaveLength(0); // "MUST NOT generate an ACK"
    expect(layer.stats.timeouts).toBe(1);
    expect(layer.stats.retransmissions).toBe(6);
    expect(layer.sizes()).toEqual({ clientTransactions: 0, serverTransactions: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Timer B also runs over a reliable transport, without Timer A', () => {
    const { transport, user, tx } = start(TCP_DEST);
    vi.advanceTimersByTime(32_000);
    expect(transport.sentWith('INVITE')).toHaveLength(1);
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('Calling → Proceeding on 1xx: retransmissions stop, every 1xx reaches the TU', () => {
    const { transport, user, tx, sentInvite } = start();
    vi.advanceTimersByTime(600); // one retransmission at 500
    transport.inject(reply(sentInvite, 100));
    expect(tx.state).toBe('proceeding');
    transport.inject(reply(sentInvite, 180, 'bobtag'));
    transport.inject(reply(sentInvite, 180, 'bobtag'));
    vi.advanceTimersByTime(60_000);
    expect(transport.sentWith('INVITE')).toHaveLength(2);
    expect(user.responses.map((r) => r.status)).toEqual([100, 180, 180]);
    expect(user.timeouts).toBe(0); // Timer B only guards Calling
    expect(tx.state).toBe('proceeding');
    expect(tx.lastResponse?.status).toBe(180);
  });

  it('Proceeding → Accepted on 2xx: 2xx retransmissions go to the TU, no ACK, Timer M ends it (RFC 6026)', () => {
    const { transport, user, tx, sentInvite, layer } = start();
    transport.inject(reply(sentInvite, 180, 'bobtag'));
    transport.inject(reply(sentInvite, 200, 'bobtag'));
    expect(tx.state).toBe('accepted');
    transport.inject(reply(sentInvite, 200, 'bobtag')); // retransmission
    transport.inject(reply(sentInvite, 200, 'forked')); // another fork's 2xx
    transport.inject(reply(sentInvite, 486, 'x')); // not a 2xx: ignored in Accepted
    expect(user.responses.map((r) => r.status)).toEqual([180, 200, 200, 200]);
    expect(user.statesSeen.slice(1)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(transport.sentWith('ACK')).toHaveLength(0);
    vi.advanceTimersByTime(32_000 - 1);
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    // after Timer M the 2xx is stray: handed to the TU of the layer
    transport.inject(reply(sentInvite, 200, 'bobtag'));
    expect(layer.stats.strayResponses).toBe(1);
    expect(layer.sizes().clientTransactions).toBe(0);
  });

  it('Calling → Accepted directly on 2xx', () => {
    const { transport, tx, sentInvite } = start();
    transport.inject(reply(sentInvite, 200, 'bobtag'));
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(10_000);
    expect(transport.sentWith('INVITE')).toHaveLength(1); // Timer A stopped
  });

  it('Calling → Completed on 3xx-6xx: builds the ACK per §17.1.1.3 and sends it to the same destination', () => {
    const { transport, user, tx, sentInvite } = start();
    transport.inject(reply(sentInvite, 486, 'bobtag'));
    expect(tx.state).toBe('completed');
    expect(user.responses.map((r) => r.status)).toEqual([486]);
    const acks = transport.sentWith('ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!.message;
    if (!ack.isRequest()) throw new Error('ACK expected');
    expect(acks[0]!.destination).toEqual(UDP_DEST);
    expect(ack.uriString).toBe(sentInvite.uriString);
    expect(ack.vias).toHaveLength(1);
    expect(ack.topVia.branch).toBe(sentInvite.topVia.branch);
    expect(ack.topVia.toString()).toBe(sentInvite.topVia.toString());
    expect(ack.callId).toBe(sentInvite.callId);
    expect(ack.from.toString()).toBe(sentInvite.from.toString());
    expect(ack.to.tag).toBe('bobtag');
    expect(ack.cseq.seq).toBe(sentInvite.cseq.seq);
    expect(ack.cseq.method).toBe('ACK');
    expect(ack.getAll('route')).toEqual(ROUTES);
    expect(ack.maxForwards).toBe(70);
  });

  it('Completed: a retransmitted final re-sends the ACK and is not passed to the TU; Timer D ends it', () => {
    const { transport, user, tx, sentInvite, layer } = start();
    transport.inject(reply(sentInvite, 180, 'bobtag'));
    transport.inject(reply(sentInvite, 603, 'bobtag'));
    transport.inject(reply(sentInvite, 603, 'bobtag'));
    transport.inject(reply(sentInvite, 603, 'bobtag'));
    expect(transport.sentWith('ACK')).toHaveLength(3);
    expect(user.responses.map((r) => r.status)).toEqual([180, 603]);
    expect(layer.stats.absorbedRetransmissions).toBe(2);
    vi.advanceTimersByTime(31_999);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1); // Timer D: 64*T1 = 32 s for UDP
    expect(tx.state).toBe('terminated');
    expect(layer.sizes().clientTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reliable transport: the ACK is still generated and Timer D is zero', () => {
    const { transport, user, tx, sentInvite, layer } = start(TCP_DEST);
    transport.inject(reply(sentInvite, 404, 'bobtag'));
    expect(transport.sentWith('ACK')).toHaveLength(1);
    expect(transport.sentWith('ACK')[0]!.destination).toEqual(TCP_DEST);
    expect(tx.state).toBe('terminated');
    expect(user.terminated).toBe(1);
    expect(layer.sizes().clientTransactions).toBe(0);
  });

  it('a transport error on the INVITE is reported and terminates the transaction (§17.1.4)', async () => {
    const h = setup();
    h.transport.failWith = () => new Error('ICMP port unreachable');
    const user = clientUser();
    const tx = h.layer.sendRequest(outgoing(), UDP_DEST, user);
    await flush();
    expect(user.transportErrors.map((e) => e.message)).toEqual(['ICMP port unreachable']);
    expect(tx.state).toBe('terminated');
    expect(h.layer.stats.transportErrors).toBe(1);
    expect(h.layer.sizes().clientTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a failing ACK does not end the transaction', async () => {
    const { transport, tx, sentInvite, user } = start();
    transport.failWith = (m) => (m.isRequest() && m.method === 'ACK' ? new Error('boom') : undefined);
    transport.inject(reply(sentInvite, 486, 'bobtag'));
    await flush();
    expect(tx.state).toBe('completed');
    expect(user.transportErrors).toHaveLength(0);
  });

  describe('CANCEL (§9.1)', () => {
    it('before any provisional response: deferred, sent when the 1xx arrives, with the fields of §9.1', () => {
      const { transport, tx, sentInvite, layer } = start();
      expect(tx.cancel('SIP;cause=200;text="Call completed elsewhere"')).toBeUndefined();
      vi.advanceTimersByTime(1000);
      expect(transport.sentWith('CANCEL')).toHaveLength(0);
      transport.inject(reply(sentInvite, 180, 'bobtag'));
      const cancels = transport.sentWith('CANCEL');
      expect(cancels).toHaveLength(1);
      const cancel = cancels[0]!.message;
      if (!cancel.isRequest()) throw new Error('CANCEL expected');
      expect(cancels[0]!.destination).toEqual(UDP_DEST);
      expect(cancel.uriString).toBe(sentInvite.uriString);
      expect(cancel.vias).toHaveLength(1);
      expect(cancel.topVia.toString()).toBe(sentInvite.topVia.toString());
      expect(cancel.callId).toBe(sentInvite.callId);
      expect(cancel.from.toString()).toBe(sentInvite.from.toString());
      expect(cancel.to.toString()).toBe(sentInvite.to.toString());
      expect(cancel.to.tag).toBeUndefined();
      expect(cancel.cseq.toString()).toBe(`${sentInvite.cseq.seq} CANCEL`);
      expect(cancel.getAll('route')).toEqual(ROUTES);
      expect(cancel.get('reason')).toBe('SIP;cause=200;text="Call completed elsewhere"');
      expect(layer.sizes().clientTransactions).toBe(2);
      // the CANCEL's own non-INVITE transaction retransmits it (Timer E) until answered
      vi.advanceTimersByTime(500);
      expect(transport.sentWith('CANCEL')).toHaveLength(2);
      transport.inject(reply(cancel, 200, 'bobtag'));
      vi.advanceTimersByTime(4000);
      expect(transport.sentWith('CANCEL')).toHaveLength(2);
      // 487 for the INVITE: acknowledged by the INVITE transaction
      transport.inject(reply(sentInvite, 487, 'bobtag'));
      expect(tx.state).toBe('completed');
      expect(transport.sentWith('ACK')).toHaveLength(1);
      vi.advanceTimersByTime(40_000);
      expect(layer.sizes().clientTransactions).toBe(0);
    });

    it('deferred, then a final response arrives first: no CANCEL is ever sent', () => {
      const { transport, tx, sentInvite } = start();
      tx.cancel();
      transport.inject(reply(sentInvite, 200, 'bobtag'));
      transport.inject(reply(sentInvite, 180, 'bobtag'));
      vi.advanceTimersByTime(40_000);
      expect(transport.sentWith('CANCEL')).toHaveLength(0);
    });

    it('deferred, then Timer B fires: no CANCEL', () => {
      const { transport, tx, user } = start();
      tx.cancel();
      vi.advanceTimersByTime(40_000);
      expect(user.timeouts).toBe(1);
      expect(transport.sentWith('CANCEL')).toHaveLength(0);
    });

    it('in Proceeding: sent at once; a second cancel() returns the same transaction', () => {
      const { transport, tx, sentInvite } = start(TCP_DEST);
      transport.inject(reply(sentInvite, 183, 'bobtag'));
      const c1 = tx.cancel();
      const c2 = tx.cancel();
      expect(c1).toBeDefined();
      expect(c2).toBe(c1);
      expect(c1!.request.method).toBe('CANCEL');
      expect(c1!.id).not.toBe(tx.id);
      expect(transport.sentWith('CANCEL')).toHaveLength(1);
      expect(transport.sentWith('CANCEL')[0]!.destination).toEqual(TCP_DEST);
    });

    it('after a final response: too late, nothing sent', () => {
      const { transport, tx, sentInvite } = start();
      transport.inject(reply(sentInvite, 486, 'bobtag'));
      expect(tx.cancel()).toBeUndefined();
      expect(transport.sentWith('CANCEL')).toHaveLength(0);
    });
  });

  it('Timer C: a peer ringing forever gets a CANCEL, then a timeout 64*T1 later', () => {
    const { transport, tx, sentInvite, user, layer } = start(UDP_DEST, { t1Ms: 500, t2Ms: 4000, t4Ms: 5000, timerCMs: 60_000 });
    transport.inject(reply(sentInvite, 180, 'bobtag'));
    vi.advanceTimersByTime(30_000);
    transport.inject(reply(sentInvite, 180, 'bobtag')); // 101-199 resets Timer C
    vi.advanceTimersByTime(59_999);
    expect(transport.sentWith('CANCEL')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(transport.sentWith('CANCEL')).toHaveLength(1);
    expect(user.timeouts).toBe(0);
    vi.advanceTimersByTime(32_000);
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    vi.advanceTimersByTime(60_000);
    expect(layer.sizes().clientTransactions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sendRequest rejects a reused branch while its transaction lives', () => {
    const { layer, sentInvite } = start();
    const again = outgoing();
    again.prepend('via', sentInvite.topVia.toString());
    expect(() => layer.sendRequest(again, UDP_DEST, clientUser())).toThrow(/already exists/);
  });
});
