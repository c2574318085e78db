/**
 * Restart survival (DVO-F-05, SR-02/SR-06): pending DVO-F requests and resumption records
 * persisted in the state store are re-armed at start with their remaining time, and those
 * whose timer ran out while the server was down are deleted. Real SQLite stores, reopened
 * on the same file as a restarted server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Directory } from '../../../src/directory/directory.js';
import { seedFixture } from '../../../src/directory/fixture.js';
import type { FeatureContext } from '../../../src/features/feature.js';
import { DvoFeature } from '../../../src/features/dvo/feature.js';
import { SessionResumption } from '../../../src/features/session-resumption/session-resumption.js';
import { openLocalStateStores, type LocalStateStores } from '../../../src/state/index.js';
import type { PendingDvoF, ResumptionRecord } from '../../../src/state/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

let dataDir: string;
let dir: Directory;
let stores: LocalStateStores[];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ma-dvo-rearm-'));
  dir = new Directory({ path: ':memory:' });
  seedFixture(dir);
  stores = [];
});
afterEach(async () => {
  for (const s of stores) await s.close();
  dir.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh process's view: stores reopened on the same file, a new metrics registry. */
function context(): FeatureContext & { registry: Registry } {
  const state = openLocalStateStores(join(dataDir, 'state.sqlite'));
  stores.push(state);
  const registry = new Registry();
  return { config: { dataDir }, directory: dir, state, log: pino({ level: 'silent' }), metrics: registry, registry } as unknown as FeatureContext & { registry: Registry };
}

const counter = async (r: Registry, name: string) => (await r.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;

function pending(deviceId: string, expiresAt: number): PendingDvoF {
  return { deviceId, miId: 'MI2', miNumber: '+14085551111', sdpNumber: '+14085551111', target: '2000', ctrlDialog: { callId: `c-${deviceId}`, localTag: 'l', remoteTag: 'r' }, createdAt: Date.now() - 1000, expiresAt, nodeId: null };
}
function resumption(deviceId: string, expiresAt: number | null): ResumptionRecord {
  return { deviceId, miId: 'MI2', miNumber: '+14085551111', target: '2000', anchoredCallRef: 'old-call', createdAt: Date.now() - 5000, expiresAt, nodeId: null };
}

describe('pending DVO-F re-armed at start', () => {
  it('a live record keeps its deadline and expires after the remaining time; an expired one is deleted at once', async () => {
    const before = context();
    const now = Date.now();
    const deadline = now + 1500;
    await before.state.pendingDvo.create(pending('M1', deadline));
    await before.state.pendingDvo.create(pending('GONE', now - 1));
    await before.state.close();

    const ctx = context();
    const dvo = new DvoFeature();
    await dvo.start(ctx);
    expect((await dvo.pendingRecords()).map((r) => r.deviceId)).toEqual(['M1']);
    expect(dvo.sizes().pendingDvoF).toBe(1);
    expect(await counter(ctx.registry, 'ma_dvo_f_expired_total')).toBe(1);
    await sleep(deadline - 300 - Date.now());
    expect(dvo.sizes().pendingDvoF).toBe(1); // not expired early...
    await sleep(deadline + 400 - Date.now()); // ...and not a fresh 5 s period either
    expect(await dvo.pendingRecords()).toEqual([]);
    expect(dvo.sizes().pendingDvoF).toBe(0);
    expect(await counter(ctx.registry, 'ma_dvo_f_expired_total')).toBe(2);
    await dvo.close();
  });

  it('close() keeps the records (restart survival) and stops the timers', async () => {
    const ctx = context();
    await ctx.state.pendingDvo.create(pending('M1', Date.now() + 100));
    const dvo = new DvoFeature();
    await dvo.start(ctx);
    await dvo.close();
    await sleep(200);
    expect((await ctx.state.pendingDvo.list()).length).toBe(1);
  });
});

describe('resumption records re-armed at start', () => {
  it('running timers keep their deadline, ended ones are deleted, a record whose call was up starts its window now', async () => {
    dir.serviceParameters.setMany({ sessionResumptionAwaitTimerS: 60 });
    const before = context();
    const now = Date.now();
    const deadline = now + 1500;
    await before.state.resumptions.put(resumption('M1', deadline));
    await before.state.resumptions.put(resumption('OLD', now - 1));
    await before.state.resumptions.put(resumption('UP', null));
    await before.state.close();

    const ctx = context();
    const sr = new SessionResumption();
    await sr.start(ctx);
    const recs = new Map((await sr.records()).map((r) => [r.deviceId, r]));
    expect([...recs.keys()].sort()).toEqual(['M1', 'UP']);
    expect(recs.get('M1')).toMatchObject({ expiresAt: deadline, anchoredCallRef: null });
    // The call did not survive: its window starts at the restart (60 s here).
    expect(recs.get('UP')!.expiresAt! - Date.now()).toBeGreaterThan(59_000);
    expect(await sr.hasLive('M1')).toBe(true);
    expect(await counter(ctx.registry, 'ma_sr_expired_total')).toBe(1);
    await sleep(deadline + 400 - Date.now());
    expect(await sr.hasLive('M1')).toBe(false);
    expect((await sr.records()).map((r) => r.deviceId)).toEqual(['UP']);
    expect(await counter(ctx.registry, 'ma_sr_expired_total')).toBe(2);
    await sr.close();
  });

  it('with session resumption switched off (0) every record is dropped at start (SR-03)', async () => {
    dir.serviceParameters.setMany({ sessionResumptionAwaitTimerS: 0 });
    const ctx = context();
    await ctx.state.resumptions.put(resumption('M1', Date.now() + 60_000));
    const sr = new SessionResumption();
    await sr.start(ctx);
    expect(await sr.records()).toEqual([]);
    expect(await sr.hasLive('M1')).toBe(false);
    await sr.close();
  });
});
