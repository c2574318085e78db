/**
 * Dual-mode hand-out end to end (spec §13.2, §18.8 TS-56…TS-58b) through the running server
 * and a real rtpengine. Peers are UAs on our own SIP stack: C calls Bob's DID from trunk T's
 * alternate port and mobile client M1 answers over VoIP; gateway T answers for Bob's mobility
 * identity MI2 (+14085551111); `cell` is MI2 calling in over the cellular network (another
 * port of trunk T).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../src/sip/dialog/dialog.js';
import { parseSipFrag } from '../../src/sip/extensions/sipfrag.js';
import type { SipRequest } from '../../src/sip/message/message.js';
import type { IncomingInvite } from '../../src/sip/ua/incoming-invite.js';
import { freePorts } from './harness/ports.js';
import { type Peer, bind, call, sdp, sleep, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let c: Peer;
let gw: Peer;
let m1: Peer;
let cell: Peer;

const HANDOFF = '+14085553000';

beforeAll(async () => {
  const [gwPort, cPort, m1Port, cellPort] = await freePorts(4);
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [cPort!, cellPort!] });
  c = await startPeer(cPort!);
  gw = await startPeer(gwPort!);
  m1 = await startPeer(m1Port!);
  cell = await startPeer(cellPort!);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.M1, `sip:m1@127.0.0.1:${m1Port}`)).toBe(200);
  ts.server.directory.serviceParameters.setMany({ handoffNumber: '\\+14085553000', handoffPartition: 'PT-all' });
  ts.server.directory.remoteDestinations.update('MI2', { delayBeforeRingingMs: 4000, answerTooSoonMs: 0, answerTooLateMs: 1000 });
});
afterAll(async () => {
  for (const p of [c, gw, m1, cell]) await p?.close();
  await ts?.stop();
});

beforeEach(() => {
  for (const p of [c, gw, m1, cell]) {
    p.received.length = 0;
    p.dialogs.length = 0;
    p.onDialogRequest = () => 200;
  }
  m1.onInvite = (inv) => bind(m1, inv.accept({ body: sdp(m1.port + 2), contentType: 'application/sdp' }));
  gw.onInvite = (inv) => inv.progress(180); // MI2 rings unless a test answers
});

const received = (p: Peer, method: string): SipRequest[] => p.received.filter((m) => m.method === method);
const notifies = (p: Peer): number[] => received(p, 'NOTIFY').map((m) => parseSipFrag(m.body)!.status);

/** C → Bob's DID, answered by M1 over VoIP. */
async function voipCall(): Promise<{ cLeg: Dialog; voipLeg: Dialog }> {
  const r = await call(c, ts.udpPort, { from: '+19725553456', to: '4085552000' });
  expect(r.res.status).toBe(200);
  await until(() => m1.dialogs.length === 1);
  await sleep(50);
  gw.received.length = 0;
  return { cLeg: r.dialog!, voipLeg: m1.dialogs[0]! };
}

async function idle(): Promise<void> {
  await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === 0, 5000);
}

describe('§18.8 dual-mode hand-out', () => {
  it('TS-56 hand-out, server calls the phone: 202, INVITE to MI2 at once, MI2 answers, C moves to it, NOTIFY 200, BYE to the VoIP leg', async () => {
    const { cLeg, voipLeg } = await voipCall();
    let answer: (() => void) | undefined;
    gw.onInvite = (inv) => {
      inv.progress(180);
      answer = () => bind(gw, inv.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' }));
    };
    const t0 = Date.now();
    const res = await m1.stack.ua.dialogRequest(voipLeg, 'REFER', { headers: { 'refer-to': '<sip:*9505@127.0.0.1>' } });
    expect(res.status).toBe(202);
    await until(() => answer !== undefined, 2000);
    expect(Date.now() - t0).toBeLessThan(1000); // no Delay Before Ringing (DM-01)
    expect(received(gw, 'INVITE')[0]!.uri.toString()).toContain('+14085551111');
    answer!();
    await until(() => voipLeg.state === 'terminated', 3000);
    expect(notifies(m1)).toEqual([100, 180, 200]);
    expect(received(c, 'INVITE')).toHaveLength(1); // C re-INVITEd towards the MI2 leg
    // Anchored with RD-type mid-call features: *81 on the MI2 leg is taken.
    const feature = ts.server.features.find((f) => f.name === 'mid-call') as unknown as { session(id: string): { state: string } | undefined };
    const live = ts.server.calls.values().next().value!;
    expect(feature.session(live.id)?.state).toBe('connected');
    await c.stack.ua.bye(cLeg);
    await until(() => gw.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('TS-58b hand-out not answered: MI2 CANCELled at Answer Too Late, NOTIFY 480, C↔M1 goes on', async () => {
    const { cLeg, voipLeg } = await voipCall();
    let mi: IncomingInvite | undefined;
    gw.onInvite = (inv) => {
      mi = inv;
      inv.progress(180);
    };
    const t0 = Date.now();
    expect((await m1.stack.ua.dialogRequest(voipLeg, 'REFER', { headers: { 'refer-to': '<sip:*9505@127.0.0.1>' } })).status).toBe(202);
    await until(() => mi?.finalStatus === 487, 3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await until(() => notifies(m1).includes(480));
    expect(voipLeg.state).toBe('confirmed');
    expect(received(c, 'INVITE')).toHaveLength(0);
    await c.stack.ua.bye(cLeg);
    await until(() => voipLeg.state === 'terminated');
    await idle();
  });

  it('TS-57 hand-out, the phone calls in: the call from MI2 to the handoff number is answered and takes over; BYE to M1', async () => {
    const { cLeg, voipLeg } = await voipCall();
    const r = await call(cell, ts.udpPort, { from: '+14085551111', to: HANDOFF });
    expect(r.res.status).toBe(200);
    await until(() => voipLeg.state === 'terminated', 3000);
    expect(received(c, 'INVITE')).toHaveLength(1);
    expect(ts.server.calls.size).toBe(1);
    await c.stack.ua.bye(cLeg);
    await until(() => r.dialog!.state === 'terminated');
    await idle();
  });

  it('TS-58 hand-out caller ID mismatch: 403, the VoIP call is unaffected', async () => {
    const { cLeg, voipLeg } = await voipCall();
    const r = await call(cell, ts.udpPort, { from: '+16505550000', to: HANDOFF });
    expect(r.res.status).toBe(403);
    await sleep(100);
    expect(voipLeg.state).toBe('confirmed');
    expect(received(c, 'INVITE')).toHaveLength(0);
    await c.stack.ua.bye(cLeg);
    await until(() => voipLeg.state === 'terminated');
    await idle();
  });
});
