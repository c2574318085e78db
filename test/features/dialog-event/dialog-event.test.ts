/**
 * The dialog-event feature without a network: who may subscribe, publish/clear semantics and the
 * documents each subscription gets (its own version counter, a cleared dialog shown once as
 * terminated), over a fake UA core.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FeatureContext } from '../../../src/features/feature.js';
import { DialogEventFeature, heldDialog } from '../../../src/features/dialog-event/index.js';
import type { Dialog, RequestOptions } from '../../../src/sip/dialog/dialog.js';
import { parseDialogInfo } from '../../../src/sip/extensions/dialog-info.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import type { ServerTransaction } from '../../../src/sip/transaction/types.js';
import type { Flow } from '../../../src/sip/transport/types.js';

const flow: Flow = { protocol: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.1', remotePort: 5099 };
const line = { id: 'L5001', number: '5001', did: '+14085551234' };
const devices: Record<string, { id: string; aor: string; lines: string[] }> = {
  d1: { id: 'D1', aor: 'sip:d1@example.com', lines: ['L5001'] },
  d2: { id: 'D2', aor: 'sip:d2@example.com', lines: ['L5001'] },
  d3: { id: 'D3', aor: 'sip:d3@example.com', lines: ['L2000'] },
  d4: { id: 'D4', aor: 'sip:d4@example.com', lines: ['L5001'] },
};
const registered = new Set(['d1', 'd2', 'd3']);

interface Sent {
  dialog: Dialog;
  request: SipRequest;
}

function context(): { ctx: FeatureContext; sent: Sent[] } {
  const sent: Sent[] = [];
  const ua = {
    register: () => undefined,
    unregister: () => undefined,
    dialogRequest(dialog: Dialog, method: string, options?: RequestOptions): Promise<SipResponse> {
      const request = dialog.createRequest(method, options);
      sent.push({ dialog, request });
      return Promise.resolve(createResponse(request, 200));
    },
  };
  const ctx = {
    config: { domain: 'example.com' },
    directory: {
      findDeviceBySipUsername: (u: string) => devices[u],
      lines: { get: (id: string) => (id === 'L5001' ? line : id === 'L2000' ? { id: 'L2000', number: '2000', did: null } : undefined) },
    },
    registrar: { lookup: (aorUser: string) => (registered.has(aorUser) ? [{ contact: `sip:${aorUser}@127.0.0.1` }] : []) },
    ua,
    log: pino({ level: 'silent' }),
    // The test's "digest": the username is in a header.
    authenticate: (req: SipRequest, tx: ServerTransaction) => {
      const u = req.get('x-user');
      if (u === undefined) tx.respond(createResponse(req, 401));
      return u;
    },
    contact: () => '<sip:anchor@127.0.0.1:5060>',
  } as unknown as FeatureContext;
  return { ctx, sent };
}

let n = 0;
function subscribe(user: string | undefined, target: string, o: { event?: string; expires?: number; accept?: string } = {}): SipRequest {
  n++;
  const lines = [
    `SUBSCRIBE sip:${target}@example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-${n}`,
    `From: <sip:${user ?? 'x'}@example.com>;tag=f${n}`,
    `To: <sip:${target}@example.com>`,
    `Call-ID: sub-${n}`,
    'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:${user ?? 'x'}@127.0.0.1:5099>`,
    `Event: ${o.event ?? 'dialog'}`,
    `Expires: ${o.expires ?? 600}`,
    ...(o.accept !== undefined ? [`Accept: ${o.accept}`] : []),
    ...(user !== undefined ? [`X-User: ${user}`] : []),
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

function handle(f: DialogEventFeature, ctx: FeatureContext, req: SipRequest): { handled: boolean; status: number | undefined } {
  let status: number | undefined;
  const tx = { respond: (r: SipResponse) => (status = r.status), state: 'trying' } as unknown as ServerTransaction;
  const handled = f.onRequest(req, tx, flow, ctx);
  return { handled, status };
}

const flush = () => new Promise((r) => setImmediate(r));
const offer = (id: string) => heldDialog({ id, callId: `c-${id}`, localTag: 'l', remoteTag: 'r', lineUri: 'sip:5001@example.com' });

describe('DialogEventFeature', () => {
  it('decides who may subscribe', () => {
    const { ctx } = context();
    const f = new DialogEventFeature();
    f.start(ctx);
    expect(handle(f, ctx, subscribe(undefined, '5001')).status).toBe(401);
    expect(handle(f, ctx, subscribe('d3', '5001')).status).toBe(403); // not its line
    expect(handle(f, ctx, subscribe('d4', '5001')).status).toBe(403); // not registered
    expect(handle(f, ctx, subscribe('nobody', '5001')).status).toBe(403);
    expect(handle(f, ctx, subscribe('d1', '5001', { expires: 10 })).status).toBe(423);
    expect(handle(f, ctx, subscribe('d1', '5001', { accept: 'application/pidf+xml' })).status).toBe(406);
    // Other packages are not ours: the server answers 489.
    expect(handle(f, ctx, subscribe('d1', '5001', { event: 'presence' }))).toEqual({ handled: false, status: undefined });
    expect(handle(f, ctx, subscribe('d1', '5001')).status).toBe(200);
    expect(handle(f, ctx, subscribe('d2', '14085551234')).status).toBe(200); // the DID names the line too
    expect(handle(f, ctx, subscribe('d1', 'd1')).status).toBe(200); // own AOR → first line
    expect(f.subscriberCount('5001')).toBe(3);
    f.close();
  });

  it('publish upserts by id, clear reports the dialog terminated once, each subscription counts its versions', async () => {
    const { ctx, sent } = context();
    const f = new DialogEventFeature();
    f.start(ctx);
    handle(f, ctx, subscribe('d1', '5001'));
    await flush();
    f.publish('5001', [offer('a')]);
    await flush();
    handle(f, ctx, subscribe('d2', '5001')); // joins later: its first NOTIFY already shows 'a'
    await flush();
    f.publish('5001', [{ ...offer('a'), state: 'early' }, offer('b')]);
    await flush();
    f.clear('5001', 'a', 'replaced');
    await flush();
    f.publish('2000', [offer('z')]); // another line: no NOTIFY to 5001 subscribers
    await flush();
    f.clear('5001', 'b');
    await flush();
    f.clear('5001', 'unknown');
    await flush();

    const byDialog = new Map<Dialog, ReturnType<typeof parseDialogInfo>[]>();
    for (const s of sent) byDialog.set(s.dialog, [...(byDialog.get(s.dialog) ?? []), parseDialogInfo(s.request.bodyText)]);
    const [first, second] = [...byDialog.values()];
    const summary = (docs: ReturnType<typeof parseDialogInfo>[]) => docs.map((d) => `${d.version}:${d.dialogs.map((x) => `${x.id}=${x.state}${x.stateEvent ? `/${x.stateEvent}` : ''}`).join(',')}`);
    expect(summary(first!)).toEqual(['0:', '1:a=confirmed', '2:a=early,b=confirmed', '3:b=confirmed,a=terminated/replaced', '4:b=terminated']);
    expect(summary(second!)).toEqual(['0:a=confirmed', '1:a=early,b=confirmed', '2:b=confirmed,a=terminated/replaced', '3:b=terminated']);
    expect(f.dialogs('5001')).toEqual([]);
    // Replaces lookup (DPU-03): only what is still offered; to-tag = our local-tag.
    expect(f.findOffer({ callId: 'c-z', toTag: 'l', fromTag: 'r' })).toEqual({ lineDn: '2000', dialog: offer('z') });
    expect(f.findOffer({ callId: 'c-z', toTag: 'r', fromTag: 'l' })).toBeUndefined();
    expect(f.findOffer({ callId: 'c-a', toTag: 'l', fromTag: 'r' })).toBeUndefined();
    expect(f.dialogs('2000')).toHaveLength(1);
    expect(f.sizes()).toEqual({ lines: 1, subscriptions: 2 });
    f.close();
    await flush();
    await flush();
    expect(f.sizes().subscriptions).toBe(0);
  });
});
