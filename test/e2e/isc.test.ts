/**
 * Intelligent Session Control and Ring All Shared Lines end to end (spec §12, §18.5 TS-35,
 * TS-36) through the running server and a real rtpengine. Peers are UAs on our own SIP
 * stack: desk D3 (line 2000) dials Alice's mobile, gateway T answers for RD1, desk D1
 * (Alice's line 5001) rings with RASL and takes a session handoff. Alice's other RD, RD2, is
 * reached through a second trunk T2 whose gateway is its own peer: RASL forks it as an SNR
 * fork (ISC-04, ISC-06, D-51).
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
let rd2: Peer; // gateway of trunk T2: Alice's other RD, RD2

const RD2 = '+14085557891';
const RD2_DBR_MS = 600;

beforeAll(async () => {
  const [gwPort, d1Port, d3Port, rd2Port] = await freePorts(4);
  ts = await startTestServer({ trunkPort: gwPort! });
  gw = await startPeer(gwPort!);
  d1 = await startPeer(d1Port!);
  d3 = await startPeer(d3Port!);
  rd2 = await startPeer(rd2Port!);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D1, `sip:d1@127.0.0.1:${d1Port}`)).toBe(200);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
  const dir = ts.server.directory;
  // TS-35: a Delay Before Ringing and an access list blocking D3, both of which ISC must ignore (ISC-04).
  dir.accessLists.create({ id: 'L-D3', name: 'blocked X', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'number', value: '+14085552999' }] });
  dir.remoteDestinations.update('RD1', { delayBeforeRingingMs: 4000, answerTooSoonMs: 1500, enableSnr: true, accessPolicy: { blockedList: 'L-D3' } });
  // RD2 on Alice's RD profile, routed (exact pattern before T's `\+!`) to trunk T2.
  dir.trunks.create({
    id: 'T2',
    name: 'trunk to RD2',
    peerHost: '127.0.0.1',
    port: rd2Port!,
    transport: 'udp',
    trusted: true,
    inboundCss: 'CSS-all',
    inboundRules: [],
    outboundRules: [],
    dtmfMode: ['info'],
    sendDiversionOnMobilityForks: true,
  });
  dir.routePatterns.create({ id: 'RP-RD2', partition: 'PT-all', pattern: '\\+14085557891', target: { kind: 'trunk', id: 'T2' } });
  dir.remoteDestinations.create({
    id: 'RD2',
    name: 'Alice home',
    number: RD2,
    parent: { kind: 'rdProfile', id: 'P1' },
    enableSnr: true,
    snrVoicemailPolicy: 'timerControl',
    delayBeforeRingingMs: RD2_DBR_MS,
    answerTooSoonMs: 1500,
    answerTooLateMs: 19000,
    ringSchedule: null,
  });
});
afterAll(async () => {
  for (const p of [gw, d1, d3, rd2]) await p?.close();
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
  ts.server.directory.remoteDestinations.update('RD2', { accessPolicy: 'always' });
  for (const p of [gw, d1, d3, rd2]) {
    p.received.length = 0;
    p.dialogs.length = 0;
  }
  deskRinging = [];
  d1.onInvite = (inv) => {
    deskRinging.push(inv);
    inv.progress(180);
  };
  gw.onInvite = (inv) => setTimeout(() => bind(gw, inv.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' })), 100);
  // RD2 rings and does not answer unless a test says so.
  rd2.onInvite = (inv) => inv.progress(180);
});

const received = (p: Peer, method: string): SipRequest[] => p.received.filter((m) => m.method === method);

/** D3 dials `to` (answering the digest challenge). */
function d3Dials(to: string): ReturnType<typeof authenticatedCall> {
  return authenticatedCall(d3, ts.udpPort, ts.fixture.credentials.D3, to);
}

async function press(leg: Dialog, keys: string, peer: Peer = gw): Promise<void> {
  for (const k of keys) await peer.stack.ua.dialogRequest(leg, 'INFO', { body: `Signal=${k}\r\nDuration=160\r\n`, contentType: 'application/dtmf-relay' });
}

/** The gateway lets RD1 ring (180) until the test calls the returned function. */
function rd1RingsUntilAnswered(): () => void {
  let pending: IncomingInvite | undefined;
  gw.onInvite = (inv) => {
    inv.progress(180);
    pending = inv;
  };
  return () => {
    if (pending !== undefined) bind(gw, pending.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' }));
  };
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
    expect(received(gw, 'INVITE')).toHaveLength(1); // RASL off: no fork to RD2 either
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
    // RD1 answered within RD2's Delay Before Ringing: RD2 was never called (TS-02 for RASL forks).
    await sleep(RD2_DBR_MS);
    expect(received(rd2, 'INVITE')).toHaveLength(0);
    await d3.stack.ua.bye(r.dialog!);
    await until(() => gw.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('ISC-06 / D-51 RASL forks the owner\'s other RD as an SNR fork: RD2 after its Delay Before Ringing, caller ID and Diversion follow-me (CLI-04); its too-soon answer is dropped, RD1 rings on', async () => {
    ts.server.directory.serviceParameters.setMany({ ringAllSharedLines: true });
    const answerRd1 = rd1RingsUntilAnswered();
    let rd2AnsweredAt = 0;
    rd2.onInvite = (inv) =>
      setTimeout(() => {
        rd2AnsweredAt = Date.now();
        bind(rd2, inv.accept({ body: sdp(rd2.port + 2), contentType: 'application/sdp' }));
      }, 100);
    const dialling = d3Dials('914085557890');
    await until(() => received(gw, 'INVITE').length === 1);
    const rd1At = Date.now();
    await until(() => received(rd2, 'INVITE').length === 1, 3000);
    // §6.2 TMR-01: the RASL fork waits for its Delay Before Ringing; the rerouted leg did not (ISC-04).
    expect(Date.now() - rd1At).toBeGreaterThanOrEqual(RD2_DBR_MS - 100);
    const inv = received(rd2, 'INVITE')[0]!;
    expect(inv.uri.toString()).toContain(RD2);
    expect(inv.from.uri.toString()).toContain('+14085552999'); // the caller (X's DID), passed through
    expect(inv.get('diversion')).toMatch(/^<sip:\+14085551234@127\.0\.0\.1;user=phone>;reason=follow-me$/);
    // TMR-02: RD2 answered 100 ms after its INVITE (< answerTooSoonMs 1500): the server ends its dialog (ACK, then BYE).
    await until(() => rd2.dialogs[0]?.state === 'terminated', 3000);
    expect(Date.now() - rd2AnsweredAt).toBeLessThan(1000);
    expect(deskRinging).toHaveLength(1); // D1 still rings, and so does RD1
    answerRd1();
    const r = await dialling;
    expect(r.res.status).toBe(200);
    expect(ts.server.anchored.byCallRef(ts.server.calls.values().next().value!.id)?.origin).toBe('isc');
    await d3.stack.ua.bye(r.dialog!);
    await until(() => gw.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('ISC-06 / D-51 RD2 answers after Answer Too Soon: it wins, RD1 and D1 are CANCELled, the ISC call is anchored on RD2 (*74 from RD2 rings D1)', async () => {
    ts.server.directory.serviceParameters.setMany({ ringAllSharedLines: true });
    rd1RingsUntilAnswered();
    const rd1Invites: IncomingInvite[] = [];
    const gwRing = gw.onInvite;
    gw.onInvite = (inv) => {
      rd1Invites.push(inv);
      gwRing(inv);
    };
    rd2.onInvite = (inv) => {
      inv.progress(180);
      setTimeout(() => bind(rd2, inv.accept({ body: sdp(rd2.port + 2), contentType: 'application/sdp' })), 1700);
    };
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    expect(received(rd2, 'INVITE')).toHaveLength(1);
    await until(() => rd1Invites[0]?.finalStatus === 487 && deskRinging[0]?.finalStatus === 487);
    const anchored = ts.server.anchored.byCallRef(ts.server.calls.values().next().value!.id)!;
    expect(anchored.origin).toBe('isc');
    expect(anchored.userLegs.map((l) => l.role)).toEqual(['RD']);
    // §9 on the RASL leg: *74 from RD2 hands the call to the desk.
    const rd2Leg = rd2.dialogs[0]!;
    await press(rd2Leg, '*74', rd2);
    await until(() => deskRinging.length === 2);
    bind(d1, deskRinging[1]!.accept({ body: sdp(d1.port + 2), contentType: 'application/sdp' }));
    await until(() => rd2Leg.state === 'terminated', 3000);
    await d3.stack.ua.bye(r.dialog!);
    await until(() => d1.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('ISC-04 / ACL: an access list blocking the caller keeps RD2 (a RASL fork) out, while the dialled RD1 with the same list is still called', async () => {
    ts.server.directory.serviceParameters.setMany({ ringAllSharedLines: true });
    ts.server.directory.remoteDestinations.update('RD2', { accessPolicy: { blockedList: 'L-D3' } });
    // RD1 answers after RD2's Delay Before Ringing would have passed.
    gw.onInvite = (inv) => setTimeout(() => bind(gw, inv.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' })), RD2_DBR_MS + 400);
    const r = await d3Dials('914085557890');
    expect(r.res.status).toBe(200);
    expect(received(gw, 'INVITE')).toHaveLength(1);
    expect(received(rd2, 'INVITE')).toHaveLength(0);
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

describe('§12 ISC-06 / DM-02: the dialled number is the MI of a registered mobile client', () => {
  const MI2 = '914085551111'; // Bob's mobility identity (+14085551111) on client M1, line 5002
  let m1: Peer; // M1's VoIP registration
  let contact = '';

  beforeAll(async () => {
    const [port] = await freePorts(1);
    m1 = await startPeer(port!);
  });
  afterAll(async () => {
    if (contact !== '') await registerContact(ts.udpPort, ts.fixture.credentials.M1, contact, 0);
    await m1?.close();
  });
  beforeEach(() => {
    m1.received.length = 0;
    m1.dialogs.length = 0;
    m1.onInvite = (inv) => setTimeout(() => bind(m1, inv.accept({ body: sdp(m1.port + 2), contentType: 'application/sdp' })), 100);
  });

  async function registerM1(params: string): Promise<void> {
    if (contact !== '') expect(await registerContact(ts.udpPort, ts.fixture.credentials.M1, contact, 0)).toBe(200);
    contact = `sip:m1@127.0.0.1:${m1.port}${params}`;
    expect(await registerContact(ts.udpPort, ts.fixture.credentials.M1, contact)).toBe(200);
  }

  it('VoIP inbound mode: the VoIP registration rings instead of the cellular leg (no INVITE to the trunk)', async () => {
    await registerM1('');
    const r = await d3Dials(MI2);
    expect(r.res.status).toBe(200);
    expect(received(m1, 'INVITE')).toHaveLength(1);
    expect(received(gw, 'INVITE')).toHaveLength(0);
    expect(ts.server.anchored.byCallRef(ts.server.calls.values().next().value!.id)?.origin).toBe('isc');
    await d3.stack.ua.bye(r.dialog!);
    await until(() => m1.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('"SNR inbound" mode (DM-04, DVO enabled): the cellular leg rings and the VoIP registration does not', async () => {
    await registerM1(';mobility-inbound=snr');
    const r = await d3Dials(MI2);
    expect(r.res.status).toBe(200);
    const invites = received(gw, 'INVITE');
    expect(invites).toHaveLength(1);
    expect(invites[0]!.uri.toString()).toContain('+14085551111');
    expect(received(m1, 'INVITE')).toHaveLength(0);
    await d3.stack.ua.bye(r.dialog!);
    await until(() => gw.dialogs[0]!.state === 'terminated');
    await idle();
  });
});
