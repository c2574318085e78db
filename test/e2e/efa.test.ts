/**
 * Enterprise Feature Access two-stage dialling end to end (spec §11, §14.5 step 5, §18.4 TS-31,
 * TS-32, TS-32b, TS-33, TS-33b; TS-24 and MID-05 for the hand-off to mid-call sequences): the
 * running server with a real rtpengine, SIPp as the caller behind trunk T keying in digits
 * (sipp-scenarios/mva-uac-dtmf.xml, no prompts are played by EFA) and SIPp as gateway T for
 * the outbound leg (party C). Fixture F (§18.0): default EFA number +14085556666.
 *
 * Timers: ivrInputTimeoutS is 3 s (the schema minimum) instead of the default 10 s.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findMessage, findMessages, header, type SippMessage } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { startSippServer, type SippResult, type SippServer } from './harness/sipp.js';
import { UdpCounter } from './harness/udp-counter.js';
import { sippTime } from '../features/dvo/e2e-helpers.js';
import { dialIn, startIvrServer, until, type IvrTestServer, type KeyStep } from '../features/ivr/e2e-helpers.js';
import type { EfaMidCallRequest } from '../../src/features/efa/index.js';

let ts: IvrTestServer;
let gwPort: number;
let callerPort: number;

const EFA = '+14085556666';
const RD1 = '+14085557890';
const C = '+19725553456';
const U1_DID = '+14085551234';
const INPUT_TIMEOUT_S = 3;

beforeAll(async () => {
  [gwPort, callerPort] = await freePorts(2);
  ts = await startIvrServer({ trunkPort: gwPort!, trunkAlternatePorts: [callerPort!], mobility: { ivrInputTimeoutS: INPUT_TIMEOUT_S } });
  // A connected two-stage call is anchored: when the caller hangs up, C would wait on MoH for the
  // desk (DPU-01). These tests are about the IVR: no pickup window, so C gets the BYE at once
  // (desk pickup on these calls: test/e2e/mva-mid-call.test.ts).
  ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 0 });
}, 60_000);
afterAll(async () => {
  await ts?.stop();
});

function call(from: string, keys: KeyStep[], o: { hangup?: boolean; rtpPort?: number } = {}): Promise<SippResult> {
  return dialIn({ from, called: EFA, port: callerPort, serverPort: ts.udpPort, keys, ...o });
}

const received = (r: { parsed: SippMessage[] }, q: { method?: string; status?: number }) => findMessage(r.parsed, { direction: 'received', ...q });
const finalStatus = (r: { parsed: SippMessage[] }) =>
  findMessages(r.parsed, { direction: 'received' })
    .filter((m) => m.status !== undefined && m.status >= 200 && /INVITE/.test(header(m, 'CSeq') ?? ''))
    .pop()?.status;
const lastRecord = () => ts.efa.records().at(-1)!;
const setParams = (p: Record<string, unknown>) => ts.server.directory.serviceParameters.setMany(p);
const startC = (): Promise<SippServer> => startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 200 });

async function idle(): Promise<void> {
  await until(() => {
    const s = ts.server.sizes();
    const e = ts.efa.sizes();
    return s.dialogs === 0 && s.mediaCalls === 0 && e.active === 0 && e.inFlight === 0;
  }, 10_000, 'idle server');
}

describe('§18.4 EFA two-stage dialling', () => {
  beforeEach(async () => {
    await idle();
  });

  it('TS-31 EFA two-stage call: answered without prompt, 1234#1#919725553456# → C called From U1 DID, anchored', async () => {
    const c = await startC();
    const r = await call(RD1, ['1234#1#919725553456#', { pauseMs: 2000 }], { hangup: true });
    const g = await c.stop();
    expect(r.code, r.describe()).toBe(0);
    const inv = received(g, { method: 'INVITE' });
    expect(inv, g.describe()).toBeDefined();
    expect(inv!.startLine).toContain(`sip:${C}@`);
    expect(header(inv!, 'From')).toContain(U1_DID);
    expect(received(g, { method: 'BYE' })).toBeDefined();
    const rec = lastRecord();
    expect(rec).toMatchObject({ userId: 'U1', identity: 'RD1', authenticated: true, wrongPins: 0, function: '1', destination: '919725553456', anchored: true, outcome: 'connected' });
    const cr = ts.server.anchored.records().find((x) => x.id === rec.anchoredId);
    expect(cr).toMatchObject({ origin: 'efa', user: 'U1', anchored: true });
  }, 40_000);

  it('EFA-01 / D-35: with enableEnterpriseFeatureAccess off, an identified caller gets 403 and is never answered', async () => {
    setParams({ enableEnterpriseFeatureAccess: false });
    try {
      const n = ts.efa.records().length;
      const r = await call(RD1, ['1234#']);
      expect(finalStatus(r), r.describe()).toBe(403);
      expect(received(r, { status: 200 })).toBeUndefined();
      expect(ts.efa.records().length).toBe(n);
    } finally {
      setParams({ enableEnterpriseFeatureAccess: true });
    }
  }, 30_000);

  it('TS-24 EFA from an unknown number: 403 with Q.850 cause 21, never answered', async () => {
    const r = await call('+19998887777', ['1234#']);
    expect(finalStatus(r), r.describe()).toBe(403);
    expect(header(received(r, { status: 403 })!, 'Reason')).toMatch(/cause=21/);
    expect(received(r, { status: 200 })).toBeUndefined();
  }, 30_000);

  describe('TS-32 EFA ambiguous partial match', () => {
    beforeAll(() => {
      ts.server.directory.remoteDestinations.create({ id: 'RDX', number: '+16505557890', parent: { kind: 'mobileClient', id: 'M1' }, ownerUser: 'U2' });
    });
    afterAll(() => {
      ts.server.directory.remoteDestinations.delete('RDX');
      setParams({ matchCallerIdWithRemoteDestination: 'complete', callerIdPartialMatchDigits: 10 });
    });

    it('N = 7: two RDs match → 403 (D-22); N = 10: unique → answered, PIN collected', async () => {
      setParams({ matchCallerIdWithRemoteDestination: 'partial', callerIdPartialMatchDigits: 7 });
      const r = await call(RD1, ['1234#']);
      expect(finalStatus(r), r.describe()).toBe(403);
      await idle();
      setParams({ callerIdPartialMatchDigits: 10 });
      const n = ts.efa.records().length;
      const r2 = await call(RD1, ['1234#', { pauseMs: 500 }], { hangup: true });
      expect(r2.code, r2.describe()).toBe(0);
      expect(ts.efa.records().length).toBe(n + 1);
      expect(lastRecord()).toMatchObject({ identity: 'RD1', authenticated: true });
    }, 40_000);
  });

  it('TS-32b partial match with N = 12: +14085557890 falls back to complete (answered); +44085557890 gets 403', async () => {
    setParams({ matchCallerIdWithRemoteDestination: 'partial', callerIdPartialMatchDigits: 12 });
    try {
      const r = await call(RD1, ['1234#', { pauseMs: 500 }], { hangup: true });
      expect(r.code, r.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ identity: 'RD1', authenticated: true });
      await idle();
      const r2 = await call('+44085557890', ['1234#']);
      expect(finalStatus(r2), r2.describe()).toBe(403);
    } finally {
      setParams({ matchCallerIdWithRemoteDestination: 'complete', callerIdPartialMatchDigits: 10 });
    }
  }, 40_000);

  it('TS-33 EFA SNR off: 1234#3# from RD1 turns off only RD1, confirms and sends BYE', async () => {
    const dir = ts.server.directory;
    dir.remoteDestinations.create({ id: 'RD2', name: 'RD2', number: '+14085557891', parent: { kind: 'rdProfile', id: 'P1' }, ownerUser: 'U1' });
    try {
      const r = await call(RD1, ['1234#3#']);
      expect(r.code, r.describe()).toBe(0);
      expect(received(r, { method: 'BYE' })).toBeDefined();
      expect(dir.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
      expect(dir.remoteDestinations.get('RD2')!.enableSnr).toBe(true);
      expect(lastRecord()).toMatchObject({ outcome: 'snrChanged', function: '3' });
      expect(lastRecord().played).toEqual(['snrOff']); // EFA-05: confirmed with a tone
    } finally {
      dir.remoteDestinations.delete('RD2');
      dir.remoteDestinations.update('RD1', { enableSnr: true });
    }
  }, 30_000);

  it(`TS-33b EFA with no input: S sends BYE ivrInputTimeoutS (${INPUT_TIMEOUT_S} s ± 500 ms) after its 200 OK, no INVITE to T`, async () => {
    const c = await startC();
    const callerRtp = await UdpCounter.open();
    const r = await call(RD1, [], { rtpPort: callerRtp.port });
    const g = await c.stop();
    callerRtp.close();
    expect(r.code, r.describe()).toBe(0);
    // EFA-02: answered without any prompt: nothing at all was played to the caller.
    expect(callerRtp.packets.length).toBe(0);
    expect(lastRecord().played).toEqual([]);
    const ok = received(r, { status: 200 })!;
    const bye = received(r, { method: 'BYE' })!;
    expect(bye, r.describe()).toBeDefined();
    const ms = sippTime(bye) - sippTime(ok);
    expect(ms).toBeGreaterThan(INPUT_TIMEOUT_S * 1000 - 500);
    expect(ms).toBeLessThan(INPUT_TIMEOUT_S * 1000 + 500);
    expect(received(g, { method: 'INVITE' })).toBeUndefined();
    expect(lastRecord()).toMatchObject({ outcome: 'timeout', authenticated: false });
  }, 30_000);

  // Spec default, kept on purpose: TS-33b as written, with ivrInputTimeoutS = 10 s (§16).
  it('TS-33b at the default ivrInputTimeoutS (10 s): BYE 10 s ± 500 ms after the 200 OK', async () => {
    setParams({ ivrInputTimeoutS: 10 });
    try {
      const r = await call(RD1, []);
      expect(r.code, r.describe()).toBe(0);
      const ms = sippTime(received(r, { method: 'BYE' })!) - sippTime(received(r, { status: 200 })!);
      expect(Math.abs(ms - 10_000)).toBeLessThanOrEqual(500);
    } finally {
      setParams({ ivrInputTimeoutS: INPUT_TIMEOUT_S });
    }
  }, 30_000);

  it('EFA-02 wrong PIN: error tone and the PIN again; a right PIN then works; maxPinAttempts wrong PINs release the call', async () => {
    const r = await call(RD1, ['0000#', { pauseMs: 800 }, '1234#3#']);
    expect(r.code, r.describe()).toBe(0);
    expect(lastRecord()).toMatchObject({ wrongPins: 1, authenticated: true, outcome: 'snrChanged' });
    ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
    await idle();
    const r2 = await call(RD1, ['0000#', { pauseMs: 800 }, '1111#', { pauseMs: 800 }, '2222#']);
    expect(r2.code, r2.describe()).toBe(0);
    expect(received(r2, { method: 'BYE' })).toBeDefined();
    expect(lastRecord()).toMatchObject({ wrongPins: 3, authenticated: false, outcome: 'pinFailed' });
    const logged = ts.logs.filter((l) => l['msg'] === 'failed PIN authentication' && l['service'] === 'efa');
    expect(logged.at(-1)).toMatchObject({ calling: RD1, user: 'U1', reason: 'wrongPin' });
  }, 40_000);

  it('EFA-02 blocked destination or invalid function code: released at once, no INVITE to T', async () => {
    setParams({ systemRemoteAccessBlockedNumbers: '9911' });
    try {
      const c = await startC();
      const r = await call(RD1, ['1234#1#9911#']);
      expect(r.code, r.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ outcome: 'refused', function: '1' });
      expect(lastRecord().destination).toBeUndefined();
      await idle();
      const r2 = await call(RD1, ['1234#9#']);
      const g = await c.stop();
      expect(r2.code, r2.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ outcome: 'invalid', function: '9' });
      expect(received(g, { method: 'INVITE' })).toBeUndefined();
    } finally {
      setParams({ systemRemoteAccessBlockedNumbers: '' });
    }
  }, 40_000);

  describe('EFA-04 / MID-05 mid-call sequences', () => {
    it('with no mid-call handler, PIN # *84 # is rejected with reorder and BYE', async () => {
      const r = await call(RD1, ['1234#*84#2000#']);
      expect(r.code, r.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ outcome: 'refused', function: '*84' });
      expect(lastRecord().played).toEqual(['reorder']); // MID-05
    }, 30_000);

    it('a handler that finds no call on exclusive hold → reorder and BYE; one that takes the leg gets the request and the digits', async () => {
      const seen: EfaMidCallRequest[] = [];
      ts.efa.setMidCallHandler({
        async handle(req) {
          seen.push(req);
          if (req.code === 'conference') return false;
          // Read the target the way the mid-call feature will, then release the EFA2 leg.
          const target = await req.call.ask(undefined, 3000);
          // (After the caller's last key press has been answered.)
          if (target.kind === 'field') setTimeout(() => req.call.release(), 500);
          return target.kind === 'field';
        },
      });
      try {
        const r = await call(RD1, ['1234#*85#2000#']);
        expect(r.code, r.describe()).toBe(0);
        expect(lastRecord()).toMatchObject({ outcome: 'refused', function: '*85' });
        await idle();
        const r2 = await call(RD1, ['1234#*84#2000#']);
        expect(r2.code, r2.describe()).toBe(0);
        expect(lastRecord()).toMatchObject({ outcome: 'midCall', function: '*84' });
        expect(seen.map((s) => [s.code, s.digits, s.userId, s.identity.id])).toEqual([
          ['conference', '*85', 'U1', 'RD1'],
          ['transfer', '*84', 'U1', 'RD1'],
        ]);
      } finally {
        ts.efa.setMidCallHandler(undefined);
      }
    }, 40_000);
  });
});
