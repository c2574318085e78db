/**
 * RFC 4028: header syntax, the UAS/UAC negotiation rules, and SessionTimer with
 * fake timers against a scripted host.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Dialog, type RequestOptions } from '../../../src/sip/dialog/dialog.js';
import {
  type NegotiatedSession,
  RFC4028_MIN_SE,
  type SessionRefreshHost,
  SessionTimer,
  type SessionTimerConfig,
  checkSessionTimerConfig,
  expiryGuardSeconds,
  intervalAfter422,
  negotiateUac,
  negotiateUas,
  parseMinSE,
  parseSessionExpires,
  readMinSE,
  readSessionExpires,
  serializeMinSE,
  serializeSessionExpires,
  sessionTimerRequestHeaders,
} from '../../../src/sip/extensions/session-timer.js';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import { SipRequest, type SipResponse } from '../../../src/sip/message/message.js';
import { parseNameAddr } from '../../../src/sip/message/name-addr.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseUri } from '../../../src/sip/message/uri.js';
import type { ServerTransaction, ServerTransactionState } from '../../../src/sip/transaction/types.js';

const CFG: SessionTimerConfig = { sessionExpires: 1800, minSE: 90 };

function invite(headers: Record<string, string> = {}): SipRequest {
  const r = new SipRequest('INVITE', 'sip:bob@example.com');
  r.set('via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKst');
  r.set('from', '<sip:alice@example.com>;tag=a1');
  r.set('to', '<sip:bob@example.com>');
  r.set('call-id', 'st-1');
  r.set('cseq', '1 INVITE');
  for (const [k, v] of Object.entries(headers)) r.set(k, v);
  return r;
}

function ok(headers: Record<string, string> = {}, req: SipRequest = invite()): SipResponse {
  const res = createResponse(req, 200, undefined, 'b1');
  for (const [k, v] of Object.entries(headers)) res.set(k, v);
  return res;
}

describe('Session-Expires / Min-SE syntax', () => {
  it('parses delta, refresher (case-insensitive) and keeps other params; compact form x', () => {
    expect(parseSessionExpires('1800;refresher=UAS')).toEqual({ delta: 1800, refresher: 'uas', params: new Map() });
    const se = parseSessionExpires(' 90 ; refresher=uac;foo=bar');
    expect(se.delta).toBe(90);
    expect(se.refresher).toBe('uac');
    expect(serializeSessionExpires(se)).toBe('90;refresher=uac;foo=bar');
    expect(serializeSessionExpires({ delta: 600 })).toBe('600');
    expect(readSessionExpires(invite({ x: '300;refresher=uas' }))?.delta).toBe(300);
    expect(readSessionExpires(invite())).toBeUndefined();
  });

  it('rejects malformed values', () => {
    for (const bad of ['', 'abc', '-5', '1800;refresher=me', '12345678901']) {
      expect(() => parseSessionExpires(bad), bad).toThrow(SipSyntaxError);
    }
    expect(() => parseMinSE('ninety')).toThrow(SipSyntaxError);
  });

  it('Min-SE: delta with optional params; serialize; read', () => {
    expect(parseMinSE('90')).toBe(90);
    expect(parseMinSE('120;x=y')).toBe(120);
    expect(serializeMinSE(90.7)).toBe('90');
    expect(readMinSE(invite({ 'min-se': '200' }))).toBe(200);
    expect(readMinSE(invite())).toBeUndefined();
  });

  it('checkSessionTimerConfig enforces the 90 s floor and SE >= Min-SE', () => {
    expect(() => checkSessionTimerConfig({ sessionExpires: 1800, minSE: 60 })).toThrow(RangeError);
    expect(() => checkSessionTimerConfig({ sessionExpires: 100, minSE: 120 })).toThrow(RangeError);
    expect(() => checkSessionTimerConfig(CFG)).not.toThrow();
    expect(RFC4028_MIN_SE).toBe(90);
  });
});

describe('negotiateUas (§9)', () => {
  it('422 with our Min-SE when the UAC supports timers and asks for less than our minimum', () => {
    const n = negotiateUas(invite({ supported: 'timer', 'session-expires': '60' }), { sessionExpires: 1800, minSE: 120 });
    expect(n).toEqual({ status: 422, headers: { 'min-se': '120' } });
  });

  it('no 422 when the UAC does not support timers (a proxy added Session-Expires): we refresh at that value', () => {
    const n = negotiateUas(invite({ 'session-expires': '100' }), { sessionExpires: 1800, minSE: 120 });
    expect(n).toMatchObject({ status: 200, session: { interval: 100, refresher: 'local' } });
    expect(n.headers).toEqual({ 'session-expires': '100;refresher=uas' });
  });

  it('copies the UAC refresher; reduces to our interval but never below the request Min-SE; Require: timer', () => {
    const n = negotiateUas(invite({ supported: '100rel, timer', 'session-expires': '3600;refresher=uac', 'min-se': '2000' }), CFG);
    expect(n).toMatchObject({ status: 200, session: { interval: 2000, refresher: 'remote' } });
    expect(n.headers).toEqual({ 'session-expires': '2000;refresher=uac', require: 'timer' });
    const m = negotiateUas(invite({ supported: 'timer', 'session-expires': '600;refresher=uas' }), CFG);
    expect(m).toMatchObject({ status: 200, session: { interval: 600, refresher: 'local' } });
  });

  it('chooses the refresher when the UAC left it open (config.uasRefresher, default uas)', () => {
    const req = invite({ supported: 'timer', 'session-expires': '1000' });
    expect(negotiateUas(req, CFG)).toMatchObject({ session: { refresher: 'local' }, headers: { 'session-expires': '1000;refresher=uas' } });
    expect(negotiateUas(req, { ...CFG, uasRefresher: 'uac' })).toMatchObject({ session: { refresher: 'remote' }, headers: { 'session-expires': '1000;refresher=uac' } });
  });

  it('no Session-Expires: our interval (at least the request Min-SE); uas refresher without Require when the UAC lacks timer', () => {
    expect(negotiateUas(invite({ supported: 'timer' }), CFG)).toEqual({
      status: 200,
      session: { interval: 1800, refresher: 'local' },
      headers: { 'session-expires': '1800;refresher=uas', require: 'timer' },
    });
    expect(negotiateUas(invite({ 'min-se': '4000' }), CFG)).toEqual({
      status: 200,
      session: { interval: 4000, refresher: 'local' },
      headers: { 'session-expires': '4000;refresher=uas' },
    });
  });

  it('400 for a malformed Session-Expires', () => {
    expect(negotiateUas(invite({ 'session-expires': 'soon' }), CFG)).toMatchObject({ status: 400 });
  });
});

describe('UAC side (§7)', () => {
  it('sessionTimerRequestHeaders', () => {
    expect(sessionTimerRequestHeaders(CFG)).toEqual({ 'session-expires': '1800', 'min-se': '90' });
    expect(sessionTimerRequestHeaders(CFG, { interval: 30, refresher: 'uac', supported: true })).toEqual({
      'session-expires': '90;refresher=uac',
      'min-se': '90',
      supported: 'timer',
    });
  });

  it('intervalAfter422 raises to the Min-SE of the 422', () => {
    const r422 = createResponse(invite(), 422, undefined, 'b');
    expect(intervalAfter422(r422, 90)).toBeUndefined();
    r422.set('min-se', '300');
    expect(intervalAfter422(r422, 90)).toBe(300);
    expect(intervalAfter422(r422, 600)).toBe(600);
    expect(intervalAfter422(ok(), 90)).toBeUndefined();
  });

  it('negotiateUac reads the 2xx: refresher from our point of view; none → no session timer', () => {
    expect(negotiateUac(ok({ 'session-expires': '1800;refresher=uac', require: 'timer' }))).toEqual({ interval: 1800, refresher: 'local' });
    expect(negotiateUac(ok({ 'session-expires': '900;refresher=uas' }))).toEqual({ interval: 900, refresher: 'remote' });
    expect(negotiateUac(ok({ 'session-expires': '900' }))).toEqual({ interval: 900, refresher: 'local' });
    expect(negotiateUac(ok())).toBeUndefined();
    expect(negotiateUac(ok({ 'session-expires': 'x' }))).toBeUndefined();
  });

  it('expiryGuardSeconds = interval − min(32, interval/3)', () => {
    expect(expiryGuardSeconds(1800)).toBe(1768);
    expect(expiryGuardSeconds(90)).toBe(60);
  });
});

// ------------------------------------------------------------ SessionTimer

function dialog(): Dialog {
  return new Dialog(
    'uac',
    'st-1',
    'a1',
    'b1',
    parseNameAddr('<sip:alice@example.com>;tag=a1'),
    parseNameAddr('<sip:bob@example.com>;tag=b1'),
    parseUri('sip:bob@127.0.0.1:5080'),
    [],
    1,
    1,
    '<sip:alice@127.0.0.1:5070>',
    'confirmed',
  );
}

interface Sent {
  method: string;
  options: RequestOptions;
  request: SipRequest;
}

/** A host that builds the request like the UA core does and answers from a script. */
class ScriptedHost implements SessionRefreshHost {
  sent: Sent[] = [];
  /** status (and headers) per request, in order; default 200 echoing Session-Expires. */
  script: ({ status: number; headers?: Record<string, string> } | 'pending')[] = [];
  constructor(private readonly d: Dialog) {}
  private answer(req: SipRequest): SipResponse | 'pending' {
    const next = this.script.shift();
    if (next === 'pending') return 'pending';
    const res = createResponse(req, next?.status ?? 200, undefined, 'b1');
    if (next === undefined) {
      const se = req.get('session-expires');
      if (se !== undefined) res.set('session-expires', se);
    }
    for (const [k, v] of Object.entries(next?.headers ?? {})) res.set(k, v);
    return res;
  }
  dialogRequest(d: Dialog, method: string, options: RequestOptions = {}): Promise<SipResponse> {
    const req = d.createRequest(method, options);
    d.sessionTimer?.decorateRefresh(req);
    this.sent.push({ method, options, request: req });
    const res = this.answer(req);
    if (res === 'pending') return new Promise(() => undefined);
    d.sessionTimer?.refreshAnswered(res);
    return Promise.resolve(res);
  }
  reinvite(d: Dialog, options: RequestOptions, handlers: { onAnswer(r: SipResponse, d: Dialog): void; onFailure(r: SipResponse): void }): object | undefined {
    const next = this.script[0];
    if (next === 'pending') {
      this.script.shift();
      return undefined;
    }
    const req = d.createRequest('INVITE', options);
    d.sessionTimer?.decorateRefresh(req);
    this.sent.push({ method: 'INVITE', options, request: req });
    const res = this.answer(req) as SipResponse;
    d.sessionTimer?.refreshAnswered(res);
    if (res.status < 300) handlers.onAnswer(res, this.d);
    else handlers.onFailure(res);
    return {};
  }
}

describe('SessionTimer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function make(session: NegotiatedSession, opts: { allowUpdate?: boolean; sdp?: string; cfg?: SessionTimerConfig } = {}) {
    const d = dialog();
    if (opts.allowUpdate !== false) d.remoteAllow = ['INVITE', 'ACK', 'BYE', 'UPDATE'];
    else d.remoteAllow = ['INVITE', 'ACK', 'BYE'];
    const host = new ScriptedHost(d);
    const events = { expired: 0, refreshed: [] as NegotiatedSession[], failed: [] as number[] };
    const timer = new SessionTimer(d, host, session, opts.cfg ?? { sessionExpires: 120, minSE: 90 }, {
      onExpired: () => events.expired++,
      localSdp: opts.sdp === undefined ? undefined : () => opts.sdp,
      onRefreshed: (s) => events.refreshed.push(s),
      onRefreshFailed: (r) => events.failed.push(r.status),
    });
    return { d, host, timer, events };
  }

  it('as refresher: UPDATE at half the interval with Session-Expires refresher=uac, Min-SE, Supported: timer; keeps going', async () => {
    const { d, host, timer, events } = make({ interval: 120, refresher: 'local' });
    expect(d.sessionTimer).toBe(timer);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(host.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(host.sent.map((s) => s.method)).toEqual(['UPDATE']);
    const req = host.sent[0]!.request;
    expect(req.get('session-expires')).toBe('120;refresher=uac');
    expect(req.get('min-se')).toBe('90');
    expect(req.optionTags('supported')).toContain('timer');
    expect(req.body.length).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000 * 4);
    expect(host.sent).toHaveLength(5);
    expect(events.expired).toBe(0);
    expect(events.refreshed).toHaveLength(5);
    expect(timer.refreshesSent).toBe(5);
  });

  it('re-INVITE with the last SDP when the peer does not allow UPDATE', async () => {
    const { host } = make({ interval: 100, refresher: 'local' }, { allowUpdate: false, sdp: 'v=0\r\n' });
    await vi.advanceTimersByTimeAsync(50_000);
    expect(host.sent.map((s) => s.method)).toEqual(['INVITE']);
    expect(host.sent[0]!.options.body).toBe('v=0\r\n');
  });

  it('falls back to re-INVITE when UPDATE gets 405/501, and remembers it', async () => {
    const { host } = make({ interval: 100, refresher: 'local' }, { sdp: 'v=0\r\n' });
    host.script = [{ status: 501 }];
    await vi.advanceTimersByTimeAsync(50_000);
    expect(host.sent.map((s) => s.method)).toEqual(['UPDATE', 'INVITE']);
    await vi.advanceTimersByTimeAsync(50_000);
    expect(host.sent.map((s) => s.method)).toEqual(['UPDATE', 'INVITE', 'INVITE']);
  });

  it('422 to a refresh: retried at once with the larger interval', async () => {
    const { host, timer } = make({ interval: 100, refresher: 'local' });
    host.script = [{ status: 422, headers: { 'min-se': '300' } }];
    await vi.advanceTimersByTimeAsync(50_000);
    expect(host.sent.map((s) => s.request.get('session-expires'))).toEqual(['100;refresher=uac', '300;refresher=uac']);
    expect(host.sent[1]!.request.get('min-se')).toBe('300');
    expect(timer.interval).toBe(300);
  });

  it('a 2xx without Session-Expires from a peer that supports timers ends session expiration (§7.2)', async () => {
    const { host, timer, events } = make({ interval: 100, refresher: 'local' });
    host.script = [{ status: 200, headers: { supported: 'timer' } }];
    await vi.advanceTimersByTimeAsync(50_000);
    expect(timer.running).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(host.sent).toHaveLength(1);
    expect(events.expired).toBe(0);
  });

  it('a 2xx without Session-Expires from a peer without the extension counts as a refresh', async () => {
    const { host, timer, events } = make({ interval: 100, refresher: 'local' });
    host.script = [{ status: 200 }, { status: 200 }];
    await vi.advanceTimersByTimeAsync(100_000);
    expect(host.sent).toHaveLength(2);
    expect(timer.running).toBe(true);
    expect(events.expired).toBe(0);
    expect(events.refreshed).toEqual([
      { interval: 100, refresher: 'local' },
      { interval: 100, refresher: 'local' },
    ]);
  });

  it('a pending re-INVITE (glare) is retried after glareRetryMs', async () => {
    const { host } = make({ interval: 100, refresher: 'local' }, { allowUpdate: false, sdp: 'v=0\r\n', cfg: { sessionExpires: 100, minSE: 90, glareRetryMs: 3000 } });
    host.script = ['pending'];
    await vi.advanceTimersByTimeAsync(50_000);
    expect(host.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(host.sent.map((s) => s.method)).toEqual(['INVITE']);
  });

  it('as refresher whose refreshes fail: onRefreshFailed, then onExpired at interval − min(32, interval/3)', async () => {
    const { host, events } = make({ interval: 120, refresher: 'local' });
    host.script = [{ status: 500 }];
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events.failed).toEqual([500]);
    await vi.advanceTimersByTimeAsync(27_999);
    expect(events.expired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.expired).toBe(1);
  });

  it('peer refresher: no refresh from us; onExpired once when none arrives; incoming refresh restarts it', async () => {
    const { host, timer, events, d } = make({ interval: 90, refresher: 'remote' });
    await vi.advanceTimersByTimeAsync(59_000);
    // The peer refreshes (UPDATE) just in time; our 2xx gets Session-Expires and restarts the timer.
    const upd = invite({ supported: 'timer', 'session-expires': '90;refresher=uac' });
    upd.method = 'UPDATE';
    upd.set('cseq', '2 UPDATE');
    upd.to.tag = 'a1';
    const responses: SipResponse[] = [];
    const tx = fakeTx(upd, responses);
    const wrapped = timer.incomingRefresh(upd, tx)!;
    expect(wrapped).toBeDefined();
    expect(wrapped.id).toBe(tx.id);
    wrapped.respond(createResponse(upd, 200));
    expect(responses[0]!.get('session-expires')).toBe('90;refresher=uac');
    expect(responses[0]!.optionTags('require')).toContain('timer');
    expect(events.refreshed).toEqual([{ interval: 90, refresher: 'remote' }]);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(events.expired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.expired).toBe(1);
    await vi.advanceTimersByTimeAsync(500_000);
    expect(events.expired).toBe(1);
    expect(host.sent).toHaveLength(0);
    expect(d.sessionTimer).toBe(timer);
  });

  it('incoming refresh below our Min-SE gets 422 with Min-SE; the TU never sees it', () => {
    vi.useRealTimers();
    const { timer } = make({ interval: 120, refresher: 'remote' }, { cfg: { sessionExpires: 1800, minSE: 100 } });
    const upd = invite({ supported: 'timer', 'session-expires': '95' });
    const responses: SipResponse[] = [];
    expect(timer.incomingRefresh(upd, fakeTx(upd, responses))).toBeUndefined();
    expect(responses[0]!.status).toBe(422);
    expect(responses[0]!.get('min-se')).toBe('100');
    timer.stop();
  });

  it('the peer can make us the refresher with its refresh (refresher=uas in its UPDATE)', async () => {
    const { host, timer } = make({ interval: 120, refresher: 'remote' });
    const upd = invite({ supported: 'timer', 'session-expires': '120;refresher=uas' });
    upd.method = 'UPDATE';
    timer.incomingRefresh(upd, fakeTx(upd, []))!.respond(createResponse(upd, 200));
    expect(timer.refresher).toBe('local');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(host.sent.map((s) => s.method)).toEqual(['UPDATE']);
  });

  it('stop() clears everything and unbinds from the dialog', async () => {
    const { host, timer, events, d } = make({ interval: 120, refresher: 'local' });
    timer.stop();
    expect(d.sessionTimer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(host.sent).toHaveLength(0);
    expect(events.expired).toBe(0);
  });
});

function fakeTx(request: SipRequest, responses: SipResponse[]): ServerTransaction {
  return {
    id: 'tx-1',
    request,
    flow: { protocol: 'udp', localAddress: '127.0.0.1', localPort: 5070, remoteAddress: '127.0.0.1', remotePort: 5080 },
    state: 'trying' as ServerTransactionState,
    cancelled: false,
    lastResponse: undefined,
    respond: (r: SipResponse) => void responses.push(r),
  };
}
