import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bindingKey,
  openLocalStateStores,
  startSweeper,
  sweepAll,
  type ContactBinding,
  type LocalStateStores,
  type PendingDvoF,
  type ResumptionRecord,
} from '../../src/state/index.js';
import { schemaVersion } from '../../src/directory/index.js';

const T0 = 1_700_000_000_000;
const opened: LocalStateStores[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});
const open = (path = ':memory:') => {
  const s = openLocalStateStores(path);
  opened.push(s);
  return s;
};
const file = () => join(mkdtempSync(join(tmpdir(), 'ma-state-')), 'state.sqlite');

function binding(over: Partial<ContactBinding> = {}): ContactBinding {
  return {
    aor: 'sip:d1@ma.test',
    contact: 'sip:d1@127.0.0.1:5062;transport=udp',
    expiresAt: T0 + 3600_000,
    q: 1,
    callId: 'reg-1',
    cseq: 1,
    instanceId: null,
    regId: null,
    path: [],
    received: { address: '127.0.0.1', port: 5062, transport: 'udp' },
    flow: null,
    params: {},
    userAgent: 'test',
    registeredAt: T0,
    ...over,
  };
}

function pending(over: Partial<PendingDvoF> = {}): PendingDvoF {
  return {
    deviceId: 'M1',
    miId: 'MI2',
    miNumber: '+14085551111',
    sdpNumber: '+14085551111',
    target: '2000',
    ctrlDialog: { callId: 'ctrl-1', localTag: 'a', remoteTag: 'b' },
    createdAt: T0,
    expiresAt: T0 + 30_000,
    nodeId: null,
    ...over,
  };
}

function resumption(over: Partial<ResumptionRecord> = {}): ResumptionRecord {
  return { deviceId: 'M1', miId: 'MI2', miNumber: '+14085551111', target: '2000', anchoredCallRef: 'call-1', createdAt: T0, expiresAt: null, nodeId: null, ...over };
}

describe('RegistrationStore', () => {
  it('add, update, list by q, remove', async () => {
    const { registrations: r } = open();
    expect(await r.put(binding())).toBeUndefined();
    const b2 = binding({ contact: 'sip:d1@127.0.0.1:5064', q: 0.5, callId: 'reg-2' });
    await r.put(b2);
    const updated = binding({ cseq: 2, expiresAt: T0 + 7200_000 });
    expect((await r.put(updated))!.cseq).toBe(1);
    expect((await r.list('sip:d1@ma.test', T0)).map((b) => [b.contact, b.cseq])).toEqual([
      ['sip:d1@127.0.0.1:5062;transport=udp', 2],
      ['sip:d1@127.0.0.1:5064', 1],
    ]);
    expect(await r.listAors(T0)).toEqual(['sip:d1@ma.test']);
    expect(await r.remove('sip:d1@ma.test', bindingKey(b2))).toBe(true);
    expect(await r.remove('sip:d1@ma.test', bindingKey(b2))).toBe(false);
    expect(await r.list('sip:d1@ma.test', T0)).toHaveLength(1);
    expect((await r.removeAll('sip:d1@ma.test')).map((b) => b.cseq)).toEqual([2]);
    expect(await r.list('sip:d1@ma.test', T0)).toEqual([]);
  });

  it('RFC 5626 bindings are keyed by instance and reg-id, not by Contact', async () => {
    const { registrations: r } = open();
    const inst = '<urn:uuid:00000000-0000-1000-8000-000A95A0E128>';
    await r.put(binding({ instanceId: inst, regId: 1, contact: 'sip:d1@10.0.0.1:5060' }));
    await r.put(binding({ instanceId: inst, regId: 1, contact: 'sip:d1@10.0.0.2:5060' }));
    await r.put(binding({ instanceId: inst, regId: 2, contact: 'sip:d1@10.0.0.3:5060' }));
    expect((await r.list('sip:d1@ma.test', T0)).map((b) => b.contact).sort()).toEqual(['sip:d1@10.0.0.2:5060', 'sip:d1@10.0.0.3:5060']);
    expect(bindingKey({ contact: 'x', instanceId: inst, regId: 1 })).toBe(`inst:${inst}#1`);
    expect(bindingKey({ contact: 'sip:x@h', instanceId: null, regId: null })).toBe('uri:sip:x@h');
  });

  it('returned objects are copies', async () => {
    const { registrations: r } = open();
    const b = binding();
    await r.put(b);
    b.cseq = 99;
    const [got] = await r.list(b.aor, T0);
    got!.cseq = 77;
    expect((await r.get(b.aor, bindingKey(b)))!.cseq).toBe(1);
  });

  it('expired bindings are not listed and sweep removes and returns them', async () => {
    const { registrations: r } = open();
    await r.put(binding({ expiresAt: T0 + 1000 }));
    await r.put(binding({ aor: 'sip:d2@ma.test', expiresAt: T0 + 5000 }));
    expect(await r.list('sip:d1@ma.test', T0 + 1000)).toEqual([]);
    expect(await r.listAors(T0 + 1000)).toEqual(['sip:d2@ma.test']);
    expect((await r.sweep(T0 + 999)).length).toBe(0);
    expect((await r.sweep(T0 + 1000)).map((b) => b.aor)).toEqual(['sip:d1@ma.test']);
    expect(await r.get('sip:d1@ma.test', bindingKey(binding()))).toBeUndefined();
    expect((await r.sweep(T0 + 10_000)).map((b) => b.aor)).toEqual(['sip:d2@ma.test']);
  });

  it('survive reopening the same SQLite file', async () => {
    const path = file();
    const a = openLocalStateStores(path);
    await a.registrations.put(binding({ path: ['<sip:edge@127.0.0.1;lr>'], params: { '+mobility-inbound': 'snr' }, flow: { connectionId: 'c1', localAddress: '127.0.0.1', localPort: 5060 } }));
    await a.registrations.put(binding({ aor: 'sip:gone@ma.test' }));
    await a.registrations.removeAll('sip:gone@ma.test');
    await a.close();
    const b = open(path);
    const [got] = await b.registrations.list('sip:d1@ma.test', T0);
    expect(got).toEqual(binding({ path: ['<sip:edge@127.0.0.1;lr>'], params: { '+mobility-inbound': 'snr' }, flow: { connectionId: 'c1', localAddress: '127.0.0.1', localPort: 5060 } }));
    expect(await b.registrations.listAors(T0)).toEqual(['sip:d1@ma.test']);
  });
});

describe('PendingDvoStore (DVO-F-02, DVO-F-05..07)', () => {
  it('at most one per device; take is atomic', async () => {
    const { pendingDvo: p } = open();
    expect(await p.create(pending())).toBe(true);
    expect(await p.create(pending({ target: '3000' }))).toBe(false);
    expect((await p.get('M1'))!.target).toBe('2000');
    expect(await p.create(pending({ deviceId: 'M9' }))).toBe(true);
    expect((await p.list()).map((r) => r.deviceId).sort()).toEqual(['M1', 'M9']);
    expect((await p.take('M1'))!.target).toBe('2000');
    expect(await p.take('M1')).toBeUndefined();
    expect(await p.create(pending({ target: '3000' }))).toBe(true);
    expect(await p.remove('M1')).toBe(true);
    expect(await p.remove('M1')).toBe(false);
  });

  it('sweep returns records whose Call Await Timer ran out', async () => {
    const { pendingDvo: p } = open();
    await p.create(pending());
    await p.create(pending({ deviceId: 'M9', expiresAt: T0 + 60_000 }));
    expect(await p.sweep(T0 + 29_999)).toEqual([]);
    expect((await p.sweep(T0 + 30_000)).map((r) => r.deviceId)).toEqual(['M1']);
    expect(await p.get('M1')).toBeUndefined();
    expect(await p.get('M9')).toBeDefined();
  });

  it('persist with their deadline, so the timer can be re-armed with the remaining time', async () => {
    const path = file();
    const a = openLocalStateStores(path);
    await a.pendingDvo.create(pending());
    await a.close();
    const b = open(path);
    const rec = (await b.pendingDvo.get('M1'))!;
    expect(rec).toEqual(pending());
    expect(rec.expiresAt - (T0 + 12_000)).toBe(18_000);
    expect(await b.pendingDvo.create(pending())).toBe(false);
  });
});

describe('ResumptionStore (SR-01..07)', () => {
  it('put replaces the device record; the timer starts with update; sweep only expired', async () => {
    const { resumptions: r } = open();
    expect(await r.put(resumption())).toBeUndefined();
    expect((await r.put(resumption({ target: '3000', anchoredCallRef: 'call-2' })))!.target).toBe('2000');
    expect(await r.sweep(T0 + 10_000_000)).toEqual([]); // timer not running
    const armed = await r.update('M1', { expiresAt: T0 + 180_000, anchoredCallRef: null });
    expect(armed).toMatchObject({ target: '3000', anchoredCallRef: null, expiresAt: T0 + 180_000 });
    expect(await r.update('nope', { expiresAt: 1 })).toBeUndefined();
    expect(await r.sweep(T0 + 179_999)).toEqual([]);
    expect((await r.sweep(T0 + 180_000)).map((x) => x.deviceId)).toEqual(['M1']);
    expect(await r.list()).toEqual([]);
  });

  it('survive reopening the same SQLite file', async () => {
    const path = file();
    const a = openLocalStateStores(path);
    await a.resumptions.put(resumption());
    await a.resumptions.update('M1', { expiresAt: T0 + 180_000 });
    await a.resumptions.put(resumption({ deviceId: 'M9' }));
    await a.resumptions.remove('M9');
    await a.close();
    const b = open(path);
    expect(await b.resumptions.list()).toEqual([resumption({ expiresAt: T0 + 180_000 })]);
  });
});

describe('PinFailureStore (MVA-11, TS-33c)', () => {
  const policy = { threshold: 4, durationS: 60 };
  it('locks after threshold consecutive failures, across calls, for durationS', async () => {
    const { pinFailures: p } = open();
    for (let i = 1; i <= 3; i++) expect((await p.recordFailure('U1', T0 + i, policy)).consecutiveFailures).toBe(i);
    expect(await p.isLocked('U1', T0 + 3)).toBe(false);
    const locked = await p.recordFailure('U1', T0 + 10, policy);
    expect(locked).toEqual({ userId: 'U1', consecutiveFailures: 4, lockedUntil: T0 + 10 + 60_000, lastFailureAt: T0 + 10 });
    expect(await p.isLocked('U1', T0 + 60_009)).toBe(true);
    // Failures during the lock are not counted and do not extend it.
    expect((await p.recordFailure('U1', T0 + 20, policy)).lockedUntil).toBe(T0 + 60_010);
    expect(await p.isLocked('U1', T0 + 60_010)).toBe(false);
    // After the lock the count starts again.
    expect(await p.recordFailure('U1', T0 + 70_000, policy)).toMatchObject({ consecutiveFailures: 1, lockedUntil: null });
  });

  it('a correct PIN resets the count; threshold 0 never locks', async () => {
    const { pinFailures: p } = open();
    await p.recordFailure('U1', T0, policy);
    await p.recordFailure('U1', T0, policy);
    await p.recordSuccess('U1');
    expect(await p.get('U1')).toBeUndefined();
    for (let i = 0; i < 200; i++) await p.recordFailure('U2', T0, { threshold: 0, durationS: 60 });
    expect(await p.isLocked('U2', T0)).toBe(false);
    expect((await p.get('U2'))!.consecutiveFailures).toBe(200);
  });

  it('sweep clears ended locks; state survives reopening', async () => {
    const path = file();
    const a = openLocalStateStores(path);
    for (let i = 0; i < 4; i++) await a.pinFailures.recordFailure('U1', T0, policy);
    await a.pinFailures.recordFailure('U2', T0, policy);
    await a.close();
    const b = open(path);
    expect(await b.pinFailures.isLocked('U1', T0 + 1000)).toBe(true);
    expect((await b.pinFailures.get('U2'))!.consecutiveFailures).toBe(1);
    expect(await b.pinFailures.sweep(T0 + 59_999)).toEqual([]);
    expect((await b.pinFailures.sweep(T0 + 60_000)).map((s) => s.userId)).toEqual(['U1']);
    expect(await b.pinFailures.get('U1')).toBeUndefined();
    expect(await b.pinFailures.get('U2')).toBeDefined();
  });
});

describe('sweeping', () => {
  it('sweepAll returns what expired in every store', async () => {
    const s = open();
    await s.registrations.put(binding({ expiresAt: T0 + 1 }));
    await s.pendingDvo.create(pending({ expiresAt: T0 + 1 }));
    await s.resumptions.put(resumption({ expiresAt: T0 + 1 }));
    await s.pinFailures.recordFailure('U1', T0 - 60_000, { threshold: 1, durationS: 60 });
    const e = await sweepAll(s, T0 + 1);
    expect([e.registrations.length, e.pendingDvo.length, e.resumptions.length, e.pinFailures.length]).toEqual([1, 1, 1, 1]);
    expect(await sweepAll(s, T0 + 1)).toEqual({ registrations: [], pendingDvo: [], resumptions: [], pinFailures: [] });
  });

  it('startSweeper runs periodically on an unref timer and stops', async () => {
    const s = open();
    await s.pendingDvo.create(pending({ expiresAt: Date.now() - 1 }));
    const expired: string[] = [];
    const stop = startSweeper(s, { intervalMs: 20, onExpired: (e) => expired.push(...e.pendingDvo.map((r) => r.deviceId)) });
    await new Promise((r) => setTimeout(r, 80));
    stop();
    expect(expired).toEqual(['M1']);
  });

  it('the state schema is versioned separately from the directory', () => {
    const s = open();
    expect(schemaVersion(s.db, 'state')).toBe(1);
    expect(schemaVersion(s.db, 'directory')).toBe(0);
  });
});

describe('no timers keep the process alive', () => {
  it('a process with a running sweeper exits on its own', async () => {
    const { spawnSync } = await import('node:child_process');
    const src = new URL('../../src/state/index.ts', import.meta.url).pathname;
    const code = `import { openLocalStateStores, startSweeper } from ${JSON.stringify(src)};
      const s = openLocalStateStores(':memory:');
      startSweeper(s, { intervalMs: 10, onExpired: () => {} });
      console.log('started');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toContain('started');
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).toBe(0);
  });
});
