/**
 * Single Number Reach end to end (spec §6, §18.1 TS-01…TS-10) through the running server, a
 * real rtpengine and SIPp peers: gateway T (SIPp UAS on T's primary port) receives the RD legs,
 * the PSTN caller C is a SIPp UAC on one of T's alternate ports, desk D1 (and D2, M1) are SIPp
 * UAS registered through registerContact, and the voicemail pilot 8000 is a SIPp UAS behind a
 * trunk of its own. Timers are short (set in the directory) except in TS-01, which checks the
 * default Delay Before Ringing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SippMessage } from './harness/messages.js';
import { findMessage, findMessages, header, summarize } from './harness/messages.js';
import { freePort, freePorts } from './harness/ports.js';
import { runSipp, startSippServer, stopAllSipp, writeScenarioVariant, type SippResult } from './harness/sipp.js';
import { UdpCounter } from './harness/udp-counter.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import type { RemoteDestinationPatch } from '../../src/directory/repos/remote-destinations.js';

let ts: TestServer;
let rtp: RtpengineHandle;
let gwPort: number; // gateway T: receives the RD / MI legs
let pstnPort: number; // inbound PSTN calls come from here (an alternate gateway of T)
let pstn2Port: number;
let d1Port: number;
let d2Port: number;
let m1Port: number;
let vmPort: number; // the voicemail system behind trunk VM (pilot 8000)
let callerAnonymous: string;
let callerToCounter: string;

const C = '9725553456'; // T globalises it to +19725553456 (fixture F's C)
const U1_DID = '4085551234';
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
/** The short per-RD timers most tests run with. */
const FAST: RemoteDestinationPatch = {
  delayBeforeRingingMs: 400,
  answerTooSoonMs: 300,
  answerTooLateMs: 1500,
  snrVoicemailPolicy: 'timerControl',
  enableSnr: true,
  accessPolicy: 'always',
  ringSchedule: null,
};
const PROMPT_DELAY_MS = 300;
const DTMF_WAIT_MS = 500;
const PROMPT_MS = 1200; // the built-in tone prompt

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(20);
  }
  return pred();
}

/** SIPp trace timestamps ("2026-12-01 00:54:56.516453", local time) → epoch ms. */
function tms(m: SippMessage | undefined): number {
  if (m === undefined) throw new Error('no such message');
  const [d, t] = m.timestamp.split(' ');
  const [hms, frac = ''] = t!.split('.');
  return new Date(`${d}T${hms}`).getTime() + Number(`${frac}000`.slice(0, 3));
}

function rd1(patch: RemoteDestinationPatch = {}): void {
  ts.server.directory.remoteDestinations.update('RD1', { ...FAST, ...patch });
}
function lineNoAnswer(s: number): void {
  ts.server.directory.lines.update('L5001', { noAnswerRingDurationS: s });
}

/** A call from the PSTN through T (to U1's DID by default). */
function call(o: { from?: string; to?: string; durationMs?: number; port?: number; scenario?: string; set?: Record<string, string> } = {}): Promise<SippResult> {
  return runSipp({
    scenario: o.scenario ?? 'uac-basic',
    remote: `127.0.0.1:${ts.udpPort}`,
    port: o.port ?? pstnPort,
    service: o.to ?? U1_DID,
    set: { from: o.from ?? C, ...(o.set ?? {}) },
    durationMs: o.durationMs ?? 300,
    timeoutS: 20,
  });
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = ts.server.metrics.registry.getSingleMetric(name);
  if (m === undefined) throw new Error(`no metric ${name}`);
  const v = await m.get();
  return v.values.filter((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val)).reduce((n, x) => n + x.value, 0);
}

const sent = (list: SippMessage[], method: string) => findMessage(list, { direction: 'sent', method });
const received = (list: SippMessage[], method: string) => findMessage(list, { direction: 'received', method });
const invitesTo = (list: SippMessage[], number: string) =>
  findMessages(list, { direction: 'received', method: 'INVITE' }).filter((m) => m.startLine.includes(`sip:${number}@`));

beforeAll(async () => {
  // (SIPp peers are started one after the other: the harness's port allocation is not safe for
  // concurrent freePort() calls.)
  let dtmfPort: number;
  [gwPort, pstnPort, pstn2Port, d1Port, d2Port, m1Port, vmPort] = await freePorts(7);
  dtmfPort = await freePort({ tcp: false });
  // RFC 4733 key presses reach SNR through rtpengine's DTMF event log (spec VMA-03, DTMF-01).
  rtp = await startRtpengineOnFreePorts({ extraArgs: [`--dtmf-log-dest=127.0.0.1:${dtmfPort}`] });
  process.env['MA_SNR_DTMF_EVENTS'] = `127.0.0.1:${dtmfPort}`;
  ts = await startTestServer({
    trunkPort: gwPort,
    trunkAlternatePorts: [pstnPort, pstn2Port],
    anchor: false,
    config: { media: { rtpengines: [{ host: '127.0.0.1', port: rtp.ngPort }], anchor: true } },
  });
  delete process.env['MA_SNR_DTMF_EVENTS'];
  const dir = ts.server.directory;
  // The voicemail pilot 8000 (fixture F's call-forward-no-answer) on a trunk of its own.
  dir.trunks.create({ id: 'VM', peerHost: '127.0.0.1', port: vmPort, trusted: true, inboundCss: 'CSS-all', dtmfMode: ['info'] });
  dir.routePatterns.create({ id: 'RP-VM', partition: 'PT-all', pattern: '8000', target: { kind: 'trunk', id: 'VM' } });
  dir.serviceParameters.setMany({ userControlPromptDelayMs: PROMPT_DELAY_MS, userControlDtmfWaitMs: DTMF_WAIT_MS });
  dir.remoteDestinations.update('MI2', { delayBeforeRingingMs: 250, answerTooSoonMs: 300, answerTooLateMs: 1500 });
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D1, `sip:d1@127.0.0.1:${d1Port}`)).toBe(200);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D2, `sip:d2@127.0.0.1:${d2Port}`)).toBe(200);
  // Caller variants: anonymous with Privacy: id (ACL-04); an SDP that names a test's RTP counter.
  callerAnonymous = await writeScenarioVariant(
    'uac-basic',
    [
      ['From: <sip:[$caller]@[$dom]>', 'From: "Anonymous" <sip:anonymous@anonymous.invalid>'],
      ['Max-Forwards: 70\n      User-Agent: SIPp uac-basic', 'Max-Forwards: 70\n      Privacy: id\n      User-Agent: SIPp uac-basic'],
    ],
    'snr-uac-anonymous',
  );
  callerToCounter = await writeScenarioVariant('uac-basic', [['m=audio [media_port]', 'm=audio [$rtp_port]'], ['csv,from,domain,media', 'csv,from,domain,media,rtp_port']], 'snr-uac-rtp-port');
});

// A failed test must not leave its SIPp peers on the shared ports for the next one.
afterEach(async () => {
  await stopAllSipp();
});

afterAll(async () => {
  await ts?.stop();
  await rtp?.stop();
});

describe('Single Number Reach (spec §18.1)', () => {
  it('TS-01 SNR answered at the RD: fork after the default Delay Before Ringing, CLI-04 identity, desk CANCELled with Reason, audio C↔RD1', async () => {
    rd1({ delayBeforeRingingMs: 4000, answerTooSoonMs: 1500, answerTooLateMs: 19000 }); // fixture F defaults
    lineNoAnswer(30);
    const answersBefore = await metric('ma_snr_answers_total', { kind: 'rd' });
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 1700, rtpEcho: true });
    const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
    const caller = call({ durationMs: 1200, set: { media: 'pcap' } });
    // Mid-call: rtpengine relays C↔RD1 both ways.
    expect(await waitFor(() => [...ts.server.calls.values()].some((c) => c.state === 'connected'), 10_000)).toBe(true);
    await sleep(600);
    const [callId] = [...ts.server.calls.keys()];
    const stats = await ts.server.media.query(callId!);
    const r = await caller;
    expect(r.code, r.describe()).toBe(0);
    const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
    expect(stats.legs.filter((l) => l.rtp.packets > 5).length).toBeGreaterThanOrEqual(2);

    const t0 = tms(sent(r.parsed, 'INVITE'));
    const rdInvite = invitesTo(g.parsed, '+14085557890')[0];
    expect(rdInvite, g.describe()).toBeDefined();
    expect(rdInvite!.startLine).toContain(`sip:+14085557890@127.0.0.1:${gwPort}`);
    // TMR-01: 4.0 s after the call reached the DN.
    expect(tms(rdInvite) - t0).toBeGreaterThanOrEqual(3900);
    expect(tms(rdInvite) - t0).toBeLessThanOrEqual(4150);
    // CLI-04: the original caller, Diversion with the user's DID and the trunk host.
    expect(header(rdInvite!, 'From')).toContain('+19725553456');
    expect(header(rdInvite!, 'P-Asserted-Identity')).toContain('+19725553456');
    expect(header(rdInvite!, 'Diversion')).toBe('<sip:+14085551234@127.0.0.1;user=phone>;reason=follow-me');
    // GEN-08 / SNR-05: the RD got an SDP offer; D1 rang at once, then was cancelled as "completed elsewhere".
    expect(rdInvite!.body).toMatch(/m=audio \d+/);
    expect(tms(received(d.parsed, 'INVITE')) - t0).toBeLessThan(500);
    const cancel = received(d.parsed, 'CANCEL');
    expect(cancel, d.describe()).toBeDefined();
    expect(header(cancel!, 'Reason')).toBe(COMPLETED_ELSEWHERE);
    expect(tms(cancel) - tms(findMessage(g.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE' }))).toBeLessThan(300);
    expect(received(g.parsed, 'ACK')).toBeDefined();
    expect(received(g.parsed, 'BYE')).toBeDefined(); // the caller's BYE is relayed to RD1
    expect(await metric('ma_snr_answers_total', { kind: 'rd' })).toBe(answersBefore + 1);
  });

  it('TS-02 SNR answered at the desk before Delay Before Ringing: no INVITE to RD1, C↔D1', async () => {
    rd1({ delayBeforeRingingMs: 800 });
    const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
    const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 1, durationMs: 300 });
    const r = await call({ durationMs: 1200 }); // the call stays up past the 800 ms delay
    expect(r.code, r.describe()).toBe(0);
    const [d, g] = await Promise.all([d1.stop(), gw.stop()]);
    expect(findMessages(g.parsed, { direction: 'received', method: 'INVITE' }), g.describe()).toHaveLength(0);
    expect(received(d.parsed, 'ACK')).toBeDefined();
    expect(received(d.parsed, 'BYE')).toBeDefined();
  });

  it('TS-03 Answer Too Soon: RD1 is ACKed then BYEd at once, D1 keeps ringing, no answer → D1 CANCELled and C diverted to 8000 (reason=no-answer)', async () => {
    rd1();
    lineNoAnswer(2);
    const atsBefore = await metric('ma_snr_answer_too_soon_total', { kind: 'rd' });
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 100 }); // answers 100 ms < 300 ms
    const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
    const vm = await startSippServer({ scenario: 'uas-basic', port: vmPort, calls: 1 });
    const r = await call({ durationMs: 300 });
    expect(r.code, r.describe()).toBe(0); // answered by voicemail
    const [g, d, v] = await Promise.all([gw.stop(), d1.stop(), vm.stop()]);
    const t0 = tms(sent(r.parsed, 'INVITE'));
    const ok = findMessage(g.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE' });
    const ack = received(g.parsed, 'ACK');
    const bye = received(g.parsed, 'BYE');
    expect(ok && ack && bye, g.describe()).toBeTruthy();
    expect(ack!.index).toBeLessThan(bye!.index); // ACK, then BYE
    expect(tms(bye) - tms(ok)).toBeLessThan(200);
    // D1 was not disturbed by the drop: cancelled only at the line's no-answer time.
    const cancel = received(d.parsed, 'CANCEL');
    expect(cancel, d.describe()).toBeDefined();
    expect(tms(cancel) - t0).toBeGreaterThanOrEqual(1850);
    expect(tms(cancel) - t0).toBeLessThanOrEqual(2250);
    expect(header(cancel!, 'Reason')).not.toBe(COMPLETED_ELSEWHERE); // a missed call on the desk
    const vmInvite = received(v.parsed, 'INVITE');
    expect(vmInvite, v.describe()).toBeDefined();
    expect(vmInvite!.startLine).toContain('sip:8000@');
    expect(header(vmInvite!, 'Diversion')).toBe('<sip:+14085551234@127.0.0.1;user=phone>;reason=no-answer');
    expect(header(vmInvite!, 'From')).toContain('+19725553456');
    expect(await metric('ma_snr_answer_too_soon_total', { kind: 'rd' })).toBe(atsBefore + 1);
  });

  it('TS-04 Answer Too Late: RD1 rings with early media and is CANCELled at Answer Too Late after its INVITE; D1 unaffected; the caller never gets the RD early media', async () => {
    rd1({ answerTooLateMs: 1000 });
    lineNoAnswer(5);
    const atlBefore = await metric('ma_snr_answer_too_late_total', { kind: 'rd' });
    const gw = await startSippServer({ scenario: 'snr-uas-early-noanswer', port: gwPort, calls: 1 });
    const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 1, durationMs: 1900 });
    const r = await call({ durationMs: 300 });
    expect(r.code, r.describe()).toBe(0);
    const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
    const inv = received(g.parsed, 'INVITE');
    const cancel = received(g.parsed, 'CANCEL');
    expect(inv && cancel, g.describe()).toBeTruthy();
    // TMR-03: measured from the fork's INVITE, and kept running through the 183.
    expect(tms(cancel) - tms(inv)).toBeGreaterThanOrEqual(950);
    expect(tms(cancel) - tms(inv)).toBeLessThanOrEqual(1200);
    expect(header(cancel!, 'Reason')).toBeUndefined();
    // SNR-05 / D-09: never a 183 with the RD's SDP towards the caller.
    expect(findMessages(r.parsed, { direction: 'received', status: 183 }).filter((m) => m.body.includes('m=audio'))).toEqual([]);
    expect(findMessage(r.parsed, { direction: 'received', status: 180 })).toBeDefined();
    expect(received(d.parsed, 'CANCEL')).toBeUndefined();
    expect(received(d.parsed, 'BYE')).toBeDefined();
    expect(await metric('ma_snr_answer_too_late_total', { kind: 'rd' })).toBe(atlBefore + 1);
  });

  describe('TS-05 user-control voicemail avoidance', () => {
    it('TS-05 (a) no key: prompt to RD1 only from +prompt delay, BYE to RD1 the DTMF wait after the prompt; C hears nothing, D1 still rings', async () => {
      rd1({ snrVoicemailPolicy: 'userControl' });
      lineNoAnswer(5);
      const timeoutsBefore = await metric('ma_snr_user_control_total', { result: 'timeout' });
      const rdMedia = await UdpCounter.open();
      const cMedia = await UdpCounter.open();
      try {
        const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 200, set: { rtp_port: String(rdMedia.port) } });
        const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 1, durationMs: 3100 });
        const r = await call({ scenario: callerToCounter, durationMs: 300, set: { rtp_port: String(cMedia.port) } });
        expect(r.code, r.describe()).toBe(0); // finally answered at D1
        const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
        const ok = findMessage(g.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE' });
        const bye = received(g.parsed, 'BYE');
        expect(ok && received(g.parsed, 'ACK') && bye, g.describe()).toBeTruthy();
        const expectedBye = PROMPT_DELAY_MS + PROMPT_MS + DTMF_WAIT_MS;
        expect(tms(bye) - tms(ok)).toBeGreaterThanOrEqual(expectedBye - 100);
        expect(tms(bye) - tms(ok)).toBeLessThanOrEqual(expectedBye + 400);
        // The prompt went to RD1, starting after the prompt delay…
        expect(rdMedia.count).toBeGreaterThanOrEqual(40);
        const firstPrompt = rdMedia.packets[0]!.at - tms(ok);
        expect(firstPrompt).toBeGreaterThanOrEqual(PROMPT_DELAY_MS - 50);
        expect(firstPrompt).toBeLessThanOrEqual(PROMPT_DELAY_MS + 300);
        // …and never to the caller, who kept ringing (180, no early media) until D1 answered.
        expect(cMedia.count).toBe(0);
        expect(findMessage(r.parsed, { direction: 'received', status: 180 })).toBeDefined();
        expect(received(d.parsed, 'CANCEL')).toBeUndefined();
        expect(received(d.parsed, 'ACK')).toBeDefined();
        expect(await metric('ma_snr_user_control_total', { result: 'timeout' })).toBe(timeoutsBefore + 1);
      } finally {
        rdMedia.close();
        cMedia.close();
      }
    });

    it('TS-05 (b) key 5 by SIP INFO: RD1 accepted, D1 CANCELled (completed elsewhere), C↔RD1 bridged; C never heard the prompt', async () => {
      rd1({ snrVoicemailPolicy: 'userControl' });
      lineNoAnswer(5);
      const acceptedBefore = await metric('ma_snr_user_control_total', { result: 'accepted' });
      const rdMedia = await UdpCounter.open();
      const cMedia = await UdpCounter.open();
      try {
        const gw = await startSippServer({ scenario: 'snr-uas-answer-info', port: gwPort, calls: 1, durationMs: 200, set: { rtp_port: String(rdMedia.port) } });
        const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
        const caller = call({ scenario: callerToCounter, durationMs: 1500, set: { rtp_port: String(cMedia.port) } });
        expect(await waitFor(() => [...ts.server.calls.values()].some((c) => c.state === 'connected'), 5000)).toBe(true);
        const promptPackets = rdMedia.count;
        expect(cMedia.count).toBe(0);
        // After acceptance RD1's media reaches C (unblocked and bridged).
        const offer = received(await gw.messages(), 'INVITE');
        const rdSendsTo = Number(/m=audio (\d+)/.exec(offer!.body)![1]);
        await rdMedia.sendRtp(rdSendsTo, 20, { ptimeMs: 10 });
        expect(await waitFor(() => cMedia.count >= 15, 2000)).toBe(true);
        const r = await caller;
        expect(r.code, r.describe()).toBe(0);
        const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
        expect(promptPackets).toBeGreaterThan(0); // the prompt had started (key pressed at +500 ms)
        expect(findMessage(g.parsed, { direction: 'received', status: 200, cseqMethod: 'INFO' })).toBeDefined();
        expect(tms(received(g.parsed, 'BYE'))).toBeGreaterThanOrEqual(tms(sent(r.parsed, 'BYE')));
        const cancel = received(d.parsed, 'CANCEL');
        expect(cancel, d.describe()).toBeDefined();
        expect(header(cancel!, 'Reason')).toBe(COMPLETED_ELSEWHERE);
        expect(await metric('ma_snr_user_control_total', { result: 'accepted' })).toBe(acceptedBefore + 1);
      } finally {
        rdMedia.close();
        cMedia.close();
      }
    });

    it('TS-05 (b) key 5 as RFC 4733 in the media: detected by rtpengine, RD1 accepted, D1 CANCELled', async () => {
      rd1({ snrVoicemailPolicy: 'userControl' });
      lineNoAnswer(5);
      const gw = await startSippServer({ scenario: 'snr-uas-answer-rfc4733', port: gwPort, calls: 1, durationMs: 200 });
      const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
      const r = await call({ durationMs: 300 });
      expect(r.code, r.describe()).toBe(0);
      const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
      const cancel = received(d.parsed, 'CANCEL');
      expect(cancel, d.describe()).toBeDefined();
      expect(header(cancel!, 'Reason')).toBe(COMPLETED_ELSEWHERE);
      // Accepted by the key, not dropped at the end of the wait: RD1's BYE is the caller's.
      const ok = findMessage(g.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE' });
      expect(tms(received(g.parsed, 'BYE')) - tms(ok)).toBeLessThan(PROMPT_DELAY_MS + PROMPT_MS + DTMF_WAIT_MS);
      expect(tms(received(g.parsed, 'BYE'))).toBeGreaterThanOrEqual(tms(sent(r.parsed, 'BYE')));
    });

    it('TS-05c user control, answered inside Answer Too Soon: not dropped; the key accepts it', async () => {
      rd1({ snrVoicemailPolicy: 'userControl' }); // answerTooSoonMs 300 stays configured
      lineNoAnswer(5);
      const gw = await startSippServer({ scenario: 'snr-uas-answer-info', port: gwPort, calls: 1, durationMs: 50 });
      const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
      const r = await call({ durationMs: 300 });
      expect(r.code, r.describe()).toBe(0);
      const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
      const inv = received(g.parsed, 'INVITE');
      const ok = findMessage(g.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE' });
      expect(tms(ok) - tms(inv)).toBeLessThan(300);
      expect(tms(received(g.parsed, 'BYE'))).toBeGreaterThanOrEqual(tms(sent(r.parsed, 'BYE')));
      expect(header(received(d.parsed, 'CANCEL')!, 'Reason')).toBe(COMPLETED_ELSEWHERE);
    });

    it('user control: RD1 hangs up during the prompt: its leg ends, D1 keeps ringing and answers, nothing is left behind', async () => {
      rd1({ snrVoicemailPolicy: 'userControl' });
      lineNoAnswer(5);
      const hangupsBefore = await metric('ma_snr_user_control_total', { result: 'hangup' });
      const gw = await startSippServer({ scenario: 'uas-hangup', port: gwPort, calls: 1, durationMs: 500 });
      const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 1, durationMs: 2000 });
      const r = await call({ durationMs: 300 });
      expect(r.code, r.describe()).toBe(0);
      const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
      expect(g.code, g.describe()).toBe(0); // its BYE got a 200
      expect(received(d.parsed, 'CANCEL')).toBeUndefined();
      expect(received(d.parsed, 'BYE')).toBeDefined();
      expect(await metric('ma_snr_user_control_total', { result: 'hangup' })).toBe(hangupsBefore + 1);
    });
  });

  it('TS-06 access lists and time of day: (a) blocked caller, (b) private caller, (c) allowed mask, (d) outside the ring schedule', async () => {
    const dir = ts.server.directory;
    dir.accessLists.create({ id: 'L1', name: 'blocked C', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'number', value: '+19725553456' }] });
    dir.accessLists.create({ id: 'L1p', name: 'blocked C and private', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'number', value: '+19725553456' }, { kind: 'private', value: null }] });
    dir.accessLists.create({ id: 'L2', name: 'allowed 408-555', ownerUser: 'U1', type: 'allowed', members: [{ kind: 'mask', value: '+1408555XXXX' }] });
    // (d) A schedule open on every day but today in U1's time zone (the spec's "Saturday call").
    const today = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', weekday: 'short' }).format(new Date()).toLowerCase();
    const days = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).filter((x) => x !== today);
    dir.ringSchedules.create({ id: 'S-not-today', name: 'not today', ownerUser: 'U1', entries: [{ days: [...days], start: '00:00', end: '24:00' }] });
    const aclBefore = await metric('ma_snr_skipped_forks_total', { reason: 'accessList' });
    const schedBefore = await metric('ma_snr_skipped_forks_total', { reason: 'schedule' });
    const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
    const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 5, durationMs: 450 });
    try {
      rd1({ delayBeforeRingingMs: 200, accessPolicy: { blockedList: 'L1' } });
      expect((await call({ durationMs: 100 })).code).toBe(0); // (a) C: D1 only
      rd1({ delayBeforeRingingMs: 200, accessPolicy: { blockedList: 'L1p' } });
      const anon = await call({ scenario: callerAnonymous, durationMs: 100 }); // (b) anonymous + Privacy: id
      expect(anon.code, anon.describe()).toBe(0);
      rd1({ delayBeforeRingingMs: 200, accessPolicy: { allowedList: 'L2' } });
      expect((await call({ durationMs: 100 })).code).toBe(0); // (c) C is not in +1408555XXXX
      expect((await call({ from: '4085550001', durationMs: 100 })).code).toBe(0); // (c) +14085550001 is
      rd1({ delayBeforeRingingMs: 200, ringSchedule: 'S-not-today' });
      expect((await call({ durationMs: 100 })).code).toBe(0); // (d)
    } finally {
      rd1();
    }
    const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
    expect(findMessages(d.parsed, { direction: 'received', method: 'INVITE' })).toHaveLength(5);
    const rdInvites = findMessages(g.parsed, { direction: 'received', method: 'INVITE' });
    expect(rdInvites.map((m) => header(m, 'From')), g.describe()).toHaveLength(1);
    expect(header(rdInvites[0]!, 'From')).toContain('+14085550001');
    expect(await metric('ma_snr_skipped_forks_total', { reason: 'accessList' })).toBe(aclBefore + 3);
    expect(await metric('ma_snr_skipped_forks_total', { reason: 'schedule' })).toBe(schedBefore + 1);
  });

  it('TS-07 SNR disabled: only D1 rings, and the unanswered call goes to voicemail', async () => {
    rd1({ enableSnr: false });
    lineNoAnswer(2);
    try {
      const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
      const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
      const vm = await startSippServer({ scenario: 'uas-basic', port: vmPort, calls: 1 });
      const r = await call({ durationMs: 300 });
      expect(r.code, r.describe()).toBe(0);
      const [g, d, v] = await Promise.all([gw.stop(), d1.stop(), vm.stop()]);
      expect(findMessages(g.parsed, { direction: 'received', method: 'INVITE' })).toHaveLength(0);
      const t0 = tms(sent(r.parsed, 'INVITE'));
      expect(tms(received(d.parsed, 'CANCEL')) - t0).toBeGreaterThanOrEqual(1850);
      expect(tms(received(d.parsed, 'CANCEL')) - t0).toBeLessThanOrEqual(2250);
      expect(header(received(v.parsed, 'INVITE')!, 'Diversion')).toContain('reason=no-answer');
    } finally {
      rd1();
    }
  });

  it('TS-08 third simultaneous call: with two SNR calls up, the third goes to voicemail (reason=user-busy), RD1 and D1 are not rung (D-10)', async () => {
    rd1();
    lineNoAnswer(5);
    const overflowBefore = await metric('ma_snr_overflow_total', { action: 'voicemail' });
    const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
    const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 2 });
    const vm = await startSippServer({ scenario: 'uas-basic', port: vmPort, calls: 1 });
    const two = runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: U1_DID, set: { from: C }, calls: 2, durationMs: 2500, timeoutS: 20 });
    expect(await waitFor(() => [...ts.server.calls.values()].filter((c) => c.state === 'connected').length === 2, 5000)).toBe(true);
    const third = await call({ port: pstn2Port, durationMs: 300 });
    expect(third.code, third.describe()).toBe(0);
    const r2 = await two;
    expect(r2.code, r2.describe()).toBe(0);
    const [g, d, v] = await Promise.all([gw.stop(), d1.stop(), vm.stop()]);
    expect(findMessages(g.parsed, { direction: 'received', method: 'INVITE' })).toHaveLength(0);
    expect(findMessages(d.parsed, { direction: 'received', method: 'INVITE' })).toHaveLength(2);
    const vmInvite = received(v.parsed, 'INVITE');
    expect(vmInvite, v.describe()).toBeDefined();
    expect(header(vmInvite!, 'Diversion')).toBe('<sip:+14085551234@127.0.0.1;user=phone>;reason=user-busy');
    expect(await metric('ma_snr_overflow_total', { action: 'voicemail' })).toBe(overflowBefore + 1);
  });

  it('TS-09 dual-mode registration (U2): (a) M1 registered VoIP: D2 and M1 over IP, no MI2 fork; (b) M1 unregistered: fork to MI2; (c) inbound mode snr: MI2 forked, M1 not rung', async () => {
    const m1 = ts.fixture.credentials.M1;
    const voip = `sip:m1@127.0.0.1:${m1Port}`;
    const snr = `sip:m1@127.0.0.1:${m1Port};mobility-inbound=snr`;
    const round = async (): Promise<{ g: SippMessage[]; d: SippMessage[]; m: SippMessage[] }> => {
      const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
      const d2 = await startSippServer({ scenario: 'uas-basic', port: d2Port, calls: 1, durationMs: 550 });
      const mc = await startSippServer({ scenario: 'uas-noanswer', port: m1Port });
      const r = await call({ to: '4085552000', durationMs: 100 });
      expect(r.code, r.describe()).toBe(0);
      const [d, g, m] = await Promise.all([d2.stop(), gw.stop(), mc.stop()]);
      return { d: d.parsed, g: g.parsed, m: m.parsed };
    };
    expect(await registerContact(ts.udpPort, m1, voip)).toBe(200);
    const a = await round();
    expect(received(a.d, 'INVITE')).toBeDefined();
    expect(received(a.m, 'INVITE')).toBeDefined();
    expect(header(received(a.m, 'CANCEL')!, 'Reason')).toBe(COMPLETED_ELSEWHERE);
    expect(findMessages(a.g, { direction: 'received', method: 'INVITE' })).toHaveLength(0);

    expect(await registerContact(ts.udpPort, m1, voip, 0)).toBe(200);
    const b = await round();
    expect(invitesTo(b.g, '+14085551111')).toHaveLength(1);
    expect(received(b.m, 'INVITE')).toBeUndefined();

    expect(await registerContact(ts.udpPort, m1, snr)).toBe(200);
    const c = await round();
    expect(invitesTo(c.g, '+14085551111')).toHaveLength(1);
    expect(received(c.m, 'INVITE')).toBeUndefined();
    expect(received(c.d, 'INVITE')).toBeDefined();
    expect(await registerContact(ts.udpPort, m1, snr, 0)).toBe(200);
  });

  it('TS-10 competing answers: RD1 and RD2 answer together; the first 200 wins, the other is ACKed then BYEd; one call remains', async () => {
    const dir = ts.server.directory;
    rd1({ answerTooSoonMs: 0 });
    lineNoAnswer(5);
    dir.remoteDestinations.create({ id: 'RD2', name: 'Alice home', number: '+14085557891', parent: { kind: 'rdProfile', id: 'P1' }, ...FAST, answerTooSoonMs: 0 } as never);
    try {
      const forksBefore = await metric('ma_snr_forks_total', { kind: 'rd' });
      const gw = await startSippServer({ scenario: 'snr-uas-answer', port: gwPort, calls: 2, durationMs: 300 });
      const d1 = await startSippServer({ scenario: 'uas-noanswer', port: d1Port, calls: 1 });
      const caller = call({ durationMs: 800 });
      // Both forks are out: hold the server (it runs in this process) while both answer, so their
      // 200s are queued together and reach it "within 50 ms": a true tie, whatever the load.
      let launched = false;
      for (let i = 0; i < 150 && !launched; i++) {
        launched = (await metric('ma_snr_forks_total', { kind: 'rd' })) >= forksBefore + 2;
        if (!launched) await sleep(10);
      }
      expect(launched).toBe(true);
      // Let the server read the forks' 100/180 first (else its Timer A re-sends the INVITEs while
      // held, and SIPp takes a re-sent INVITE after its 200 as unexpected).
      await sleep(60);
      const until = Date.now() + 600;
      while (Date.now() < until) {
        // busy: the SIPp gateway answers both forks meanwhile (300 ms ring)
      }
      expect(await waitFor(() => [...ts.server.calls.values()].some((c) => c.state === 'connected'), 5000)).toBe(true);
      await sleep(100);
      expect(ts.server.calls.size).toBe(1);
      const r = await caller;
      expect(r.code, r.describe()).toBe(0);
      const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
      const invites = findMessages(g.parsed, { direction: 'received', method: 'INVITE' });
      expect([...new Set(invites.map((m) => /sip:(\+\d+)@/.exec(m.startLine)![1]))].sort()).toEqual(['+14085557890', '+14085557891']);
      const answers = findMessages(g.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE' }).filter(
        (m, i, all) => all.findIndex((x) => header(x, 'Call-ID') === header(m, 'Call-ID')) === i, // first 200 of each fork
      );
      expect(answers, summarize(g.parsed)).toHaveLength(2);
      expect(Math.abs(tms(answers[0]) - tms(answers[1]))).toBeLessThan(50);
      const callerBye = tms(sent(r.parsed, 'BYE'));
      const byes = findMessages(g.parsed, { direction: 'received', method: 'BYE' });
      expect(byes, summarize(g.parsed)).toHaveLength(2);
      // The loser is the fork the server CANCELled when the winner's 200 arrived (its own 200 crossed the CANCEL).
      const cancelled = header(received(g.parsed, 'CANCEL')!, 'Call-ID');
      const loser = byes.find((b) => header(b, 'Call-ID') === cancelled);
      const winner = byes.find((b) => header(b, 'Call-ID') !== cancelled);
      expect(loser && winner, summarize(g.parsed)).toBeTruthy();
      const loserAck = findMessage(g.parsed, { direction: 'received', method: 'ACK', callId: cancelled! });
      expect(loserAck!.index, summarize(g.parsed)).toBeLessThan(loser!.index); // ACK, then BYE
      // Released at once, while the winner's call goes on until the caller hangs up.
      expect(loser!.index, summarize(g.parsed)).toBeLessThan(winner!.index);
      expect(tms(winner), summarize(g.parsed)).toBeGreaterThanOrEqual(callerBye);
      expect(header(received(d.parsed, 'CANCEL')!, 'Reason')).toBe(COMPLETED_ELSEWHERE);
    } finally {
      dir.remoteDestinations.delete('RD2');
    }
  });

  it('desk busy: the pending RD fork is not sent and the call takes the line forward-busy (Diversion reason=user-busy)', async () => {
    rd1();
    ts.server.directory.lines.update('L5001', { callForwardBusy: '8000' });
    try {
      const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
      const d1 = await startSippServer({ scenario: 'uas-busy', port: d1Port, calls: 1 });
      const vm = await startSippServer({ scenario: 'uas-basic', port: vmPort, calls: 1 });
      const r = await call({ durationMs: 600 }); // stays up past the RD's 400 ms delay
      expect(r.code, r.describe()).toBe(0);
      const [g, v] = await Promise.all([gw.stop(), vm.stop(), d1.stop()]);
      expect(findMessages(g.parsed, { direction: 'received', method: 'INVITE' })).toHaveLength(0);
      expect(header(received(v.parsed, 'INVITE')!, 'Diversion')).toBe('<sip:+14085551234@127.0.0.1;user=phone>;reason=user-busy');
    } finally {
      ts.server.directory.lines.update('L5001', { callForwardBusy: null });
    }
  });

  it('CLI-04 / D-05: a trunk with mobilityForkCallingIdentity = enterpriseDid and no Diversion presents the user DID on the RD leg', async () => {
    const dir = ts.server.directory;
    rd1();
    dir.trunks.update('T', { mobilityForkCallingIdentity: 'enterpriseDid', sendDiversionOnMobilityForks: false });
    try {
      const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
      const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 1, durationMs: 800 });
      expect((await call({ durationMs: 100 })).code).toBe(0);
      const [g] = await Promise.all([gw.stop(), d1.stop()]);
      const inv = received(g.parsed, 'INVITE');
      expect(inv, g.describe()).toBeDefined();
      expect(header(inv!, 'From')).toContain('<sip:+14085551234@');
      expect(header(inv!, 'P-Asserted-Identity')).toContain('+14085551234');
      expect(header(inv!, 'Diversion')).toBeUndefined();
    } finally {
      dir.trunks.update('T', { mobilityForkCallingIdentity: 'original', sendDiversionOnMobilityForks: true });
    }
  });

  it('ANC-04: a call from RD1 itself to U1 rings D1 but is not forked back to RD1', async () => {
    rd1();
    const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort });
    const d1 = await startSippServer({ scenario: 'uas-basic', port: d1Port, calls: 1, durationMs: 800 });
    expect((await call({ from: '4085557890', durationMs: 100 })).code).toBe(0);
    const [g, d] = await Promise.all([gw.stop(), d1.stop()]);
    expect(findMessages(g.parsed, { direction: 'received', method: 'INVITE' })).toHaveLength(0);
    expect(received(d.parsed, 'INVITE')).toBeDefined();
  });

  it('SNR-11: the desk codes turn SNR off and on for all of the user RDs (stored), answered with a tone and released', async () => {
    const d1 = ts.fixture.credentials.D1;
    const dial = (code: string) =>
      runSipp({ scenario: 'uac-wait-bye', remote: `127.0.0.1:${ts.udpPort}`, service: code, set: { from: 'd1' }, authUser: d1.username, authPassword: d1.password, timeoutS: 10 });
    const off = await dial('*9500');
    expect(off.code, off.describe()).toBe(0); // 200, then our BYE after the tone
    expect(ts.server.directory.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
    const on = await dial('*9501');
    expect(on.code, on.describe()).toBe(0);
    expect(ts.server.directory.remoteDestinations.get('RD1')!.enableSnr).toBe(true);
    const ok = findMessage(on.parsed, { direction: 'received', status: 200 });
    expect(ok!.body).toMatch(/m=audio \d+/); // media from rtpengine (the tone)
  });

  it('returns to idle: no call, dialog, media or SNR state left', async () => {
    await waitFor(() => ts.server.calls.size === 0 && ts.server.sizes().dialogs === 0, 3000);
    const s = ts.server.sizes();
    expect(s.calls).toBe(0);
    const dialogs = [...ts.server.sip.ua.dialogs.values()].map((d) => `${d.callId} ${d.state} ${String(d.remoteTarget)}`);
    expect(s.dialogs, dialogs.join('\n')).toBe(0);
    expect(s.awaitingAck).toBe(0);
    expect(s.mediaCalls).toBe(0);
    const snrSizes = await ts.server.metrics.registry.getSingleMetric('ma_snr_state_size')!.get();
    expect(snrSizes.values.every((v) => v.value === 0), JSON.stringify(snrSizes.values)).toBe(true);
  });
});
