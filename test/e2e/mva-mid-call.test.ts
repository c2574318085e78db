/**
 * Mid-call features and desk pickup on MVA and EFA two-stage calls (spec §18.4 TS-25 "the call
 * is anchored (`*81` works)", MID-02..04, DPU-01..03; issue #5): once the outbound leg
 * answers, the IVR's call is handed to a B2BCall and the mid-call feature attaches with the
 * caller (the mobile, caller ID matched to RD1) as the user's PSTN leg.
 *
 * Peers on our own SIP stack, through the running server and a real rtpengine: the mobile
 * calls the MVA / EFA number over trunk T's alternate port and keys in with SIP INFO (or RFC
 * 4733 through rtpengine); gateway T answers the outbound leg as party C with its SDP
 * pointing at a UDP counter, so "C hears MoH" is RTP arriving there (nobody else sends RTP);
 * desk D1 registers, subscribes to its line's dialog state (RFC 4235) and picks up with
 * INVITE/Replaces or the desk pickup code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Dialog } from '../../src/sip/dialog/dialog.js';
import { isHeld, parseDialogInfo, replacesForDialog, type DialogInfo } from '../../src/sip/extensions/dialog-info.js';
import { serializeReplaces } from '../../src/sip/extensions/replaces.js';
import type { SipRequest } from '../../src/sip/message/message.js';
import type { MidCallFeature } from '../../src/features/mid-call/index.js';
import { writeDtmfPcap } from './harness/dtmf-pcap.js';
import { freePorts } from './harness/ports.js';
import { runSipp, writeScenarioVariant } from './harness/sipp.js';
import { UdpCounter } from './harness/udp-counter.js';
import { type Peer, authenticatedCall, bind, call, sdp, sleep, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer, subscribeLineDialogs } from './server-fixture.js';

let ts: TestServer;
let mobile: Peer; // U1's mobile (RD1) calling in over trunk T
let gw: Peer; // gateway T: the outbound leg to C lands here
let d1: Peer; // U1's desk phone on 5001
let cMedia: UdpCounter; // C's RTP port: what C hears
let mobilePort = 0;

const MVA = '+14085552345';
const EFA = '+14085556666';
const RD1 = '+14085557890';
const C_DIALLED = '919725553456';
const INFO_DTMF = 'application/dtmf-relay';

beforeAll(async () => {
  const [gwPort, mPort, d1Port, sippPort] = await freePorts(4);
  mobilePort = mPort!;
  // The SIPp mobile of the RFC 4733 test calls from its own port: another alternate of T.
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [mobilePort, sippPort!], dtmfEvents: true });
  sippMobilePort = sippPort!;
  mobile = await startPeer(mobilePort);
  gw = await startPeer(gwPort!);
  d1 = await startPeer(d1Port!);
  cMedia = await UdpCounter.open();
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D1, `sip:d1@127.0.0.1:${d1Port}`)).toBe(200);
  ts.server.directory.serviceParameters.setMany({ dtmfInterDigitTimeoutMs: 1000, ivrInputTimeoutS: 5, enableEnterpriseFeatureAccess: true });
  await subscribeD1();
  await sleep(200);
  baseDialogs = ts.server.sizes().dialogs; // D1's subscription
}, 60_000);
afterAll(async () => {
  for (const p of [mobile, gw, d1]) await p?.close();
  await cMedia?.close();
  await ts?.stop();
});

let baseDialogs = 0;
let sippMobilePort = 0;
beforeEach(() => {
  ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 3000 });
  for (const p of [mobile, gw, d1]) {
    p.received.length = 0;
    p.dialogs.length = 0;
    p.onDialogRequest = () => 200;
    p.onReinvite = (inv) => inv.accept({ body: sdp(p.port + 2), contentType: 'application/sdp' });
  }
  // C answers at once, its media at the counter; a re-INVITE (desk pickup) keeps it there.
  gw.onInvite = (inv) => setTimeout(() => bind(gw, inv.accept({ body: sdp(cMedia.port), contentType: 'application/sdp' })), 100);
  gw.onReinvite = (inv) => inv.accept({ body: sdp(cMedia.port, 2), contentType: 'application/sdp' });
  d1.onInvite = (inv) => inv.reject(486);
});

// ---------------------------------------------------------------- helpers
const received = (p: Peer, method: string): SipRequest[] => p.received.filter((m) => m.method === method);
const midCall = (): MidCallFeature => ts.server.features.find((f) => f.name === 'mid-call') as unknown as MidCallFeature;

/** D1 subscribes to its line's dialog state (answering the digest challenge). */
async function subscribeD1(): Promise<void> {
  const res = await subscribeLineDialogs(ts, d1.stack, d1.port, '5001', ts.fixture.credentials.D1, 'd1-dialog-sub-mva');
  expect(res.status).toBeLessThan(300);
}

function lastDialogs(): DialogInfo[] {
  const last = d1.received.filter((m) => m.method === 'NOTIFY' && m.body.length > 0).at(-1);
  return last === undefined ? [] : parseDialogInfo(last.body).dialogs.filter((d) => d.state === 'confirmed');
}
/** Calls D1 is offered for pickup (held dialogs, DPU-01 / MID-02). */
const heldOffers = (): DialogInfo[] => lastDialogs().filter((d) => isHeld(d));

/** The mobile presses keys with SIP INFO. */
async function press(leg: Dialog, keys: string): Promise<void> {
  for (const k of keys) {
    const res = await mobile.stack.ua.dialogRequest(leg, 'INFO', { body: `Signal=${k}\r\nDuration=160\r\n`, contentType: INFO_DTMF });
    expect(res.status).toBe(200);
  }
}

/** RTP packets C receives within `ms`. */
async function heardByC(ms = 300): Promise<number> {
  const before = cMedia.count;
  await sleep(ms);
  return cMedia.count - before;
}

/**
 * The mobile calls `number` from RD1, keys `keys` in (INFO), C answers the outbound leg and
 * the call is handed to a B2BCall with a mid-call session on it.
 */
async function twoStage(number: string, keys: string[]): Promise<{ mLeg: Dialog; cLeg: Dialog; callId: string }> {
  const r = await call(mobile, ts.udpPort, { from: RD1, to: number });
  expect(r.res.status).toBe(200);
  const mLeg = r.dialog!;
  for (const k of keys) {
    await press(mLeg, k);
    await sleep(150);
  }
  await until(() => gw.dialogs.length === 1, 8000);
  await until(() => midCall().session(mLeg.callId) !== undefined, 3000);
  return { mLeg, cLeg: gw.dialogs[0]!, callId: mLeg.callId };
}
const mvaCall = () => twoStage(MVA, ['1234#', '1', `${C_DIALLED}#`]);
const efaCall = () => twoStage(EFA, ['1234#', '1#', `${C_DIALLED}#`]);

async function idle(): Promise<void> {
  await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === baseDialogs && ts.server.sizes().mediaCalls === 0, 8000);
}

/** *81: C gets MoH and no re-INVITE, D1 is offered the held call; *83: C back to the mobile. */
async function holdAndResume(mLeg: Dialog, callId: string): Promise<void> {
  const s = midCall().session(callId)!;
  expect(s.h.userSide).toBe('a');
  expect(await heardByC()).toBe(0);
  const invitesBefore = received(gw, 'INVITE').length;
  await press(mLeg, '*81');
  await until(() => s.state === 'held');
  expect(await heardByC(), 'MoH at C after *81').toBeGreaterThan(5);
  await until(() => heldOffers().length === 1); // MID-02: hold is offered to the desk
  await press(mLeg, '*83');
  await until(() => s.state === 'connected');
  await sleep(200);
  expect(await heardByC(), 'no MoH after *83').toBe(0);
  await until(() => heldOffers().length === 0);
  // MID-02: hold is media only, the far end never gets a re-INVITE.
  expect(received(gw, 'INVITE').length).toBe(invitesBefore);
}

// ------------------------------------------------------------------ tests
describe('§18.4 TS-25 mid-call features and desk pickup on MVA / EFA two-stage calls', () => {
  beforeEach(async () => {
    await idle();
  });

  it('TS-25 MVA call is anchored: *81 holds the far end (MoH, no re-INVITE), *83 resumes; registered as one MVA call record', async () => {
    const { mLeg, cLeg, callId } = await mvaCall();
    const anchored = ts.server.anchored.list().find((a) => a.id === callId);
    expect(anchored).toMatchObject({ origin: 'mva', user: 'U1' });
    await holdAndResume(mLeg, callId);
    await gw.stack.ua.bye(cLeg);
    await until(() => mLeg.state === 'terminated');
    await idle();
    expect(ts.server.anchored.records().filter((r) => r.id === callId)).toHaveLength(1);
  });

  it('TS-25 MVA with RFC 4733: the mobile keys the IVR and *81 / *83 in the media, rtpengine reports them; C gets MoH, then the mobile again', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'ma-mva-dtmf-'));
    // The PIN, menu choice and number, then (after the bridge) *81 and later *83.
    const keys = [`1234#1${C_DIALLED}#`, '*81', '*83'];
    const pcaps = await Promise.all(keys.map((k, i) => writeDtmfPcap(path.join(work, `k${i}.pcap`), k)));
    const scenario = await writeScenarioVariant(
      'mva-uac-dtmf',
      [
        [
          '<!-- @KEYS@ -->',
          [
            `<nop><action><exec play_pcap_audio="${pcaps[0]}" /></action></nop>`,
            '<pause milliseconds="9000" />',
            `<nop><action><exec play_pcap_audio="${pcaps[1]}" /></action></nop>`,
            '<pause milliseconds="2500" />',
            `<nop><action><exec play_pcap_audio="${pcaps[2]}" /></action></nop>`,
            '<pause milliseconds="2500" />',
          ].join('\n'),
        ],
      ],
      `mva-mid-call-rfc4733-${process.pid}`,
    );
    const sipp = runSipp({ scenario, remote: `127.0.0.1:${ts.udpPort}`, port: sippMobilePort, service: MVA, set: { from: RD1, hangup: '1' }, timeoutS: 40 });
    await until(() => gw.dialogs.length === 1, 15_000);
    // The bridged call becomes a B2BCall with a mid-call session once the server has C's 200.
    await until(() => ts.server.calls.size === 1 && midCall().session([...ts.server.calls.keys()][0]!) !== undefined, 3000);
    const s = midCall().session([...ts.server.calls.keys()][0]!);
    await until(() => s!.state === 'held', 8000);
    expect(await heardByC(), 'MoH after *81').toBeGreaterThan(5);
    await until(() => s!.state === 'connected', 8000);
    await sleep(200);
    // After *83 only relayed telephone-events from the mobile, if any, reach C: no MoH stream.
    expect(await heardByC(400), 'no MoH after *83').toBeLessThan(5);
    const r = await sipp;
    expect(r.code, r.describe()).toBe(0);
    // The SIPp mobile hung up at the end: desk pickup was offered; C hangs up meanwhile.
    await until(() => gw.dialogs[0]!.state === 'terminated' || heldOffers().length === 1, 5000);
    if (gw.dialogs[0]!.state !== 'terminated') await gw.stack.ua.bye(gw.dialogs[0]!);
    await idle();
  }, 60_000);

  it('TS-25 / DPU-01..03 MVA desk pickup: the mobile hangs up, C on MoH, D1 offered the call, INVITE/Replaces moves C to D1', async () => {
    const { mLeg, cLeg, callId } = await mvaCall();
    await mobile.stack.ua.bye(mLeg);
    expect(await heardByC(), 'MoH while the desk is offered the call').toBeGreaterThan(5);
    await until(() => heldOffers().length === 1);
    expect(midCall().session(callId)!.state).toBe('pickupPending');
    const p = await authenticatedCall(d1, ts.udpPort, ts.fixture.credentials.D1, '5001', { replaces: serializeReplaces(replacesForDialog(heldOffers()[0]!)!) });
    expect(p.res.status).toBe(200);
    // C's leg is re-INVITEd towards the desk; MoH stops; the offer is gone.
    await until(() => received(gw, 'INVITE').length === 2);
    await until(() => heldOffers().length === 0);
    await sleep(200);
    expect(await heardByC()).toBe(0);
    expect(cLeg.state).toBe('confirmed');
    expect(midCall().session(callId)!.state).toBe('moved');
    await gw.stack.ua.bye(cLeg);
    await until(() => p.dialog!.state === 'terminated');
    await idle();
  });

  it('DPU-04 on an MVA call: nobody picks up, C gets BYE after maxWaitTimeForDeskPickupMs', async () => {
    ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 1000 });
    const { mLeg, cLeg } = await mvaCall();
    const t0 = Date.now();
    await mobile.stack.ua.bye(mLeg);
    await until(() => cLeg.state === 'terminated', 4000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await until(() => heldOffers().length === 0);
    await idle();
  });

  it('TS-25 for EFA two-stage dialling (EFA-03): *81 holds C with MoH and no re-INVITE, *83 resumes', async () => {
    const { mLeg, cLeg, callId } = await efaCall();
    expect(ts.server.anchored.list().find((a) => a.id === callId)).toMatchObject({ origin: 'efa', user: 'U1' });
    await holdAndResume(mLeg, callId);
    await mobile.stack.ua.bye(mLeg);
    // Desk pickup offered after the mobile left; C hangs up instead.
    await until(() => heldOffers().length === 1);
    await gw.stack.ua.bye(cLeg);
    await until(() => heldOffers().length === 0);
    await idle();
  });

  it('DPU-03 EFA desk pickup with the pickup code: the mobile hangs up, D1 dials *9504 and takes C', async () => {
    const { mLeg, cLeg, callId } = await efaCall();
    await mobile.stack.ua.bye(mLeg);
    await until(() => heldOffers().length === 1);
    expect(await heardByC()).toBeGreaterThan(5);
    const code = ts.server.directory.mobilityParameters().deskPickupCode;
    const p = await authenticatedCall(d1, ts.udpPort, ts.fixture.credentials.D1, code);
    expect(p.res.status).toBe(200);
    await until(() => received(gw, 'INVITE').length === 2);
    await until(() => heldOffers().length === 0);
    await sleep(200);
    expect(await heardByC()).toBe(0);
    expect(midCall().session(callId)!.state).toBe('moved');
    await d1.stack.ua.bye(p.dialog!);
    await until(() => cLeg.state === 'terminated');
    await idle();
  });
});
