/**
 * Dialog event package end to end (RFC 4235 / RFC 6665; spec §1.1, DPU-01 step 2, DPU-03 step 3):
 * desk D1 (SIPp, sipp-scenarios/dialog-subscribe.xml) registers and subscribes to its line 5001
 * with digest authentication, gets the initial NOTIFY, then a NOTIFY offering a held dialog when
 * the test publishes one on the running server, then the clearing NOTIFY, and unsubscribes.
 * Authorisation is checked with our own SIP stack as the subscriber.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DialogEventFeature, heldDialog } from '../../src/features/dialog-event/index.js';
import { isHeld, parseDialogInfo, replacesForDialog } from '../../src/sip/extensions/dialog-info.js';
import { serializeReplaces } from '../../src/sip/extensions/replaces.js';
import { parseSubscriptionState } from '../../src/sip/extensions/subscription.js';
import type { SipResponse } from '../../src/sip/message/message.js';
import type { SipStack } from '../../src/sip/stack.js';
import { findMessages, header } from './harness/messages.js';
import { freePort } from './harness/ports.js';
import { runSipp, stopAllSipp } from './harness/sipp.js';
import { waitFor } from './harness/wait.js';
import { featureOf, registerContact, requestWithDigest, startClientStack, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let feature: DialogEventFeature;
let client: SipStack;

beforeAll(async () => {
  ts = await startTestServer({ trunkPort: await freePort(), anchor: false });
  feature = featureOf(ts.server, DialogEventFeature);
  client = await startClientStack();
});

afterEach(async () => {
  await stopAllSipp();
});

afterAll(async () => {
  await client?.close();
  await ts?.stop();
});

describe('dialog event package (SIPp subscriber)', () => {
  it('D1 subscribes to 5001: initial NOTIFY, held-dialog offer, clearing NOTIFY, unsubscribe', async () => {
    const cred = ts.fixture.credentials.D1;
    const run = runSipp({
      scenario: 'dialog-subscribe',
      remote: `127.0.0.1:${ts.udpPort}`,
      service: cred.username,
      authUser: cred.username,
      authPassword: cred.password,
      set: { line: '5001' },
      timeoutS: 20,
    });
    // Initial NOTIFY answered.
    expect(await waitFor(() => feature.subscriberCount('5001') === 1 && feature.notifyProgress('5001').sent >= 1 && feature.notifyProgress('5001').settled)).toBe(true);

    // DPU-01: the held dialog that a desk can resume with Replaces.
    const offer = heldDialog({
      id: 'pickup-1',
      callId: 'far-leg-call-id@127.0.0.1',
      localTag: 'anchor-tag',
      remoteTag: 'far-tag',
      lineUri: `sip:5001@${ts.server.config.domain}`,
      farUri: 'sip:+19725553456@127.0.0.1',
      farDisplay: 'Caller C',
    });
    feature.publish('5001', [offer]);
    expect(feature.dialogs('5001')).toHaveLength(1);
    expect(await waitFor(() => feature.notifyProgress('5001').sent >= 2 && feature.notifyProgress('5001').settled)).toBe(true);

    // DPU-03 step 3: the offer is cleared.
    feature.clear('5001', 'pickup-1', 'replaced');
    const r = await run;
    if (r.code !== 0) throw new Error(`SIPp failed (${r.code}): ${r.errors}\n${r.stderr}`);
    expect(r.stats?.successful).toBe(1);

    // Digest like REGISTER: the first SUBSCRIBE was challenged, the second accepted.
    expect(findMessages(r.parsed, { direction: 'received', status: 401, cseqMethod: 'SUBSCRIBE' })).toHaveLength(1);
    expect(findMessages(r.parsed, { direction: 'received', status: 200, cseqMethod: 'SUBSCRIBE' })).toHaveLength(2);
    const notifies = findMessages(r.parsed, { direction: 'received', method: 'NOTIFY' });
    expect(notifies).toHaveLength(4);
    const docs = notifies.slice(0, 3).map((m) => parseDialogInfo(m.body));
    expect(docs.map((d) => d.version)).toEqual([0, 1, 2]);
    expect(docs.every((d) => d.state === 'full' && d.entity === `sip:5001@${ts.server.config.domain}`)).toBe(true);
    expect(docs[0]!.dialogs).toEqual([]);
    const held = docs[1]!.dialogs[0]!;
    expect(held).toEqual(offer);
    expect(isHeld(held)).toBe(true);
    expect(serializeReplaces(replacesForDialog(held)!)).toBe('far-leg-call-id@127.0.0.1;to-tag=anchor-tag;from-tag=far-tag');
    expect(docs[2]!.dialogs).toEqual([{ ...offer, state: 'terminated', stateEvent: 'replaced' }]);
    // Subscription-State along the way, and every NOTIFY in the subscription dialog the 200 created.
    const states = notifies.map((m) => parseSubscriptionState(header(m, 'Subscription-State')!));
    expect(states.slice(0, 3).every((s) => s.state === 'active' && (s.expires ?? 0) > 500)).toBe(true);
    expect(states[3]).toMatchObject({ state: 'terminated', reason: 'timeout' });
    const ok = findMessages(r.parsed, { direction: 'received', status: 200, cseqMethod: 'SUBSCRIBE' })[0]!;
    const toTag = /;tag=([^;>\s]+)/.exec(header(ok, 'To')!)![1];
    expect(notifies.every((m) => header(m, 'From')!.includes(`tag=${toTag}`))).toBe(true);
    expect(notifies.every((m) => header(m, 'Event') === 'dialog')).toBe(true);

    // Everything is gone afterwards: the subscription, its dialog, the cleared state.
    expect(await waitFor(() => feature.sizes().subscriptions === 0)).toBe(true);
    expect(feature.sizes().lines).toBe(0);
    expect(ts.server.sizes().dialogs).toBe(0);
  });
});

describe('dialog event package: who may subscribe', () => {
  let seq = 0;
  /** SUBSCRIBE as `username`, answering one 401 with digest; resolves with the final response. */
  async function subscribe(o: { username: string; password: string; line: string; event?: string; expires?: number }): Promise<SipResponse> {
    const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: ts.udpPort };
    const uri = `sip:${o.line}@127.0.0.1:${ts.udpPort}`;
    const callId = `sub-${o.username}-${++seq}`;
    const make = (cseq: number) =>
      client.ua.createRequest({
        method: 'SUBSCRIBE',
        uri,
        from: `<sip:${o.username}@${ts.server.config.domain}>`,
        to: `<sip:${o.line}@${ts.server.config.domain}>`,
        callId,
        cseq,
        contact: `<sip:${o.username}@127.0.0.1:${client.transport.listeningPoint('udp')!.port}>`,
        options: { headers: { event: o.event ?? 'dialog', expires: String(o.expires ?? 600), accept: 'application/dialog-info+xml' } },
      });
    return requestWithDigest(client, dest, make, o);
  }

  it('challenges, then refuses wrong lines, unregistered devices, other packages and too brief Expires', async () => {
    const d1 = ts.fixture.credentials.D1;
    const d2 = ts.fixture.credentials.D2;
    const d3 = ts.fixture.credentials.D3;
    expect(await registerContact(ts.udpPort, d1, 'sip:d1@127.0.0.1:9')).toBe(200);
    expect(await registerContact(ts.udpPort, d3, 'sip:d3@127.0.0.1:9')).toBe(200);
    // A wrong password never gets past the challenge.
    expect((await subscribe({ username: d1.username, password: 'wrong', line: '5001' })).status).toBe(401);
    // D3 is registered but 5001 is not its line.
    const d3Line = ts.server.directory.devices.get('D3')!.lines[0]!;
    expect(ts.server.directory.lines.get(d3Line)!.number).not.toBe('5001');
    const other = await subscribe({ username: d3.username, password: d3.password, line: '5001' });
    expect(other.status).toBe(403);
    // D2 shares 5001? Either way it is not registered in this file.
    expect((await subscribe({ username: d2.username, password: d2.password, line: '5001' })).status).toBe(403);
    // An event package we do not serve.
    const presence = await subscribe({ username: d1.username, password: d1.password, line: '5001', event: 'presence' });
    expect(presence.status).toBe(489);
    expect(presence.get('allow-events')).toBe('dialog');
    // RFC 6665: too brief → 423 with Min-Expires.
    const brief = await subscribe({ username: d1.username, password: d1.password, line: '5001', expires: 5 });
    expect(brief.status).toBe(423);
    expect(brief.get('min-expires')).toBe('60');
    // A fetch (Expires: 0) is accepted: 200, one terminated NOTIFY to our contact, nothing kept.
    const fetch = await subscribe({ username: d1.username, password: d1.password, line: '5001', expires: 0 });
    expect(fetch.status).toBe(200);
    expect(fetch.get('expires')).toBe('0');
    expect(await waitFor(() => feature.sizes().subscriptions === 0)).toBe(true);
    // The device's own AOR names its first line.
    const own = await subscribe({ username: d1.username, password: d1.password, line: d1.username, expires: 0 });
    expect(own.status).toBe(200);
  });
});
