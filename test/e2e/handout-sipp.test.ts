/**
 * Spec §18.8 dual-mode hand-out (TS-56, TS-57, TS-58, TS-58b; HOUT-02, HOUT-03, DM-01, D-22,
 * D-50) end to end with SIPp peers only, through the running server and a real rtpengine
 * (issue #5). The same scenarios run with UAs on our own stack in handout.test.ts; here every
 * party is a SIPp process on 127.0.0.1:
 *  - C, the far party (sipp-scenarios/far-uac-mobility.xml): calls Bob's DID from trunk T's
 *    alternate port, answers re-INVITEs, hangs up when the test pokes it. Its SDP names a
 *    UdpCounter: what C hears is counted per RTP SSRC.
 *  - M1, Bob's registered mobile client (sipp-scenarios/handout-m1-uas.xml, at the contact
 *    the test registers with M1's fixture credentials): answers C's call over VoIP and talks
 *    (a copy of g711a.pcap with its SSRC changed to M1_SSRC, so C can tell M1 from the
 *    cellular leg); when poked it REFERs the call to handoutUri (method 1) and answers the
 *    NOTIFYs; it talks on if the hand-out fails.
 *  - gateway T delivering the server's call to MI2 +14085551111 (method 1):
 *    sipp-scenarios/handout-mi-uas.xml (rings, answers, talks: g711a.pcap, TALK_SSRC) or
 *    uas-noanswer.xml (rings until CANCELled).
 *  - the phone calling the handoff number over cellular (method 2), as T delivers it from
 *    another alternate port: sipp-scenarios/handout-cell-uac.xml (talks once answered:
 *    TALK_SSRC; or expects a final error).
 * Sequencing without timing assumptions: a SIPp peer waits at a <recv request="OPTIONS"/> and
 * the test "pokes" it (one OPTIONS datagram with the call's Call-ID, not answered). Every SIPp
 * run must end with exit code 0 and its call successful; the scenarios fail on any request
 * they do not expect (e.g. a BYE to M1 before the REFER's final NOTIFY, a re-INVITE to M1).
 */
import dgram from 'node:dgram';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MidCallSession } from '../../src/features/mid-call/session.js';
import { findMessages, header, summarize, type SippMessage } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { startSippServer, cleanUpAfterFailure, writeScenarioVariant, type SippResult, type SippServer } from './harness/sipp.js';
import { UdpCounter, type ReceivedPacket } from './harness/udp-counter.js';
import { sleep, until } from './harness/wait.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';
import { sippTime } from '../features/dvo/e2e-helpers.js';

let ts: TestServer;
let gwPort: number; // gateway T: the hand-out INVITE to MI2
let cPort: number; // trunk T's alternate port: SIPp C
let cellPort: number; // trunk T's other alternate port: MI2 calling the handoff number
let m1Port: number; // M1's registered contact: SIPp M1
let cMedia: UdpCounter; // C's RTP port: what C hears
let m1Scenario: string; // handout-m1-uas.xml talking with M1_SSRC

const BOB_DID = '4085552000';
const C_NUMBER = '+19725553456';
const MI2 = '+14085551111';
const HANDOFF = '+14085553000';
const HANDOUT_URI = '<sip:*9505@127.0.0.1>';
const PT_EVENT = 101;
const TEST_TIMEOUT = 60_000;
/** Delay Before Ringing of MI2: the hand-out leg must not wait for it (DM-01). */
const MI2_DELAY_BEFORE_RINGING_MS = 4000;
/** Answer Too Late of MI2, short (spec default 19 s): the hand-out leg is CANCELled then (D-50). */
const MI2_ANSWER_TOO_LATE_MS = 2500;
/** The RTP SSRC in /usr/share/sip-tester/g711a.pcap: the cellular leg talking (rtpengine relays it unchanged). */
const TALK_SSRC = 0xdee0ee8f;
/** M1 talks with the same capture, its SSRC rewritten. */
const M1_SSRC = 0x4d310001;

beforeAll(async () => {
  [gwPort, cPort, cellPort, m1Port] = (await freePorts(4)) as [number, number, number, number];
  ts = await startTestServer({ trunkPort: gwPort, trunkAlternatePorts: [cPort, cellPort] });
  cMedia = await UdpCounter.open({ keep: 50_000 });
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.M1, `sip:m1@127.0.0.1:${m1Port}`)).toBe(200);
  const dir = ts.server.directory;
  dir.serviceParameters.setMany({ handoffNumber: '\\+14085553000', handoffPartition: 'PT-all' });
  dir.remoteDestinations.update('MI2', { delayBeforeRingingMs: MI2_DELAY_BEFORE_RINGING_MS, answerTooSoonMs: 300, answerTooLateMs: MI2_ANSWER_TOO_LATE_MS });
  // M1's voice: g711a.pcap with another SSRC (SIPp sends the UDP payloads as they are).
  const work = await mkdtemp(path.join(tmpdir(), 'ma-handout-sipp-'));
  const pcap = await readFile('/usr/share/sip-tester/g711a.pcap');
  const from = Buffer.alloc(4);
  from.writeUInt32BE(TALK_SSRC);
  const to = Buffer.alloc(4);
  to.writeUInt32BE(M1_SSRC);
  let n = 0;
  for (let i = pcap.indexOf(from); i >= 0; i = pcap.indexOf(from, i + 4)) {
    to.copy(pcap, i);
    n++;
  }
  expect(n).toBeGreaterThan(100);
  const m1Pcap = path.join(work, 'm1-voice.pcap');
  await writeFile(m1Pcap, pcap);
  m1Scenario = await writeScenarioVariant('handout-m1-uas', [['/usr/share/sip-tester/g711a.pcap', m1Pcap]], 'handout-m1-uas-m1voice');
});
afterAll(async () => {
  cMedia?.close();
  await ts?.stop();
});

beforeEach(async () => {
  await idle();
  cMedia.reset();
});

// A failed test must not leave peers or calls behind for the next one.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  await cleanUpAfterFailure(ts.server.calls.values(), idle);
});

// ---------------------------------------------------------------- helpers
async function idle(ms = 8000): Promise<void> {
  try {
    await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === 0, ms);
  } catch {
    throw new Error(`server not idle after ${ms} ms: ${JSON.stringify(ts.server.sizes())}`);
  }
}

async function untilAsync(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Poke a SIPp peer waiting at <recv request="OPTIONS"/> in the call `callId`. */
async function poke(port: number, callId: string): Promise<void> {
  const branch = `z9hG4bK-poke-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const msg =
    `OPTIONS sip:poke@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=${branch}\r\n` +
    `From: <sip:test@127.0.0.1>;tag=poke\r\nTo: <sip:sipp@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => sock.send(Buffer.from(msg), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  } finally {
    sock.close();
  }
}

/** The mid-call session of the (only) call. */
function session(): MidCallSession | undefined {
  const feature = ts.server.features.find((f) => f.name === 'mid-call') as unknown as { session(id: string): MidCallSession | undefined };
  const call = ts.server.calls.values().next().value;
  return call === undefined ? undefined : feature.session(call.id);
}

// --- what C hears
const voiceSince = (t0: number): ReceivedPacket[] => cMedia.packets.filter((p) => p.at >= t0 && p.rtp !== undefined && p.rtp.payloadType !== PT_EVENT);
const fromSsrc = (t0: number, ssrc: number): number => voiceSince(t0).filter((p) => p.rtp!.ssrc === ssrc >>> 0).length;
const describeHeard = (t0: number): string => {
  const by = new Map<string, number>();
  for (const p of voiceSince(t0)) by.set(p.rtp!.ssrc.toString(16), (by.get(p.rtp!.ssrc.toString(16)) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries(by));
};
/** Wait until C hears at least 10 packets of `who`'s stream (SSRC) after `t0`. */
async function untilHeard(who: string, ssrc: number, t0: number, ms = 5000): Promise<void> {
  try {
    await until(() => fromSsrc(t0, ssrc) >= 10, ms);
  } catch {
    throw new Error(`C did not hear ${who} (SSRC ${ssrc.toString(16)}) in ${ms} ms; heard per SSRC since: ${describeHeard(t0)}`);
  }
}
/** Wait until C hears at least 10 packets from neither M1 nor the cellular leg (MoH) after `t0`. */
async function untilHeardOther(what: string, t0: number, ms = 5000): Promise<void> {
  const n = (): number => voiceSince(t0).filter((p) => p.rtp!.ssrc !== TALK_SSRC && p.rtp!.ssrc !== M1_SSRC).length;
  try {
    await until(() => n() >= 10, ms);
  } catch {
    throw new Error(`C did not hear ${what} in ${ms} ms; heard per SSRC since: ${describeHeard(t0)}`);
  }
}
/** Packets of `ssrc` C hears during `ms`. */
async function heardFor(ms: number, ssrc: number): Promise<number> {
  const t0 = Date.now();
  await sleep(ms);
  return fromSsrc(t0, ssrc);
}

// --- SIPp peers
let seq = 0;
const uniq = (what: string): string => `${what}-${process.pid}-${++seq}`;

/** A SIPp run's result; the run must have succeeded (exit 0, one successful call, none failed). */
function expectOk(r: SippResult): void {
  expect(r.code, r.describe()).toBe(0);
  expect(r.stats?.successful, r.describe()).toBe(1);
  expect(r.stats?.failed, r.describe()).toBe(0);
}
const got = (r: { parsed: SippMessage[] }, method: string): SippMessage[] => findMessages(r.parsed, { direction: 'received', method });
const sipfrags = (r: { parsed: SippMessage[] }): number[] => got(r, 'NOTIFY').map((m) => Number(/^SIP\/2\.0 (\d{3})/.exec(m.body)?.[1]));
async function receivedSoFar(p: SippServer, method: string): Promise<SippMessage[]> {
  return findMessages(await p.messages(), { direction: 'received', method });
}

/**
 * The Call-ID of the first INVITE a SIPp UAS received (from its message trace), once the trace
 * also shows its ACK: the peer then sits at its next <recv>, where a poke is expected.
 */
async function ackedCallId(p: SippServer): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const msgs = await p.messages();
    const inv = findMessages(msgs, { direction: 'received', method: 'INVITE' })[0];
    const id = inv === undefined ? undefined : header(inv, 'Call-ID');
    if (id !== undefined && findMessages(msgs, { direction: 'received', method: 'ACK', callId: id }).length > 0) return id;
    if (Date.now() > end) throw new Error(`SIPp trace: no INVITE acked within 5 s:\n${summarize(msgs)}`);
    await sleep(50);
  }
}

/** HOUT-01: the client's method setting (the server accepts either method whatever it says). */
function setMethod(m: 'useMobilitySoftkey' | 'useHandoffNumber'): void {
  ts.server.directory.devices.update('M1', { transferToMobileNetwork: m });
}

/** C → Bob's DID, answered over VoIP by the SIPp M1; C hears M1 talk. */
async function voipCall(): Promise<{ c: SippServer; cCallId: string; m1: SippServer; m1CallId: string }> {
  const m1 = await startSippServer({ scenario: m1Scenario, port: m1Port, calls: 1, set: { refer_to: HANDOUT_URI }, timeoutS: 50, name: 'handout-m1-uas-M1' });
  const id = uniq('c');
  const t0 = Date.now();
  const c = await startSippServer({
    scenario: 'far-uac-mobility',
    remote: `127.0.0.1:${ts.udpPort}`,
    port: cPort,
    calls: 1,
    service: BOB_DID,
    set: { from: C_NUMBER, rtp_port: cMedia.port },
    extraArgs: ['-cid_str', `${id}-%u@127.0.0.1`],
    timeoutS: 50,
    name: 'far-uac-mobility-C',
  });
  const m1CallId = await ackedCallId(m1);
  await untilHeard('M1 over VoIP', M1_SSRC, t0);
  expect(fromSsrc(t0, TALK_SSRC), 'no cellular leg yet').toBe(0);
  expect(ts.server.calls.size).toBe(1);
  return { c, cCallId: `${id}-1@127.0.0.1`, m1, m1CallId };
}

/** The phone calls the handoff number over cellular (SIPp UAC from T's other alternate port). */
async function startCell(o: { from: string; expectFail?: boolean; anonymous?: boolean; to?: string }): Promise<{ cell: SippServer; callId: string }> {
  const id = uniq('cell');
  const scenario = o.anonymous === true ? await writeScenarioVariant('handout-cell-uac', [['From: <sip:[$caller]@[$dom]>', 'From: "Anonymous" <sip:anonymous@anonymous.invalid>']], uniq('handout-cell-uac-anonymous')) : 'handout-cell-uac';
  const cell = await startSippServer({
    scenario,
    remote: `127.0.0.1:${ts.udpPort}`,
    port: cellPort,
    calls: 1,
    service: o.to ?? HANDOFF,
    set: { from: o.from, ...(o.expectFail === true ? { expect_fail: '1' } : {}) },
    extraArgs: ['-cid_str', `${id}-%u@127.0.0.1`],
    timeoutS: 50,
    name: 'handout-cell-uac',
  });
  return { cell, callId: `${id}-1@127.0.0.1` };
}

// ------------------------------------------------------------------ tests
describe('§18.8 dual-mode hand-out with SIPp peers', () => {
  it('TS-56 (SIPp) hand-out, server calls the phone: M1 REFERs to handoutUri, 202, INVITE to MI2 over T at once with C\'s caller ID, MI2 answers, C hears MI2, NOTIFY sipfrag 200, BYE to the VoIP leg; anchored (*81 on MI2 holds C)', async () => {
    setMethod('useMobilitySoftkey');
    const { c, cCallId, m1, m1CallId } = await voipCall();
    const gw = await startSippServer({ scenario: 'handout-mi-uas', port: gwPort, calls: 1, durationMs: 1000, timeoutS: 50, name: 'handout-mi-uas-MI2' });
    const t0 = Date.now();
    await poke(m1Port, m1CallId); // M1 presses the hand-out softkey
    const mr = await m1.done;
    expectOk(mr);
    // HOUT-02: 202, then NOTIFYs with the MI leg's progress; 200 before the VoIP leg's BYE.
    expect(findMessages(mr.parsed, { direction: 'received', cseqMethod: 'REFER' }).map((m) => m.status), summarize(mr.parsed)).toEqual([202]);
    expect(sipfrags(mr), summarize(mr.parsed)).toEqual([100, 180, 200]);
    for (const n of got(mr, 'NOTIFY')) expect(header(n, 'Event')).toMatch(/^refer/);
    expect(header(got(mr, 'NOTIFY').at(-1)!, 'Subscription-State')).toMatch(/^terminated/); // RFC 3515: the final one ends the implicit subscription
    const bye = got(mr, 'BYE');
    expect(bye, summarize(mr.parsed)).toHaveLength(1);
    expect(bye[0]!.index).toBeGreaterThan(got(mr, 'NOTIFY').at(-1)!.index);
    expect(got(mr, 'INVITE'), 'no re-INVITE to the VoIP leg').toHaveLength(1);
    // The gateway got the MI leg: INVITE to MI2's number, C's identity as caller ID (D-06),
    // with no Delay Before Ringing (DM-01).
    const inv = (await receivedSoFar(gw, 'INVITE'))[0]!;
    expect(inv.startLine).toMatch(new RegExp(`^INVITE sip:\\${MI2}@`));
    expect(header(inv, 'From')).toContain(C_NUMBER);
    const accepted = findMessages(mr.parsed, { direction: 'received', status: 202 })[0]!;
    expect(sippTime(inv) - sippTime(accepted)).toBeLessThan(MI2_DELAY_BEFORE_RINGING_MS / 2);
    // C's media moved to the cellular leg: C hears MI2 talk, and M1 no more.
    await untilHeard('MI2 after the hand-out', TALK_SSRC, t0);
    await sleep(300);
    const t2 = Date.now();
    expect(await heardFor(600, M1_SSRC), 'M1 after the hand-out').toBe(0);
    expect(voiceSince(t2).filter((p) => p.rtp!.ssrc !== TALK_SSRC), 'C hears only MI2').toHaveLength(0);
    // Anchored, with RD-type mid-call features, on the MI2 leg.
    const gwCallId = header(inv, 'Call-ID')!;
    expect(session()?.state).toBe('connected');
    expect(session()!.call.legOf(session()!.h.userSide)?.callId).toBe(gwCallId);
    expect(ts.server.calls.size).toBe(1);
    // ...and they work: *81 pressed on the MI2 leg (SIP INFO) puts C on MoH.
    const tHold = Date.now();
    await poke(gwPort, gwCallId);
    await until(() => session()?.state === 'held', 5000);
    await untilHeardOther('MoH after *81 on the MI2 leg', tHold);
    await poke(cPort, cCallId); // C hangs up: the MI2 leg gets the BYE
    const [cr, gr] = await Promise.all([c.done, gw.done]);
    expectOk(cr);
    expectOk(gr);
    expect(got(cr, 'INVITE'), 'C is re-INVITEd towards the MI2 leg').toHaveLength(1);
    expect(got(gr, 'BYE')).toHaveLength(1);
    expect(got(gr, 'INVITE'), 'one INVITE to T').toHaveLength(1);
    expect(findMessages(gr.parsed, { direction: 'received', status: 200, cseqMethod: 'INFO' }), '*81 keyed').toHaveLength(3);
    // The SDP offer in the INVITE, or (late offer) in MI2's 200 with the answer in the ACK.
    expect(`${inv.body}\n${got(gr, 'ACK')[0]!.body}`).toMatch(/m=audio [1-9]\d*/);
    await idle();
  }, TEST_TIMEOUT);

  it('TS-58b (SIPp) hand-out not answered: MI2 rings, CANCELled at Answer Too Late, NOTIFY sipfrag 480, C and M1 go on talking over VoIP', async () => {
    setMethod('useMobilitySoftkey');
    const { c, cCallId, m1, m1CallId } = await voipCall();
    const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort, calls: 1, timeoutS: 50, name: 'uas-noanswer-MI2' });
    const t0 = Date.now();
    await poke(m1Port, m1CallId);
    const gr = await gw.done;
    expectOk(gr);
    const inv = got(gr, 'INVITE')[0]!;
    expect(inv.startLine).toMatch(new RegExp(`^INVITE sip:\\${MI2}@`));
    const rang = sippTime(got(gr, 'CANCEL')[0]!) - sippTime(inv);
    expect(rang).toBeGreaterThanOrEqual(MI2_ANSWER_TOO_LATE_MS - 100);
    expect(rang).toBeLessThan(MI2_ANSWER_TOO_LATE_MS + 2500);
    await untilAsync(async () => (await receivedSoFar(m1, 'NOTIFY')).some((m) => /^SIP\/2\.0 480/.test(m.body)), 5000, 'NOTIFY sipfrag 480 at M1');
    // The VoIP call goes on unchanged: M1 (talking on) still reaches C; no leg was released.
    const t1 = Date.now();
    await untilHeard('M1 after the failed hand-out', M1_SSRC, t1);
    expect(fromSsrc(t0, TALK_SSRC), 'nothing from the MI2 leg').toBe(0);
    expect(await receivedSoFar(m1, 'BYE')).toHaveLength(0);
    expect(c.exited).toBe(false);
    expect(m1.exited).toBe(false);
    expect(ts.server.calls.size).toBe(1);
    await poke(cPort, cCallId); // C hangs up: M1 gets the BYE
    const [cr, mr] = await Promise.all([c.done, m1.done]);
    expectOk(cr);
    expectOk(mr);
    expect(findMessages(mr.parsed, { direction: 'received', cseqMethod: 'REFER' }).map((m) => m.status)).toEqual([202]);
    expect(sipfrags(mr), summarize(mr.parsed)).toEqual([100, 180, 480]);
    expect(header(got(mr, 'NOTIFY').at(-1)!, 'Subscription-State')).toMatch(/^terminated/);
    expect(got(mr, 'BYE')).toHaveLength(1);
    expect(got(cr, 'INVITE'), 'C is not re-INVITEd').toHaveLength(0);
    await idle();
  }, TEST_TIMEOUT);

  it('TS-57 (SIPp) hand-out, the phone calls in: T delivers the call from MI2 to the handoff number, S answers it, C hears the phone on it, BYE to M1', async () => {
    setMethod('useHandoffNumber');
    const { c, cCallId, m1 } = await voipCall();
    const t0 = Date.now();
    const { cell, callId: cellCallId } = await startCell({ from: MI2 });
    const mr = await m1.done;
    expectOk(mr);
    expect(got(mr, 'BYE'), summarize(mr.parsed)).toHaveLength(1);
    expect(got(mr, 'NOTIFY')).toHaveLength(0);
    await untilHeard('the phone on its cellular call', TALK_SSRC, t0);
    await sleep(300);
    expect(await heardFor(600, M1_SSRC), 'M1 after the hand-out').toBe(0);
    const cellTrace = await cell.messages();
    expect(findMessages(cellTrace, { direction: 'received', cseqMethod: 'INVITE' }).map((m) => m.status).filter((s) => s! >= 200)).toEqual([200]);
    expect(findMessages(cellTrace, { direction: 'received', cseqMethod: 'INVITE', status: 200 })[0]!.body).toMatch(/m=audio \d+/);
    expect(session()?.state).toBe('connected');
    expect(session()!.call.legOf(session()!.h.userSide)?.callId).toBe(cellCallId);
    expect(ts.server.calls.size).toBe(1);
    await poke(cPort, cCallId); // C hangs up: the cellular leg gets the BYE
    const [cr, clr] = await Promise.all([c.done, cell.done]);
    expectOk(cr);
    expectOk(clr);
    expect(got(cr, 'INVITE'), 'C is re-INVITEd towards the cellular leg').toHaveLength(1);
    expect(got(clr, 'BYE')).toHaveLength(1);
    await idle();
  }, TEST_TIMEOUT);

  for (const v of [
    { name: 'caller ID mismatch (+16505550000)', from: '+16505550000', anonymous: false, reason: /caller ID is no mobility identity/i },
    { name: 'anonymous caller', from: 'anonymous', anonymous: true, reason: /no caller ID/i },
  ]) {
    it(`TS-58 (SIPp) hand-out ${v.name}: the call to the handoff number gets 403 with its reason and Q.850 cause 21, the VoIP call C↔M1 is unaffected`, async () => {
      setMethod('useHandoffNumber');
      const { c, cCallId, m1 } = await voipCall();
      const { cell } = await startCell({ from: v.from, expectFail: true, anonymous: v.anonymous });
      const clr = await cell.done;
      expectOk(clr);
      const finals = findMessages(clr.parsed, { direction: 'received', cseqMethod: 'INVITE' }).filter((m) => m.status! >= 200);
      expect(finals.map((m) => m.status), summarize(clr.parsed)).toEqual([403]);
      expect(finals[0]!.reason).toMatch(v.reason);
      expect(header(finals[0]!, 'Reason')).toMatch(/^Q\.850;\s*cause=21\b/i); // D-22: the gateway plays reorder
      // Unaffected: M1 still reaches C, nobody is re-INVITEd or released.
      const t1 = Date.now();
      await untilHeard('M1 after the refused call', M1_SSRC, t1);
      expect(fromSsrc(t1, TALK_SSRC)).toBe(0);
      expect(await receivedSoFar(m1, 'BYE')).toHaveLength(0);
      expect(c.exited).toBe(false);
      expect(ts.server.calls.size).toBe(1);
      await poke(cPort, cCallId);
      const [cr, mr] = await Promise.all([c.done, m1.done]);
      expectOk(cr);
      expectOk(mr);
      expect(got(cr, 'INVITE'), 'C is not re-INVITEd').toHaveLength(0);
      expect(got(mr, 'BYE')).toHaveLength(1); // C's
      await idle();
    }, TEST_TIMEOUT);
  }

  it('TS-58 (SIPp, HOUT-03 no call) MI2 calls the handoff number with no VoIP call to hand out: 403 with its reason', async () => {
    setMethod('useHandoffNumber');
    const { cell } = await startCell({ from: MI2, expectFail: true });
    const clr = await cell.done;
    expectOk(clr);
    const finals = findMessages(clr.parsed, { direction: 'received', cseqMethod: 'INVITE' }).filter((m) => m.status! >= 200);
    expect(finals.map((m) => m.status), summarize(clr.parsed)).toEqual([403]);
    expect(finals[0]!.reason).toMatch(/no VoIP call/i);
    expect(header(finals[0]!, 'Reason')).toMatch(/^Q\.850;\s*cause=21\b/i);
    await idle();
  }, TEST_TIMEOUT);
});
