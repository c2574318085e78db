/**
 * Mobile Voice Access end to end (spec §10, §18.4 TS-25…TS-30, TS-33c, TS-33d): the running
 * server with a real rtpengine (prompts played by `play media`, RFC 4733 digits reported by
 * `--dtmf-log-dest`), SIPp as the caller behind trunk T keying in digits
 * (sipp-scenarios/mva-uac-dtmf.xml) and SIPp as gateway T for the outbound leg (party C).
 * Fixture F (§18.0): MVA DN +14085552345, U1 (PIN 1234, MVA ID 81001, RD1 +14085557890).
 *
 * Timers: ivrInputTimeoutS is 3 s (the schema minimum) so timeouts are short; TS-33c waits
 * for the real pinLockoutDurationS minimum of 60 s.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findMessage, header, type SippMessage } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { startSippServer, type SippResult, type SippServer } from './harness/sipp.js';
import { UdpCounter } from './harness/udp-counter.js';
import { dialIn, sleep, startIvrServer, until, type IvrTestServer, type KeyStep, type KeyVia } from '../features/ivr/e2e-helpers.js';

let ts: IvrTestServer;
let gwPort: number; // SIPp as gateway T: receives the outbound leg (party C)
let callerPort: number; // SIPp as T's inbound side: the caller keying in digits

const MVA = '+14085552345';
const RD1 = '+14085557890';
const C_DIALLED = '919725553456';
const C = '+19725553456';
const U1_DID = '+14085551234';

beforeAll(async () => {
  [gwPort, callerPort] = await freePorts(2);
  ts = await startIvrServer({ trunkPort: gwPort!, trunkAlternatePorts: [callerPort!], mobility: { ivrInputTimeoutS: 3 } });
  // A connected two-stage call is anchored: when the caller hangs up, C would wait on MoH for the
  // desk (DPU-01). These tests are about the IVR: no pickup window, so C gets the BYE at once
  // (desk pickup on these calls: test/e2e/mva-mid-call.test.ts).
  ts.server.directory.users.update('U1', { maxWaitTimeForDeskPickupMs: 0 });
}, 60_000);
afterAll(async () => {
  await ts?.stop();
});

function call(from: string, keys: KeyStep[], o: { hangup?: boolean; via?: KeyVia; timeoutS?: number; rtpPort?: number } = {}): Promise<SippResult> {
  return dialIn({ from, called: MVA, port: callerPort, serverPort: ts.udpPort, keys, ...o });
}

const received = (r: { parsed: SippMessage[] }, q: { method?: string; status?: number }) => findMessage(r.parsed, { direction: 'received', ...q });
const lastRecord = () => ts.mva.records().at(-1)!;
const setParams = (p: Record<string, unknown>) => ts.server.directory.serviceParameters.setMany(p);

async function idle(): Promise<void> {
  await until(() => {
    const s = ts.server.sizes();
    const m = ts.mva.sizes();
    return s.dialogs === 0 && s.mediaCalls === 0 && m.active === 0 && m.inFlight === 0;
  }, 10_000, 'idle server');
}

/** C answers after `ringMs` and waits for the BYE. */
const startC = (ringMs = 200): Promise<SippServer> => startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: ringMs });

/** TS-25 expectations on C's INVITE: the dialled number as +E.164 through T, From = U1's DID (CLI-02, CLI-05). */
function expectCallToC(g: SippResult): void {
  const inv = received(g, { method: 'INVITE' });
  expect(inv, g.describe()).toBeDefined();
  expect(inv!.startLine).toContain(`sip:${C}@`);
  expect(header(inv!, 'From')).toContain(U1_DID);
  expect(header(inv!, 'P-Asserted-Identity')).toContain(U1_DID);
  // Media anchored: the offer is rtpengine's.
  expect(inv!.body).toMatch(/c=IN IP4 127\.0\.0\.1/);
  expect(received(g, { method: 'BYE' }), g.describe()).toBeDefined();
}

describe('§18.4 MVA', () => {
  beforeEach(async () => {
    await idle();
  });

  it('TS-25 MVA with a known RD: PIN only, 1, number → C called From U1 DID, bridged, anchored', async () => {
    const c = await startC();
    const r = await call(RD1, [{ pauseMs: 300 }, '1234#', '1', `${C_DIALLED}#`, { pauseMs: 2500 }], { hangup: true });
    const g = await c.stop();
    expect(r.code, r.describe()).toBe(0);
    expectCallToC(g);
    const rec = lastRecord();
    expect(rec).toMatchObject({ userId: 'U1', identifiedBy: 'callerId', failedEntries: 0, destination: C_DIALLED, anchored: true, outcome: 'connected' });
    // GEN-02/GEN-07: registered as an anchored call with origin 'mva', one call record when it ended.
    const cr = ts.server.anchored.records().find((x) => x.id === rec.anchoredId);
    expect(cr, JSON.stringify(ts.server.anchored.records())).toMatchObject({ origin: 'mva', user: 'U1', anchored: true });
    // MVA-03: the caller ID matched RD1, so the IVR asked for the PIN only, never for the user ID.
    expect(rec.played[0]).toBe('enterPin');
    expect(rec.played).not.toContain('enterId');
  }, 40_000);

  it('TS-25 media: once bridged, what the caller sends reaches C through rtpengine', async () => {
    const cRtp = await UdpCounter.open();
    const c = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 200, set: { rtp_port: cRtp.port } });
    // After the call connects the caller presses 5 as RFC 4733: the events must arrive at C.
    const r = await call(RD1, ['1234#', '1', `${C_DIALLED}#`, { pauseMs: 1500 }, { keys: '5', via: 'rfc4733' }, { pauseMs: 1000 }], { hangup: true });
    await c.stop();
    cRtp.close();
    expect(r.code, r.describe()).toBe(0);
    expect(lastRecord()).toMatchObject({ outcome: 'connected', anchored: true });
    expect(cRtp.packets.length, 'RTP at C').toBeGreaterThan(3);
  }, 40_000);

  it('TS-26 MVA from an unknown phone: user ID 81001, PIN, 1, number → as TS-25', async () => {
    const c = await startC();
    const r = await call('+16505550000', ['81001#', '1234#', '1', `${C_DIALLED}#`, { pauseMs: 2000 }], { hangup: true });
    const g = await c.stop();
    expect(r.code, r.describe()).toBe(0);
    expectCallToC(g);
    expect(lastRecord()).toMatchObject({ userId: 'U1', identifiedBy: 'mvaId', failedEntries: 0, outcome: 'connected' });
    expect(lastRecord().played[0]).toBe('enterId');
  }, 40_000);

  it('MVA-10: the prompts are played to the caller through rtpengine (RTP reaches the caller before any key)', async () => {
    const callerRtp = await UdpCounter.open();
    try {
      const r = await call(RD1, [{ pauseMs: 1500 }], { hangup: true, rtpPort: callerRtp.port });
      expect(r.code, r.describe()).toBe(0);
      // The PIN prompt lasts 950 ms: about 47 packets of 20 ms.
      expect(callerRtp.packets.length).toBeGreaterThan(30);
      expect(lastRecord().played).toEqual(['enterPin']);
    } finally {
      callerRtp.close();
    }
  }, 30_000);

  it('MVA-02 / MVA-08: per-user MVA off fails like a wrong PIN; the menu is never offered', async () => {
    const dir = ts.server.directory;
    dir.users.update('U1', { enableMobileVoiceAccess: false });
    try {
      const r = await call(RD1, ['1234#', '3', { pauseMs: 1500 }], { hangup: true });
      expect(r.code, r.describe()).toBe(0);
      expect(lastRecord().userId).toBeUndefined();
      expect(lastRecord().played).not.toContain('menu');
      expect(dir.remoteDestinations.get('RD1')!.enableSnr).toBe(true);
      const failed = ts.logs.filter((l) => l['msg'] === 'failed PIN authentication');
      expect(failed.at(-1)).toMatchObject({ reason: 'notEnabled', user: 'U1', calling: RD1, called: MVA });
    } finally {
      dir.users.update('U1', { enableMobileVoiceAccess: true });
    }
  }, 30_000);

  it('TS-33d MVA identified by RD number (D-47): 14085557890# accepted as U1; 99999# + PIN is a failed entry asking for both again', async () => {
    const c = await startC();
    const r = await call('+16505550000', ['14085557890#', '1234#', '1', `${C_DIALLED}#`, { pauseMs: 2000 }], { hangup: true });
    const g = await c.stop();
    expect(r.code, r.describe()).toBe(0);
    expectCallToC(g);
    expect(lastRecord()).toMatchObject({ userId: 'U1', identifiedBy: 'rdNumber', failedEntries: 0, outcome: 'connected' });
    await idle();
    // Negative: neither an ID nor an RD: the ID and the PIN are both asked again; then 81001 works.
    const dir = ts.server.directory;
    const r2 = await call('+16505550000', ['99999#', '1234#', { pauseMs: 1200 }, '81001#', '1234#', '3']);
    try {
      expect(r2.code, r2.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ userId: 'U1', identifiedBy: 'mvaId', failedEntries: 1, outcome: 'snrChanged' });
      expect(dir.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
      const failed = ts.logs.filter((l) => l['msg'] === 'failed PIN authentication' && l['reason'] === 'unknownUser');
      expect(failed.at(-1)).toMatchObject({ calling: '+16505550000', called: MVA, user: null });
    } finally {
      dir.remoteDestinations.update('RD1', { enableSnr: true });
    }
  }, 40_000);

  it('MVA-05: a busy destination gives the caller ringback, then busy tone and BYE', async () => {
    const c = await startSippServer({ scenario: 'uas-busy', port: gwPort, calls: 1 });
    const r = await call(RD1, ['1234#', '1', `${C_DIALLED}#`]);
    const g = await c.stop();
    expect(r.code, r.describe()).toBe(0);
    expect(received(g, { method: 'INVITE' }), g.describe()).toBeDefined();
    expect(lastRecord()).toMatchObject({ outcome: 'callFailed', anchored: false });
    expect(lastRecord().played.slice(-2)).toEqual(['ringback', 'busy']);
  }, 30_000);

  it('TS-27 MVA blocked number: 9911# plays the refusal and sends no INVITE to T', async () => {
    setParams({ systemRemoteAccessBlockedNumbers: '9911,911' });
    try {
      const c = await startC();
      const r = await call(RD1, ['1234#', '1', '9911#', { pauseMs: 2500 }], { hangup: true });
      const g = await c.stop();
      expect(r.code, r.describe()).toBe(0);
      expect(received(g, { method: 'INVITE' }), g.describe()).toBeUndefined();
      expect(lastRecord()).toMatchObject({ userId: 'U1', failedEntries: 1, anchored: false });
      expect(ts.logs.some((l) => l['msg'] === 'MVA destination refused' && l['why'] === 'blocked' && l['number'] === '9911')).toBe(true);
    } finally {
      setParams({ systemRemoteAccessBlockedNumbers: '' });
    }
  }, 40_000);

  describe('TS-28 MVA SNR on/off with 2 RDs', () => {
    beforeAll(() => {
      ts.server.directory.remoteDestinations.create({ id: 'RD2', name: 'RD2', number: '+14085557891', parent: { kind: 'rdProfile', id: 'P1' }, ownerUser: 'U1' });
    });
    afterAll(() => {
      ts.server.directory.remoteDestinations.delete('RD2');
    });
    const snr = () => ({ RD1: ts.server.directory.remoteDestinations.get('RD1')!.enableSnr, RD2: ts.server.directory.remoteDestinations.get('RD2')!.enableSnr });
    const restore = () => {
      ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
      ts.server.directory.remoteDestinations.update('RD2', { enableSnr: true });
    };

    it('3, then 14085557890#: only RD1 off, persisted, S confirms and sends BYE', async () => {
      try {
        const r = await call(RD1, ['1234#', '3', { pauseMs: 500 }, '14085557890#']);
        expect(r.code, r.describe()).toBe(0);
        expect(received(r, { method: 'BYE' })).toBeDefined();
        expect(snr()).toEqual({ RD1: false, RD2: true });
        expect(lastRecord()).toMatchObject({ outcome: 'snrChanged', failedEntries: 0 });
      } finally {
        restore();
      }
    }, 30_000);

    it('variant 0#: both RDs off', async () => {
      try {
        const r = await call(RD1, ['1234#', '3', { pauseMs: 500 }, '0#']);
        expect(r.code, r.describe()).toBe(0);
        expect(snr()).toEqual({ RD1: false, RD2: false });
      } finally {
        restore();
      }
    }, 30_000);

    it('an entry that selects no single RD is a failed entry and the IVR asks again (MVA-06)', async () => {
      try {
        // "7891" ends only RD2; "789" ends both (not exactly one).
        const r = await call(RD1, ['1234#', '3', { pauseMs: 500 }, '789#', { pauseMs: 1200 }, '7891#']);
        expect(r.code, r.describe()).toBe(0);
        expect(snr()).toEqual({ RD1: true, RD2: false });
        expect(lastRecord()).toMatchObject({ outcome: 'snrChanged', failedEntries: 1 });
      } finally {
        restore();
      }
    }, 30_000);
  });

  it('TS-29 MVA system off: menu 1 is refused (no INVITE to T); menu 2 still works', async () => {
    setParams({ enableMobileVoiceAccess: false });
    ts.server.directory.remoteDestinations.update('RD1', { enableSnr: false });
    try {
      const c = await startC();
      const r = await call(RD1, ['1234#', '1', { pauseMs: 1500 }, '2']);
      const g = await c.stop();
      expect(r.code, r.describe()).toBe(0);
      expect(received(g, { method: 'INVITE' }), g.describe()).toBeUndefined();
      expect(ts.server.directory.remoteDestinations.get('RD1')!.enableSnr).toBe(true);
      expect(lastRecord()).toMatchObject({ outcome: 'snrChanged', failedEntries: 1, anchored: false });
    } finally {
      setParams({ enableMobileVoiceAccess: true });
      ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
    }
  }, 30_000);

  it('DTMF-05: digits sent both as RFC 4733 and INFO count once per key press', async () => {
    ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
    try {
      const r = await call(RD1, ['1234#', '3'], { via: 'both', timeoutS: 40 });
      expect(r.code, r.describe()).toBe(0);
      // PIN accepted at once (a doubled key would have made it 11223344), SNR turned off.
      expect(lastRecord()).toMatchObject({ outcome: 'snrChanged', failedEntries: 0 });
      expect(ts.server.directory.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
    } finally {
      ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
    }
  }, 50_000);

  it('DTMF-04: RFC 4733 digits alone (rtpengine --dtmf-log-dest) drive the IVR', async () => {
    try {
      const r = await call(RD1, ['1234#', '3'], { via: 'rfc4733', timeoutS: 40 });
      expect(r.code, r.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ outcome: 'snrChanged', failedEntries: 0 });
    } finally {
      ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
    }
  }, 50_000);

  it('DTMF-04: no input → failed entries, goodbye and BYE after maxPinAttempts timeouts', async () => {
    const t0 = Date.now();
    const r = await call(RD1, []);
    expect(r.code, r.describe()).toBe(0);
    expect(received(r, { method: 'BYE' })).toBeDefined();
    // 3 timeouts of 3 s after the prompts, plus the prompts; well under a minute.
    expect(Date.now() - t0).toBeGreaterThan(9000);
    expect(lastRecord()).toMatchObject({ outcome: 'failed', failedEntries: 3 });
  }, 40_000);

  it('TS-33c PIN lockout across calls (threshold 4): the right PIN is refused while locked, accepted after pinLockoutDurationS', async () => {
    setParams({ pinLockoutThreshold: 4, pinLockoutDurationS: 60 });
    try {
      const r1 = await call(RD1, ['0000#', { pauseMs: 1200 }, '1111#', { pauseMs: 1200 }, '2222#']);
      expect(r1.code, r1.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ outcome: 'failed', failedEntries: 3 });
      await idle();
      const r2 = await call(RD1, ['3333#', { pauseMs: 1500 }], { hangup: true });
      expect(r2.code, r2.describe()).toBe(0);
      await idle();
      const lockedAt = Date.now();
      expect(ts.logs.some((l) => l['msg'] === 'PIN lockout: user locked (MVA-11)' && l['user'] === 'U1')).toBe(true);
      // Locked: the right PIN fails like a wrong one, the menu is never offered (3 = SNR off would change RD1).
      const r3 = await call(RD1, ['1234#', '3', { pauseMs: 1500 }], { hangup: true });
      expect(r3.code, r3.describe()).toBe(0);
      expect(lastRecord().userId).toBeUndefined();
      expect(lastRecord().failedEntries).toBeGreaterThanOrEqual(1);
      expect(ts.server.directory.remoteDestinations.get('RD1')!.enableSnr).toBe(true);
      const locked = ts.logs.filter((l) => l['msg'] === 'failed PIN authentication' && l['reason'] === 'locked');
      expect(locked.at(-1)).toMatchObject({ calling: RD1, called: MVA, user: 'U1', service: 'mva' });
      // After the lockout: accepted again.
      await idle();
      await sleep(Math.max(0, lockedAt + 60_500 - Date.now()));
      const r4 = await call(RD1, ['1234#', '3']);
      expect(r4.code, r4.describe()).toBe(0);
      expect(lastRecord()).toMatchObject({ userId: 'U1', outcome: 'snrChanged' });
    } finally {
      setParams({ pinLockoutThreshold: 10, pinLockoutDurationS: 900 });
      ts.server.directory.remoteDestinations.update('RD1', { enableSnr: true });
    }
  }, 120_000);

  it('TS-30 MVA wrong PIN: 3 wrong PINs lead to the goodbye prompt and BYE; failures counted in Prometheus', async () => {
    const before = await pinFailures();
    const r = await call(RD1, ['1111#', { pauseMs: 1200 }, '2222#', { pauseMs: 1200 }, '3333#']);
    expect(r.code, r.describe()).toBe(0);
    expect(received(r, { method: 'BYE' })).toBeDefined();
    expect(lastRecord()).toMatchObject({ outcome: 'failed', failedEntries: 3 });
    expect((await pinFailures()) - before).toBe(3);
  }, 30_000);
});

async function pinFailures(): Promise<number> {
  const m = ts.server.metrics.registry.getSingleMetric('mobility_pin_failures_total');
  if (m === undefined) return 0;
  const v = await m.get();
  return v.values.filter((x) => x.labels['service'] === 'mva' && x.labels['reason'] === 'wrongPin').reduce((n, x) => n + x.value, 0);
}
