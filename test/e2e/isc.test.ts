/**
 * Intelligent Session Control and Ring All Shared Lines end to end (spec §12, §18.5 TS-35,
 * TS-36) through the running server and a real rtpengine. Peers are UAs on our own SIP
 * stack: desk D3 (line 2000) dials Alice's mobile, gateway T answers for RD1, desk D1
 * (Alice's line 5001) rings with RASL and takes a session handoff.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../src/sip/dialog/dialog.js';
import type { SipRequest } from '../../src/sip/message/message.js';
import type { IncomingInvite } from '../../src/sip/ua/incoming-invite.js';
import { freePorts } from './harness/ports.js';
import { type Peer, authenticatedCall, bind, sdp, sleep, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let gw: Peer; // gateway T
let d1: Peer; // Alice's desk (5001)
let d3: Peer; // X's desk (2000): the caller

beforeAll(async () => {
  const [gwPort, d1Port, d3Port] = await freePorts(3);
  ts = await startTestServer({ trunkPort: gwPort! });
  gw = await startPeer(gwPort!);
  d1 = await startPeer(d1Port!);
  d3 = await startPeer(d3Port!);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D1, `sip:d1@127.0.0.1:${d1Port}`)).toBe(200);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
  // A Delay Before Ringing ISC must ignore (ISC-04).
  ts.server.directory.remoteDestinations.update('RD1', { delayBeforeRingingMs: 4000, answerTooSoonMs: 1500, enableSnr: true });
});
afterAll(async () => {
  for (const p of [gw, d1, d3]) await p?.close();
  await ts?.stop();
});

let deskRinging: IncomingInvite[] = [];
beforeEach(() => {
  ts.server.directory.serviceParameters.setMany({
    rerouteRemoteDestinationCallsToEnterpriseNumber: true,
    matchCallerIdWithRemoteDestination: 'partial',
    callerIdPartialMatchDigits: 10,
    ringAllSharedLines: false,
    ignoreCallForwardAllOnEnterpriseDn: true,
    sessionHandoffAlertingTimerS: 2,
  });
  ts.server.directory.lines.update('L5001', { callForwardAll: null });
  for (const p of [gw, d1, d3]) {
    p.received.length = 0;
    p.dialogs.length = 0;
  }
  deskRinging = [];
  d1.onInvite = (inv) => {
    deskRinging.push(inv);
    inv.progress(180);
  };
  gw.onInvite = (inv) => setTimeout(() => bind(gw, inv.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' })), 100);
});

const received = (p: Peer, method: string): SipRequest[] => p.received.filter((m) => m.method === method);

/** D3 dials `to` (answering the digest challenge). */
function d3Dials(to: string): ReturnType<typeof authenticatedCall> {
  return authenticatedCall(d3, ts.udpPort, ts.fixture.credentials.D3, to);
}

async function press(leg: Dialog, keys: string): Promise<void> {
  for (const k of keys) await gw.stack.ua.dialogRequest(leg, 'INFO', { body: `Signal=${k}\r\nDuration=160\r\n`, contentType: 'application/dtmf-relay' });
}

async function idle(): Promise<void> {
  await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === 0, 5000);
}

describe('§18.5 ISC', () => {
  it('TS-35 ISC with partial match: 914085557890 reaches RD1 at once (no DBR), anchored: *74 from RD1 rings D1', async () => {
    const t0 = Date.now();
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    const inv = received(gw, 'INVITE')[0]!;
    expect(inv.uri.toString()).toContain('+14085557890');
    expect(Date.now() - t0).toBeLessThan(2000); // not after the 4 s Delay Before Ringing
    expect(deskRinging).toHaveLength(0); // RASL off
    const rdLeg = gw.dialogs[0]!;
    expect(ts.server.anchored.byCallRef(ts.server.calls.values().next().value!.id)?.origin).toBe('isc');
    await press(rdLeg, '*74');
    await until(() => deskRinging.length === 1);
    bind(d1, deskRinging[0]!.accept({ body: sdp(d1.port + 2), contentType: 'application/sdp' }));
    await until(() => rdLeg.state === 'terminated', 3000);
    await d3.stack.ua.bye(r.dialog!);
    await until(() => d1.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('TS-35 with RASL: D1 rings as well, and is CANCELled when RD1 answers', async () => {
    ts.server.directory.serviceParameters.setMany({ ringAllSharedLines: true });
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    expect(deskRinging).toHaveLength(1);
    await until(() => deskRinging[0]!.finalStatus === 487);
    await d3.stack.ua.bye(r.dialog!);
    await until(() => gw.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('ISC-02: with complete matching the steering digits prevent the reroute (an ordinary trunk call)', async () => {
    ts.server.directory.serviceParameters.setMany({ matchCallerIdWithRemoteDestination: 'complete' });
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    expect(ts.server.anchored.byCallRef(ts.server.calls.values().next().value!.id)?.origin).not.toBe('isc');
    await d3.stack.ua.bye(r.dialog!);
    await idle();
  });

  it('TS-36 ISC with forward-all honoured: the call goes to the forward-all destination, RD1 is not called', async () => {
    ts.server.directory.serviceParameters.setMany({ ignoreCallForwardAllOnEnterpriseDn: false });
    ts.server.directory.lines.update('L5001', { callForwardAll: '+19725550000' });
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    const invites = received(gw, 'INVITE');
    expect(invites).toHaveLength(1);
    expect(invites[0]!.uri.toString()).toContain('+19725550000');
    expect(invites[0]!.get('diversion')).toContain('reason=unconditional');
    await d3.stack.ua.bye(r.dialog!);
    await idle();
  });

  it('ISC-03: with ISC off a call to an RD number is a plain PSTN call (the Delay Before Ringing is not involved either)', async () => {
    ts.server.directory.serviceParameters.setMany({ rerouteRemoteDestinationCallsToEnterpriseNumber: false });
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    expect(ts.server.anchored.byCallRef(ts.server.calls.values().next().value!.id)?.origin).not.toBe('isc');
    await sleep(50);
    await d3.stack.ua.bye(r.dialog!);
    await idle();
  });
});
