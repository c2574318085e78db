/**
 * GEN-07 call records end to end: an SNR call from the PSTN (caller C, a SIPp UAC on an alternate
 * port of trunk T) answered at RD1 (gateway T, a SIPp UAS) is one anchored call (§17.2, origin
 * 'snr') and leaves exactly one call record linking the FAR leg (C's leg) and the user leg (the
 * RD leg), counted by origin in Prometheus; the live calls view names the feature while it runs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { type DvoTestServer, startDvoServer } from '../features/dvo/e2e-helpers.js';
import { findMessages, header, type SippMessage } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { runSipp, startSippServer, stopAllSipp, type SippResult } from './harness/sipp.js';
import { metricValue, sleep, waitFor } from './harness/wait.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let gwPort: number;
let pstnPort: number;

/** Call-ID of the first INVITE a SIPp run sent or received. */
const inviteCallId = (r: { parsed: SippMessage[] }, direction: 'sent' | 'received'): string => header(findMessages(r.parsed, { direction, method: 'INVITE' })[0]!, 'Call-ID')!;

const metric = (name: string, labels: Record<string, string> = {}, registry: Registry = ts.server.metrics.registry): Promise<number> => metricValue(registry, name, labels);

describe('GEN-07 call records: SNR', () => {
  beforeAll(async () => {
    [gwPort, pstnPort] = await freePorts(2);
    ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [pstnPort!], anchor: false });
    // RD1 answers at once and is not dropped as "too soon"; D1 is not registered: only RD1 rings.
    ts.server.directory.remoteDestinations.update('RD1', {
      delayBeforeRingingMs: 0,
      answerTooSoonMs: 0,
      answerTooLateMs: 5000,
      snrVoicemailPolicy: 'timerControl',
      enableSnr: true,
      accessPolicy: 'always',
      ringSchedule: null,
    });
  });

  afterAll(async () => {
    await ts?.stop();
  });

  it('an SNR call answered at RD1 leaves exactly one record linking the FAR leg and the RD leg', async () => {
    const before = await metric('ma_call_records_total', { origin: 'snr' });
    const recordsBefore = ts.server.anchored.records().length;
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1 });
    const caller = runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: '4085551234', set: { from: '9725553456' }, durationMs: 800, timeoutS: 20 });

    // While it runs: one anchored call, and the live calls view says "snr".
    expect(await waitFor(() => [...ts.server.calls.values()].some((c) => c.state === 'connected'))).toBe(true);
    const [liveId] = [...ts.server.calls.keys()];
    const live = ts.server.anchored.byCallRef(liveId!);
    expect(live).toMatchObject({ origin: 'snr', line: '5001', user: 'U1', anchored: true, state: 'connected' });
    expect(ts.server.anchored.list()).toHaveLength(1);

    const r = await caller;
    expect(r.code, r.errors).toBe(0);
    const g = await gw.stop();
    expect(await waitFor(() => ts.server.anchored.list().length === 0)).toBe(true);

    const records = ts.server.anchored.records().slice(0, ts.server.anchored.records().length - recordsBefore);
    expect(records).toHaveLength(1);
    const rec = records[0]!;
    const callerInvite = findMessages(r.parsed, { direction: 'sent', method: 'INVITE' })[0]!;
    const callerCallId = header(callerInvite, 'Call-ID')!;
    const rdCallId = inviteCallId(g, 'received');
    expect(rdCallId).not.toBe(callerCallId);
    expect(rec).toMatchObject({ id: callerCallId, callRef: callerCallId, origin: 'snr', anchored: true, user: 'U1', line: '5001', result: 'answered' });
    // (Who released is B2BCall's CallEnd.by; it reports the side of the BYE we sent, see the report.)
    // FAR: C's leg, with the tags of that dialog; user leg: the RD leg to T.
    expect(rec.farLeg).toMatchObject({ role: 'FAR', callId: callerCallId });
    expect(header(callerInvite, 'From')).toContain(`tag=${rec.farLeg!.remoteTag}`);
    expect(rec.userLegs).toHaveLength(1);
    expect(rec.userLegs[0]).toMatchObject({ role: 'RD', callId: rdCallId });
    expect(rec.userLegs[0]!.peer).toContain('+14085557890');
    expect(rec.connectedAt).not.toBeNull();
    expect(rec.durationMs).toBeGreaterThanOrEqual(600);
    expect(await metric('ma_call_records_total', { origin: 'snr' })).toBe(before + 1);
    expect(await metric('ma_anchored_calls', { origin: 'snr' })).toBe(0);

    // Nothing else produced a second record for the same call afterwards.
    await sleep(300);
    expect(ts.server.anchored.records().filter((x) => x.id === callerCallId)).toHaveLength(1);
  });
});

afterEach(async () => {
  await stopAllSipp();
});

describe('GEN-07 call records: DVO-R', () => {
  let dvo: DvoTestServer;
  let tPort: number; // gateway T: the callback leg to MI2
  let inPort: number;
  let d3Port: number; // D3, extension 2000: the target (FAR)
  let m1Port: number; // M1: the CTRL dialog

  beforeAll(async () => {
    [tPort, inPort, d3Port, m1Port] = await freePorts(4);
    dvo = await startDvoServer({ trunkPort: tPort!, trunkAlternatePorts: [inPort!] });
    // The MI answers at once: no Answer Too Soon drop, no user-control prompt.
    dvo.server.directory.remoteDestinations.update('MI2', { answerTooSoonMs: 0, snrVoicemailPolicy: 'timerControl' });
    const c = dvo.fixture.credentials;
    expect(await registerContact(dvo.udpPort, c.M1, `sip:m1@127.0.0.1:${m1Port}`)).toBe(200);
    expect(await registerContact(dvo.udpPort, c.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await dvo?.stop();
  });

  /** M1 calls extension 2000 (D3) by DVO with MI2's number and the given SDP attribute; hangs up after 800 ms. */
  const m1Calls2000 = (attr: string): Promise<SippResult> => {
    const c = dvo.fixture.credentials.M1;
    return runSipp({
      scenario: 'dvo-m1',
      remote: `127.0.0.1:${dvo.udpPort}`,
      port: m1Port,
      service: '2000',
      set: { number: '+14085551111', attr, mode: 'bye' },
      authUser: c.username,
      authPassword: c.password,
      durationMs: 800,
      timeoutS: 20,
    });
  };

  it('a DVO-R call to the MI leaves one anchored record: CTRL and callback as user legs, the target as FAR', async () => {
    const reg = dvo.server.metrics.registry;
    const before = await metric('ma_call_records_total', { origin: 'dvoR' }, reg);
    const gw = await startSippServer({ scenario: 'uas-basic', port: tPort, calls: 1, durationMs: 200 });
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1, durationMs: 200 });
    const m1 = await m1Calls2000('connection:new');
    expect(m1.code, m1.errors).toBe(0);
    const [g, d] = [await gw.stop(), await d3.stop()];
    expect(await waitFor(() => dvo.server.anchored.list().length === 0)).toBe(true);

    const recs = dvo.server.anchored.records().filter((r) => r.origin === 'dvoR');
    expect(recs).toHaveLength(1);
    const rec = recs[0]!;
    const ctrlCallId = inviteCallId(m1, 'sent');
    const callbackCallId = inviteCallId(g, 'received');
    const targetCallId = inviteCallId(d, 'received');
    expect(rec).toMatchObject({ id: ctrlCallId, origin: 'dvoR', anchored: true, user: 'U2', line: '5002', result: 'answered' });
    expect(rec.farLeg).toMatchObject({ role: 'FAR', callId: targetCallId });
    expect(rec.userLegs.map((l) => `${l.role}:${l.callId}`)).toEqual([`CTRL:${ctrlCallId}`, `RD:${callbackCallId}`]);
    expect(rec.connectedAt).not.toBeNull();
    expect(await metric('ma_call_records_total', { origin: 'dvoR' }, reg)).toBe(before + 1);
  });

  it('a DVO-F call leaves one anchored record: the inbound MI leg and CTRL as user legs, the target as FAR', async () => {
    // The EFA number 1239876 takes the inbound cellular call; no session resumption.
    dvo.server.directory.serviceParameters.setMany({ efaNumbers: [{ number: '1239876', partition: 'PT-all', isDefault: true }], dvoForwardServiceAccessNumber: '', sessionResumptionAwaitTimerS: 0 });
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const run = m1Calls2000('setup:active');
    let pending = 0;
    expect(
      await waitFor(() => {
        void dvo.dvo.pendingRecords().then((l) => (pending = l.length));
        return pending === 1;
      }),
    ).toBe(true);
    const t = await runSipp({ scenario: 'uac-wait-bye', remote: `127.0.0.1:${dvo.udpPort}`, port: inPort, service: '1239876', set: { from: '+14085551111' }, timeoutS: 20 });
    const m1 = await run;
    const d = await d3.stop();
    expect(m1.code, m1.errors).toBe(0);
    expect(t.code, t.errors).toBe(0);
    expect(await waitFor(() => dvo.server.anchored.list().length === 0)).toBe(true);

    const recs = dvo.server.anchored.records().filter((r) => r.origin === 'dvoF');
    expect(recs).toHaveLength(1);
    const rec = recs[0]!;
    const ctrlCallId = inviteCallId(m1, 'sent');
    const inboundCallId = inviteCallId(t, 'sent');
    const targetCallId = inviteCallId(d, 'received');
    expect(rec).toMatchObject({ id: ctrlCallId, callRef: inboundCallId, origin: 'dvoF', anchored: true, user: 'U2', line: '5002', result: 'answered' });
    expect(rec.farLeg).toMatchObject({ role: 'FAR', callId: targetCallId });
    expect(rec.userLegs.map((l) => `${l.role}:${l.callId}`)).toEqual([`CTRL:${ctrlCallId}`, `RD:${inboundCallId}`]);
  });
});
