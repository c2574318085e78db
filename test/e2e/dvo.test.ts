/**
 * Dial via Office end to end (spec §14, §18.6 TS-38…TS-43, §18.7 TS-44…TS-50): the running
 * server with a real rtpengine, SIPp playing the mobile client M1 (CTRL dialog, PSTN-bearer
 * SDP), the trunk gateway T (the MI2 callback leg, or the inbound cellular call from MI2)
 * and the target D3 (extension 2000). Fixture F (§18.0).
 *
 * Timers: the Call Await Timer is 5 s (the schema minimum) for the expiry cases, plus ONE
 * run at the spec default of 30 s (TS-47, marked below). The CTRL dialog is ended by M1's
 * BYE while the mobile leg is up, which releases everything (DVO-03), so these tests do not
 * start session resumption (that is session-resumption.test.ts).
 */
import { EfaFeature } from '../../src/features/efa/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findMessage, findMessages, header, type SippMessage } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { runSipp, startSippServer, type SippResult } from './harness/sipp.js';
import { UdpCounter } from './harness/udp-counter.js';
import { registerContact } from './server-fixture.js';
import { sippTime, sleep, startDvoServer, until, type DvoTestServer } from '../features/dvo/e2e-helpers.js';

let ts: DvoTestServer;
let gwPort: number; // SIPp as gateway T: receives the DVO-R callback legs
let pstnPort: number; // SIPp as T's inbound side: the cellular call from MI2 (DVO-F)
let d3Port: number; // SIPp as D3 (extension 2000, the target)
let m1Port: number; // SIPp as the mobile client M1 (CTRL)
let m1bPort: number; // a second CTRL from M1 (TS-49)

const EFA = '+14085556666';
const MI2 = '+14085551111';

beforeAll(async () => {
  [gwPort, pstnPort, d3Port, m1Port, m1bPort] = await freePorts(5);
  ts = await startDvoServer({ trunkPort: gwPort!, trunkAlternatePorts: [pstnPort!], mobility: { callAwaitTimerS: 5 } });
  const c = ts.fixture.credentials;
  expect(await registerContact(ts.udpPort, c.M1, `sip:m1@127.0.0.1:${m1Port}`)).toBe(200);
  expect(await registerContact(ts.udpPort, c.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
}, 60_000);
afterAll(async () => {
  await ts?.stop();
});

/** M1 sends a DVO request to `target` (dvo-m1.xml), authenticated as m1. */
function m1(target: string, o: { number?: string; attr?: string; mode?: 'bye' | 'wait'; holdMs?: number; timeoutS?: number; scenario?: string; port?: number } = {}): Promise<SippResult> {
  const c = ts.fixture.credentials.M1;
  return runSipp({
    scenario: o.scenario ?? 'dvo-m1',
    remote: `127.0.0.1:${ts.udpPort}`,
    port: o.port ?? m1Port,
    service: target,
    set: { number: o.number ?? MI2, attr: o.attr ?? 'connection:new', ...(o.scenario === undefined ? { mode: o.mode ?? 'bye' } : {}) },
    authUser: c.username,
    authPassword: c.password,
    durationMs: o.holdMs ?? 1000,
    timeoutS: o.timeoutS ?? 30,
  });
}

/** The inbound cellular call T→S from `from` to `called` (uac-wait-bye: the server or the far side ends it). */
function dialIn(called: string, from: string = MI2, o: { timeoutS?: number; scenario?: string; holdMs?: number } = {}): Promise<SippResult> {
  return runSipp({
    scenario: o.scenario ?? 'uac-wait-bye',
    remote: `127.0.0.1:${ts.udpPort}`,
    port: pstnPort,
    service: called,
    set: { from },
    ...(o.holdMs !== undefined ? { durationMs: o.holdMs } : {}),
    timeoutS: o.timeoutS ?? 30,
  });
}

const received = (r: { parsed: SippMessage[] }, q: { method?: string; status?: number }) => findMessage(r.parsed, { direction: 'received', ...q });
const finalStatus = (r: { parsed: SippMessage[] }) =>
  findMessages(r.parsed, { direction: 'received' })
    .filter((m) => m.status !== undefined && m.status >= 200 && m.status !== 407 && m.status !== 401 && m.method === undefined)
    .filter((m) => /INVITE/.test(header(m, 'CSeq') ?? ''))
    .pop()?.status;
const pstnNumber = (m: SippMessage | undefined) => /c=PSTN E164 (\S+)/.exec(m?.body ?? '')?.[1];

async function idle(): Promise<void> {
  await until(() => {
    const s = ts.server.sizes();
    const d = ts.dvo.sizes();
    return s.calls === 0 && s.dialogs === 0 && s.mediaCalls === 0 && d.dvoRActive === 0 && d.pendingDvoF === 0 && d.dvoFConnected === 0;
  }, 8000, 'idle server');
}

function setParams(p: Record<string, unknown>): void {
  ts.server.directory.serviceParameters.setMany(p);
}

/** EFA calls handled so far (the EFA feature's records). */
function efaRecords(): number {
  const f = ts.server.features.find((x): x is EfaFeature => x instanceof EfaFeature);
  if (f === undefined) throw new Error('EFA feature not running');
  return f.records().length;
}

describe('§18.6 DVO-R', () => {
  beforeEach(async () => {
    await idle();
  });

  it('TS-38 DVO-R success to the MI: 183 with the EFA number, callback From EFA within 200 ms, target From 5002, CTRL 200', async () => {
    const miRtp = await UdpCounter.open();
    const d3Rtp = await UdpCounter.open();
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 3000, set: { rtp_port: miRtp.port } }); // MI2 answers after 3 s
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1, durationMs: 1000, set: { rtp_port: d3Rtp.port } }); // D3 rings 1 s
    const run = m1('2000', { holdMs: 2500 });
    await until(() => ts.dvo.callRecords().at(-1)?.state === 'connected', 15_000, 'DVO-R connected');
    // Media: the two server-originated legs are bridged in rtpengine, both ways.
    const stats = await ts.server.media.query(ts.dvo.callRecords().at(-1)!.callRef!);
    const portFacing = (peer: number) => stats.legs.flatMap((l) => l.medias.flatMap((m) => m.streams)).find((st) => !st.rtcp && st.endpoint?.port === peer)?.localPort;
    const toMi = portFacing(miRtp.port);
    const toD3 = portFacing(d3Rtp.port);
    expect(toMi, JSON.stringify(stats.legs)).toBeDefined();
    expect(toD3, JSON.stringify(stats.legs)).toBeDefined();
    await miRtp.sendRtp(toMi!, 10);
    await d3Rtp.sendRtp(toD3!, 10);
    expect(await d3Rtp.waitFor(8, 2000)).toBe(true);
    expect(await miRtp.waitFor(8, 2000)).toBe(true);
    const r = await run;
    miRtp.close();
    d3Rtp.close();
    expect(r.code, r.describe()).toBe(0);
    const g = await gw.stop();
    const d = await d3.stop();
    // CTRL: 183 then 200, both with the PSTN SDP of DVO-R-02 (setup active), identical.
    const p183 = received(r, { status: 183 });
    const ok = received(r, { status: 200 });
    expect(p183, r.describe()).toBeDefined();
    expect(pstnNumber(p183)).toBe(EFA);
    expect(p183!.body).toMatch(/^m=audio 9 PSTN -$/m);
    expect(p183!.body).toMatch(/^a=setup:active$/m);
    expect(ok!.body).toBe(p183!.body);
    // Callback to MI2 through T, From / PAI = the EFA number (CLI-03), at once (DM-01).
    const cb = received(g, { method: 'INVITE' });
    expect(cb, g.describe()).toBeDefined();
    // DVO-R-05: while D3 rings, the MI2 leg hears ringback (played by rtpengine).
    const miAnswered = sippTime(findMessage(g.parsed, { direction: 'sent', status: 200 })!);
    const d3Answered = sippTime(findMessage(d.parsed, { direction: 'sent', status: 200 })!);
    expect(miRtp.packets.filter((p) => p.at > miAnswered && p.at < d3Answered).length).toBeGreaterThan(20);
    expect(cb!.startLine).toContain(`sip:${MI2}@`);
    expect(header(cb!, 'From')).toContain(EFA);
    expect(header(cb!, 'P-Asserted-Identity')).toContain(EFA);
    expect(sippTime(cb!) - sippTime(p183!)).toBeLessThan(200);
    // Target leg: D3 gets From = DN 5002 (CLI-02) only after MI2 answered (3 s).
    const inv = received(d, { method: 'INVITE' });
    expect(inv, d.describe()).toBeDefined();
    expect(header(inv!, 'From')).toMatch(/sip:5002@/);
    expect(sippTime(inv!) - sippTime(cb!)).toBeGreaterThan(2800);
    // Both legs anchored through rtpengine; both got BYE when M1 ended CTRL (DVO-03).
    expect(inv!.body).toMatch(/c=IN IP4 127\.0\.0\.1/);
    expect(received(g, { method: 'BYE' }), g.describe()).toBeDefined();
    expect(received(d, { method: 'BYE' }), d.describe()).toBeDefined();
    const rec = ts.dvo.callRecords().at(-1)!;
    expect(rec).toMatchObject({ origin: 'dvoR', anchored: true, callbackNumber: MI2, target: '2000' });
    expect(rec.connectedAt).toBeDefined();
  }, 40_000);

  it('TS-38b DVO without an EFA number: 503 for DVO-R and for DVO-F, nothing sent to T or D3', async () => {
    setParams({ efaNumbers: [] });
    try {
      const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1 });
      const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
      const r = await m1('2000');
      const f = await m1('2000', { attr: 'setup:active' });
      const g = await gw.stop();
      const d = await d3.stop();
      expect(finalStatus(r), r.describe()).toBe(503);
      expect(finalStatus(f), f.describe()).toBe(503);
      expect(received(r, { status: 183 })).toBeUndefined();
      expect(received(g, { method: 'INVITE' })).toBeUndefined();
      expect(received(d, { method: 'INVITE' })).toBeUndefined();
    } finally {
      setParams({ efaNumbers: [{ number: '\\+14085556666', partition: 'PT-all', isDefault: true }] });
    }
  }, 30_000);

  it('TS-38c DVO target not routable: 404, no callback to T', async () => {
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1 });
    const r = await m1('6999');
    const g = await gw.stop();
    expect(finalStatus(r), r.describe()).toBe(404);
    expect(received(g, { method: 'INVITE' })).toBeUndefined();
  }, 30_000);

  it('TS-39 DVO-R with mobility profile caller ID: callback From and 183 SDP carry +14085550100', async () => {
    const dir = ts.server.directory;
    const profile = dir.mobilityProfiles.create({ name: 'TS-39', dvoRCallbackCallerId: '+14085550100' });
    dir.remoteDestinations.update('MI2', { mobilityProfile: profile.id });
    try {
      const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 2000 });
      const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
      const r = await m1('2000', { holdMs: 300 });
      expect(r.code, r.describe()).toBe(0);
      const g = await gw.stop();
      await d3.stop();
      expect(pstnNumber(received(r, { status: 183 }))).toBe('+14085550100');
      const cb = received(g, { method: 'INVITE' })!;
      expect(header(cb, 'From')).toContain('+14085550100');
      expect(header(cb, 'P-Asserted-Identity')).toContain('+14085550100');
      expect(finalStatus(r)).toBe(200);
    } finally {
      dir.remoteDestinations.update('MI2', { mobilityProfile: null });
    }
  }, 30_000);

  it('TS-40 DVO-R to an alternate number: callback to +16505551212 without MI timers or VMA, call record anchored = false', async () => {
    // The alternate number answers at once: Answer Too Soon would drop an MI leg, not this one (DVO-R-08).
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1 });
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const r = await m1('2000', { number: '+16505551212', holdMs: 500 });
    expect(r.code, r.describe()).toBe(0);
    const g = await gw.stop();
    const d = await d3.stop();
    expect(pstnNumber(received(r, { status: 183 }))).toBe(EFA);
    expect(finalStatus(r)).toBe(200);
    expect(received(g, { method: 'INVITE' })!.startLine).toContain('sip:+16505551212@');
    expect(header(received(d, { method: 'INVITE' })!, 'From')).toMatch(/sip:5002@/);
    expect(ts.dvo.callRecords().at(-1)).toMatchObject({ origin: 'dvoR', anchored: false, callbackNumber: '+16505551212', state: 'ended' });
    // Released on BYE: nothing is held for desk pickup (DPU-06).
    await idle();
  }, 30_000);

  it('TS-40 (DVO-R-08) alternate-number callback not answered: CANCEL at dvoAlternateCallbackRingTimeoutS, CTRL 480', async () => {
    setParams({ dvoAlternateCallbackRingTimeoutS: 2 });
    try {
      const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort, calls: 1 });
      const r = await m1('2000', { number: '+16505551212' });
      const g = await gw.stop();
      expect(finalStatus(r), r.describe()).toBe(480);
      const inv = received(g, { method: 'INVITE' })!;
      const cancel = received(g, { method: 'CANCEL' });
      expect(cancel, g.describe()).toBeDefined();
      expect(Math.abs(sippTime(cancel!) - sippTime(inv) - 2000)).toBeLessThan(300);
    } finally {
      setParams({ dvoAlternateCallbackRingTimeoutS: 45 });
    }
  }, 30_000);

  it('DVO-R-04 callback answered too soon (timer control): the MI leg is dropped, CTRL 480, D3 never called', async () => {
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1 }); // answers at once (< 1500 ms)
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const r = await m1('2000');
    const g = await gw.stop();
    const d = await d3.stop();
    expect(finalStatus(r), r.describe()).toBe(480);
    expect(received(g, { method: 'BYE' }), g.describe()).toBeDefined();
    expect(received(d, { method: 'INVITE' })).toBeUndefined();
  }, 30_000);

  it('TS-41 DVO-R callback fails VMA: prompt 1 s after MI2 answers, BYE 5 s after the prompt, CTRL 480, D3 never called', async () => {
    const dir = ts.server.directory;
    dir.remoteDestinations.update('MI2', { snrVoicemailPolicy: 'userControl' });
    const miRtp = await UdpCounter.open();
    try {
      // MI2 answers at once: under user control Answer Too Soon does not apply (D-42).
      const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, set: { rtp_port: miRtp.port } });
      const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
      const r = await m1('2000', { timeoutS: 30 });
      const g = await gw.stop();
      const d = await d3.stop();
      expect(finalStatus(r), r.describe()).toBe(480);
      const ok = findMessage(g.parsed, { direction: 'sent', status: 200 })!;
      const bye = received(g, { method: 'BYE' });
      expect(bye, g.describe()).toBeDefined();
      const promptStart = miRtp.packets[0]?.at;
      expect(promptStart, 'the prompt reached the MI2 leg').toBeDefined();
      expect(Math.abs(promptStart! - sippTime(ok) - 1000)).toBeLessThanOrEqual(100);
      // Prompt (1.5 s) + 5 s wait for a key.
      const promptEnd = promptStart! + 1500;
      expect(Math.abs(sippTime(bye!) - promptEnd - 5000)).toBeLessThanOrEqual(200);
      expect(received(d, { method: 'INVITE' })).toBeUndefined();
    } finally {
      miRtp.close();
      dir.remoteDestinations.update('MI2', { snrVoicemailPolicy: 'useSystemDefault' });
    }
  }, 40_000);

  it('DVO-R-04 user control: a key press (INFO) after the prompt started accepts the callback; D3 is called and CTRL gets 200', async () => {
    const dir = ts.server.directory;
    dir.remoteDestinations.update('MI2', { snrVoicemailPolicy: 'userControl' });
    try {
      // The key press 2 s after answering: during the prompt (it starts at 1 s and lasts 1.5 s).
      const gw = await startSippServer({ scenario: 'dvo-mi-keypress', port: gwPort, calls: 1, durationMs: 2000 });
      const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
      const r = await m1('2000', { holdMs: 500 });
      const g = await gw.stop();
      const d = await d3.stop();
      expect(finalStatus(r), r.describe()).toBe(200);
      const info = findMessage(g.parsed, { direction: 'sent', method: 'INFO' })!;
      const inv = received(d, { method: 'INVITE' });
      expect(inv, d.describe()).toBeDefined();
      expect(sippTime(inv!)).toBeGreaterThanOrEqual(sippTime(info));
      expect(sippTime(inv!) - sippTime(info)).toBeLessThan(500);
    } finally {
      dir.remoteDestinations.update('MI2', { snrVoicemailPolicy: 'useSystemDefault' });
    }
  }, 30_000);

  it('D-29 dvoCtrlAnswerOn = mobileLeg: CTRL is answered when the callback is accepted, before the target answers', async () => {
    setParams({ dvoCtrlAnswerOn: 'mobileLeg' });
    try {
      const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 2000 });
      const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1, durationMs: 1500 }); // D3 rings 1.5 s
      const r = await m1('2000', { holdMs: 2500 });
      const g = await gw.stop();
      const d = await d3.stop();
      expect(finalStatus(r), r.describe()).toBe(200);
      const ok = received(r, { status: 200 })!;
      const miOk = findMessage(g.parsed, { direction: 'sent', status: 200 })!;
      const d3Ok = findMessage(d.parsed, { direction: 'sent', status: 200 })!;
      expect(sippTime(ok)).toBeGreaterThanOrEqual(sippTime(miOk) - 5);
      expect(sippTime(ok)).toBeLessThan(sippTime(d3Ok) - 1000);
      expect(received(d, { method: 'BYE' }), d.describe()).toBeDefined();
    } finally {
      setParams({ dvoCtrlAnswerOn: 'connect' });
    }
  }, 30_000);

  it('TS-42 DVO-R target busy: the MI2 leg hears busy tone then gets BYE; M1 gets 486', async () => {
    const miRtp = await UdpCounter.open();
    try {
      const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, durationMs: 2000, set: { rtp_port: miRtp.port } });
      const d3 = await startSippServer({ scenario: 'uas-busy', port: d3Port, calls: 1 });
      const r = await m1('2000');
      await idle(); // the busy tone plays for 3 s before the BYE
      const g = await gw.stop();
      const d = await d3.stop();
      expect(finalStatus(r), r.describe()).toBe(486);
      const busy = findMessage(d.parsed, { direction: 'sent', status: 486 })!;
      const bye = received(g, { method: 'BYE' });
      expect(bye, g.describe()).toBeDefined();
      // Busy tone (rtpengine playing to the MI2 leg) between the 486 and the BYE, then BYE ~3 s later.
      const during = miRtp.packets.filter((p) => p.at > sippTime(busy) && p.at < sippTime(bye!)).length;
      expect(during).toBeGreaterThan(50);
      expect(sippTime(bye!) - sippTime(busy)).toBeGreaterThan(2500);
    } finally {
      miRtp.close();
    }
  }, 30_000);

  it('TS-43 DVO-R CANCEL while MI2 rings: S CANCELs MI2, M1 gets 487', async () => {
    const gw = await startSippServer({ scenario: 'uas-noanswer', port: gwPort, calls: 1 });
    const r = await m1('2000', { scenario: 'dvo-m1-cancel', holdMs: 1000 });
    const g = await gw.stop();
    expect(r.code, r.describe()).toBe(0);
    expect(received(r, { status: 487 })).toBeDefined();
    expect(received(g, { method: 'CANCEL' }), g.describe()).toBeDefined();
  }, 30_000);

  it('DVO-R state returns to idle (legs, dialogs, media, timers)', async () => {
    await idle();
    expect(ts.dvo.sizes()).toEqual({ pendingDvoF: 0, dvoRActive: 0, dvoFConnected: 0, inFlight: 0 });
  });
});

describe('§18.7 DVO-F', () => {
  const DVOF = { attr: 'setup:active' } as const;
  beforeAll(() => {
    // TS-44: EFA number 1239876, no service access number. SR off here: see session-resumption.test.ts.
    setParams({ efaNumbers: [{ number: '1239876', partition: 'PT-all', isDefault: true }], dvoForwardServiceAccessNumber: '', sessionResumptionAwaitTimerS: 0 });
  });
  afterAll(() => {
    setParams({ efaNumbers: [{ number: '\\+14085556666', partition: 'PT-all', isDefault: true }], dvoForwardServiceAccessNumber: '', sessionResumptionAwaitTimerS: 180 });
  });
  beforeEach(async () => {
    await idle();
  });

  const pending = async (): Promise<number> => (await ts.dvo.pendingRecords()).length;

  /** M1 sends DVO-F, then T dials `called` from `from` once the request is pending. */
  async function dvoF(called: string, o: { from?: string; d3?: string; holdMs?: number; number?: string } = {}) {
    const d3 = await startSippServer({ scenario: o.d3 ?? 'uas-basic', port: d3Port, calls: 1 });
    const run = m1('2000', { ...DVOF, holdMs: o.holdMs ?? 1000, ...(o.number !== undefined ? { number: o.number } : {}) });
    await until(async () => (await pending()) === 1, 10_000, 'pending DVO-F');
    const t = await dialIn(called, o.from ?? MI2, { scenario: o.d3 === 'uas-busy' ? 'uac-basic' : 'uac-wait-bye' });
    const r = await run;
    const d = await d3.stop();
    return { r, t, d };
  }

  function expectConnected(x: { r: SippResult; t: SippResult; d: SippResult }, dialled: string): void {
    const { r, t, d } = x;
    expect(r.code, r.describe()).toBe(0);
    const p183 = received(r, { status: 183 });
    expect(pstnNumber(p183)).toBe(dialled);
    expect(p183!.body).toMatch(/^a=setup:passive$/m);
    expect(p183!.body).toMatch(/^m=audio 9 PSTN -$/m);
    expect(finalStatus(r)).toBe(200);
    expect(received(r, { status: 200 })!.body).toBe(p183!.body);
    // Target leg From = DN (CLI-02); the inbound leg rang (180) and was answered only after D3 answered (D-45).
    const inv = received(d, { method: 'INVITE' });
    expect(inv, d.describe()).toBeDefined();
    expect(header(inv!, 'From')).toMatch(/sip:5002@/);
    const ringing = received(t, { status: 180 });
    const tOk = received(t, { status: 200 });
    expect(ringing, t.describe()).toBeDefined();
    expect(tOk, t.describe()).toBeDefined();
    expect(sippTime(ringing!)).toBeLessThanOrEqual(sippTime(tOk!));
    const dOk = findMessage(d.parsed, { direction: 'sent', status: 200 })!;
    expect(sippTime(tOk!)).toBeGreaterThanOrEqual(sippTime(dOk) - 5);
    expect(sippTime(received(r, { status: 200 })!)).toBeGreaterThanOrEqual(sippTime(dOk) - 5);
    // M1 ended CTRL while the mobile leg was up: both other legs were released (DVO-03).
    expect(received(t, { method: 'BYE' }), t.describe()).toBeDefined();
    expect(received(d, { method: 'BYE' }), d.describe()).toBeDefined();
  }

  it('TS-44 DVO-F, EFA number only: 183 with 1239876 (setup passive), inbound from MI2 correlates, D3 From 5002, 180 then 200 inbound, 200 to M1', async () => {
    const x = await dvoF('1239876');
    expectConnected(x, '1239876');
    expect(await pending()).toBe(0);
    expect(ts.dvo.callRecords().at(-1)).toMatchObject({ origin: 'dvoF', anchored: true, state: 'ended' });
  }, 40_000);

  it('TS-45 DVO-F toll-free access number: the 183 carries 18008889999; the call may arrive on the EFA number or on the access number', async () => {
    setParams({ dvoForwardServiceAccessNumber: '18008889999' });
    try {
      expectConnected(await dvoF('1239876'), '18008889999');
      await idle();
      expectConnected(await dvoF('18008889999'), '18008889999');
    } finally {
      setParams({ dvoForwardServiceAccessNumber: '' });
    }
  }, 60_000);

  it('TS-46 DVO-F global access number \\+14081239876: the 183 carries +14081239876, an inbound call to 1239876 succeeds; 24 dialable characters at most', async () => {
    setParams({ dvoForwardServiceAccessNumber: '\\+14081239876' });
    try {
      expectConnected(await dvoF('1239876'), '+14081239876');
    } finally {
      setParams({ dvoForwardServiceAccessNumber: '' });
    }
    const dir = ts.server.directory;
    expect(() => dir.serviceParameters.setMany({ dvoForwardServiceAccessNumber: `\\+${'1'.repeat(23)}` })).not.toThrow();
    expect(() => dir.serviceParameters.setMany({ dvoForwardServiceAccessNumber: `\\+${'1'.repeat(24)}` })).toThrow();
    expect(() => dir.serviceParameters.setMany({ dvoForwardServiceAccessNumber: '1'.repeat(25) })).toThrow();
    setParams({ dvoForwardServiceAccessNumber: '' });
  }, 40_000);

  it('TS-47 Call Await Timer runs out (5 s): 503 on CTRL at 5 s ± 500 ms, no pending record left', async () => {
    const r = await m1('2000', { ...DVOF, timeoutS: 20 });
    expect(finalStatus(r), r.describe()).toBe(503);
    const dt = sippTime(received(r, { status: 503 })!) - sippTime(received(r, { status: 183 })!);
    expect(Math.abs(dt - 5000)).toBeLessThanOrEqual(500);
    expect(await pending()).toBe(0);
  }, 30_000);

  // Spec default, kept on purpose: TS-47 at callAwaitTimerS = 30 (the default of §16).
  it('TS-47 Call Await Timer runs out at the SPEC DEFAULT 30 s: 503 at 30 s ± 500 ms, no pending record left', async () => {
    setParams({ callAwaitTimerS: 30 });
    try {
      const r = await m1('2000', { ...DVOF, timeoutS: 45 });
      expect(finalStatus(r), r.describe()).toBe(503);
      const dt = sippTime(received(r, { status: 503 })!) - sippTime(received(r, { status: 183 })!);
      expect(Math.abs(dt - 30_000)).toBeLessThanOrEqual(500);
      expect(await pending()).toBe(0);
    } finally {
      setParams({ callAwaitTimerS: 5 });
    }
  }, 60_000);

  it('TS-48 blocked caller ID: the inbound call From anonymous is refused 403 (reorder, Q.850 21); M1 gets 503 at expiry', async () => {
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const run = m1('2000', { ...DVOF, timeoutS: 20 });
    await until(async () => (await pending()) === 1, 10_000, 'pending DVO-F');
    const t = await dialIn('1239876', 'anonymous', { scenario: 'uac-basic' });
    const refused = received(t, { status: 403 });
    expect(refused, t.describe()).toBeDefined();
    expect(header(refused!, 'Reason')).toMatch(/Q\.850;cause=21/);
    const r = await run;
    const d = await d3.stop();
    expect(finalStatus(r)).toBe(503);
    const dt = sippTime(received(r, { status: 503 })!) - sippTime(received(r, { status: 183 })!);
    expect(Math.abs(dt - 5000)).toBeLessThanOrEqual(500);
    expect(received(d, { method: 'INVITE' })).toBeUndefined();
  }, 30_000);

  it('TS-49 second DVO-F while one is pending: 486 (DVO-F pending); the first is unaffected', async () => {
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const first = m1('2000', { ...DVOF, holdMs: 500 });
    await until(async () => (await pending()) === 1, 10_000, 'pending DVO-F');
    const second = await m1('2000', { ...DVOF, port: m1bPort });
    expect(finalStatus(second), second.describe()).toBe(486);
    expect(header(received(second, { status: 486 })!, 'Reason')).toMatch(/DVO-F pending/);
    expect(await pending()).toBe(1);
    const t = await dialIn('1239876');
    const r = await first;
    await d3.stop();
    expect(finalStatus(r), r.describe()).toBe(200);
    expect(received(t, { status: 200 })).toBeDefined();
  }, 40_000);

  it('TS-50 DVO-F partial-match correlation: MI2 stored as 914085551111 matches +14085551111 with partial/10; with complete matching M1 gets 503 at expiry', async () => {
    const dir = ts.server.directory;
    dir.remoteDestinations.update('MI2', { number: '914085551111' });
    try {
      setParams({ matchCallerIdWithRemoteDestination: 'partial', callerIdPartialMatchDigits: 10 });
      // The client's SDP carries +E.164 here: the server's SDP validator (src/media/sdp.ts) still
      // refuses `c=PSTN E164 914085551111` with 488 (see the report); correlation is on the MI anyway.
      const x = await dvoF('1239876');
      expect(finalStatus(x.r), x.r.describe()).toBe(200);
      expect(received(x.t, { status: 200 })).toBeDefined();
      await idle();
      setParams({ matchCallerIdWithRemoteDestination: 'complete' });
      const run = m1('2000', { ...DVOF, timeoutS: 20 });
      await until(async () => (await pending()) === 1, 10_000, 'pending DVO-F');
      const t = await dialIn('1239876', MI2, { scenario: 'uac-basic' });
      expect(received(t, { status: 403 }), t.describe()).toBeDefined();
      const r = await run;
      expect(finalStatus(r)).toBe(503);
      const dt = sippTime(received(r, { status: 503 })!) - sippTime(received(r, { status: 183 })!);
      expect(Math.abs(dt - 5000)).toBeLessThanOrEqual(500);
    } finally {
      setParams({ matchCallerIdWithRemoteDestination: 'complete' });
      dir.remoteDestinations.update('MI2', { number: MI2 });
    }
  }, 60_000);

  it('DVO-F-09 target busy: the inbound leg gets 486, CTRL gets 486, no resumption record', async () => {
    setParams({ sessionResumptionAwaitTimerS: 180 });
    try {
      const x = await dvoF('1239876', { d3: 'uas-busy' });
      expect(received(x.t, { status: 486 }), x.t.describe()).toBeDefined();
      expect(finalStatus(x.r), x.r.describe()).toBe(486);
      expect(await ts.sr.records()).toEqual([]);
    } finally {
      setParams({ sessionResumptionAwaitTimerS: 0 });
    }
  }, 30_000);

  it('DVO-F-10 client CANCEL: CTRL 487, the record is deleted; a later inbound call from MI2 goes to EFA handling (not to D3)', async () => {
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const r = await m1('2000', { ...DVOF, scenario: 'dvo-m1-cancel', holdMs: 500 });
    expect(r.code, r.describe()).toBe(0);
    expect(received(r, { status: 487 })).toBeDefined();
    expect(await pending()).toBe(0);
    const efaBefore = efaRecords();
    const t = await dialIn('1239876', MI2, { scenario: 'uac-basic' });
    const d = await d3.stop();
    // §14.5 step 5: the EFA handler answers (no prompt) and waits for the PIN; the caller hangs up.
    expect(received(t, { status: 200 }), t.describe()).toBeDefined();
    expect(efaRecords()).toBe(efaBefore + 1);
    expect(received(d, { method: 'INVITE' })).toBeUndefined();
  }, 30_000);

  it('DVO-F-11 SDP number that is not the MI: correlation still uses the MI', async () => {
    const x = await dvoF('1239876', { number: '+14085559999' });
    expectConnected(x, '1239876');
  }, 40_000);

  it('DVO-F state returns to idle', async () => {
    await idle();
    expect(await pending()).toBe(0);
  });
});

describe('restart survival of pending DVO-F requests', () => {
  beforeAll(() => {
    setParams({ efaNumbers: [{ number: '1239876', partition: 'PT-all', isDefault: true }], sessionResumptionAwaitTimerS: 0 });
  });
  beforeEach(async () => {
    await idle();
  });

  it('a pending DVO-F survives a restart with its remaining time; the inbound call still reaches D3 (the CTRL dialog is gone with the old process)', async () => {
    setParams({ callAwaitTimerS: 20 });
    const d3 = await startSippServer({ scenario: 'uas-basic', port: d3Port, calls: 1 });
    const ctrl = m1('2000', { attr: 'setup:active', timeoutS: 6 }); // never answered: its server went away
    await until(async () => (await ts.dvo.pendingRecords()).length === 1, 10_000, 'pending DVO-F');
    const before = (await ts.dvo.pendingRecords())[0]!;
    await ts.restart();
    const after = await ts.dvo.pendingRecords();
    expect(after).toEqual([before]);
    expect(ts.dvo.sizes().pendingDvoF).toBe(1);
    const t = await dialIn('1239876', MI2, { scenario: 'uac-basic', holdMs: 300 });
    expect(t.code, t.describe()).toBe(0);
    const d = await d3.stop();
    expect(header(received(d, { method: 'INVITE' })!, 'From')).toMatch(/sip:5002@/);
    expect(await ts.dvo.pendingRecords()).toEqual([]);
    await ctrl;
    setParams({ callAwaitTimerS: 5 });
  }, 60_000);

  it('a pending DVO-F whose Call Await Timer ran out while the server was down is deleted at start (counted as expired)', async () => {
    const ctrl = m1('2000', { attr: 'setup:active', timeoutS: 6 });
    await until(async () => (await ts.dvo.pendingRecords()).length === 1, 10_000, 'pending DVO-F');
    await ts.restart(5500);
    expect(await ts.dvo.pendingRecords()).toEqual([]);
    expect(ts.dvo.sizes().pendingDvoF).toBe(0);
    expect(await ts.server.metrics.registry.getSingleMetricAsString('ma_dvo_f_expired_total')).toMatch(/ma_dvo_f_expired_total 1/);
    await ctrl;
    // The devices' registrations survived the restart as well.
    expect(ts.server.registrar.lookup('m1').length).toBe(1);
  }, 60_000);
});
