/**
 * RFC 3262 reliable provisionals between two UA cores on a FakeNetwork: the
 * UAS side (IncomingInvite.progress reliable, retransmission, queue, 2xx held
 * for the PRACK, 64*T1 give-up) and the UAC side (automatic PRACK, RSeq
 * sequencing, the TU taking over).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../../src/sip/dialog/dialog.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message/message.js';
import { type FakeUa, SDP, SDP_B, TIMERS, call, pair, sentRequests, sentResponses, trace, until } from './helpers/fake-ua.js';

let open: FakeUa[] = [];
function two(): { a: FakeUa; b: FakeUa } {
  const p = pair();
  open.push(p.a, p.b);
  return p;
}
afterEach(async () => {
  await Promise.all(open.map((u) => u.close()));
  open = [];
});

function branches(reqs: SipRequest[]): Set<string> {
  return new Set(reqs.map((r) => r.topVia.branch ?? ''));
}

describe('UAS: reliable provisionals', () => {
  it('sends a reliable 183 with SDP, holds the 2xx until the automatic PRACK, then 200 and ACK', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.progress(183, { reliable: true, body: SDP_B });
      const d = inv.accept({ body: SDP_B });
      // §3: no 2xx while the provisional with SDP is unacknowledged.
      expect(inv.answerHeld).toBe(true);
      expect(d.state).toBe('early');
      expect(sentResponses(b, 200)).toHaveLength(0);
    };
    const c = call(a, b, { supported: '100rel' });
    const { dialog } = await c.answer;
    await until(() => sentRequests(a, 'ACK').length === 1);
    expect(trace(b)).toEqual(['100 INVITE', '183 INVITE', '200 PRACK', '200 INVITE']);
    expect(trace(a)).toEqual(['INVITE', 'PRACK', 'ACK']);
    const r183 = sentResponses(b, 183)[0]!;
    expect(r183.optionTags('require')).toEqual(['100rel']);
    const rseq = Number(r183.get('rseq'));
    expect(rseq).toBeGreaterThanOrEqual(1);
    expect(rseq).toBeLessThan(2 ** 31);
    const prack = sentRequests(a, 'PRACK')[0]!;
    expect(prack.get('rack')).toBe(`${rseq} 1 INVITE`);
    expect(prack.cseq.seq).toBe(2);
    expect(prack.to.tag).toBe(dialog.remoteTag);
    expect(c.provisionals.map((r) => r.status)).toEqual([183]);
    expect(b.invites[0]!.dialog!.state).toBe('confirmed');
    expect(b.ua.sizes.awaitingPrack).toBe(0);
    expect(a.ua.sizes.dialogs).toBe(1);
  });

  it('sends unreliably when the INVITE does not support 100rel (§3 MUST NOT)', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.progress(180, { reliable: true });
      inv.accept({ body: SDP_B });
    };
    const c = call(a, b);
    await c.answer;
    const r180 = sentResponses(b, 180)[0]!;
    expect(r180.has('rseq')).toBe(false);
    expect(r180.has('require')).toBe(false);
    expect(sentRequests(a, 'PRACK')).toHaveLength(0);
  });

  it('with Require: 100rel every non-100 provisional is reliable', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      expect(inv.reliableProvisionals).toBe('required');
      inv.progress(180);
    };
    const c = call(a, b, { require: '100rel', supported: '100rel' });
    await until(() => sentResponses(b, 200).length === 1);
    expect(sentResponses(b, 180)[0]!.has('rseq')).toBe(true);
    expect(sentRequests(a, 'PRACK')).toHaveLength(1);
    expect(c.provisionals).toHaveLength(1);
    b.invites[0]!.reject(486);
    expect((await c.failure).status).toBe(486);
  });

  it('queues a second reliable provisional until the first is PRACKed; RSeq counts up by one', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.progress(180, { reliable: true });
      const second = inv.progress(183, { reliable: true, body: SDP_B });
      expect(second.has('rseq')).toBe(false); // not sent yet
      expect(sentResponses(b, 183)).toHaveLength(0);
    };
    const c = call(a, b, { supported: '100rel' });
    await until(() => sentResponses(b, 200).length === 2);
    expect(trace(b)).toEqual(['100 INVITE', '180 INVITE', '200 PRACK', '183 INVITE', '200 PRACK']);
    const r1 = Number(sentResponses(b, 180)[0]!.get('rseq'));
    const r2 = Number(sentResponses(b, 183)[0]!.get('rseq'));
    expect(r2).toBe(r1 + 1);
    expect(sentRequests(a, 'PRACK').map((p) => p.get('rack'))).toEqual([`${r1} 1 INVITE`, `${r2} 1 INVITE`]);
    expect(c.provisionals.map((r) => r.status)).toEqual([180, 183]);
    b.invites[0]!.accept({ body: SDP_B });
    await c.answer;
  });

  it('retransmits the reliable provisional at T1 until the PRACK; the UAC processes and PRACKs it once', async () => {
    const { a, b } = two();
    // Lose a's first PRACK: b retransmits the 183; a sees a retransmission (same RSeq).
    a.transport.dropNext(1, (s) => s.message.isRequest() && s.message.method === 'PRACK');
    b.onInvite = (inv) => {
      inv.progress(183, { reliable: true, body: SDP_B });
    };
    const c = call(a, b, { supported: '100rel' });
    await until(() => b.ua.sizes.awaitingPrack === 0 && sentResponses(b, 200).length === 1, 3000);
    expect(sentResponses(b, 183).length).toBeGreaterThanOrEqual(2);
    expect(c.provisionals).toHaveLength(1);
    // The PRACK transaction retransmitted itself (Timer E): one branch only.
    expect(branches(sentRequests(a, 'PRACK')).size).toBe(1);
    b.invites[0]!.accept({ body: SDP_B });
    await c.answer;
  });

  it('gives up after 64*T1 without PRACK: 500 to the INVITE, onPrackTimeout; retransmissions double', async () => {
    const { a, b } = two();
    let timedOut = false;
    b.onInvite = (inv) => {
      inv.onPrackTimeout = () => (timedOut = true);
      inv.progress(183, { reliable: true, body: SDP_B });
      inv.accept({ body: SDP_B }); // held, then given up
    };
    const c = call(a, b, { supported: '100rel' }, { onReliableProvisional: () => true }); // the TU never PRACKs
    const started = Date.now();
    const failure = await c.failure;
    const elapsed = Date.now() - started;
    expect(failure.status).toBe(500);
    expect(timedOut).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(64 * TIMERS.t1Ms - 5);
    const at = b.transport.sentResponses(183).map((s) => s.at);
    // 0, T1, 3T1, 7T1, 15T1, 31T1, 63T1: seven sends in 64*T1.
    expect(at.length).toBeGreaterThanOrEqual(5); // a loaded event loop may squeeze out the last one
    expect(at.length).toBeLessThanOrEqual(7);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[gaps.length - 1]!).toBeGreaterThan(gaps[0]! * 4);
    expect(sentResponses(b, 200)).toHaveLength(0);
    expect(b.ua.sizes).toMatchObject({ dialogs: 0, awaitingPrack: 0 });
  });

  it('bye() on a dialog whose 2xx is held for the PRACK gives the answer up (500), no BYE in an early dialog', async () => {
    const { a, b } = two();
    let ended = 0;
    b.onInvite = (inv) => {
      inv.progress(183, { reliable: true, body: SDP_B });
      const d = inv.accept({ body: SDP_B });
      d.onTerminated = () => ended++;
    };
    const c = call(a, b, { supported: '100rel' }, { onReliableProvisional: () => true });
    await until(() => c.provisionals.length === 1);
    const d = b.invites[0]!.dialog!;
    expect((await b.ua.bye(d)).status).toBe(200);
    expect((await c.failure).status).toBe(500);
    expect(sentRequests(b, 'BYE')).toHaveLength(0);
    expect(ended).toBe(1);
    expect(b.ua.sizes).toMatchObject({ dialogs: 0, awaitingPrack: 0 });
  });

  it('answers a PRACK whose RAck matches nothing with 481, and 200 once it matches', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.progress(180, { reliable: true });
    };
    let early: { res: SipResponse; dialog: Dialog } | undefined;
    const c = call(a, b, { supported: '100rel' }, {
      onReliableProvisional: (res, dialog) => {
        early = { res, dialog };
        return true;
      },
    });
    await until(() => early !== undefined);
    const rseq = Number(early!.res.get('rseq'));
    const wrong = await a.ua.sendPrack(early!.dialog, { headers: { rack: `${rseq + 5} 1 INVITE` } });
    expect(wrong.status).toBe(481);
    const right = await c.out.prack(early!.dialog, early!.res);
    expect(right.status).toBe(200);
    const again = await c.out.prack(early!.dialog, early!.res);
    expect(again.status).toBe(481);
    b.invites[0]!.reject(603);
    expect((await c.failure).status).toBe(603);
  });

  it('a late PRACK after the 2xx (provisional without SDP) still gets 200', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.progress(180, { reliable: true });
      inv.accept({ body: SDP_B }); // no SDP in the 180: the 2xx need not wait
    };
    let early: { res: SipResponse; dialog: Dialog } | undefined;
    const c = call(a, b, { supported: '100rel' }, {
      onReliableProvisional: (res, dialog) => {
        early = { res, dialog };
        return true;
      },
    });
    const { dialog } = await c.answer;
    expect(b.ua.sizes.awaitingPrack).toBe(1);
    const res = await c.out.prack(dialog, early!.res);
    expect(res.status).toBe(200);
    expect(b.ua.sizes.awaitingPrack).toBe(0);
  });
});

describe('UAC: the TU takes over the PRACK (offer in a reliable provisional)', () => {
  it('onReliableProvisional returning true: the TU PRACKs with the SDP answer; onPrack sees it and answers the 200', async () => {
    const { a, b } = two();
    let prackBody = '';
    b.onInvite = (inv) => {
      inv.onPrack = (prack) => {
        prackBody = prack.bodyText;
        return { headers: { 'x-prack': 'seen' } };
      };
      inv.progress(183, { reliable: true, body: SDP_B }); // the offer (the INVITE had none)
    };
    let prackResponse: SipResponse | undefined;
    const c = call(
      a,
      b,
      { supported: '100rel' },
      {
        onReliableProvisional: (res, dialog) => {
          expect(res.bodyText).toBe(SDP_B);
          void c.out.prack(dialog, res, { body: SDP }).then((r) => (prackResponse = r));
          return true;
        },
      },
      '',
    );
    await until(() => prackResponse !== undefined);
    expect(prackResponse!.status).toBe(200);
    expect(prackResponse!.get('x-prack')).toBe('seen');
    expect(prackBody).toBe(SDP);
    expect(sentRequests(a, 'PRACK')[0]!.contentType).toBe('application/sdp');
    b.invites[0]!.accept();
    await c.answer;
  });

  it('autoPrack = false: no PRACK from the UA core', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.progress(180, { reliable: true });
    };
    const c = call(a, b, { supported: '100rel' });
    c.out.autoPrack = false;
    await until(() => c.provisionals.length === 1);
    await new Promise((r) => setTimeout(r, 3 * TIMERS.t1Ms));
    expect(sentRequests(a, 'PRACK')).toHaveLength(0);
    b.invites[0]!.reject(480);
    await c.failure;
  });

  it('an async onPrack that rejects gives 500 to the PRACK', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => {
      inv.onPrack = () => Promise.reject(new Error('media failed'));
      inv.progress(180, { reliable: true });
    };
    const c = call(a, b, { supported: '100rel' });
    await until(() => sentResponses(b, 500).length === 1);
    expect(sentResponses(b, 500)[0]!.cseq.method).toBe('PRACK');
    b.invites[0]!.reject(480);
    await c.failure;
  });
});
