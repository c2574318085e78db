import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createResponse } from '../../../src/sip/message/response.js';
import { TransactionLayer } from '../../../src/sip/transaction/transaction-layer.js';
import type { ServerTransaction } from '../../../src/sip/transaction/types.js';
import { FakeTransport, TCP_DEST, UDP_DEST, UDP_FLOW } from './helpers/fake-transport.js';
import { clientUser, recordingTu, setup, TIMERS, useFakeClock } from './helpers/harness.js';
import { outgoing, parseRequest, reply, requestText } from './helpers/messages.js';

describe('TransactionLayer', () => {
  beforeEach(useFakeClock);
  afterEach(() => vi.useRealTimers());

  describe('Via rule for outgoing requests', () => {
    it('adds a top Via with the destination protocol, the listening point, a fresh branch and rport', () => {
      const { layer, transport } = setup();
      const tx1 = layer.sendRequest(outgoing({ method: 'OPTIONS' }), UDP_DEST, clientUser());
      const tx2 = layer.sendRequest(outgoing({ method: 'OPTIONS' }), TCP_DEST, clientUser());
      const [v1, v2] = transport.sent.map((s) => s.message.topVia);
      expect(v1!.toString()).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bK[0-9a-f]{20};rport$/);
      expect(v2!.transport).toBe('TCP');
      expect(v1!.branch).not.toBe(v2!.branch);
      expect(transport.sent[0]!.message.vias).toHaveLength(1);
      expect(tx1.id).not.toBe(tx2.id);
    });

    it('keeps a top Via whose magic-cookie branch the caller set', () => {
      const { layer, transport } = setup();
      const req = outgoing({ method: 'OPTIONS' });
      req.prepend('via', 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmine');
      layer.sendRequest(req, UDP_DEST, clientUser());
      expect(transport.sent[0]!.message.getAll('via')).toEqual(['SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmine']);
    });

    it('replaces a placeholder Via without a magic-cookie branch', () => {
      const { layer, transport } = setup();
      const req = outgoing({ method: 'OPTIONS' });
      req.prepend('via', 'SIP/2.0/UDP placeholder.invalid');
      layer.sendRequest(req, UDP_DEST, clientUser());
      const vias = transport.sent[0]!.message.vias;
      expect(vias).toHaveLength(1);
      expect(vias[0]!.host).toBe('127.0.0.1');
      expect(vias[0]!.branch).toMatch(/^z9hG4bK/);
    });

    it('refuses ACK (use sendAck) and protocols without a listening point', () => {
      const { layer } = setup();
      expect(() => layer.sendRequest(outgoing({ method: 'ACK' }), UDP_DEST, clientUser())).toThrow(/sendAck/);
      expect(() => layer.sendRequest(outgoing({ method: 'OPTIONS' }), { protocol: 'tls', address: 'x', port: 1 }, clientUser())).toThrow(
        /listening point/,
      );
    });

    it('sendAck sends statelessly with a new branch; sendStateless resolves with the transport error', async () => {
      const { layer, transport } = setup();
      expect(await layer.sendAck(outgoing({ method: 'ACK', toTag: 't' }), UDP_DEST)).toBeUndefined();
      expect(transport.sent[0]!.message.topVia.branch).toMatch(/^z9hG4bK/);
      expect(layer.sizes().clientTransactions).toBe(0);
      transport.failWith = () => new Error('nope');
      const res = createResponse(parseRequest(requestText()), 200, undefined, 't');
      const err = await layer.sendStateless(res, UDP_FLOW);
      expect(err?.message).toBe('nope');
      expect(transport.sent[1]!.flow).toEqual(UDP_FLOW);
    });
  });

  describe('CANCEL on the server side (§9.2)', () => {
    it('no matching INVITE: 481, the TU hears nothing', () => {
      const { transport, tu, layer } = setup();
      transport.inject(requestText({ method: 'CANCEL', branch: 'z9hG4bKnone' }));
      const r = transport.sentWith('SIP/2.0 481');
      expect(r).toHaveLength(1);
      expect(r[0]!.message.to.tag).toBeDefined();
      expect(tu.requests).toHaveLength(0);
      expect(tu.cancels).toHaveLength(0);
      expect(layer.stats.cancelsUnmatched).toBe(1);
    });

    it('matching a pending INVITE: 200 from the layer, onCancel with the INVITE transaction; retransmitted CANCEL gets the same 200', () => {
      const { transport, tu, layer } = setup();
      transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv' }));
      const invite = tu.requests[0]!.tx!;
      invite.respond(createResponse(invite.request, 180, undefined, 'uastag'));
      const cancel = requestText({ method: 'CANCEL', branch: 'z9hG4bKinv' });
      transport.inject(cancel);
      const ok = transport.sentWith('SIP/2.0 200');
      expect(ok).toHaveLength(1);
      expect(ok[0]!.message.cseq.method).toBe('CANCEL');
      expect(ok[0]!.message.to.tag).toBe('uastag'); // same To tag as the INVITE's response
      expect(tu.cancels).toHaveLength(1);
      expect(tu.cancels[0]!.tx).toBe(invite);
      expect(tu.cancels[0]!.cancel.method).toBe('CANCEL');
      expect(invite.cancelled).toBe(true);
      expect(tu.requests).toHaveLength(1); // CANCEL never reaches onRequest
      transport.inject(cancel);
      expect(transport.sentWith('SIP/2.0 200')).toHaveLength(2);
      expect(tu.cancels).toHaveLength(1);
      // the TU answers the INVITE with 487; the ACK closes it
      invite.respond(createResponse(invite.request, 487, undefined, 'uastag'));
      transport.inject(requestText({ method: 'ACK', branch: 'z9hG4bKinv', toTag: 'uastag' }));
      expect(invite.state).toBe('confirmed');
      expect(layer.stats.cancelsMatched).toBe(1);
      vi.advanceTimersByTime(40_000);
      expect(layer.sizes()).toEqual({ clientTransactions: 0, serverTransactions: 0 });
    });

    it('a CANCEL from a different sent-by does not match (§17.2.3 rule 2)', () => {
      const { transport, tu } = setup();
      transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv' }));
      transport.inject(requestText({ method: 'CANCEL', branch: 'z9hG4bKinv', sentBy: '10.9.9.9:5060' }));
      expect(transport.sentWith('SIP/2.0 481')).toHaveLength(1);
      expect(tu.cancels).toHaveLength(0);
    });

    it('after the final response: 200 but no onCancel', () => {
      const { transport, tu } = setup();
      transport.inject(requestText({ method: 'INVITE', branch: 'z9hG4bKinv' }));
      const invite = tu.requests[0]!.tx!;
      invite.respond(createResponse(invite.request, 200, undefined, 'uastag'));
      transport.inject(requestText({ method: 'CANCEL', branch: 'z9hG4bKinv' }));
      expect(transport.sentWith('SIP/2.0 200').map((s) => s.message.cseq.method)).toEqual(['INVITE', 'CANCEL']);
      expect(tu.cancels).toHaveLength(0);
      expect(invite.cancelled).toBe(false);
    });
  });

  describe('validation of inbound messages', () => {
    it('answers a request missing Call-ID with 400 and a reason naming the problem', () => {
      const { transport, tu, layer } = setup();
      const text = requestText({ method: 'OPTIONS' }).replace(/Call-ID: [^\r]*\r\n/, '');
      transport.inject(text);
      const r = transport.sentWith('SIP/2.0 400');
      expect(r).toHaveLength(1);
      expect(r[0]!.text.split('\r\n')[0]).toBe('SIP/2.0 400 Bad Request - missing Call-ID');
      expect(r[0]!.message.to.tag).toBeDefined();
      expect(tu.requests).toHaveLength(0);
      expect(layer.stats.rejectedRequests).toBe(1);
      expect(layer.sizes().serverTransactions).toBe(0);
    });

    it('CSeq method mismatch → 400 naming it; Max-Forwards 0 → 483; unsupported URI scheme → 416; SIP/3.0 → 505', () => {
      const { transport } = setup();
      transport.inject(requestText({ method: 'OPTIONS', cseqMethod: 'INFO' }));
      transport.inject(requestText({ method: 'INVITE', maxForwards: '0' }));
      transport.inject(requestText({ method: 'OPTIONS', uri: 'http://example.com/' }));
      transport.inject(requestText({ method: 'OPTIONS', version: 'SIP/3.0' }));
      expect(transport.sent.map((s) => s.text.split('\r\n')[0])).toEqual([
        'SIP/2.0 400 Bad Request - CSeq method does not match the request method',
        'SIP/2.0 483 Too Many Hops',
        'SIP/2.0 416 Unsupported URI Scheme',
        'SIP/2.0 505 Version Not Supported',
      ]);
    });

    it('drops what cannot be answered: no Via, and never answers an ACK', () => {
      const { transport, tu, layer } = setup();
      transport.inject(requestText({ method: 'OPTIONS' }).replace(/Via: [^\r]*\r\n/, ''));
      transport.inject(requestText({ method: 'ACK', toTag: 'x' }).replace(/Call-ID: [^\r]*\r\n/, ''));
      expect(transport.sent).toHaveLength(0);
      expect(tu.requests).toHaveLength(0);
      expect(layer.stats.droppedRequests).toBe(2);
    });

    it('drops invalid responses and responses with more than one Via (§8.1.3.3)', () => {
      const { transport, layer } = setup();
      const user = clientUser();
      layer.sendRequest(outgoing({ method: 'OPTIONS' }), UDP_DEST, user);
      const sent = transport.sent[0]!.message;
      if (!sent.isRequest()) throw new Error('request expected');
      transport.inject(reply(sent, 200, 'x').replace(/Call-ID: [^\r]*\r\n/, ''));
      const twoVias = reply(sent, 200, 'x').replace(/(Via: [^\r]*\r\n)/, '$1Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKother\r\n');
      transport.inject(twoVias);
      expect(user.responses).toHaveLength(0);
      expect(layer.stats.droppedResponses).toBe(2);
      transport.inject(reply(sent, 200, 'x'));
      expect(user.responses).toHaveLength(1);
    });

    it('counts parse failures reported by the transport', () => {
      const { transport, layer } = setup();
      transport.injectParseFailure();
      expect(layer.stats.parseFailures).toBe(1);
    });
  });

  describe('RFC 2543 matching (no magic cookie)', () => {
    for (const branch of [null, 'oldstyle42'] as const) {
      it(`branch ${branch === null ? 'absent' : `"${branch}"`}: retransmission, ACK for the non-2xx, CANCEL`, () => {
        const { transport, tu, layer } = setup();
        const invite = requestText({ method: 'INVITE', branch });
        transport.inject(invite);
        transport.inject(invite);
        expect(tu.requests).toHaveLength(1);
        expect(transport.sentWith('SIP/2.0 100')).toHaveLength(2);
        // a different CSeq is a different transaction
        transport.inject(requestText({ method: 'INVITE', branch, cseq: 2 }));
        expect(tu.requests).toHaveLength(2);

        const tx = tu.requests[0]!.tx as ServerTransaction;
        // CANCEL: same Request-URI, From tag, Call-ID, CSeq number, top Via, To (no tag)
        transport.inject(requestText({ method: 'CANCEL', branch }));
        expect(tu.cancels.map((c) => c.tx)).toEqual([tx]);

        tx.respond(createResponse(tx.request, 487, undefined, 'uastag'));
        // an ACK with the wrong To tag does not match
        transport.inject(requestText({ method: 'ACK', branch, toTag: 'othertag' }));
        expect(tx.state).toBe('completed');
        expect(tu.requests.at(-1)!.request.method).toBe('ACK');
        // the ACK carrying the To tag of our response matches
        transport.inject(requestText({ method: 'ACK', branch, toTag: 'uastag' }));
        expect(tx.state).toBe('confirmed');
        expect(tu.requests.filter((r) => r.request.method === 'ACK')).toHaveLength(1);
        expect(layer.stats.cancelsMatched).toBe(1);
      });
    }

    it('a request differing only in the To tag is a new transaction', () => {
      const { transport, tu } = setup();
      transport.inject(requestText({ method: 'OPTIONS', branch: null, toTag: 'a' }));
      transport.inject(requestText({ method: 'OPTIONS', branch: null, toTag: 'b' }));
      transport.inject(requestText({ method: 'OPTIONS', branch: null, toTag: 'b' }));
      expect(tu.requests).toHaveLength(2);
    });
  });

  it('hands responses that match no transaction to onStrayResponse', () => {
    const { transport, tu, layer } = setup();
    const req = parseRequest(requestText({ method: 'INVITE', sentBy: '127.0.0.1:5060', branch: 'z9hG4bKgone' }));
    transport.inject(reply(req, 200, 'x'));
    expect(tu.strays.map((r) => r.status)).toEqual([200]);
    expect(layer.stats.strayResponses).toBe(1);
  });

  it('a response for the CANCEL does not reach the INVITE transaction (CSeq method in the key)', () => {
    const { transport, layer } = setup();
    const user = clientUser();
    const tx = layer.sendRequest(outgoing(), UDP_DEST, user);
    const inv = transport.sent[0]!.message;
    if (!inv.isRequest()) throw new Error('request expected');
    transport.inject(reply(inv, 180, 'x'));
    tx.cancel();
    const cancel = transport.sentWith('CANCEL')[0]!.message;
    if (!cancel.isRequest()) throw new Error('request expected');
    transport.inject(reply(cancel, 200, 'x'));
    expect(user.responses.map((r) => `${r.status} ${r.cseq.method}`)).toEqual(['180 INVITE']);
    expect(tx.state).toBe('proceeding');
  });

  it('every map returns to empty once all timers have fired', () => {
    const { transport, tu, layer } = setup();
    tu.onNew = (req, tx) => {
      if (tx === undefined) return;
      const status = req.method === 'INVITE' ? (req.callId.startsWith('ok') ? 200 : 486) : 200;
      tx.respond(createResponse(req, status, undefined, 'uas'));
    };
    for (let i = 0; i < 20; i++) {
      transport.inject(requestText({ method: 'INVITE', branch: `z9hG4bKi${i}`, callId: `${i % 2 ? 'ok' : 'no'}${i}` }));
      transport.inject(requestText({ method: 'BYE', branch: `z9hG4bKb${i}`, callId: `bye${i}`, toTag: 't' }));
      layer.sendRequest(outgoing({ method: 'OPTIONS', callId: `o${i}` }), UDP_DEST, clientUser());
      layer.sendRequest(outgoing({ method: 'INVITE', callId: `c${i}` }), UDP_DEST, clientUser());
    }
    expect(layer.sizes()).toEqual({ clientTransactions: 40, serverTransactions: 40 });
    vi.advanceTimersByTime(40_000);
    expect(layer.sizes()).toEqual({ clientTransactions: 0, serverTransactions: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(layer.stats.clientTransactions).toBe(40);
    expect(layer.stats.serverTransactions).toBe(40);
    expect(layer.stats.timeouts).toBe(40);
    expect(layer.stats.serverTimeouts).toBe(10); // the 486s never got an ACK
  });

  it('close() clears every timer and forgets every transaction without callbacks', () => {
    const transport = new FakeTransport();
    const tu = recordingTu();
    const layer = new TransactionLayer(transport, tu, { timers: TIMERS });
    const user = clientUser();
    layer.sendRequest(outgoing(), UDP_DEST, user);
    transport.inject(requestText({ method: 'INVITE' }));
    tu.requests[0]!.tx!.respond(createResponse(tu.requests[0]!.request, 486, undefined, 't'));
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    layer.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(layer.sizes()).toEqual({ clientTransactions: 0, serverTransactions: 0 });
    expect(user.terminated + user.timeouts).toBe(0);
    transport.inject(requestText({ method: 'OPTIONS', branch: 'z9hG4bKafter' }));
    expect(tu.requests).toHaveLength(1);
    expect(() => layer.sendRequest(outgoing(), UDP_DEST, user)).toThrow(/closed/);
  });

  it('rejects invalid timer settings', () => {
    expect(() => new TransactionLayer(new FakeTransport(), recordingTu(), { timers: { t1Ms: 0, t2Ms: 4000, t4Ms: 5000 } })).toThrow(RangeError);
    expect(() => new TransactionLayer(new FakeTransport(), recordingTu(), { timers: { t1Ms: 500, t2Ms: 100, t4Ms: 5000 } })).toThrow(RangeError);
  });
});
