/**
 * Desk pickup, session handoff and mid-call hold/resume end to end (spec §7, §9, §18.2
 * TS-11…TS-17c, §18.3 TS-18, TS-23) through the running server and a real rtpengine. The
 * peers are UAs on our own SIP stack: C calls U1's DID from trunk T's alternate port, gateway
 * T answers the RD1 fork (the mobile user, who presses keys with SIP INFO and hangs up),
 * desk D1 registers and subscribes to its line's dialog state (RFC 4235) and picks calls up
 * with INVITE/Replaces. "C hears MoH" is checked by counting the RTP rtpengine sends to C's
 * media port (nobody else sends RTP here).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../src/sip/dialog/dialog.js';
import { isHeld, parseDialogInfo, replacesForDialog, type DialogInfo } from '../../src/sip/extensions/dialog-info.js';
import { serializeReplaces } from '../../src/sip/extensions/replaces.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/message.js';
import type { IncomingInvite } from '../../src/sip/ua/incoming-invite.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeDtmfPcap } from './harness/dtmf-pcap.js';
import { freePorts } from './harness/ports.js';
import { startSippServer, writeScenarioVariant } from './harness/sipp.js';
import { UdpCounter } from './harness/udp-counter.js';
import { type Peer, authenticatedCall, bind, call, sdp, sleep, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer, subscribeLineDialogs } from './server-fixture.js';
import { AccountStore } from '../../src/api/auth/accounts.js';

let ts: TestServer;
let c: Peer; // the far party C (PSTN, inbound over T)
let gw: Peer; // gateway T: where the RD1 fork goes; plays the mobile user
let d1: Peer; // U1's desk phone on 5001
let d3: Peer; // X's desk phone on 2000: transfer target, park retriever
let efa2: Peer; // the mobile's second call (EFA2), over trunk T
let cMedia: UdpCounter; // C's RTP port: what C hears

const U1_DID = '4085551234';
const INFO_DTMF = 'application/dtmf-relay';

beforeAll(async () => {
  const [gwPort, cPort, d1Port, d3Port, efaPort] = await freePorts(5);
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [cPort!, efaPort!], dtmfEvents: true });
  d3 = await startPeer(d3Port!);
  efa2 = await startPeer(efaPort!);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
  c = await startPeer(cPort!);
  gw = await startPeer(gwPort!);
  d1 = await startPeer(d1Port!);
  cMedia = await UdpCounter.open();
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D1, `sip:d1@127.0.0.1:${d1Port}`)).toBe(200);
  const dir = ts.server.directory;
  dir.remoteDestinations.update('RD1', { delayBeforeRingingMs: 0, answerTooSoonMs: 0, answerTooLateMs: 5000, snrVoicemailPolicy: 'timerControl', enableSnr: true, accessPolicy: 'always', ringSchedule: null });
  dir.lines.update('L5001', { noAnswerRingDurationS: 10 });
  dir.serviceParameters.setMany({ sessionHandoffAlertingTimerS: 1, dtmfInterDigitTimeoutMs: 1000, ivrInputTimeoutS: 5, enableEnterpriseFeatureAccess: true });
  dir.directedParks.create({ id: 'PARK', firstNumber: '7000', lastNumber: '7009', retrievalPrefix: '*71', partition: 'PT-all' } as never);
  await subscribeD1();
  await sleep(200);
  baseDialogs = ts.server.sizes().dialogs; // D1's subscription
});
afterAll(async () => {
  for (const p of [c, gw, d1, d3, efa2]) await p?.close();
  await cMedia?.close();
  await ts?.stop();
});

let deskRinging: IncomingInvite[] = [];
let baseDialogs = 0;
beforeEach(() => {
  ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 1000 });
  for (const p of [c, gw, d1, d3, efa2]) {
    p.received.length = 0;
    p.dialogs.length = 0;
    p.onDialogRequest = () => 200;
    p.onReinvite = (inv) => inv.accept({ body: sdp(p.port + 2), contentType: 'application/sdp' });
  }
  // The desk rings and never answers unless a test says so; the RD answers after 100 ms.
  deskRinging = [];
  d1.onInvite = (inv) => {
    deskRinging.push(inv);
    inv.progress(180);
  };
  gw.onInvite = (inv) => setTimeout(() => bind(gw, inv.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' })), 100);
  d3.onInvite = (inv) => setTimeout(() => bind(d3, inv.accept({ body: sdp(d3.port + 2), contentType: 'application/sdp' })), 100);
});

// ---------------------------------------------------------------- helpers

/** D1 subscribes to its line's dialog state (answering the digest challenge). */
async function subscribeD1(): Promise<void> {
  const res = await subscribeLineDialogs(ts, d1.stack, d1.port, '5001', ts.fixture.credentials.D1, 'd1-dialog-sub');
  expect(res.status).toBeLessThan(300);
}

/** The dialogs the last NOTIFY D1 got shows (RFC 4235 full or partial state). */
function heldOffers(): DialogInfo[] {
  const notifies = d1.received.filter((m) => m.method === 'NOTIFY' && m.body.length > 0);
  const last = notifies.at(-1);
  if (last === undefined) return [];
  return parseDialogInfo(last.body).dialogs.filter((d) => d.state === 'confirmed' && isHeld(d));
}

/** "Remote in use" (TS-01): confirmed dialogs on the line that are not held. */
function inUse(): DialogInfo[] {
  const last = d1.received.filter((m) => m.method === 'NOTIFY' && m.body.length > 0).at(-1);
  if (last === undefined) return [];
  return parseDialogInfo(last.body).dialogs.filter((d) => d.state === 'confirmed' && !isHeld(d));
}

/** C → U1's DID: SNR forks D1 and RD1; RD1 (the gateway) answers. */
async function callAnsweredAtRd(): Promise<{ cLeg: Dialog; rdLeg: Dialog }> {
  const r = await call(c, ts.udpPort, { from: '+19725553456', to: U1_DID, body: sdp(cMedia.port) });
  expect(r.res.status).toBe(200);
  await until(() => gw.dialogs.length === 1);
  return { cLeg: r.dialog!, rdLeg: gw.dialogs[0]! };
}

/** The mobile user presses keys (SIP INFO, application/dtmf-relay). */
async function press(rdLeg: Dialog, keys: string): Promise<void> {
  for (const k of keys) {
    const res = await gw.stack.ua.dialogRequest(rdLeg, 'INFO', { body: `Signal=${k}\r\nDuration=160\r\n`, contentType: INFO_DTMF });
    expect(res.status).toBe(200);
  }
}

/** RTP packets C receives within `ms`. */
async function heardByC(ms = 300): Promise<number> {
  const before = cMedia.count;
  await sleep(ms);
  return cMedia.count - before;
}

/** D1 picks up with INVITE/Replaces naming the offered dialog (digest-authenticated). */
function pickupWithReplaces(replaces: string): Promise<{ res: SipResponse; dialog: Dialog | undefined }> {
  return authenticatedCall(d1, ts.udpPort, ts.fixture.credentials.D1, '5001', { replaces });
}

const received = (p: Peer, method: string): SipRequest[] => p.received.filter((m) => m.method === method);

interface CallView {
  id: string;
  feature: string;
  state: string;
  legs: { leg: string; callId: string | null; from: string | null }[];
}

/** An administrator's API token (the live calls view is admin only). */
let adminToken: string | undefined;
function apiToken(): string {
  if (adminToken === undefined) {
    const accounts = new AccountStore(ts.server.directory.db);
    accounts.create({ username: 'e2e-admin', role: 'admin', passwordHash: 'unused' });
    adminToken = accounts.createToken('e2e-admin').token;
  }
  return adminToken;
}

/** GET /api/v1/calls: the live calls view. */
async function liveCalls(): Promise<CallView[]> {
  const res = await fetch(`http://127.0.0.1:${ts.server.httpPort}/api/v1/calls`, { headers: { authorization: `Bearer ${apiToken()}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { calls: CallView[] }).calls;
}

/** The first `calls` event of the live calls event stream. */
async function streamedCalls(): Promise<CallView[]> {
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:${ts.server.httpPort}/api/v1/calls/stream`, { headers: { authorization: `Bearer ${apiToken()}` }, signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      text += Buffer.from(value).toString('utf8');
      const m = /event: calls\ndata: (.*)\n\n/.exec(text);
      if (m !== null) return (JSON.parse(m[1]!) as { calls: CallView[] }).calls;
    }
  } finally {
    ac.abort();
  }
}

async function idle(): Promise<void> {
  await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === baseDialogs, 5000);
}

// ------------------------------------------------------------------ tests
describe('§18.2 desk pickup, session handoff; §18.3 hold/resume', () => {
  it('TS-11 desk pickup after the RD hangs up: C on MoH, D1 offered a held dialog, INVITE/Replaces moves C to D1, offer cleared', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await gw.stack.ua.bye(rdLeg);
    expect(await heardByC()).toBeGreaterThan(5); // MoH
    await until(() => heldOffers().length === 1);
    const offer = heldOffers()[0]!;
    const p = await pickupWithReplaces(serializeReplaces(replacesForDialog(offer)!));
    expect(p.res.status).toBe(200);
    // C's leg was re-INVITEd towards the desk; MoH stopped; the offer is gone.
    await until(() => received(c, 'INVITE').length === 1);
    await until(() => heldOffers().length === 0);
    await sleep(200);
    expect(await heardByC()).toBe(0);
    expect(ts.server.calls.size).toBe(1);
    expect(cLeg.state).toBe('confirmed');
    await c.stack.ua.bye(cLeg);
    await until(() => p.dialog!.state === 'terminated');
    await idle();
  });

  it('TS-12 desk pickup timer runs out: C gets BYE after maxWaitTimeForDeskPickupMs', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    const t0 = Date.now();
    await gw.stack.ua.bye(rdLeg);
    await until(() => cLeg.state === 'terminated', 4000);
    const after = Date.now() - t0;
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(2500);
    await until(() => heldOffers().length === 0);
    await idle();
  });

  it('TS-13 pickup window 0: C is released at once, no MoH', async () => {
    ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 0 });
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    const t0 = Date.now();
    await gw.stack.ua.bye(rdLeg);
    await until(() => cLeg.state === 'terminated', 2000);
    expect(Date.now() - t0).toBeLessThan(500);
    await idle();
  });

  it('TS-18 hold and resume: *81 gives C MoH, *83 brings C back to RD1; the digits are passed through to C', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await until(() => inUse().length === 1); // TS-01: D1 sees "remote in use"
    expect(await heardByC()).toBe(0);
    await press(rdLeg, '*81');
    expect(await heardByC()).toBeGreaterThan(5);
    await until(() => heldOffers().length === 1); // MID-02: offered to the desk (no timer)
    await press(rdLeg, '*83');
    await sleep(200);
    expect(await heardByC()).toBe(0);
    await until(() => heldOffers().length === 0 && inUse().length === 1);
    // D-07: C got the digits too (INFO relayed).
    expect(received(c, 'INFO').length).toBe(6);
    await c.stack.ua.bye(cLeg);
    await until(() => rdLeg.state === 'terminated');
    await until(() => inUse().length === 0);
    await idle();
  });

  it('TS-18 with RFC 4733: a SIPp RD presses *81 then *83 in the media; rtpengine reports the digits; C gets MoH, then RD1 again', async () => {
    const dir = ts.server.directory;
    const work = await mkdtemp(path.join(tmpdir(), 'ma-dtmf-'));
    const scenario = await writeScenarioVariant('rd-uas-keys-rfc4733', [
      ['KEYS_A_PCAP', await writeDtmfPcap(path.join(work, 'star81.pcap'), '*81')],
      ['KEYS_B_PCAP', await writeDtmfPcap(path.join(work, 'star83.pcap'), '*83')],
    ]);
    const [sippPort] = await freePorts(1);
    const rd = await startSippServer({ scenario, port: sippPort!, calls: 1, durationMs: 1500 });
    const trunkPort = dir.getTrunk('T')!.port;
    dir.trunks.update('T', { port: sippPort! });
    try {
      const withEvents = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${cMedia.port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;
      const r = await call(c, ts.udpPort, { from: '+19725553456', to: U1_DID, body: withEvents });
      expect(r.res.status).toBe(200);
      const feature = ts.server.features.find((f) => f.name === 'mid-call') as unknown as { session(id: string): { state: string } | undefined };
      const state = () => feature.session(ts.server.calls.values().next().value?.id ?? '')?.state;
      // *81 is played 800 ms after the ACK, *83 1.5 s later (the scenario's pauses).
      await until(() => state() === 'held', 5000);
      expect(await heardByC(300), 'MoH after *81').toBeGreaterThan(5);
      await until(() => state() === 'connected', 5000);
      await sleep(200);
      // After *83 only the RD's own (relayed) telephone-event packets, if any, reach C: no MoH stream.
      expect(await heardByC(400), 'no MoH after *83').toBeLessThan(5);
      await c.stack.ua.bye(r.dialog!);
      const res = await rd.stop();
      expect(res.code, res.describe()).toBe(0);
      await idle();
    } finally {
      dir.trunks.update('T', { port: trunkPort });
    }
  });

  it('TS-14 hold, then hang up, then late resume: no pickup timer after *81; D1 resumes with Replaces', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await press(rdLeg, '*81');
    await until(() => heldOffers().length === 1);
    await gw.stack.ua.bye(rdLeg);
    await sleep(1500); // longer than maxWaitTimeForDeskPickupMs (1 s)
    expect(cLeg.state).toBe('confirmed');
    expect(await heardByC()).toBeGreaterThan(5);
    const p = await pickupWithReplaces(serializeReplaces(replacesForDialog(heldOffers()[0]!)!));
    expect(p.res.status).toBe(200);
    await until(() => heldOffers().length === 0);
    await c.stack.ua.bye(cLeg);
    await until(() => p.dialog!.state === 'terminated');
    await idle();
  });

  it('TS-23 exclusive hold is not offered: *82, RD BYE; an INVITE/Replaces naming C\'s dialog gets 481; C stays on MoH with no timer', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    const server = ts.server.calls.values().next().value!;
    await press(rdLeg, '*82');
    expect(await heardByC()).toBeGreaterThan(5);
    await gw.stack.ua.bye(rdLeg);
    expect(heldOffers()).toHaveLength(0);
    const far = server.legOf('a')!;
    const p = await pickupWithReplaces(`${far.callId};to-tag=${far.localTag};from-tag=${far.remoteTag}`);
    expect(p.res.status).toBe(481);
    await sleep(1500);
    expect(cLeg.state).toBe('confirmed');
    expect(await heardByC()).toBeGreaterThan(5);
    await c.stack.ua.bye(cLeg);
    await idle();
  });

  it('TS-15 session handoff answered: *74 rings D1 (no Diversion), C is not held, D1 answers, C moves to D1, RD1 gets BYE', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await sleep(100);
    const desksBefore = deskRinging.length;
    await press(rdLeg, '*74');
    await until(() => deskRinging.length === desksBefore + 1);
    const inv = deskRinging.at(-1)!;
    expect(inv.request.get('diversion')).toBeUndefined();
    expect(inv.request.from.uri.toString()).toBe('sip:+19725553456@127.0.0.1'); // the far party
    expect(inv.request.body.length).toBe(0); // late offer: the desk offers in its 200
    expect(await heardByC()).toBe(0); // HO-01: no MoH while the desk rings
    const deskLeg = bind(d1, inv.accept({ body: sdp(d1.port + 2), contentType: 'application/sdp' }));
    await until(() => rdLeg.state === 'terminated', 3000);
    expect(received(c, 'INVITE')).toHaveLength(1); // C re-INVITEd towards the desk
    expect(ts.server.calls.size).toBe(1);
    await c.stack.ua.bye(cLeg);
    await until(() => deskLeg.state === 'terminated');
    await idle();
  });

  it('TS-16 session handoff not answered: D1 is CANCELled after the alerting timer, C↔RD1 goes on', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await sleep(100);
    const desksBefore = deskRinging.length;
    const t0 = Date.now();
    await press(rdLeg, '*74');
    await until(() => deskRinging.length === desksBefore + 1);
    const inv = deskRinging.at(-1)!;
    await until(() => inv.finalStatus === 487, 3000);
    const after = Date.now() - t0;
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(2000);
    expect(rdLeg.state).toBe('confirmed');
    expect(cLeg.state).toBe('confirmed');
    await c.stack.ua.bye(cLeg);
    await until(() => rdLeg.state === 'terminated');
    await idle();
  });

  it('TS-17c *74 with no registered desk: nothing is sent, C↔RD1 goes on', async () => {
    const cred = ts.fixture.credentials.D1;
    expect(await registerContact(ts.udpPort, cred, `sip:d1@127.0.0.1:${d1.port}`, 0)).toBe(200);
    try {
      const { cLeg, rdLeg } = await callAnsweredAtRd();
      const invitesBefore = received(d1, 'INVITE').length;
      await press(rdLeg, '*74');
      await sleep(500);
      expect(received(d1, 'INVITE').length).toBe(invitesBefore);
      expect(rdLeg.state).toBe('confirmed');
      await c.stack.ua.bye(cLeg);
      await until(() => rdLeg.state === 'terminated');
      await idle();
    } finally {
      expect(await registerContact(ts.udpPort, cred, `sip:d1@127.0.0.1:${d1.port}`)).toBe(200);
    }
  });

  /** C → U1's DID answered at the desk (the RD fork rings and is CANCELled). */
  async function callAnsweredAtDesk(): Promise<{ cLeg: Dialog; deskLeg: Dialog }> {
    gw.onInvite = (inv) => inv.progress(180);
    d1.onInvite = (inv) => setTimeout(() => bind(d1, inv.accept({ body: sdp(d1.port + 2), contentType: 'application/sdp' })), 50);
    const r = await call(c, ts.udpPort, { from: '+19725553456', to: U1_DID, body: sdp(cMedia.port) });
    expect(r.res.status).toBe(200);
    await until(() => d1.dialogs.length === 1);
    await sleep(100);
    gw.received.length = 0;
    return { cLeg: r.dialog!, deskLeg: d1.dialogs[0]! };
  }
  const notifiesTo = (p: Peer, dialog: Dialog): number[] =>
    p.received.filter((m) => m.method === 'NOTIFY' && m.callId === dialog.callId).map((m) => Number(/^SIP\/2\.0 (\d{3})/.exec(m.bodyText)?.[1]));
  const SEND_TO_MOBILE = '<sip:*9503@127.0.0.1>';

  it('TS-17a send call to mobile: REFER from the desk, 202, C on MoH, RD1 rings and answers: C↔RD1, NOTIFY 200, BYE to the desk', async () => {
    ts.server.directory.remoteDestinations.update('RD1', { mobilePhone: true });
    const { cLeg, deskLeg } = await callAnsweredAtDesk();
    let answer: (() => void) | undefined;
    gw.onInvite = (inv) => {
      inv.progress(180);
      answer = () => bind(gw, inv.accept({ body: sdp(gw.port + 2), contentType: 'application/sdp' }));
    };
    const res = await d1.stack.ua.dialogRequest(deskLeg, 'REFER', { headers: { 'refer-to': SEND_TO_MOBILE } });
    expect(res.status).toBe(202);
    await until(() => answer !== undefined);
    const inv = received(gw, 'INVITE')[0]!;
    expect(inv.uri.toString()).toContain('+14085557890');
    expect(await heardByC()).toBeGreaterThan(5); // RDPU-05: MoH while the RD rings
    answer!();
    await until(() => deskLeg.state === 'terminated', 3000);
    expect(notifiesTo(d1, deskLeg)).toEqual([100, 180, 200]);
    await sleep(200);
    expect(await heardByC()).toBe(0); // MoH stopped: C talks to RD1
    expect(ts.server.calls.size).toBe(1);
    await c.stack.ua.bye(cLeg);
    await until(() => gw.dialogs.at(-1)!.state === 'terminated');
    await idle();
  });

  it('TS-17b send call to mobile with no mobile-phone RD: 202, NOTIFY 403, no INVITE to T, the desk call goes on', async () => {
    ts.server.directory.remoteDestinations.update('RD1', { mobilePhone: false });
    try {
      const { cLeg, deskLeg } = await callAnsweredAtDesk();
      const res = await d1.stack.ua.dialogRequest(deskLeg, 'REFER', { headers: { 'refer-to': '<sip:*9503@phones.example.com>' } });
      expect(res.status).toBe(202);
      await until(() => notifiesTo(d1, deskLeg).includes(403));
      await sleep(200);
      expect(received(gw, 'INVITE')).toHaveLength(0);
      expect(deskLeg.state).toBe('confirmed');
      expect(await heardByC()).toBe(0);
      await c.stack.ua.bye(cLeg);
      await until(() => deskLeg.state === 'terminated');
      await idle();
    } finally {
      ts.server.directory.remoteDestinations.update('RD1', { mobilePhone: true });
    }
  });

  it('TS-17 (b) nobody answers: RD1 CANCELled at Answer Too Late, NOTIFY 480, C stays on MoH; the desk resumes with a re-INVITE', async () => {
    ts.server.directory.remoteDestinations.update('RD1', { mobilePhone: true, answerTooLateMs: 1000 });
    try {
      const { cLeg, deskLeg } = await callAnsweredAtDesk();
      let rdInvite: IncomingInvite | undefined;
      gw.onInvite = (inv) => {
        rdInvite = inv;
        inv.progress(180);
      };
      const t0 = Date.now();
      expect((await d1.stack.ua.dialogRequest(deskLeg, 'REFER', { headers: { 'refer-to': SEND_TO_MOBILE } })).status).toBe(202);
      await until(() => rdInvite?.finalStatus === 487, 3000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      await until(() => notifiesTo(d1, deskLeg).includes(480));
      expect(deskLeg.state).toBe('confirmed');
      expect(await heardByC()).toBeGreaterThan(5);
      const re = await new Promise<SipResponse>((resolve) => {
        d1.stack.ua.reinvite(deskLeg, { body: sdp(d1.port + 2, 2), contentType: 'application/sdp' }, { onAnswer: resolve, onFailure: resolve });
      });
      expect(re.status).toBe(200);
      await sleep(200);
      expect(await heardByC()).toBe(0);
      await c.stack.ua.bye(cLeg);
      await until(() => deskLeg.state === 'terminated');
      await idle();
    } finally {
      ts.server.directory.remoteDestinations.update('RD1', { answerTooLateMs: 5000 });
    }
  });

  /** The EFA second call from RD1's number (answered without a prompt), then keys. */
  async function efaCall(keys: string): Promise<Dialog> {
    const r = await call(efa2, ts.udpPort, { from: '+14085557890', to: '+14085556666' });
    expect(r.res.status).toBe(200);
    for (const k of keys) await efa2.stack.ua.dialogRequest(r.dialog!, 'INFO', { body: `Signal=${k}\r\nDuration=160\r\n`, contentType: INFO_DTMF });
    return r.dialog!;
  }
  async function pressOn(p: Peer, leg: Dialog, keys: string): Promise<void> {
    for (const k of keys) await p.stack.ua.dialogRequest(leg, 'INFO', { body: `Signal=${k}\r\nDuration=160\r\n`, contentType: INFO_DTMF });
  }

  it('TS-19 consultative transfer through EFA: *82, EFA2 1234#*84#2000#, D3 answers (From 5001), *84: C↔D3, both RD1 legs released', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await press(rdLeg, '*82');
    expect(await heardByC()).toBeGreaterThan(5);
    expect(heldOffers()).toHaveLength(0); // exclusive: not offered to D1
    const e = await efaCall('1234#*84#2000#');
    await until(() => d3.dialogs.length === 1, 5000);
    expect(received(d3, 'INVITE')[0]!.from.uri.toString()).toContain('5001');
    await pressOn(efa2, e, '*84');
    await until(() => rdLeg.state === 'terminated' && e.state === 'terminated', 5000);
    // C was re-INVITEd towards D3 (which got an offerless re-INVITE); MoH stopped.
    await until(() => received(c, 'INVITE').length === 1);
    expect(received(d3, 'INVITE').at(-1)!.body.length).toBe(0);
    await sleep(200);
    expect(await heardByC()).toBe(0);
    expect(ts.server.calls.size).toBe(1);
    await c.stack.ua.bye(cLeg);
    await until(() => d3.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('TS-20 early attended transfer: *84 while D3 rings; C hears D3 ringing, and C↔D3 when D3 answers', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    let answerD3: (() => void) | undefined;
    d3.onInvite = (inv) => {
      inv.progress(180);
      answerD3 = () => bind(d3, inv.accept({ body: sdp(d3.port + 2), contentType: 'application/sdp' }));
    };
    await press(rdLeg, '*82');
    const e = await efaCall('1234#*84#2000#');
    await until(() => answerD3 !== undefined, 5000);
    await pressOn(efa2, e, '*84');
    await until(() => rdLeg.state === 'terminated' && e.state === 'terminated', 5000);
    expect(await heardByC()).toBeGreaterThan(5); // ringback
    answerD3!();
    await until(() => received(c, 'INVITE').length === 1, 5000);
    await sleep(200);
    expect(await heardByC()).toBe(0);
    await c.stack.ua.bye(cLeg);
    await until(() => d3.dialogs[0]!.state === 'terminated');
    await idle();
  });

  it('TS-22 directed call park: 1234#*84#7001#*84#; both mobile legs released, C on MoH; D3 dials *717001 and gets C', async () => {
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    await press(rdLeg, '*82');
    const e = await efaCall('1234#*84#7001#*84#');
    await until(() => rdLeg.state === 'terminated' && e.state === 'terminated', 5000);
    expect(cLeg.state).toBe('confirmed');
    expect(await heardByC()).toBeGreaterThan(5);
    const r = await authenticatedCall(d3, ts.udpPort, ts.fixture.credentials.D3, '*717001');
    expect(r.res.status).toBe(200);
    await until(() => received(c, 'INVITE').length === 1);
    await sleep(200);
    expect(await heardByC()).toBe(0);
    await c.stack.ua.bye(cLeg);
    await until(() => r.dialog!.state === 'terminated');
    await idle();
  });

  it('D-20 park reversion: parked on 7101 (range reversionTimeoutS = 1) and not retrieved: D1 and RD1 (SNR) are called, D1 answers and gets C, RD1 is CANCELled, 7101 is free', async () => {
    const dir = ts.server.directory;
    dir.directedParks.create({ id: 'PARK-R', firstNumber: '7100', lastNumber: '7109', retrievalPrefix: '*72', partition: 'PT-all', reversionTimeoutS: 1 });
    try {
      const { cLeg, rdLeg } = await callAnsweredAtRd();
      await press(rdLeg, '*82');
      const e = await efaCall('1234#*84#7101#*84#');
      await until(() => rdLeg.state === 'terminated' && e.state === 'terminated', 5000);
      const parkedAt = Date.now();
      expect(await heardByC()).toBeGreaterThan(5); // parked, on MoH
      // The reversion is a call to U1's line: the desk and, as an SNR fork, RD1 (which rings only, this time).
      const rd1Ringing: IncomingInvite[] = [];
      gw.onInvite = (inv) => {
        rd1Ringing.push(inv);
        inv.progress(180);
      };
      const before = deskRinging.length; // D1 rang (and was CANCELled) for the original SNR call
      await until(() => deskRinging.length === before + 1, 4000);
      expect(Date.now() - parkedAt).toBeGreaterThanOrEqual(600); // not before the reversion timeout (1 s after the park)
      const toDesk = deskRinging.at(-1)!;
      expect(toDesk.request.from.uri.toString()).toContain('+19725553456'); // D1 sees the parked party C
      await until(() => rd1Ringing.length === 1);
      expect(rd1Ringing[0]!.request.uri.toString()).toContain('+14085557890');
      bind(d1, toDesk.accept({ body: sdp(d1.port + 2), contentType: 'application/sdp' }));
      await until(() => rd1Ringing[0]!.finalStatus === 487); // the other reversion leg is CANCELled
      await until(() => received(c, 'INVITE').length === 1, 3000); // C is re-INVITEd towards D1
      await sleep(200);
      expect(await heardByC()).toBe(0); // MoH stopped
      expect(cLeg.state).toBe('confirmed');
      expect(ts.server.calls.size).toBe(1);
      // The park number is free again: nothing to retrieve there.
      const r = await authenticatedCall(d3, ts.udpPort, ts.fixture.credentials.D3, '*727101');
      expect(r.res.status).toBe(404);
      await c.stack.ua.bye(cLeg);
      await until(() => d1.dialogs.at(-1)!.state === 'terminated');
      await idle();
    } finally {
      dir.directedParks.delete('PARK-R');
    }
  });

  it('D-20 a retrieval while the reversion rings wins: D3 gets C, the reversion INVITEs to D1 and RD1 are CANCELled', async () => {
    const dir = ts.server.directory;
    dir.directedParks.create({ id: 'PARK-R2', firstNumber: '7200', lastNumber: '7209', retrievalPrefix: '*73', partition: 'PT-all', reversionTimeoutS: 1 });
    try {
      const { cLeg, rdLeg } = await callAnsweredAtRd();
      await press(rdLeg, '*82');
      const e = await efaCall('1234#*84#7201#*84#');
      await until(() => rdLeg.state === 'terminated' && e.state === 'terminated', 5000);
      const rd1Ringing: IncomingInvite[] = [];
      gw.onInvite = (inv) => {
        rd1Ringing.push(inv);
        inv.progress(180);
      };
      const before = deskRinging.length;
      await until(() => deskRinging.length === before + 1 && rd1Ringing.length === 1, 4000);
      const r = await authenticatedCall(d3, ts.udpPort, ts.fixture.credentials.D3, '*737201');
      expect(r.res.status).toBe(200);
      await until(() => deskRinging.at(-1)!.finalStatus === 487 && rd1Ringing[0]!.finalStatus === 487);
      await until(() => received(c, 'INVITE').length === 1); // C moved to D3
      expect(ts.server.calls.size).toBe(1);
      await c.stack.ua.bye(cLeg);
      await until(() => r.dialog!.state === 'terminated');
      await idle();
    } finally {
      dir.directedParks.delete('PARK-R2');
    }
  });

  it('TS-21 conference: 1234#*85#2000#, D3 answers, *85: C, D3 and the EFA2 leg in a 3-party mix (C hears D3), RD1 released', async () => {
    const dgram = await import('node:dgram');
    const open = async () => {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      const payloads: Buffer[] = [];
      sock.on('message', (m) => payloads.push(m.subarray(12)));
      return { sock, port: sock.address().port, payloads };
    };
    const cMix = await open(); // C's media in the conference
    const d3Mix = await open();
    const { cLeg, rdLeg } = await callAnsweredAtRd();
    // C and D3 offer these ports when re-INVITEd without SDP.
    c.onReinvite = (inv) => inv.accept({ body: sdp(cMix.port, 3), contentType: 'application/sdp' });
    d3.onReinvite = (inv) => inv.accept({ body: sdp(d3Mix.port, 3), contentType: 'application/sdp' });
    await press(rdLeg, '*82');
    const e = await efaCall('1234#*85#2000#');
    await until(() => d3.dialogs.length === 1, 5000);
    await sleep(200);
    await pressOn(efa2, e, '*85');
    await until(() => rdLeg.state === 'terminated', 5000);
    const feature = ts.server.features.find((f) => f.name === 'mid-call') as unknown as { conferences: Set<{ size: number; mixer: { participants(): { localPort: number; remote?: { port: number } }[] } }> };
    await until(() => [...feature.conferences].some((x) => x.size === 3), 5000);
    const conf = [...feature.conferences][0]!;
    expect(e.state).toBe('confirmed'); // the EFA2 leg stays, in the mix
    // The live calls view (GET and the event stream) lists the conference with its three parties.
    for (const list of [await liveCalls(), await streamedCalls()]) {
      const v = list.find((x) => x.feature === 'conference');
      expect(v, JSON.stringify(list)).toBeDefined();
      expect(v!.state).toBe('connected');
      expect(v!.legs.map((l) => `${l.leg}:${l.callId}`).sort()).toEqual([`EFA2:${e.callId}`, `FAR:${cLeg.callId}`, `TARGET:${d3.dialogs[0]!.callId}`].sort());
    }
    // D3 talks (a constant PCMU sample 0x55): C hears it through the mixer, D3 does not hear itself.
    const d3Part = conf.mixer.participants().find((p) => p.remote?.port === d3Mix.port)!;
    expect(d3Part).toBeDefined();
    const voiced = (list: Buffer[]) => list.filter((p) => p.length > 0 && p.every((b) => b === 0x55)).length;
    expect(voiced(cMix.payloads)).toBe(0);
    for (let i = 0; i < 25; i++) {
      const pkt = Buffer.alloc(172, 0x55);
      pkt[0] = 0x80;
      pkt[1] = 0;
      pkt.writeUInt16BE(i, 2);
      pkt.writeUInt32BE(i * 160, 4);
      pkt.writeUInt32BE(0x1234, 8);
      d3Mix.sock.send(pkt, d3Part.localPort, '127.0.0.1');
      await sleep(20);
    }
    await sleep(200);
    expect(voiced(cMix.payloads)).toBeGreaterThan(10);
    expect(voiced(d3Mix.payloads)).toBe(0);
    // Everyone hangs up: the conference ends with the last two.
    await c.stack.ua.bye(cLeg);
    await efa2.stack.ua.bye(e);
    await until(() => d3.dialogs[0]!.state === 'terminated', 3000);
    expect(feature.conferences.size).toBe(0);
    expect((await liveCalls()).filter((x) => x.feature === 'conference')).toHaveLength(0); // gone with it
    cMix.sock.close();
    d3Mix.sock.close();
    await idle();
  });

  it('TS-24b transfer to a blocked number: no INVITE to T, EFA2 gets reorder and BYE, *83 on RD1 reconnects C', async () => {
    ts.server.directory.serviceParameters.setMany({ systemRemoteAccessBlockedNumbers: '9911' });
    try {
      const { cLeg, rdLeg } = await callAnsweredAtRd();
      await press(rdLeg, '*82');
      const gwInvites = received(gw, 'INVITE').length;
      const e = await efaCall('1234#*84#9911#');
      await until(() => e.state === 'terminated', 5000);
      expect(received(gw, 'INVITE').length).toBe(gwInvites);
      expect(await heardByC()).toBeGreaterThan(5); // still on exclusive hold
      await press(rdLeg, '*83');
      await sleep(200);
      expect(await heardByC()).toBe(0);
      await c.stack.ua.bye(cLeg);
      await until(() => rdLeg.state === 'terminated');
      await idle();
    } finally {
      ts.server.directory.serviceParameters.setMany({ systemRemoteAccessBlockedNumbers: '' });
    }
  });

  it('MID-05: an EFA *84 sequence with no call on exclusive hold gets reorder and BYE', async () => {
    const e = await efaCall('1234#*84#2000#');
    await until(() => e.state === 'terminated', 5000);
    expect(received(d3, 'INVITE')).toHaveLength(0);
    await idle();
  });

  it('TS-34 inbound call from an RD is anchored: D3 sees 5001 "Alice" (CLI-01), *81 on the inbound leg holds D3, after its BYE D1 picks up', async () => {
    const d3Media = await UdpCounter.open();
    d3.onInvite = (inv) => setTimeout(() => bind(d3, inv.accept({ body: sdp(d3Media.port), contentType: 'application/sdp' })), 50);
    const heardByD3 = async (ms = 300) => {
      const before = d3Media.count;
      await sleep(ms);
      return d3Media.count - before;
    };
    const r = await call(efa2, ts.udpPort, { from: '+14085557890', to: '4085552999' });
    expect(r.res.status).toBe(200);
    await until(() => d3.dialogs.length === 1);
    const inv = received(d3, 'INVITE')[0]!;
    expect(inv.from.uri.toString()).toContain('sip:5001@');
    expect(inv.from.displayName).toBe('Alice');
    expect(await heardByD3()).toBe(0);
    await pressOn(efa2, r.dialog!, '*81');
    expect(await heardByD3()).toBeGreaterThan(5); // MoH
    await efa2.stack.ua.bye(r.dialog!);
    await until(() => heldOffers().length === 1);
    const p = await pickupWithReplaces(serializeReplaces(replacesForDialog(heldOffers()[0]!)!));
    expect(p.res.status).toBe(200);
    await until(() => received(d3, 'INVITE').length === 2); // D3 re-INVITEd towards D1
    await sleep(200);
    expect(await heardByD3()).toBe(0);
    await d3.stack.ua.bye(d3.dialogs[0]!);
    await until(() => p.dialog!.state === 'terminated');
    await d3Media.close();
    await idle();
  });

  it('an INVITE with Replaces naming no offered dialog gets 481', async () => {
    const p = await pickupWithReplaces('nope@127.0.0.1;to-tag=a;from-tag=b');
    expect(p.res.status).toBe(481);
  });
});

