/**
 * RFC 4028 end to end between two UA cores on a FakeNetwork, with fake timers:
 * 422 and retry on the initial INVITE, refresh by UPDATE, refresh by re-INVITE
 * when the peer lacks UPDATE, expiry when the refresher falls silent.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dialog } from '../../../src/sip/dialog/dialog.js';
import {
  type SessionTimerConfig,
  intervalAfter422,
  negotiateUac,
  negotiateUas,
  sessionTimerRequestHeaders,
} from '../../../src/sip/extensions/session-timer.js';
import type { SipResponse } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import type { UserAgentOptions } from '../../../src/sip/ua/user-agent-core.js';
import { type FakeUa, SDP, SDP_B, call, pair, sentRequests, sentResponses } from '../ua/helpers/fake-ua.js';

let open: FakeUa[] = [];
function two(options: { a?: Partial<UserAgentOptions>; b?: Partial<UserAgentOptions> } = {}): { a: FakeUa; b: FakeUa } {
  const p = pair(options);
  open.push(p.a, p.b);
  return p;
}
beforeEach(() => vi.useFakeTimers());
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.map((u) => u.close()));
  open = [];
});

/** b answers as a session-timer UAS (422 when asked for too little), with its own timer. */
function sessionUas(b: FakeUa, cfg: SessionTimerConfig, expired: { b: number }): void {
  b.onInvite = (inv) => {
    const n = negotiateUas(inv.request, cfg);
    if (n.status !== 200) {
      inv.reject(n.status, { headers: n.headers });
      return;
    }
    const d = inv.accept({ body: SDP_B, headers: n.headers });
    d.onRequest = (req, tx) => {
      if (req.method === 'INVITE') d.reinvite!.accept({ body: SDP_B });
      else tx.respond(createResponse(req, 200));
    };
    if (n.session !== undefined) b.ua.startSessionTimer(d, n.session, cfg, { onExpired: () => expired.b++, localSdp: () => SDP_B });
  };
}

/** a calls with a session timer request, retries once on 422, starts its timer on the 2xx. */
async function sessionCall(a: FakeUa, b: FakeUa, cfg: SessionTimerConfig, expired: { a: number }): Promise<{ dialog: Dialog; response: SipResponse; attempts: SipResponse[] }> {
  const attempts: SipResponse[] = [];
  let interval = cfg.sessionExpires;
  for (let i = 0; i < 2; i++) {
    const headers = { ...sessionTimerRequestHeaders(cfg, { interval, refresher: 'uac' }), supported: 'timer, 100rel' };
    const c = call(a, b, headers);
    const r = await Promise.race([c.answer, c.failure]);
    if ('dialog' in r) {
      const s = negotiateUac(r.response);
      if (s !== undefined) a.ua.startSessionTimer(r.dialog, s, cfg, { onExpired: () => expired.a++, localSdp: () => SDP });
      return { ...r, attempts };
    }
    attempts.push(r);
    const next = intervalAfter422(r, interval);
    if (next === undefined) break;
    interval = next;
  }
  throw new Error('no session');
}

describe('session timers between two UA cores', () => {
  it('422 with Min-SE, retry with the larger interval, then refreshes by UPDATE every interval/2', async () => {
    const { a, b } = two();
    const expired = { a: 0, b: 0 };
    sessionUas(b, { sessionExpires: 1800, minSE: 120 }, expired);
    const { dialog, response, attempts } = await sessionCall(a, b, { sessionExpires: 90, minSE: 90 }, expired);
    expect(attempts.map((r) => r.status)).toEqual([422]);
    expect(attempts[0]!.get('min-se')).toBe('120');
    expect(sentRequests(a, 'INVITE')[1]!.get('session-expires')).toBe('120;refresher=uac');
    expect(response.get('session-expires')).toBe('120;refresher=uac');
    expect(response.optionTags('require')).toContain('timer');
    expect(dialog.sessionTimer).toBeDefined();
    expect(dialog.allows('UPDATE')).toBe(true);

    await vi.advanceTimersByTimeAsync(60_000);
    const updates = sentRequests(a, 'UPDATE');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.get('session-expires')).toBe('120;refresher=uac');
    const ok = sentResponses(b, 200).filter((r) => r.cseq.method === 'UPDATE');
    expect(ok[0]!.get('session-expires')).toBe('120;refresher=uac');
    await vi.advanceTimersByTimeAsync(60_000 * 5);
    expect(sentRequests(a, 'UPDATE')).toHaveLength(6);
    expect(expired).toEqual({ a: 0, b: 0 });
    expect(sentRequests(a, 'INVITE')).toHaveLength(2); // no re-INVITE refresh
  });

  it('the refresher falls silent: the other side expires the session at interval − 32 s and can BYE', async () => {
    const { a, b } = two();
    const expired = { a: 0, b: 0 };
    sessionUas(b, { sessionExpires: 1800, minSE: 90 }, expired);
    const { dialog } = await sessionCall(a, b, { sessionExpires: 120, minSE: 90 }, expired);
    const bd = b.invites[0]!.dialog!;
    dialog.sessionTimer!.stop(); // a stops refreshing (crashed, say)
    await vi.advanceTimersByTimeAsync(87_999);
    expect(expired.b).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired.b).toBe(1);
    const bye = await b.ua.bye(bd);
    expect(bye.status).toBe(200);
    expect(a.ua.dialogs.size).toBe(0);
    expect(bd.sessionTimer).toBeUndefined();
  });

  it('refresh by re-INVITE with the last SDP when the peer does not allow UPDATE; the UAS refreshes when the UAC lacks timer', async () => {
    const { a, b } = two({ a: { allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] } });
    const expired = { a: 0, b: 0 };
    sessionUas(b, { sessionExpires: 100, minSE: 90 }, expired);
    // a asks for nothing: plain INVITE, no Supported: timer.
    const c = call(a, b);
    const { response } = await c.answer;
    expect(response.get('session-expires')).toBe('100;refresher=uas');
    expect(response.has('require')).toBe(false);
    let reinvites = 0;
    const ad = [...a.ua.dialogs.values()][0]!;
    ad.onRequest = (req) => {
      if (req.method === 'INVITE') {
        reinvites++;
        ad.reinvite!.accept({ body: SDP });
      }
    };
    await vi.advanceTimersByTimeAsync(50_000);
    const re = sentRequests(b, 'INVITE');
    expect(re).toHaveLength(1);
    expect(re[0]!.bodyText).toBe(SDP_B);
    expect(re[0]!.get('session-expires')).toBe('100;refresher=uac');
    expect(reinvites).toBe(1);
    await vi.advanceTimersByTimeAsync(50_000);
    expect(sentRequests(b, 'INVITE')).toHaveLength(2);
    expect(sentRequests(b, 'ACK')).toHaveLength(2);
    expect(expired.b).toBe(0);
  });

  it('a TU-initiated re-INVITE (hold) also refreshes the session', async () => {
    const { a, b } = two();
    const expired = { a: 0, b: 0 };
    sessionUas(b, { sessionExpires: 1800, minSE: 90 }, expired);
    const { dialog } = await sessionCall(a, b, { sessionExpires: 120, minSE: 90 }, expired);
    await vi.advanceTimersByTimeAsync(50_000);
    const res = await new Promise<SipResponse>((resolve) => {
      a.ua.reinvite(dialog, { body: SDP }, { onAnswer: resolve, onFailure: resolve });
    });
    expect(res.status).toBe(200);
    expect(sentRequests(a, 'INVITE')[1]!.get('session-expires')).toBe('120;refresher=uac');
    // The interval restarted at the re-INVITE: no UPDATE at 60 s from the start.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sentRequests(a, 'UPDATE')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(sentRequests(a, 'UPDATE')).toHaveLength(1);
  });
});
