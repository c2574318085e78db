/**
 * UA core additions, with two UA cores on a FakeNetwork: OPTIONS answered when
 * the TU does not, 420 for unsupported Require tags, re-INVITE 481/408 ending
 * the dialog, PRACK without a pending reliable provisional, Replaces lookup,
 * Allow advertised in INVITE and 2xx.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../../src/sip/dialog/dialog.js';
import { dtmfInfoOptions, parseDtmfInfo } from '../../../src/sip/extensions/dtmf-info.js';
import { readReferTo, referRequestOptions } from '../../../src/sip/extensions/refer.js';
import { replacesFor } from '../../../src/sip/extensions/replaces.js';
import { parseSipFrag, parseSubscriptionState, referNotifyOptions } from '../../../src/sip/extensions/sipfrag.js';
import { createResponse } from '../../../src/sip/message/response.js';
import type { SipResponse } from '../../../src/sip/message/message.js';
import { type FakeUa, SDP, SDP_B, TIMERS, call, pair, sentRequests, sentResponses, until } from './helpers/fake-ua.js';
import type { UserAgentOptions } from '../../../src/sip/ua/user-agent-core.js';

let open: FakeUa[] = [];
function two(options: { a?: Partial<UserAgentOptions>; b?: Partial<UserAgentOptions> } = {}): { a: FakeUa; b: FakeUa } {
  const p = pair(options);
  open.push(p.a, p.b);
  return p;
}
afterEach(async () => {
  await Promise.all(open.map((u) => u.close()));
  open = [];
});

function options(a: FakeUa, b: FakeUa, headers: Record<string, string> = {}): Promise<SipResponse> {
  const req = a.ua.createRequest({ method: 'OPTIONS', uri: `sip:${b.name}@127.0.0.1:${b.port}`, from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', options: { headers } });
  return a.ua.request(req, b.destination);
}

/** a calls b, b answers; both dialogs. */
async function established(a: FakeUa, b: FakeUa): Promise<{ ad: Dialog; bd: Dialog }> {
  let bd: Dialog | undefined;
  b.onInvite = (inv) => {
    bd = inv.accept({ body: SDP_B });
  };
  const { dialog } = await call(a, b).answer;
  await until(() => b.invites[0]?.awaitingAck === false);
  return { ad: dialog, bd: bd! };
}

describe('OPTIONS outside a dialog', () => {
  it('without a TU handler: 200 with Allow, Accept: application/sdp and Supported', async () => {
    const { a, b } = two();
    const res = await options(a, b);
    expect(res.status).toBe(200);
    expect(res.getAll('allow')).toContain('UPDATE');
    expect(res.get('accept')).toBe('application/sdp');
    expect(res.optionTags('supported')).toEqual(['100rel', 'timer', 'replaces', 'path']);
    expect(res.to.tag).toBeDefined();
  });

  it('a TU handler returning false leaves it to the UA core; one that answers is kept', async () => {
    const { a, b } = two();
    let seen = 0;
    b.onRequest = () => {
      seen++;
      return false;
    };
    expect((await options(a, b)).get('accept')).toBe('application/sdp');
    b.onRequest = (req, tx) => {
      seen++;
      const res = createResponse(req, 200, undefined, 'x');
      res.set('x-by', 'tu');
      tx.respond(res);
    };
    const mine = await options(a, b);
    expect(mine.get('x-by')).toBe('tu');
    expect(mine.has('accept')).toBe(false);
    expect(seen).toBe(2);
  });

  it('a NOTIFY naming no dialog (before the 200 to our SUBSCRIBE, RFC 6665 §4.1.2.4) goes to the TU; 481 unless it takes it', async () => {
    const { a, b } = two();
    const notify = () =>
      a.ua.request(a.ua.createRequest({ method: 'NOTIFY', uri: `sip:bob@127.0.0.1:${b.port}`, from: '<sip:alice@x>', to: '<sip:bob@x>;tag=sub1', options: { headers: { event: 'dialog', 'subscription-state': 'active' } } }), b.destination);
    expect((await notify()).status).toBe(481);
    b.onRequest = (req, tx) => {
      if (req.method !== 'NOTIFY') return false;
      tx.respond(createResponse(req, 200));
      return true;
    };
    expect((await notify()).status).toBe(200);
    b.onRequest = () => false;
    expect((await notify()).status).toBe(481);
  });

  it('other unhandled methods get 501; the supported set is a UA option', async () => {
    const { a, b } = two({ b: { supported: ['timer'] } });
    const req = a.ua.createRequest({ method: 'INFO', uri: 'sip:bob@127.0.0.1:5080', from: '<sip:alice@x>', to: '<sip:bob@x>' });
    expect((await a.ua.request(req, b.destination)).status).toBe(501);
    expect((await options(a, b)).optionTags('supported')).toEqual(['timer']);
  });

  it('in a dialog without a handler OPTIONS gets our capabilities too', async () => {
    const { a, b } = two();
    const { ad } = await established(a, b);
    const res = await a.ua.dialogRequest(ad, 'OPTIONS');
    expect(res.status).toBe(200);
    expect(res.get('accept')).toBe('application/sdp');
  });
});

describe('Require with unsupported option tags → 420 (§8.2.2.3)', () => {
  it('an INVITE gets 420 with the unknown tags in Unsupported; the TU never sees it', async () => {
    const { a, b } = two();
    const c = call(a, b, { require: '100rel, foo, Bar' });
    const res = await c.failure;
    expect(res.status).toBe(420);
    expect(res.getAll('unsupported')).toEqual(['foo', 'Bar']);
    expect(b.invites).toHaveLength(0);
  });

  it('a request outside a dialog too; a known tag passes', async () => {
    const { a, b } = two();
    expect((await options(a, b, { require: 'precondition' })).status).toBe(420);
    expect((await options(a, b, { require: 'timer' })).status).toBe(200);
  });

  it('a re-INVITE gets 420 and the dialog survives', async () => {
    const { a, b } = two();
    const { ad, bd } = await established(a, b);
    const failure = await new Promise<SipResponse>((resolve) => {
      a.ua.reinvite(ad, { body: SDP, headers: { require: 'sec-agree' } }, { onAnswer: () => undefined, onFailure: resolve });
    });
    expect(failure.status).toBe(420);
    expect(failure.get('unsupported')).toBe('sec-agree');
    expect(ad.state).toBe('confirmed');
    expect(bd.state).toBe('confirmed');
    // The next re-INVITE goes through (CSeq not consumed by the 420 either way).
    bd.onRequest = () => bd.reinvite!.accept({ body: SDP_B });
    const ok = await new Promise<number>((resolve) => {
      a.ua.reinvite(ad, { body: SDP }, { onAnswer: (r) => resolve(r.status), onFailure: (r) => resolve(r.status) });
    });
    expect(ok).toBe(200);
  });
});

describe('re-INVITE ending the dialog (§12.2.1.2, §14.1)', () => {
  it('481: the dialog is terminated and onTerminated fires, no BYE', async () => {
    const { a, b } = two();
    const { ad, bd } = await established(a, b);
    b.ua.unregister(bd); // b forgets the dialog
    let ended = 0;
    ad.onTerminated = () => ended++;
    const failure = await new Promise<SipResponse>((resolve) => {
      a.ua.reinvite(ad, { body: SDP }, { onAnswer: () => undefined, onFailure: resolve });
    });
    expect(failure.status).toBe(481);
    expect(ad.state).toBe('terminated');
    expect(ended).toBe(1);
    expect(a.ua.dialogs.size).toBe(0);
    expect(sentRequests(a, 'BYE')).toHaveLength(0);
  });

  it('408 (no answer to the re-INVITE): the dialog ends with a BYE', async () => {
    const { a, b } = two();
    const { ad } = await established(a, b);
    a.transport.dropWhen((s) => s.message.isRequest() && s.message.method === 'INVITE');
    let ended = 0;
    ad.onTerminated = () => ended++;
    const failure = await new Promise<SipResponse>((resolve) => {
      a.ua.reinvite(ad, { body: SDP }, { onAnswer: () => undefined, onFailure: resolve });
    });
    expect(failure.status).toBe(408);
    expect(ad.state).toBe('terminated');
    expect(ended).toBe(1);
    await until(() => sentRequests(a, 'BYE').length > 0);
    await until(() => b.ua.dialogs.size === 0);
  }, 10_000);

  it('other failures (488) leave the dialog up', async () => {
    const { a, b } = two();
    const { ad, bd } = await established(a, b);
    bd.onRequest = () => bd.reinvite!.reject(488);
    const failure = await new Promise<SipResponse>((resolve) => {
      a.ua.reinvite(ad, { body: SDP }, { onAnswer: () => undefined, onFailure: resolve });
    });
    expect(failure.status).toBe(488);
    expect(ad.state).toBe('confirmed');
  });
});

describe('PRACK routing', () => {
  it('a PRACK in a dialog with no reliable provisional pending gets 481', async () => {
    const { a, b } = two();
    const { ad } = await established(a, b);
    const res = await a.ua.sendPrack(ad, { headers: { rack: '1 1 INVITE' } });
    expect(res.status).toBe(481);
    expect(ad.state).toBe('confirmed');
  });

  it('a PRACK without RAck gets 400', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => void inv.progress(180, { reliable: true });
    let early: Dialog | undefined;
    const c = call(a, b, { supported: '100rel' }, { onReliableProvisional: (_r, d) => ((early = d), true) });
    await until(() => early !== undefined);
    expect((await a.ua.sendPrack(early!, {})).status).toBe(400);
    b.invites[0]!.reject(486);
    await c.failure;
  });
});

describe('findDialogForReplaces (RFC 3891 §3)', () => {
  it('finds the confirmed dialog from the sender’s tags (to-tag = our local tag)', async () => {
    const { a, b } = two();
    const { ad, bd } = await established(a, b);
    // a builds the Replaces for its dialog with b; b looks it up.
    const r = replacesFor(ad);
    expect(r.toTag).toBe(bd.localTag);
    const m = b.ua.findDialogForReplaces(r);
    expect(m.ok && m.dialog).toBe(bd);
    // Tags swapped: that is not how b knows the dialog.
    const swapped = b.ua.findDialogForReplaces({ ...r, toTag: r.fromTag, fromTag: r.toTag });
    expect(swapped).toMatchObject({ ok: false, status: 481 });
    expect(b.ua.findDialogForReplaces({ ...r, callId: 'nope' })).toMatchObject({ ok: false, status: 481 });
    expect(b.ua.findDialogForReplaces({ ...r, earlyOnly: true })).toMatchObject({ ok: false, status: 486 });
  });

  it('an early dialog: 481 at its UAS, found at its UAC (call pickup of our own outgoing call)', async () => {
    const { a, b } = two();
    b.onInvite = (inv) => void inv.progress(180);
    const c = call(a, b);
    await until(() => c.provisionals.length === 1);
    const bEarly = b.invites[0]!.dialog!;
    const aEarly = [...a.ua.dialogs.values()][0]!;
    expect(b.ua.findDialogForReplaces({ callId: bEarly.callId, toTag: bEarly.localTag, fromTag: bEarly.remoteTag, earlyOnly: false })).toMatchObject({ ok: false, status: 481 });
    const m = a.ua.findDialogForReplaces({ callId: aEarly.callId, toTag: aEarly.localTag, fromTag: aEarly.remoteTag, earlyOnly: true });
    expect(m.ok && m.dialog).toBe(aEarly);
    b.invites[0]!.reject(486);
    await c.failure;
  });
});

describe('Allow is advertised', () => {
  it('in our INVITE and our 2xx, so each side learns whether the other takes UPDATE', async () => {
    const { a, b } = two({ b: { allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] } });
    const { ad, bd } = await established(a, b);
    expect(sentRequests(a, 'INVITE')[0]!.getAll('allow')).toContain('UPDATE');
    expect(sentResponses(b, 200)[0]!.getAll('allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS']);
    expect(ad.allows('UPDATE')).toBe(false);
    expect(bd.allows('UPDATE')).toBe(true);
    expect(TIMERS.t1Ms).toBeGreaterThan(0);
  });
});

describe('REFER with NOTIFY sipfrag and DTMF INFO over a dialog', () => {
  it('attended-transfer REFER: 202, then NOTIFY 100 and 200 sipfrag; INFO dtmf-relay parsed', async () => {
    const { a, b } = two();
    const { ad, bd } = await established(a, b);
    const seen: { referTo?: ReturnType<typeof readReferTo>; dtmf?: ReturnType<typeof parseDtmfInfo> } = {};
    bd.onRequest = (req, tx) => {
      if (req.method === 'REFER') {
        seen.referTo = readReferTo(req);
        tx.respond(createResponse(req, 202));
        void b.ua.dialogRequest(bd, 'NOTIFY', referNotifyOptions({ status: 100 })).then(() =>
          b.ua.dialogRequest(bd, 'NOTIFY', referNotifyOptions({ status: 200 })),
        );
      } else if (req.method === 'INFO') {
        seen.dtmf = parseDtmfInfo(req.contentType, req.body);
        tx.respond(createResponse(req, 200));
      }
    };
    const notes: { state: string; status: number | undefined }[] = [];
    ad.onRequest = (req, tx) => {
      notes.push({ state: parseSubscriptionState(req.get('subscription-state')!).state, status: parseSipFrag(req.body)?.status });
      tx.respond(createResponse(req, 200));
    };
    const target = { callId: 'other-call', toTag: 'x1', fromTag: 'y1', earlyOnly: false };
    const res = await a.ua.dialogRequest(ad, 'REFER', referRequestOptions({ target: 'sip:carol@127.0.0.1', replaces: target, referredBy: '<sip:alice@example.com>' }));
    expect(res.status).toBe(202);
    expect(seen.referTo?.replaces).toEqual(target);
    expect(seen.referTo?.target.toString()).toBe('sip:carol@127.0.0.1');
    await until(() => notes.length === 2);
    expect(notes).toEqual([
      { state: 'active', status: 100 },
      { state: 'terminated', status: 200 },
    ]);
    expect((await a.ua.dialogRequest(ad, 'INFO', dtmfInfoOptions({ digit: '5', durationMs: 160 }))).status).toBe(200);
    expect(seen.dtmf).toEqual({ digit: '5', durationMs: 160 });
  });
});
