/** RFC 6665 notifier subscriptions: Expires, initial NOTIFY, refresh, unsubscribe, expiry, 481, coalescing. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dialog, RequestOptions } from '../../../src/sip/dialog/dialog.js';
import {
  type NotifierHost,
  NotifierSubscription,
  type NotifierSubscriptionOptions,
  badEventResponse,
  parseSubscriptionState,
  readEvent,
  subscribeExpires,
} from '../../../src/sip/extensions/subscription.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import type { ServerTransaction } from '../../../src/sip/transaction/types.js';

const settings = { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600 };

function subscribe(o: { expires?: number; event?: string; cseq?: number; toTag?: string } = {}): SipRequest {
  const lines = [
    'SUBSCRIBE sip:5001@example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-${Math.random().toString(36).slice(2)}`,
    'From: <sip:d1@example.com>;tag=sub-tag',
    `To: <sip:5001@example.com>${o.toTag !== undefined ? `;tag=${o.toTag}` : ''}`,
    'Call-ID: sub-1@127.0.0.1',
    `CSeq: ${o.cseq ?? 1} SUBSCRIBE`,
    'Contact: <sip:d1@127.0.0.1:5099>',
    `Event: ${o.event ?? 'dialog'}`,
    ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

function fakeTx(): { tx: ServerTransaction; responses: SipResponse[] } {
  const responses: SipResponse[] = [];
  return { tx: { respond: (r: SipResponse) => responses.push(r), state: 'trying' } as unknown as ServerTransaction, responses };
}

interface Sent {
  request: SipRequest;
  answer(status: number): void;
}

function fakeHost(autoAnswer: number | undefined = 200): NotifierHost & { sent: Sent[]; dialogs: Set<Dialog> } {
  const sent: Sent[] = [];
  const dialogs = new Set<Dialog>();
  return {
    sent,
    dialogs,
    register: (d) => dialogs.add(d),
    unregister: (d) => dialogs.delete(d),
    dialogRequest(dialog: Dialog, method: string, options?: RequestOptions): Promise<SipResponse> {
      const request = dialog.createRequest(method, options);
      return new Promise((resolve) => {
        const answer = (status: number) => resolve(createResponse(request, status));
        sent.push({ request, answer });
        if (autoAnswer !== undefined) answer(autoAnswer);
      });
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

function start(host: NotifierHost, expires: number, extra: Partial<NotifierSubscriptionOptions> = {}) {
  const req = subscribe({ expires });
  const { tx, responses } = fakeTx();
  let version = 0;
  const ended: string[] = [];
  const sub = NotifierSubscription.accept(req, tx, undefined, readEvent(req)!, expires, {
    host,
    settings,
    localContact: '<sip:srv@127.0.0.1:5060>',
    content: () => ({ body: `v${version++}`, contentType: 'text/plain' }),
    onTerminated: (_s, why) => ended.push(why),
    ...extra,
  });
  return { sub, responses, ended };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('subscribeExpires', () => {
  it('grants the default, caps at the maximum, refuses too brief with 423, keeps 0', () => {
    expect(subscribeExpires(subscribe(), settings)).toEqual({ ok: true, expires: 3600 });
    expect(subscribeExpires(subscribe({ expires: 99999 }), settings)).toEqual({ ok: true, expires: 3600 });
    expect(subscribeExpires(subscribe({ expires: 10 }), settings)).toMatchObject({ ok: false, status: 423, minExpires: 60 });
    expect(subscribeExpires(subscribe({ expires: 0 }), settings)).toEqual({ ok: true, expires: 0 });
    expect(subscribeExpires(subscribe({ expires: 120 }), settings)).toEqual({ ok: true, expires: 120 });
  });

  it('489 lists the packages served', () => {
    const res = badEventResponse(subscribe({ event: 'presence' }), ['dialog']);
    expect(res.status).toBe(489);
    expect(res.get('allow-events')).toBe('dialog');
    expect(res.to.tag).toBeDefined();
  });
});

describe('NotifierSubscription', () => {
  it('answers 200 with a To tag, Contact and Expires, then the initial NOTIFY in the new dialog', async () => {
    const host = fakeHost();
    const { sub, responses } = start(host, 600);
    expect(responses).toHaveLength(1);
    const ok = responses[0]!;
    expect(ok.status).toBe(200);
    expect(ok.to.tag).toBe(sub.dialog.localTag);
    expect(ok.get('expires')).toBe('600');
    expect(ok.get('contact')).toBe('<sip:srv@127.0.0.1:5060>');
    expect(host.dialogs.has(sub.dialog)).toBe(true);
    const n = host.sent[0]!.request;
    expect(n.method).toBe('NOTIFY');
    expect(n.uri.toString()).toBe('sip:d1@127.0.0.1:5099');
    expect(n.get('event')).toBe('dialog');
    expect(n.from.tag).toBe(sub.dialog.localTag);
    expect(n.to.tag).toBe('sub-tag');
    const st = parseSubscriptionState(n.get('subscription-state')!);
    expect(st.state).toBe('active');
    expect(st.expires).toBeGreaterThanOrEqual(599);
    expect(n.bodyText).toBe('v0');
    sub.abandon();
  });

  it('never overlaps NOTIFYs: changes while one is outstanding go out once, with the latest state', async () => {
    const host = fakeHost(undefined);
    const { sub } = start(host, 600);
    sub.notify();
    sub.notify();
    sub.notify();
    expect(host.sent).toHaveLength(1);
    host.sent[0]!.answer(200);
    await flush();
    expect(host.sent).toHaveLength(2);
    expect(host.sent[1]!.request.bodyText).toBe('v1');
    host.sent[1]!.answer(200);
    await flush();
    expect(host.sent).toHaveLength(2);
    sub.abandon();
  });

  it('a refresh SUBSCRIBE in the dialog gets 200 and a NOTIFY; one for another event gets 481', async () => {
    const host = fakeHost();
    const { sub } = start(host, 600);
    const refresh = subscribe({ expires: 1200, toTag: sub.dialog.localTag, cseq: 2 });
    sub.dialog.receiveRequest(refresh);
    const a = fakeTx();
    sub.dialog.onRequest!(refresh, a.tx);
    expect(a.responses[0]!.status).toBe(200);
    expect(a.responses[0]!.get('expires')).toBe('1200');
    await flush();
    expect(host.sent).toHaveLength(2);
    expect(parseSubscriptionState(host.sent[1]!.request.get('subscription-state')!).expires).toBeGreaterThanOrEqual(1199);

    const other = subscribe({ expires: 600, toTag: sub.dialog.localTag, cseq: 3, event: 'presence' });
    const b = fakeTx();
    sub.dialog.onRequest!(other, b.tx);
    expect(b.responses[0]!.status).toBe(481);

    const brief = subscribe({ expires: 5, toTag: sub.dialog.localTag, cseq: 4 });
    const c = fakeTx();
    sub.dialog.onRequest!(brief, c.tx);
    expect(c.responses[0]!.status).toBe(423);
    expect(c.responses[0]!.get('min-expires')).toBe('60');
    sub.abandon();
  });

  it('Expires: 0 in the dialog unsubscribes: 200, a final NOTIFY terminated;reason=timeout, dialog gone', async () => {
    const host = fakeHost();
    const { sub, ended } = start(host, 600);
    const un = subscribe({ expires: 0, toTag: sub.dialog.localTag, cseq: 2 });
    const a = fakeTx();
    sub.dialog.onRequest!(un, a.tx);
    expect(a.responses[0]!.status).toBe(200);
    await flush();
    const last = host.sent[host.sent.length - 1]!.request;
    expect(parseSubscriptionState(last.get('subscription-state')!)).toMatchObject({ state: 'terminated', reason: 'timeout' });
    await flush();
    expect(ended).toEqual(['timeout']);
    expect(host.dialogs.size).toBe(0);
    expect(sub.state).toBe('terminated');
    // After termination, a SUBSCRIBE in the old dialog gets 481.
    const late = fakeTx();
    sub.dialog.onRequest?.(subscribe({ expires: 600, toTag: sub.dialog.localTag, cseq: 3 }), late.tx);
    expect(late.responses[0]!.status).toBe(481);
  });

  it('a fetch (Expires: 0) gets one NOTIFY, terminated', async () => {
    const host = fakeHost();
    const { ended } = start(host, 0);
    expect(host.sent).toHaveLength(1);
    expect(parseSubscriptionState(host.sent[0]!.request.get('subscription-state')!)).toMatchObject({ state: 'terminated', reason: 'timeout' });
    await flush();
    expect(ended).toEqual(['timeout']);
  });

  it('runs out after its Expires with a terminated NOTIFY', async () => {
    vi.useFakeTimers();
    const host = fakeHost();
    const { ended } = start(host, 60);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(host.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(host.sent).toHaveLength(2);
    expect(parseSubscriptionState(host.sent[1]!.request.get('subscription-state')!)).toMatchObject({ state: 'terminated', reason: 'timeout' });
    expect(ended).toEqual(['timeout']);
  });

  it('a NOTIFY answered 481 removes the subscription without a final NOTIFY', async () => {
    const host = fakeHost(481);
    const { sub, ended } = start(host, 600);
    await flush();
    expect(sub.state).toBe('terminated');
    expect(ended).toEqual(['notify-failed']);
    expect(host.sent).toHaveLength(1);
    expect(host.dialogs.size).toBe(0);
    sub.notify();
    expect(host.sent).toHaveLength(1);
  });

  it('terminate() while a NOTIFY is outstanding sends the final one after it', async () => {
    const host = fakeHost(undefined);
    const { sub, ended } = start(host, 600);
    sub.terminate('noresource');
    expect(host.sent).toHaveLength(1);
    host.sent[0]!.answer(200);
    await flush();
    expect(host.sent).toHaveLength(2);
    expect(parseSubscriptionState(host.sent[1]!.request.get('subscription-state')!)).toMatchObject({ state: 'terminated', reason: 'noresource' });
    host.sent[1]!.answer(200);
    await flush();
    expect(ended).toEqual(['noresource']);
  });
});
