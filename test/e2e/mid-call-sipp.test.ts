/**
 * Spec §18.2 (desk pickup TS-11..TS-14, session handoff TS-15..TS-17c, send-to-mobile TS-17,
 * TS-17b) and §18.3 (mid-call features TS-18..TS-24b, TS-22's negative case) end to end with
 * SIPp peers only, through the running server and a real rtpengine (issue #5); also DTMF-02,
 * DTMF-05, HO-02 and HO-05, which need a peer that really sends RFC 4733 or INFO. The same
 * scenarios run with UAs on our own stack in mid-call.test.ts; here every party is a SIPp
 * process on 127.0.0.1:
 *  - C, the far party (sipp-scenarios/far-uac-mobility.xml): as in the spec, C calls U1's DID
 *    (from trunk T's alternate port), then answers re-INVITEs and INFOs and hangs up when the
 *    test pokes it. Its SDP names a UdpCounter: what C hears (MoH, tones, a peer talking) is
 *    counted per RTP SSRC; a talking SIPp peer plays g711a.pcap, whose SSRC is TALK_SSRC.
 *  - RD1, the mobile (sipp-scenarios/rd-uas-mobility.xml) as gateway T: answers the SNR (or
 *    send-to-mobile) fork, then presses keys as RFC 4733 events (play_pcap_audio of captures
 *    made by harness/dtmf-pcap.ts; rtpengine reports them with --dtmf-log-dest) or SIP INFO,
 *    one step per poke of the test, and hangs up or waits for the BYE.
 *  - D1, the desk: the registered contact (sipp-scenarios/desk-uas-mobility.xml: rings for the
 *    SNR fork until CANCEL, answers or lets ring the *74 handoff INVITE), a desk that picks up
 *    with INVITE/Replaces or the pickup code (sipp-scenarios/desk-uac-pickup.xml, digest
 *    authenticated), or a desk that sends the call to the mobile with REFER
 *    (sipp-scenarios/desk-uas-send-to-mobile.xml).
 *  - EFA2, the mobile's second call to the EFA number (sipp-scenarios/mva-uac-dtmf.xml with
 *    its keys filled in), and X's desk D3 (sipp-scenarios/uas-answer-on-poke.xml) as the
 *    transfer / conference target; D3 also retrieves a parked call (desk-uac-pickup.xml).
 * What the desk line shows (RFC 4235) is read by a watcher on our own stack that subscribes to
 * line 5001; the Replaces value SIPp sends comes from the held dialog in its last NOTIFY.
 *
 * Sequencing without timing assumptions: a SIPp peer waits at a <recv request="OPTIONS"/> and
 * the test "pokes" it (one OPTIONS datagram with the call's Call-ID, not answered) once it has
 * seen what it waits for; SIPp routes it to the call by Call-ID. Call-IDs come from -cid_str
 * (C, EFA2, the picking desk) or from the SIPp message trace (RD1, the handoff INVITE, D3).
 * Every SIPp run must end with exit code 0 and its calls successful; the scenarios fail on any
 * request they do not expect at that point (e.g. a re-INVITE to RD1).
 */
import dgram from 'node:dgram';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DigestClient } from '../../src/sip/auth/digest-client.js';
import { isHeld, parseDialogInfo, replacesForDialog, type DialogInfo } from '../../src/sip/extensions/dialog-info.js';
import { serializeReplaces } from '../../src/sip/extensions/replaces.js';
import type { MidCallSession } from '../../src/features/mid-call/session.js';
import { writeDtmfPcap } from './harness/dtmf-pcap.js';
import { findMessages, header, type SippMessage } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { startSippServer, cleanUpAfterFailure, writeScenarioVariant, type SippResult, type SippServer } from './harness/sipp.js';
import { UdpCounter, type ReceivedPacket } from './harness/udp-counter.js';
import { type Peer, sleep, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';
import { sippTime } from '../features/dvo/e2e-helpers.js';
import { infoKeyXml, keysBlock, type KeyVia } from '../features/ivr/e2e-helpers.js';

let ts: TestServer;
let gwPort: number; // gateway T: SIPp RD1 (and the send-to-mobile fork)
let cPort: number; // trunk T's alternate port: SIPp C
let deskPort: number; // D1's registered contact: SIPp desk UAS
let pickPort: number; // SIPp desk picking up (UAC)
let efaPort: number; // trunk T's other alternate port: the SIPp EFA second call (EFA2)
let d3Port: number; // X's desk D3 (2000): SIPp UAS, transfer target
let c2Port: number; // trunk T's third alternate port: a second far party (TS-22 negative)
let watcher: Peer; // subscribes to line 5001's dialog state
let cMedia: UdpCounter; // C's RTP port: what C hears
let work: string;
let baseDialogs = 0;

const U1_DID = '4085551234';
const C_NUMBER = '+19725553456';
const PT_EVENT = 101;
const SEND_TO_MOBILE = '<sip:*9503@127.0.0.1>';
const TEST_TIMEOUT = 60_000;
/** The RTP SSRC in /usr/share/sip-tester/g711a.pcap: a SIPp peer that talks (rtpengine relays it unchanged). */
const TALK_SSRC = 0xdee0ee8f;

beforeAll(async () => {
  let watchPort: number;
  [gwPort, cPort, deskPort, pickPort, watchPort, efaPort, d3Port, c2Port] = (await freePorts(8)) as [number, number, number, number, number, number, number, number];
  ts = await startTestServer({ trunkPort: gwPort, trunkAlternatePorts: [cPort, efaPort, c2Port], dtmfEvents: true });
  work = await mkdtemp(path.join(tmpdir(), 'ma-midcall-sipp-'));
  cMedia = await UdpCounter.open({ keep: 50_000 });
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D1, `sip:d1@127.0.0.1:${deskPort}`)).toBe(200);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
  const dir = ts.server.directory;
  dir.remoteDestinations.update('RD1', { delayBeforeRingingMs: 0, answerTooSoonMs: 0, answerTooLateMs: 5000, snrVoicemailPolicy: 'timerControl', enableSnr: true, mobilePhone: true, accessPolicy: 'always', ringSchedule: null });
  dir.lines.update('L5001', { noAnswerRingDurationS: 20 });
  dir.serviceParameters.setMany({ sessionHandoffAlertingTimerS: 1, dtmfInterDigitTimeoutMs: 1000, ivrInputTimeoutS: 5, enableEnterpriseFeatureAccess: true });
  dir.directedParks.create({ id: 'PARK', firstNumber: '7000', lastNumber: '7009', retrievalPrefix: '*71', partition: 'PT-all' } as never);
  watcher = await startPeer(watchPort);
  await subscribeWatcher();
  await sleep(200);
  baseDialogs = ts.server.sizes().dialogs; // the watcher's subscription
});
afterAll(async () => {
  await watcher?.close();
  cMedia?.close();
  await ts?.stop();
});

beforeEach(async () => {
  await idle();
  ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 1000 });
  ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true, mobilePhone: true, answerTooLateMs: 5000 });
  cMedia.reset();
  watcher.received.length = 0;
});

// Sockets a test opened (closed after it, pass or fail).
const teardown: Array<() => void> = [];
const onTeardown = (f: () => void): void => {
  teardown.push(f);
};

// A failed test must not leave peers or calls behind for the next one.
afterEach(async (ctx) => {
  for (const f of teardown.splice(0)) f();
  if (ctx.task.result?.state !== 'fail') return;
  await cleanUpAfterFailure(ts.server.calls.values(), idle);
});

// ---------------------------------------------------------------- helpers
const domain = (): string => ts.server.config.domain;

async function idle(ms = 8000): Promise<void> {
  try {
    await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === baseDialogs, ms);
  } catch {
    throw new Error(`server not idle after ${ms} ms: ${JSON.stringify(ts.server.sizes())} (dialogs expected: ${baseDialogs})`);
  }
}

/** The watcher (a desk-like device of U1 on our stack) subscribes to line 5001 (RFC 4235). */
async function subscribeWatcher(): Promise<void> {
  const cred = ts.fixture.credentials.D1;
  const uri = `sip:5001@127.0.0.1:${ts.udpPort}`;
  const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: ts.udpPort };
  const make = (cseq: number) =>
    watcher.stack.ua.createRequest({
      method: 'SUBSCRIBE',
      uri,
      from: `<sip:${cred.username}@${domain()}>`,
      to: `<sip:5001@${domain()}>`,
      callId: 'sipp-watcher-dialog-sub',
      cseq,
      contact: `<sip:watch@127.0.0.1:${watcher.port}>`,
      options: { headers: { event: 'dialog', expires: '3600', accept: 'application/dialog-info+xml' } },
    });
  let res = await watcher.stack.ua.request(make(1), dest);
  if (res.status === 401) {
    const auth = new DigestClient().authorize({ challenge: res.getAll('www-authenticate'), username: cred.username, password: cred.password, method: 'SUBSCRIBE', uri });
    if (!auth.ok) throw new Error(auth.reason);
    const req = make(2);
    req.set('authorization', auth.value);
    res = await watcher.stack.ua.request(req, dest);
  }
  expect(res.status).toBeLessThan(300);
}

/** The dialogs of line 5001 in the last dialog-info NOTIFY the watcher got. */
function lineDialogs(): DialogInfo[] {
  const last = watcher.received.filter((m) => m.method === 'NOTIFY' && m.body.length > 0).at(-1);
  return last === undefined ? [] : parseDialogInfo(last.body).dialogs;
}
/** Whether any dialog-info NOTIFY so far showed a held dialog the desk may resume. */
const everOffered = (): boolean => watcher.received.some((m) => m.method === 'NOTIFY' && m.body.length > 0 && parseDialogInfo(m.body).dialogs.some((d) => d.state === 'confirmed' && isHeld(d)));
/** DPU-01: held dialogs the desk may resume. */
const heldOffers = (): DialogInfo[] => lineDialogs().filter((d) => d.state === 'confirmed' && isHeld(d));
/** TS-01 "remote in use": confirmed dialogs that are not held. */
const inUse = (): DialogInfo[] => lineDialogs().filter((d) => d.state === 'confirmed' && !isHeld(d));

/**
 * Poke a SIPp peer waiting at <recv request="OPTIONS"/> in the call `callId` (or at another
 * `method`: far-uac-mobility.xml variants take a MESSAGE as "press keys now").
 */
async function poke(port: number, callId: string, method = 'OPTIONS'): Promise<void> {
  const branch = `z9hG4bK-poke-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const msg =
    `${method} sip:poke@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=${branch}\r\n` +
    `From: <sip:test@127.0.0.1>;tag=poke\r\nTo: <sip:sipp@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 ${method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => sock.send(Buffer.from(msg), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  } finally {
    sock.close();
  }
}

/** The mid-call sessions of the calls, in call order. */
function sessions(): MidCallSession[] {
  const feature = ts.server.features.find((f) => f.name === 'mid-call') as unknown as { session(id: string): MidCallSession | undefined };
  return [...ts.server.calls.values()].map((call) => feature.session(call.id)).filter((x): x is MidCallSession => x !== undefined);
}
/** The mid-call session of C's call (the first one; an EFA second call or a consult call may follow it). */
const session = (): MidCallSession | undefined => sessions()[0];
const state = (): string | undefined => session()?.state;

// --- what C hears
/** RTP packets (not telephone-events) C received since `t0`. */
const voiceSince = (t0: number): ReceivedPacket[] => cMedia.packets.filter((p) => p.at >= t0 && p.rtp !== undefined && p.rtp.payloadType !== PT_EVENT);
const eventsSince = (t0: number): ReceivedPacket[] => cMedia.packets.filter((p) => p.at >= t0 && p.rtp?.payloadType === PT_EVENT);
const ssrcs = (list: ReceivedPacket[]): Set<number> => new Set(list.map((p) => p.rtp!.ssrc));

/** Wait until C hears at least `n` voice packets (from SSRCs not in `except`) after `t0`; their SSRCs. */
async function untilHeard(what: string, t0 = Date.now(), n = 10, except: Set<number> = new Set(), ms = 5000): Promise<Set<number>> {
  const heard = () => voiceSince(t0).filter((p) => !except.has(p.rtp!.ssrc));
  try {
    await until(() => heard().length >= n, ms);
  } catch {
    throw new Error(`C did not hear ${what}: ${heard().length} packets in ${ms} ms (all voice since: ${voiceSince(t0).length})`);
  }
  return ssrcs(heard());
}
/** Wait until C hears a SIPp peer talk (g711a.pcap, TALK_SSRC) after `t0`. */
async function untilTalk(who: string, t0: number, ms = 5000): Promise<void> {
  const n = () => voiceSince(t0).filter((p) => p.rtp!.ssrc === TALK_SSRC).length;
  try {
    await until(() => n() >= 10, ms);
  } catch {
    throw new Error(`C did not hear ${who}: ${n()} packets of its stream in ${ms} ms (all voice since: ${voiceSince(t0).length})`);
  }
}
/** Voice packets C hears during `ms` from anything but a talking SIPp peer (MoH, tones). */
async function heardOthersFor(ms: number): Promise<number> {
  const t0 = Date.now();
  await sleep(ms);
  return voiceSince(t0).filter((p) => p.rtp!.ssrc !== TALK_SSRC).length;
}
/** Voice packets C hears during `ms` (optionally only from `only`). */
async function heardFor(ms: number, only?: Set<number>): Promise<number> {
  const t0 = Date.now();
  await sleep(ms);
  return voiceSince(t0).filter((p) => only === undefined || only.has(p.rtp!.ssrc)).length;
}

/** An RTP sink keeping payloads (to tell speech from silence, e.g. what a conference mixer sends). */
interface Sink {
  port: number;
  packets: { at: number; pt: number; ssrc: number; payload: Buffer }[];
  /** Voice packets (not telephone-events) since t0. */
  voice(t0: number): Sink['packets'];
  close(): void;
}
async function openSink(): Promise<Sink> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  const packets: Sink['packets'] = [];
  sock.on('message', (m) => {
    if (m.length > 12 && m[0]! >> 6 === 2) packets.push({ at: Date.now(), pt: m[1]! & 0x7f, ssrc: m.readUInt32BE(8), payload: Buffer.from(m.subarray(12)) });
  });
  return { port: sock.address().port, packets, voice: (t0) => packets.filter((p) => p.at >= t0 && p.pt !== PT_EVENT), close: () => sock.close() };
}
/** G.711 speech rather than silence or a steady tone: many distinct sample bytes. */
const isSpeech = (payload: Buffer): boolean => payload.length >= 80 && new Set(payload).size > 20;

// --- SIPp peers
let seq = 0;
const uniq = (what: string): string => `${what}-${process.pid}-${++seq}`;

/** C calls U1's DID (SIPp UAC from T's alternate port). */
async function startC(rtpPort = cMedia.port, port = cPort, farKeys?: string): Promise<{ c: SippServer; callId: string }> {
  const id = uniq('c');
  const c = await startSippServer({
    scenario: farKeys === undefined ? 'far-uac-mobility' : await farKeysScenario(farKeys),
    remote: `127.0.0.1:${ts.udpPort}`,
    port,
    calls: 1,
    service: U1_DID,
    set: { from: C_NUMBER, rtp_port: rtpPort },
    extraArgs: ['-cid_str', `${id}-%u@127.0.0.1`],
    timeoutS: 50,
    name: 'far-uac-mobility-C',
  });
  return { c, callId: `${id}-1@127.0.0.1` };
}

/** far-uac-mobility.xml where a MESSAGE poke makes C press `keys` (SIP INFO) on its own leg. */
function farKeysScenario(keys: string): Promise<string> {
  const infos = [...keys]
    .map((k, i) => `${infoKeyXml(k, `cinfo${i}`)}
  <recv response="200" response_txn="cinfo${i}"${i === keys.length - 1 ? ' next="loop"' : ''} />`
    )
    .join('\n');
  return writeScenarioVariant(
    'far-uac-mobility',
    [
      ['  <recv request="BYE" next="bye" />\n', '  <recv request="MESSAGE" optional="true" next="farkeys" />\n  <recv request="BYE" next="bye" />\n'],
      ['  <label id="end" />', `  <label id="farkeys" />\n${infos}\n\n  <label id="end" />`],
    ],
    uniq('far-uac-keys'),
  );
}

/** D1's registered contact: rings for the SNR fork; `handoff` says what it does with a *74 INVITE. */
function startDesk(handoff: 'answer' | 'ring' = 'answer'): Promise<SippServer> {
  return startSippServer({ scenario: 'desk-uas-mobility', port: deskPort, set: { handoff }, timeoutS: 50, name: 'desk-uas-D1' });
}

type RdStep = 'poke' | 'hangup' | 'waitBye' | 'audio' | { keys: string; via: 'rfc4733' | 'info' } | { pauseMs: number };
const KEY_MS = 220; // dtmfPcap(): 100 ms of events + 120 ms gap per key

/** rd-uas-mobility.xml with the steps filled in. */
async function rdScenario(steps: RdStep[]): Promise<string> {
  const out: string[] = [];
  let info = 0;
  let cseq = 1;
  const inDialog = (method: string, extra: string, body = '') => `
      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: [$inv_to];tag=[pid]SIPpTag01[call_number]
      To: [$inv_from]
      Call-ID: [call_id]
      CSeq: ${cseq++} ${method}
      Contact: <sip:rd@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70${extra}
      Content-Length: [len]
${body}`;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const next = steps[i + 1];
    if (s === 'poke') out.push('  <recv request="OPTIONS" />');
    else if (s === 'audio') out.push('  <nop display="RD talks"><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap" /></action></nop>');
    else if (s === 'hangup')
      out.push(`  <send retrans="500" start_txn="bye"><![CDATA[
${inDialog('BYE', '')}
    ]]></send>
  <recv response="200" response_txn="bye" />`);
    else if (s === 'waitBye') {
      // Digits the far party sends (INFO, passed through to RD1, D-07) are answered meanwhile.
      const ok200 = `<![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>`;
      out.push(`  <label id="wait_bye" />
  <recv request="INFO" optional="true" next="wait_bye_info" />
  <recv request="BYE" next="got_bye" />
  <label id="wait_bye_info" />
  <send next="wait_bye">${ok200}</send>
  <label id="got_bye" />
  <send>${ok200}</send>`);
    }
    else if ('pauseMs' in s) out.push(`  <pause milliseconds="${s.pauseMs}" />`);
    else if (s.via === 'rfc4733') {
      const file = await writeDtmfPcap(path.join(work, `${uniq('keys')}.pcap`), s.keys);
      out.push(`  <nop display="rfc4733 ${s.keys}"><action><exec play_pcap_audio="${file}" /></action></nop>`);
      // The capture plays in the background. A poke or a BYE must find the call waiting at its
      // recv (arriving during a pause they would be unexpected); before anything else, let it end.
      if (next !== 'poke' && next !== 'waitBye') out.push(`  <pause milliseconds="${s.keys.length * KEY_MS + 300}" />`);
    } else {
      for (const k of s.keys) {
        const n = info++;
        out.push(`  <send retrans="500" start_txn="info${n}"><![CDATA[
${inDialog('INFO', '\n      Content-Type: application/dtmf-relay', `\n      Signal=${k}\n      Duration=160\n`)}
    ]]></send>
  <recv response="200" response_txn="info${n}" />`);
      }
    }
  }
  return writeScenarioVariant('rd-uas-mobility', [['<!-- @STEPS@ -->', out.join('\n')]], uniq('rd-uas-mobility'));
}

async function startRd(steps: RdStep[], ringMs = 0): Promise<SippServer> {
  return startSippServer({ scenario: await rdScenario(steps), port: gwPort, calls: 1, durationMs: ringMs, timeoutS: 50, name: 'rd-uas-RD1' });
}

/**
 * The Call-ID of the nth INVITE a SIPp UAS received (from its message trace), once the trace
 * also shows its 180 sent (`ringing`) or its ACK received (`acked`): the peer then sits at its
 * next <recv>, where a poke is expected (a poke arriving earlier would be unexpected).
 */
async function invitedCallId(p: SippServer, nth = 0, after: 'ringing' | 'acked' = 'ringing'): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const msgs = await p.messages();
    const inv = findMessages(msgs, { direction: 'received', method: 'INVITE' })[nth];
    const id = inv === undefined ? undefined : header(inv, 'Call-ID');
    if (id !== undefined) {
      const done = after === 'ringing' ? findMessages(msgs, { direction: 'sent', status: 180, callId: id }) : findMessages(msgs, { direction: 'received', method: 'ACK', callId: id });
      if (done.length > 0) return id;
    }
    if (Date.now() > end) throw new Error(`SIPp trace: no INVITE #${nth + 1} ${after} within 5 s`);
    await sleep(50);
  }
}

/** C → U1's DID; SNR forks D1 (SIPp desk, rings) and RD1 (SIPp, answers at once). */
async function callAnsweredAtRd(rdSteps: RdStep[], handoff: 'answer' | 'ring' = 'answer', cRtpPort = cMedia.port): Promise<{ c: SippServer; cCallId: string; rd: SippServer; rdCallId: string; desk: SippServer }> {
  const desk = await startDesk(handoff);
  const rd = await startRd(rdSteps);
  const { c, callId } = await startC(cRtpPort);
  await until(() => state() === 'connected', 8000);
  const rdCallId = await invitedCallId(rd, 0, 'acked');
  expect((await receivedSoFar(rd, 'INVITE'))[0]!.body, 'the SNR fork carries an offer').toMatch(/m=audio \d+/);
  expect(session()!.call.legOf(session()!.h.userSide)?.callId).toBe(rdCallId);
  return { c, cCallId: callId, rd, rdCallId, desk };
}

/** A SIPp run's result; the run must have succeeded (exit 0, `calls` successful calls, none failed). */
function expectOk(r: SippResult, calls = 1): void {
  expect(r.code, r.describe()).toBe(0);
  expect(r.stats?.successful, r.describe()).toBe(calls);
  expect(r.stats?.failed, r.describe()).toBe(0);
}
const got = (r: { parsed: SippMessage[] }, method: string): SippMessage[] => findMessages(r.parsed, { direction: 'received', method });

/** The desk picks up (INVITE/Replaces with `replaces`, or to `code`): SIPp UAC, digest-authenticated. */
async function startPickup(o: { replaces?: string; code?: string; expectFail?: boolean; device?: 'D1' | 'D3' }): Promise<{ desk: SippServer; callId: string }> {
  const cred = ts.fixture.credentials[o.device ?? 'D1'];
  const id = uniq('pick');
  const scenario = o.replaces === undefined ? await writeScenarioVariant('desk-uac-pickup', [[/\n\s*Replaces: \[replaces\]/, '']], uniq('desk-uac-pickup-code')) : 'desk-uac-pickup';
  const desk = await startSippServer({
    scenario,
    remote: `127.0.0.1:${ts.udpPort}`,
    port: pickPort,
    calls: 1,
    service: o.code ?? '5001',
    set: { from: cred.username, ...(o.expectFail ? { expect_fail: '1' } : {}) },
    ...(o.replaces !== undefined ? { keys: { replaces: o.replaces } } : {}),
    authUser: cred.username,
    authPassword: cred.password,
    extraArgs: ['-cid_str', `${id}-%u@127.0.0.1`],
    timeoutS: 50,
    name: `desk-uac-pickup-${o.device ?? 'D1'}`,
  });
  return { desk, callId: `${id}-1@127.0.0.1` };
}

// ------------------------------------------------------------------ tests
describe('§18.3 mid-call hold / resume with SIPp peers', () => {
  for (const via of ['rfc4733', 'info'] as const) {
    it(`TS-18 (SIPp, ${via === 'rfc4733' ? 'RFC 4733' : 'SIP INFO'}) *81 puts C on MoH (relay re-point, no re-INVITE), offered to the desk; *83 brings C back to RD1`, async () => {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*81', via }, 'poke', { keys: '*83', via }, 'waitBye']);
      await until(() => inUse().length === 1); // TS-01: "remote in use" on the line
      expect(await heardFor(300), 'C hears nothing before *81').toBe(0);
      const t81 = Date.now();
      await poke(gwPort, rdCallId);
      await until(() => state() === 'held', 5000);
      const moh = await untilHeard('MoH after *81', t81);
      await until(() => heldOffers().length === 1); // MID-02: offered to the desk, no timer
      await sleep(1300); // longer than maxWaitTimeForDeskPickupMs: no timer runs on a *81 hold
      expect(state()).toBe('held');
      const t83 = Date.now();
      await poke(gwPort, rdCallId);
      await until(() => state() === 'connected', 5000);
      await until(() => heldOffers().length === 0 && inUse().length === 1);
      await sleep(300);
      expect(await heardFor(600, moh), 'no MoH after *83').toBe(0);
      if (via === 'rfc4733') {
        // D-07: the key presses are passed through to C (rtpengine relays the events).
        await until(() => eventsSince(t83).length > 0);
      }
      await poke(cPort, cCallId); // C hangs up: RD1 gets the BYE
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expectOk(dr); // the SNR fork, CANCELled when RD1 answered
      expect(got(cr, 'INVITE'), 'C gets no re-INVITE for the hold').toHaveLength(0);
      expect(got(cr, 'INFO')).toHaveLength(via === 'info' ? 6 : 0); // D-07 with INFO
      expect(got(rr, 'BYE')).toHaveLength(1);
      expect(got(dr, 'CANCEL')).toHaveLength(1);
      await idle();
    }, TEST_TIMEOUT);
  }
});

/** The Replaces value naming C's dialog with the server, as a held-dialog offer shows it (DPU-01). */
function replacesForFar(): string {
  const far = session()!.far!;
  return serializeReplaces({ callId: far.callId, toTag: far.localTag, fromTag: far.remoteTag, earlyOnly: false });
}

async function untilAsync(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(50);
  }
}

/** Messages a running SIPp peer has received so far. */
async function receivedSoFar(p: SippServer, method: string): Promise<SippMessage[]> {
  return findMessages(await p.messages(), { direction: 'received', method });
}

/**
 * DPU-03: the SIPp desk takes the offered call (Replaces or pickup code); then MoH stops, C is
 * re-INVITEd towards the desk and hears it talk, the offer is cleared. C hangs up at the end.
 */
async function pickupAndHangUp(o: { c: SippServer; cCallId: string; moh: Set<number>; replaces?: string; code?: string; device?: 'D1' | 'D3' }): Promise<{ cr: SippResult; pr: SippResult }> {
  const t0 = Date.now();
  const { desk } = await startPickup({ ...(o.replaces !== undefined ? { replaces: o.replaces } : { code: o.code! }), device: o.device ?? 'D1' });
  await until(() => state() === 'moved', 8000);
  await until(() => heldOffers().length === 0);
  // The desk plays g711a.pcap once answered: C hears a new stream, and no more MoH.
  await untilTalk('the desk after the pickup', t0);
  await sleep(200);
  expect(await heardFor(600, o.moh), 'MoH after the pickup').toBe(0);
  expect(await heardOthersFor(400), 'C hears only the desk').toBe(0);
  expect(ts.server.calls.size).toBe(1);
  await poke(cPort, o.cCallId);
  const [cr, pr] = await Promise.all([o.c.done, desk.done]);
  expectOk(cr);
  expectOk(pr);
  expect(findMessages(pr.parsed, { direction: 'received', status: 200, cseqMethod: 'INVITE' })).toHaveLength(1);
  expect(got(pr, 'BYE')).toHaveLength(1); // C's BYE reached the desk
  return { cr, pr };
}

describe('DTMF-02 codes only on the user-side leg, with SIPp peers', () => {
  it('DTMF-02 (SIPp) *81 pressed by the far party C (SIP INFO) does nothing: no hold, no MoH; the digits reach RD1 (D-07)', async () => {
    const desk = await startDesk();
    const rd = await startRd(['waitBye']);
    const { c, callId: cCallId } = await startC(cMedia.port, cPort, '*81');
    await until(() => state() === 'connected', 8000);
    await invitedCallId(rd, 0, 'acked');
    const t0 = Date.now();
    await poke(cPort, cCallId, 'MESSAGE'); // C presses *81
    await untilAsync(async () => findMessages(await c.messages(), { direction: 'received', status: 200, cseqMethod: 'INFO' }).length === 3, 5000);
    await sleep(1200); // longer than dtmfInterDigitTimeoutMs
    expect(state()).toBe('connected');
    expect(voiceSince(t0), 'no MoH').toHaveLength(0);
    expect(heldOffers()).toHaveLength(0);
    await poke(cPort, cCallId);
    const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
    expectOk(cr);
    expectOk(rr);
    expectOk(dr);
    expect(got(rr, 'INFO').map((m) => /Signal=(.)/.exec(m.body)?.[1]).join('')).toBe('*81');
    await idle();
  }, TEST_TIMEOUT);
});

describe('DTMF-05 one method per leg, with a SIPp RD', () => {
  for (const [first, other] of [['rfc4733', 'info'], ['info', 'rfc4733']] as const) {
    it(`DTMF-05 (SIPp) *81 by ${first} locks the RD leg to it: *83 by ${other} is ignored, *83 by ${first} resumes`, async () => {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*81', via: first }, 'poke', { keys: '*83', via: other }, 'poke', { keys: '*83', via: first }, 'waitBye']);
      await poke(gwPort, rdCallId);
      await until(() => state() === 'held', 5000);
      await poke(gwPort, rdCallId); // *83 by the other method
      if (other === 'info') await untilAsync(async () => findMessages(await rd.messages(), { direction: 'received', status: 200, cseqMethod: 'INFO' }).length === 3, 5000);
      await sleep(1500); // the RFC 4733 capture lasts 660 ms; digits are acted on at once
      expect(state(), `*83 by ${other} after ${first} must be ignored`).toBe('held');
      await poke(gwPort, rdCallId); // *83 by the first method
      await until(() => state() === 'connected', 5000);
      await poke(cPort, cCallId);
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expectOk(dr);
      await idle();
    }, TEST_TIMEOUT);
  }
});

describe('§18.2 desk pickup with SIPp peers', () => {
  it('TS-11 (SIPp) the RD BYEs: C hears MoH, D1 is offered a held dialog, a SIPp desk INVITE/Replaces takes the call, offer cleared', async () => {
    const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', 'hangup']);
    const t0 = Date.now();
    await poke(gwPort, rdCallId);
    expectOk(await rd.done);
    const moh = await untilHeard('MoH after the RD BYE', t0);
    expect(state()).toBe('pickupPending');
    await until(() => heldOffers().length === 1);
    const replaces = serializeReplaces(replacesForDialog(heldOffers()[0]!)!);
    const { cr } = await pickupAndHangUp({ c, cCallId, moh, replaces });
    expect(got(cr, 'INVITE'), 'C is re-INVITEd towards the desk once').toHaveLength(1);
    expectOk(await desk.stop());
    await idle();
  }, TEST_TIMEOUT);

  it('TS-11 (SIPp, pickup code D-15) the RD BYEs; the SIPp desk dials *9504 and gets C', async () => {
    const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', 'hangup']);
    const t0 = Date.now();
    await poke(gwPort, rdCallId);
    expectOk(await rd.done);
    const moh = await untilHeard('MoH after the RD BYE', t0);
    await until(() => heldOffers().length === 1);
    const { cr } = await pickupAndHangUp({ c, cCallId, moh, code: ts.server.directory.mobilityParameters().deskPickupCode });
    expect(got(cr, 'INVITE')).toHaveLength(1);
    expectOk(await desk.stop());
    await idle();
  }, TEST_TIMEOUT);

  it('TS-12 (SIPp) desk pickup timer runs out: C (on MoH meanwhile) gets BYE maxWaitTimeForDeskPickupMs after the RD BYE', async () => {
    const { c, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', 'hangup']);
    const t0 = Date.now();
    await poke(gwPort, rdCallId);
    const [rr, cr] = await Promise.all([rd.done, c.done]);
    expectOk(rr);
    expectOk(cr);
    expect(voiceSince(t0).length, 'MoH while the pickup window is open').toBeGreaterThan(10);
    const rdBye = findMessages(rr.parsed, { direction: 'sent', method: 'BYE' })[0]!;
    const cBye = got(cr, 'BYE')[0]!;
    const after = sippTime(cBye) - sippTime(rdBye);
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(3000);
    expect(got(cr, 'INVITE')).toHaveLength(0);
    await until(() => heldOffers().length === 0);
    expectOk(await desk.stop());
    await idle();
  }, TEST_TIMEOUT);

  it('TS-13 (SIPp) pickup window 0: C gets BYE at once after the RD BYE, never hears MoH', async () => {
    ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 0 });
    const t0 = Date.now();
    const { c, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', 'hangup']);
    await poke(gwPort, rdCallId);
    const [rr, cr] = await Promise.all([rd.done, c.done]);
    expectOk(rr);
    expectOk(cr);
    const after = sippTime(got(cr, 'BYE')[0]!) - sippTime(findMessages(rr.parsed, { direction: 'sent', method: 'BYE' })[0]!);
    expect(after).toBeLessThan(1000); // spec: 200 ms; loose for a loaded machine (the 1 s timer is not used)
    await sleep(200);
    expect(voiceSince(t0), 'no MoH').toHaveLength(0);
    expectOk(await desk.stop());
    await idle();
  }, TEST_TIMEOUT);

  it('TS-14 (SIPp) *81, then the RD BYEs: no pickup timer, C stays on MoH; later the SIPp desk resumes with Replaces', async () => {
    const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*81', via: 'rfc4733' }, 'poke', 'hangup']);
    const t0 = Date.now();
    await poke(gwPort, rdCallId);
    await until(() => state() === 'held', 5000);
    const moh = await untilHeard('MoH after *81', t0);
    await until(() => heldOffers().length === 1);
    await poke(gwPort, rdCallId); // RD1 hangs up
    expectOk(await rd.done);
    await sleep(1500); // longer than maxWaitTimeForDeskPickupMs (1 s)
    expect(c.exited).toBe(false);
    expect(state()).toBe('held');
    expect(await heardFor(400, moh), 'still on MoH').toBeGreaterThan(5);
    const replaces = serializeReplaces(replacesForDialog(heldOffers()[0]!)!);
    expect(replaces).toBe(replacesForFar()); // the value TS-23 uses names the same dialog
    const { cr } = await pickupAndHangUp({ c, cCallId, moh, replaces });
    expect(got(cr, 'INVITE')).toHaveLength(1);
    expectOk(await desk.stop());
    await idle();
  }, TEST_TIMEOUT);
});

describe('§18.3 exclusive hold with SIPp peers', () => {
  for (const via of ['rfc4733', 'info'] as const) {
    it(`TS-23 (SIPp, ${via === 'rfc4733' ? 'RFC 4733' : 'SIP INFO'}) *82: MoH, not offered; after the RD BYE a SIPp desk INVITE/Replaces gets 481 and C stays on MoH with no timer`, async () => {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*82', via }, 'poke', 'hangup']);
      const t0 = Date.now();
      await poke(gwPort, rdCallId);
      await until(() => state() === 'exclusiveHeld', 5000);
      const moh = await untilHeard('MoH after *82', t0);
      await sleep(300);
      expect(heldOffers(), 'exclusive hold is not offered to the desk').toHaveLength(0);
      await poke(gwPort, rdCallId); // RD1 hangs up
      expectOk(await rd.done);
      const { desk: pick } = await startPickup({ replaces: replacesForFar(), expectFail: true });
      const pr = await pick.done;
      expectOk(pr);
      expect(findMessages(pr.parsed, { direction: 'received', cseqMethod: 'INVITE' }).map((m) => m.status).filter((s) => s! >= 200)).toEqual([407, 481]);
      await sleep(1500); // longer than maxWaitTimeForDeskPickupMs
      expect(c.exited).toBe(false);
      expect(state()).toBe('exclusiveHeld');
      expect(heldOffers()).toHaveLength(0);
      expect(await heardFor(400, moh), 'still on MoH').toBeGreaterThan(5);
      await poke(cPort, cCallId);
      const [cr, dr] = await Promise.all([c.done, desk.stop()]);
      expectOk(cr);
      expectOk(dr);
      expect(got(cr, 'INVITE')).toHaveLength(0);
      expect(got(cr, 'INFO')).toHaveLength(via === 'info' ? 3 : 0);
      await idle();
    }, TEST_TIMEOUT);
  }
});

describe('§18.2 session handoff with SIPp peers', () => {
  for (const via of ['rfc4733', 'info'] as const) {
    const name = via === 'rfc4733' ? 'RFC 4733' : 'SIP INFO';
    it(`TS-15 (SIPp, ${name}) *74 rings the SIPp desk (no Diversion, late offer), C is not held; the desk answers: C moves to it, RD1 gets BYE`, async () => {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*74', via }, 'waitBye'], 'answer');
      await poke(gwPort, rdCallId);
      await until(() => session()?.handoffRinging === true, 5000);
      const deskCallId = await invitedCallId(desk, 1);
      const inv = (await receivedSoFar(desk, 'INVITE'))[1]!;
      expect(header(inv, 'Diversion'), 'HO-02: no forwarding information').toBeUndefined();
      expect(header(inv, 'From')).toContain(C_NUMBER); // HO-01: the desk shows the far party
      expect(inv.body, 'late offer').toBe('');
      expect(await heardFor(500), 'HO-01: no MoH while the desk rings').toBe(0);
      expect(state()).toBe('connected');
      expect(await receivedSoFar(c, 'INVITE')).toHaveLength(0);
      const t0 = Date.now();
      await poke(deskPort, deskCallId); // the desk answers
      await until(() => state() === 'moved', 5000);
      const rr = await rd.done;
      expectOk(rr);
      expect(got(rr, 'BYE')).toHaveLength(1);
      await untilTalk('the desk after the handoff', t0);
      await sleep(200);
      expect(await heardOthersFor(500), 'C hears only the desk').toBe(0);
      await poke(cPort, cCallId);
      const cr = await c.done;
      expectOk(cr);
      expect(got(cr, 'INVITE'), 'C re-INVITEd towards the desk').toHaveLength(1);
      const dr = await desk.stop();
      expectOk(dr, 2); // the SNR fork (CANCELled) and the handoff call
      expect(got(dr, 'BYE')).toHaveLength(1);
      await idle();
    }, TEST_TIMEOUT);

    it(`TS-16 (SIPp, ${name}) *74 not answered: the SIPp desk is CANCELled after sessionHandoffAlertingTimerS, C↔RD1 goes on`, async () => {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*74', via }, 'waitBye'], 'ring');
      await poke(gwPort, rdCallId);
      await untilAsync(async () => (await receivedSoFar(desk, 'CANCEL')).length === 2, 6000);
      await until(() => session()?.handoffRinging === false, 3000);
      const cancels = await receivedSoFar(desk, 'CANCEL');
      expect(cancels).toHaveLength(2);
      const invites = await receivedSoFar(desk, 'INVITE');
      const ringMs = sippTime(cancels[1]!) - sippTime(invites[1]!);
      expect(ringMs).toBeGreaterThanOrEqual(900); // sessionHandoffAlertingTimerS = 1
      expect(ringMs).toBeLessThan(3000);
      expect(state()).toBe('connected');
      expect(rd.exited).toBe(false);
      expect(await heardFor(400), 'no MoH').toBe(0);
      await poke(cPort, cCallId);
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expectOk(dr, 2);
      expect(got(cr, 'INVITE')).toHaveLength(0);
      expect(got(cr, 'INFO')).toHaveLength(via === 'info' ? 3 : 0); // D-07
      expect(got(rr, 'BYE')).toHaveLength(1);
      await idle();
    }, TEST_TIMEOUT);
  }

  // S1:933: "the call is cleared and the Remote In Use state is removed from the user's desk phone line".
  it('TS-16 (SIPp) after the unanswered handoff, D1\'s "remote in use" state is cleared (HO-04)', async () => {
    const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*74', via: 'info' }, 'waitBye'], 'ring');
    await until(() => inUse().length === 1); // TS-01
    await poke(gwPort, rdCallId);
    await untilAsync(async () => (await receivedSoFar(desk, 'CANCEL')).length === 2, 6000);
    await until(() => session()?.handoffRinging === false, 3000);
    try {
      await until(() => inUse().length === 0, 3000).catch(() => {
        throw new Error(`"remote in use" still shown 3 s after the handoff CANCEL: ${JSON.stringify(lineDialogs().map((d) => ({ state: d.state, held: isHeld(d) })))}`);
      });
    } finally {
      await poke(cPort, cCallId);
      await Promise.all([c.done, rd.done, desk.stop()]);
    }
    await idle();
  }, TEST_TIMEOUT);

  it('HO-02 (SIPp) the line\'s forward-no-answer (1 s here) is not applied to the handoff INVITE: it rings until the alerting timer (3 s), nothing else is called', async () => {
    const dir = ts.server.directory;
    dir.lines.update('L5001', { noAnswerRingDurationS: 1 });
    dir.serviceParameters.setMany({ sessionHandoffAlertingTimerS: 3 });
    try {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*74', via: 'info' }, 'waitBye'], 'ring');
      await poke(gwPort, rdCallId);
      await untilAsync(async () => (await receivedSoFar(desk, 'CANCEL')).length === 2, 8000);
      const invites = await receivedSoFar(desk, 'INVITE');
      const rang = sippTime((await receivedSoFar(desk, 'CANCEL'))[1]!) - sippTime(invites[1]!);
      expect(rang, 'CANCELled by sessionHandoffAlertingTimerS, not by forward-no-answer').toBeGreaterThanOrEqual(2800);
      expect(rang).toBeLessThan(5000);
      await until(() => session()?.handoffRinging === false, 3000);
      await sleep(500);
      expect(state()).toBe('connected');
      expect(await receivedSoFar(rd, 'INVITE'), 'nothing diverted to T').toHaveLength(1);
      expect(ts.server.calls.size, 'no forwarded call').toBe(1);
      await poke(cPort, cCallId);
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expectOk(dr, 2);
      expect(got(dr, 'INVITE')).toHaveLength(2);
      await idle();
    } finally {
      dir.lines.update('L5001', { noAnswerRingDurationS: 20 });
      dir.serviceParameters.setMany({ sessionHandoffAlertingTimerS: 1 });
    }
  }, TEST_TIMEOUT);

  it('HO-05 (SIPp) a second *74 while the handoff INVITE rings does nothing: one INVITE to the desk, CANCELled at the timer', async () => {
    ts.server.directory.serviceParameters.setMany({ sessionHandoffAlertingTimerS: 3 });
    try {
      const { c, cCallId, rd, rdCallId, desk } = await callAnsweredAtRd(['poke', { keys: '*74', via: 'info' }, 'poke', { keys: '*74', via: 'info' }, 'waitBye'], 'ring');
      await poke(gwPort, rdCallId);
      await until(() => session()?.handoffRinging === true, 5000);
      await invitedCallId(desk, 1); // the handoff INVITE rings
      await poke(gwPort, rdCallId); // *74 again
      await untilAsync(async () => findMessages(await rd.messages(), { direction: 'received', status: 200, cseqMethod: 'INFO' }).length === 6, 5000);
      await sleep(500);
      expect(session()!.handoffRinging).toBe(true);
      expect(await receivedSoFar(desk, 'INVITE'), 'no second handoff INVITE').toHaveLength(2);
      await untilAsync(async () => (await receivedSoFar(desk, 'CANCEL')).length === 2, 6000);
      await until(() => session()?.handoffRinging === false, 3000);
      expect(state()).toBe('connected');
      await poke(cPort, cCallId);
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expectOk(dr, 2);
      expect(got(dr, 'INVITE')).toHaveLength(2);
      expect(got(cr, 'INFO')).toHaveLength(6); // D-07: both *74 passed through
      await idle();
    } finally {
      ts.server.directory.serviceParameters.setMany({ sessionHandoffAlertingTimerS: 1 });
    }
  }, TEST_TIMEOUT);

  it('TS-17c (SIPp) *74 with no registered desk: nothing is sent, C↔RD1 goes on', async () => {
    const cred = ts.fixture.credentials.D1;
    expect(await registerContact(ts.udpPort, cred, `sip:d1@127.0.0.1:${deskPort}`, 0)).toBe(200);
    try {
      const desk = await startDesk();
      const rd = await startRd(['poke', { keys: '*74', via: 'rfc4733' }, 'waitBye']);
      const { c, callId: cCallId } = await startC();
      await until(() => state() === 'connected', 8000);
      await poke(gwPort, await invitedCallId(rd, 0, 'acked'));
      await sleep(1500); // the keys play for 660 ms
      expect(state()).toBe('connected');
      expect(session()!.handoffRinging).toBe(false);
      expect(rd.exited).toBe(false);
      await poke(cPort, cCallId);
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expect(dr.code, dr.describe()).toBe(0);
      expect(dr.stats?.created ?? 0, 'no INVITE reached the desk').toBe(0);
      expect(got(cr, 'INVITE')).toHaveLength(0);
      await idle();
    } finally {
      expect(await registerContact(ts.udpPort, cred, `sip:d1@127.0.0.1:${deskPort}`)).toBe(200);
    }
  }, TEST_TIMEOUT);
});

describe('§18.2 send call to mobile with SIPp peers', () => {
  /** The desk on line 5001 answers C's call and REFERs it to sendToMobileUri. */
  function startReferringDesk(after: 'bye' | 'reinvite' | 'stay', referTo = SEND_TO_MOBILE): Promise<SippServer> {
    return startSippServer({ scenario: 'desk-uas-send-to-mobile', port: deskPort, calls: 1, set: { refer_to: referTo, after }, timeoutS: 50, name: 'desk-uas-refer-D1' });
  }
  const sipfrags = (r: { parsed: SippMessage[] }): number[] => got(r, 'NOTIFY').map((m) => Number(/^SIP\/2\.0 (\d{3})/.exec(m.body)?.[1]));

  beforeEach(() => {
    // Only the desk rings for C's call; RDPU-02: enableSnr does not apply to send-to-mobile.
    ts.server.directory.remoteDestinations.update('RD1', { enableSnr: false });
  });

  it('TS-17a (SIPp) the SIPp desk REFERs to *9503: 202, C on MoH while RD1 rings, RD1 answers: C hears RD1, NOTIFY sipfrag 200, BYE to the desk', async () => {
    const rd = await startRd(['audio', 'waitBye'], 1500);
    const desk = await startReferringDesk('bye');
    const t0 = Date.now();
    const { c, callId: cCallId } = await startC();
    await untilAsync(async () => (await receivedSoFar(rd, 'INVITE')).length === 1, 8000);
    expect((await receivedSoFar(rd, 'INVITE'))[0]!.startLine).toContain('sip:+14085557890@');
    const dr = await desk.done;
    expectOk(dr);
    expect(everOffered(), 'RDPU-05: offered for resume on the line while RD1 rings').toBe(true);
    await until(() => heldOffers().length === 0 && inUse().length === 1); // RDPU-04: "remote in use"
    expect(findMessages(dr.parsed, { direction: 'received', status: 202, cseqMethod: 'REFER' })).toHaveLength(1);
    expect(sipfrags(dr).at(-1)).toBe(200);
    expect(sipfrags(dr).every((s) => s < 300)).toBe(true);
    expect(got(dr, 'BYE')).toHaveLength(1); // RDPU-04: after the NOTIFY 200 (the scenario's order)
    // RDPU-05: MoH while RD1 rang (before its 200); after it, C hears RD1 and no more MoH.
    const rdAnswer = sippTime(findMessages(await rd.messages(), { direction: 'sent', status: 200, cseqMethod: 'INVITE' })[0]!);
    const ringing = voiceSince(t0).filter((p) => p.at < rdAnswer);
    expect(ringing.length, 'MoH while RD1 rings').toBeGreaterThan(10);
    const moh = ssrcs(ringing);
    await untilTalk('RD1 after it answered', rdAnswer);
    await sleep(200);
    expect(await heardFor(600, moh), 'MoH after RD1 answered').toBe(0);
    expect(await heardOthersFor(400), 'C hears only RD1').toBe(0);
    expect(ts.server.calls.size).toBe(1);
    await poke(cPort, cCallId);
    const [cr, rr] = await Promise.all([c.done, rd.done]);
    expectOk(cr);
    expectOk(rr);
    expect(got(rr, 'BYE')).toHaveLength(1);
    await idle();
  }, TEST_TIMEOUT);

  it('TS-17b (SIPp) no mobile-phone RD: 202, NOTIFY sipfrag 403, no INVITE to T, the desk call goes on without MoH', async () => {
    ts.server.directory.remoteDestinations.update('RD1', { mobilePhone: false });
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, timeoutS: 50, name: 'gw-T-unused' });
    // RDPU-01: the user part counts, whatever the host (a phone's blind transfer to *9503).
    const desk = await startReferringDesk('stay', '<sip:*9503@phones.example.com>');
    const t0 = Date.now();
    const { c, callId: cCallId } = await startC();
    await untilAsync(async () => (await receivedSoFar(desk, 'NOTIFY')).some((m) => m.body.includes('SIP/2.0 403')), 8000);
    await sleep(300);
    expect(voiceSince(t0), 'no MoH').toHaveLength(0);
    expect(c.exited).toBe(false);
    await poke(cPort, cCallId);
    const [cr, dr, gr] = await Promise.all([c.done, desk.done, gw.stop()]);
    expectOk(cr);
    expectOk(dr);
    expect(sipfrags(dr).at(-1)).toBe(403);
    expect(got(dr, 'BYE')).toHaveLength(1); // C's BYE: the call stayed at the desk
    expect(gr.code, gr.describe()).toBe(0);
    expect(gr.stats?.created ?? 0, 'no INVITE to T').toBe(0);
    await idle();
  }, TEST_TIMEOUT);

  it('TS-17 (b) (SIPp) RD1 rings and never answers: CANCELled at Answer Too Late, NOTIFY sipfrag 480, C on MoH until the SIPp desk re-INVITEs', async () => {
    ts.server.directory.remoteDestinations.update('RD1', { answerTooLateMs: 1000 });
    const rd = await startSippServer({ scenario: 'uas-noanswer', port: gwPort, calls: 1, timeoutS: 50, name: 'rd-uas-noanswer' });
    const desk = await startReferringDesk('reinvite');
    const t0 = Date.now();
    const { c, callId: cCallId } = await startC();
    await untilAsync(async () => (await receivedSoFar(rd, 'INVITE')).length === 1, 8000);
    const moh = await untilHeard('MoH while RD1 rings', t0);
    await until(() => heldOffers().length === 1); // RDPU-05: offered for resume on the line
    const rr = await rd.done;
    expectOk(rr);
    const rang = sippTime(got(rr, 'CANCEL')[0]!) - sippTime(got(rr, 'INVITE')[0]!);
    expect(rang).toBeGreaterThanOrEqual(900);
    expect(rang).toBeLessThan(3000);
    // The desk resumes with a re-INVITE once it got the final NOTIFY.
    await untilAsync(async () => findMessages(await desk.messages(), { direction: 'received', status: 200, cseqMethod: 'INVITE' }).length === 1, 5000);
    await until(() => heldOffers().length === 0); // resumed at the desk: the offer is withdrawn
    await sleep(300);
    expect(await heardFor(600, moh), 'MoH after the desk resumed').toBe(0);
    expect(c.exited).toBe(false);
    await poke(cPort, cCallId);
    const [cr, dr] = await Promise.all([c.done, desk.done]);
    expectOk(cr);
    expectOk(dr);
    expect(sipfrags(dr).at(-1)).toBe(480);
    expect(got(dr, 'BYE')).toHaveLength(1);
    await idle();
  }, TEST_TIMEOUT);
});

describe('§18.3 mid-call transfer and park through an EFA second call, with SIPp peers', () => {
  const EFA = '+14085556666';
  const RD1 = '+14085557890';

  /**
   * The mobile's second call to the EFA number (sipp-scenarios/mva-uac-dtmf.xml from T's other
   * alternate port): `first` keyed, then (with `then`) a wait for the test's poke and `then`;
   * it waits for the server's BYE (or, with `hangupOnPoke`, for another poke, then hangs up).
   * Its SDP names `rtpPort` (what EFA2 hears) when given.
   */
  async function startEfa2(first: string, then?: string, o: { via?: KeyVia; rtpPort?: number; hangupOnPoke?: boolean } = {}): Promise<{ efa: SippServer; callId: string }> {
    // The last key of each block goes straight on to the next wait (the server's BYE or the
    // test's poke may come at once: arriving during keysBlock()'s trailing pause they would be
    // unexpected).
    const trim = (xml: string): string => xml.replace(/\n\s*<pause milliseconds="\d+" \/>\s*$/, '');
    let block = trim(keysBlock([first], o.via ?? 'info'));
    if (then !== undefined) block += `\n  <recv request="OPTIONS" />\n${trim(keysBlock([then], o.via ?? 'info')).replace(/start_txn="info(\d+)"|response_txn="info(\d+)"/g, (m) => m.replace('info', 'infob'))}`;
    // Then (hangupOnPoke) the leg stays up, taking re-INVITEs (e.g. into a conference mixer),
    // until the test's poke: EFA2 hangs up.
    if (o.hangupOnPoke === true)
      block += `
  <label id="efa_wait" />
  <recv request="INVITE" optional="true" next="efa_reinvite" />
  <recv request="OPTIONS" next="efa_poked" />
  <label id="efa_reinvite" />
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[$caller]@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- [pid][call_number] [last_cseq_number] IN IP4 127.0.0.1
      s=-
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio ${o.rtpPort ?? '[media_port]'} RTP/AVP 8 0 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
      a=ptime:20
      a=sendrecv

    ]]></send>
  <recv request="ACK" crlf="true" next="efa_wait" />
  <label id="efa_poked" />`;
    const edits: [string, string][] = [['<!-- @KEYS@ -->', block]];
    if (o.rtpPort !== undefined) edits.push(['m=audio [media_port]', `m=audio ${o.rtpPort}`]);
    const file = await writeScenarioVariant('mva-uac-dtmf', edits, uniq('efa2-uac'));
    const id = uniq('efa2');
    const efa = await startSippServer({
      scenario: file,
      remote: `127.0.0.1:${ts.udpPort}`,
      port: efaPort,
      calls: 1,
      service: EFA,
      set: { from: RD1, hangup: o.hangupOnPoke === true ? '1' : '0' },
      extraArgs: ['-cid_str', `${id}-%u@127.0.0.1`],
      timeoutS: 50,
      name: 'efa2-uac',
    });
    return { efa, callId: `${id}-1@127.0.0.1` };
  }
  /** EFA2 got the 200s of its first `n` key presses (INFO): it now waits for the poke. */
  async function efaKeyed(efa: SippServer, n: number): Promise<void> {
    await untilAsync(async () => findMessages(await efa.messages(), { direction: 'received', status: 200, cseqMethod: 'INFO' }).length >= n, 8000);
  }
  const startD3 = (): Promise<SippServer> => startSippServer({ scenario: 'uas-answer-on-poke', port: d3Port, timeoutS: 50, name: 'uas-D3' });

  /** C on exclusive hold (*82 from the SIPp RD, `via`); returns the peers and the MoH SSRCs. */
  async function exclusiveHold(rdAfter: RdStep[], via: 'rfc4733' | 'info' = 'rfc4733', cSink?: Sink) {
    const peers = await callAnsweredAtRd(['poke', { keys: '*82', via }, ...rdAfter], 'answer', cSink?.port ?? cMedia.port);
    const t0 = Date.now();
    await poke(gwPort, peers.rdCallId);
    await until(() => state() === 'exclusiveHeld', 5000);
    const moh = cSink === undefined ? await untilHeard('MoH after *82', t0) : new Set<number>();
    if (cSink !== undefined) await until(() => cSink.voice(t0).length > 10, 5000);
    expect(heldOffers()).toHaveLength(0);
    return { ...peers, moh };
  }

  it('TS-19 (SIPp) consultative transfer: *82 on RD1, EFA2 1234#*84#2000#, D3 rings (From 5001; EFA2 hears ringback), answers (EFA2 hears D3), *84: C↔D3, both RD1 legs get BYE', async () => {
    const d3 = await startD3();
    const efaMedia = await UdpCounter.open({ keep: 50_000 });
    onTeardown(() => efaMedia.close());
    const { c, cCallId, rd, desk, moh } = await exclusiveHold(['waitBye']);
    const { efa, callId: efaCallId } = await startEfa2('1234#*84#2000#', '*84', { rtpPort: efaMedia.port });
    const d3CallId = await invitedCallId(d3);
    const inv = (await receivedSoFar(d3, 'INVITE'))[0]!;
    expect(header(inv, 'From'), 'CLI-02: the user\'s DN').toContain('sip:5001@');
    // MID-06 step 1: the EFA2 leg is bridged to the consult leg: ringback, then D3 itself.
    const efaVoice = (t: number, talk: boolean) => efaMedia.packets.filter((p) => p.at >= t && p.rtp !== undefined && p.rtp.payloadType !== PT_EVENT && (p.rtp.ssrc === TALK_SSRC) === talk).length;
    const tRing = Date.now();
    await until(() => efaVoice(tRing, false) > 10, 5000); // ringback
    const tAnswer = Date.now();
    await poke(d3Port, d3CallId); // D3 answers
    await untilAsync(async () => (await receivedSoFar(d3, 'ACK')).length === 1, 5000);
    await until(() => efaVoice(tAnswer, true) > 10, 5000); // EFA2 hears D3
    await efaKeyed(efa, '1234#*84#2000#'.length);
    expect(await heardFor(400, moh), 'C still on MoH during the consultation').toBeGreaterThan(5);
    const t0 = Date.now();
    await poke(efaPort, efaCallId); // *84
    const [rr, er] = await Promise.all([rd.done, efa.done]);
    expectOk(rr);
    expectOk(er);
    expect(got(rr, 'BYE')).toHaveLength(1);
    expect(got(er, 'BYE')).toHaveLength(1);
    await untilAsync(async () => (await receivedSoFar(c, 'INVITE')).length === 1, 5000); // C re-INVITEd towards D3
    await untilTalk('D3 after the transfer', t0);
    await sleep(200);
    expect(await heardOthersFor(600), 'C hears only D3 (no MoH)').toBe(0);
    expect(ts.server.calls.size).toBe(1);
    await poke(cPort, cCallId);
    const [cr, d3r, dr] = await Promise.all([c.done, d3.stop(), desk.stop()]);
    expectOk(cr);
    expectOk(d3r);
    expectOk(dr);
    const reinvites = got(d3r, 'INVITE').slice(1);
    expect(reinvites, 'D3 gets one offerless re-INVITE').toHaveLength(1);
    expect(reinvites[0]!.body).toBe('');
    expect(got(d3r, 'BYE')).toHaveLength(1);
    await idle();
  }, TEST_TIMEOUT);

  it('TS-20 (SIPp) early attended transfer: *84 while D3 rings: both RD1 legs released, C hears ringback, then D3 when it answers', async () => {
    const d3 = await startD3();
    const { c, cCallId, rd, desk, moh } = await exclusiveHold(['waitBye']);
    const { efa, callId: efaCallId } = await startEfa2('1234#*84#2000#', '*84');
    const d3CallId = await invitedCallId(d3); // D3 rings
    await efaKeyed(efa, '1234#*84#2000#'.length);
    const t0 = Date.now();
    await poke(efaPort, efaCallId); // *84 while D3 rings
    const [rr, er] = await Promise.all([rd.done, efa.done]);
    expectOk(rr);
    expectOk(er);
    await until(() => voiceSince(t0).length > 10, 5000); // ringback (MID-06 step 3)
    expect(d3.exited).toBe(false);
    const t1 = Date.now();
    await poke(d3Port, d3CallId); // D3 answers
    await untilAsync(async () => (await receivedSoFar(c, 'INVITE')).length === 1, 5000);
    await untilTalk('D3 after it answered', t1);
    await sleep(200);
    expect(await heardOthersFor(600), 'C hears only D3 (no ringback, no MoH)').toBe(0);
    expect(voiceSince(t1).filter((p) => moh.has(p.rtp!.ssrc) && p.at > Date.now() - 600)).toHaveLength(0);
    await poke(cPort, cCallId);
    const [cr, d3r, dr] = await Promise.all([c.done, d3.stop(), desk.stop()]);
    expectOk(cr);
    expectOk(d3r);
    expectOk(dr);
    expect(got(d3r, 'BYE')).toHaveLength(1);
    await idle();
  }, TEST_TIMEOUT);

  it('TS-21 (SIPp) conference: *82, EFA2 1234#*85#2000#, D3 answers, *85: C, D3 and EFA2 in a 3-party mix (C and EFA2 hear D3 through the mixer), RD1 released', async () => {
    const d3 = await startD3();
    const cSink = await openSink();
    const efaSink = await openSink();
    try {
      const { c, cCallId, rd, desk } = await exclusiveHold(['waitBye'], 'rfc4733', cSink);
      const { efa, callId: efaCallId } = await startEfa2('1234#*85#2000#', '*85', { rtpPort: efaSink.port, hangupOnPoke: true });
      const d3CallId = await invitedCallId(d3);
      await poke(d3Port, d3CallId); // D3 answers
      await untilAsync(async () => (await receivedSoFar(d3, 'ACK')).length === 1, 5000);
      await efaKeyed(efa, '1234#*85#2000#'.length);
      await sleep(300);
      expect(cSink.voice(0).filter((p) => p.ssrc === TALK_SSRC), 'C does not hear D3 before *85').toHaveLength(0);
      const moh = new Set(cSink.voice(0).map((p) => p.ssrc)); // what C heard until now: MoH
      expect(moh.size).toBeGreaterThan(0);
      const t0 = Date.now();
      await poke(efaPort, efaCallId); // *85
      const rr = await rd.done;
      expectOk(rr);
      expect(got(rr, 'BYE')).toHaveLength(1); // MID-08: the original RD1 leg is released
      const feature = ts.server.features.find((f) => f.name === 'mid-call') as unknown as { conferences: Set<{ size: number }> };
      await until(() => [...feature.conferences].some((x) => x.size === 3), 5000);
      expect(efa.exited).toBe(false); // the EFA2 leg stays, in the mix
      // D3 talks (speech from g711a.pcap): the mixer sends C and EFA2 the others' sum, i.e. speech.
      const speechSince = (k: Sink) => k.voice(t0).filter((p) => !moh.has(p.ssrc) && isSpeech(p.payload)).length;
      try {
        await until(() => speechSince(cSink) > 20 && speechSince(efaSink) > 20, 6000);
      } catch {
        throw new Error(`no speech through the mixer: C ${speechSince(cSink)} / ${cSink.voice(t0).length}, EFA2 ${speechSince(efaSink)} / ${efaSink.voice(t0).length}`);
      }
      await sleep(200);
      const t1 = Date.now();
      await sleep(500);
      expect(cSink.voice(t1).filter((p) => moh.has(p.ssrc)), 'MoH stopped').toHaveLength(0);
      await poke(cPort, cCallId);
      const cr = await c.done;
      expectOk(cr);
      expect(got(cr, 'INVITE'), 'C re-INVITEd into the mix').toHaveLength(1);
      await poke(efaPort, efaCallId); // EFA2 hangs up: the conference ends with D3 alone
      const [er, d3r, dr] = await Promise.all([efa.done, d3.stop(), desk.stop()]);
      expectOk(er);
      expectOk(d3r);
      expectOk(dr);
      expect(got(d3r, 'BYE')).toHaveLength(1);
      expect(feature.conferences.size).toBe(0);
      await idle();
    } finally {
      cSink.close();
      efaSink.close();
    }
  }, TEST_TIMEOUT);

  it('TS-22 (SIPp) directed call park: EFA2 1234#*84#7001#*84#: both RD1 legs released, C parked with MoH; a SIPp D3 dials *717001 and gets C', async () => {
    const { c, cCallId, rd, desk, moh } = await exclusiveHold(['waitBye']);
    const { efa } = await startEfa2('1234#*84#7001#*84#');
    const [rr, er] = await Promise.all([rd.done, efa.done]);
    expectOk(rr);
    expectOk(er);
    expect(got(rr, 'BYE')).toHaveLength(1);
    expect(got(er, 'BYE')).toHaveLength(1);
    await until(() => state() === 'parked', 3000);
    expect(await heardFor(400, moh), 'MoH goes on while parked').toBeGreaterThan(5);
    const { cr } = await pickupAndHangUp({ c, cCallId, moh, code: '*717001', device: 'D3' });
    expect(got(cr, 'INVITE')).toHaveLength(1);
    expectOk(await desk.stop());
    await idle();
  }, TEST_TIMEOUT);

  it('TS-22 negative (SIPp) park on an occupied number: EFA2 hears reorder and gets BYE, the second call stays on exclusive hold (*83 resumes it)', async () => {
    // A first call parked on 7001.
    const first = await exclusiveHold(['waitBye']);
    const { efa } = await startEfa2('1234#*84#7001#*84#');
    const [rr, er] = await Promise.all([first.rd.done, efa.done]);
    expectOk(rr);
    expectOk(er);
    await until(() => state() === 'parked', 3000);
    expectOk(await first.desk.stop());
    // A second call (C2 from another port), answered at RD1 and put on exclusive hold.
    const c2Media = await UdpCounter.open({ keep: 50_000 });
    const efaMedia = await UdpCounter.open();
    try {
      const desk = await startDesk();
      const rd = await startRd(['poke', { keys: '*82', via: 'info' }, 'poke', { keys: '*83', via: 'info' }, 'waitBye']);
      const { c: c2, callId: c2CallId } = await startC(c2Media.port, c2Port);
      await until(() => sessions().length === 2 && sessions()[1]!.state === 'connected', 8000);
      const second = sessions()[1]!;
      const rdCallId = await invitedCallId(rd, 0, 'acked');
      const t0 = Date.now();
      await poke(gwPort, rdCallId);
      await until(() => second.state === 'exclusiveHeld', 5000);
      await until(() => c2Media.packets.filter((p) => p.at >= t0 && p.rtp !== undefined).length > 10, 5000); // MoH
      // Park it on 7001 too: taken.
      const { efa: efa2 } = await startEfa2('1234#*84#7001#*84#', undefined, { rtpPort: efaMedia.port });
      const er2 = await efa2.done;
      expectOk(er2);
      expect(got(er2, 'BYE')).toHaveLength(1);
      expect(efaMedia.packets.filter((p) => p.rtp !== undefined && p.rtp.payloadType !== PT_EVENT).length, 'EFA2 hears the reorder tone').toBeGreaterThan(5);
      expect(second.state).toBe('exclusiveHeld');
      expect(state(), 'the first call is still parked').toBe('parked');
      expect(rd.exited, 'RD1 stays up').toBe(false);
      const t1 = Date.now();
      await sleep(400);
      expect(c2Media.packets.filter((p) => p.at >= t1 && p.rtp !== undefined).length, 'C2 still on MoH').toBeGreaterThan(5);
      await poke(gwPort, rdCallId); // *83
      await until(() => second.state === 'connected', 5000);
      await sleep(300);
      const t2 = Date.now();
      await sleep(500);
      expect(c2Media.packets.filter((p) => p.at >= t2 && p.rtp !== undefined && p.rtp.payloadType !== PT_EVENT), 'C2 back with RD1 (silent): no MoH').toHaveLength(0);
      await poke(c2Port, c2CallId);
      await poke(cPort, first.cCallId); // the parked C hangs up
      const [c2r, rr2, cr, dr] = await Promise.all([c2.done, rd.done, first.c.done, desk.stop()]);
      expectOk(c2r);
      expectOk(rr2);
      expectOk(cr);
      expectOk(dr);
      await idle();
    } finally {
      c2Media.close();
      efaMedia.close();
    }
  }, TEST_TIMEOUT);

  it('TS-24b (SIPp) transfer to a blocked number: no INVITE to T, EFA2 hears reorder and gets BYE, C stays on exclusive hold; *83 on RD1 reconnects C', async () => {
    ts.server.directory.serviceParameters.setMany({ systemRemoteAccessBlockedNumbers: '9911' });
    const efaMedia = await UdpCounter.open();
    try {
      const { c, cCallId, rd, rdCallId, desk, moh } = await exclusiveHold(['poke', { keys: '*83', via: 'info' }, 'waitBye'], 'info');
      const { efa } = await startEfa2('1234#*84#9911#', undefined, { rtpPort: efaMedia.port });
      const er = await efa.done;
      expectOk(er);
      expect(got(er, 'BYE')).toHaveLength(1);
      expect(efaMedia.packets.filter((p) => p.rtp !== undefined && p.rtp.payloadType !== PT_EVENT).length, 'EFA2 hears the reorder tone').toBeGreaterThan(5);
      expect(await receivedSoFar(rd, 'INVITE'), 'no INVITE to T for 9911').toHaveLength(1);
      expect(state()).toBe('exclusiveHeld');
      expect(await heardFor(400, moh), 'still on exclusive hold').toBeGreaterThan(5);
      await poke(gwPort, rdCallId); // *83
      await until(() => state() === 'connected', 5000);
      await sleep(300);
      expect(await heardFor(600), 'C hears nothing after *83 (RD1 is silent)').toBe(0);
      await poke(cPort, cCallId);
      const [cr, rr, dr] = await Promise.all([c.done, rd.done, desk.stop()]);
      expectOk(cr);
      expectOk(rr);
      expectOk(dr);
      expect(got(cr, 'INVITE')).toHaveLength(0);
      expect(got(rr, 'INVITE')).toHaveLength(1);
      await idle();
    } finally {
      efaMedia.close();
      ts.server.directory.serviceParameters.setMany({ systemRemoteAccessBlockedNumbers: '' });
    }
  }, TEST_TIMEOUT);
});
