/** PIN guard (spec MVA-08, MVA-11, D-49): lockout across calls, logging, the failure counter. */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { PinGuard, type PinCheck } from '../../../src/features/ivr/pin-guard.js';
import { openLocalStateStores, type LocalStateStores } from '../../../src/state/index.js';

const T0 = 1_700_000_000_000;
const opened: LocalStateStores[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

function setup(threshold = 4, durationS = 60) {
  const state = openLocalStateStores(':memory:');
  opened.push(state);
  let now = T0;
  const logs: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const log = {
    warn: (obj: object, msg?: string) => logs.push({ obj: obj as Record<string, unknown>, msg }),
    info: (obj: object, msg?: string) => logs.push({ obj: obj as Record<string, unknown>, msg }),
  };
  const metrics = new Registry();
  const guard = new PinGuard({
    store: state.pinFailures,
    verifyPin: async (user, pin) => user === 'U1' && pin === '1234',
    policy: () => ({ threshold, durationS }),
    log: log as never,
    metrics,
    now: () => now,
  });
  return { guard, state, logs, metrics, advance: (ms: number) => (now += ms) };
}

const check = (over: Partial<PinCheck> = {}): PinCheck => ({
  service: 'mva',
  userId: 'U1',
  pin: '0000',
  callingNumber: '+14085557890',
  calledNumber: '+14085552345',
  ...over,
});

async function failures(metrics: Registry): Promise<Record<string, number>> {
  const m = await metrics.getSingleMetric('mobility_pin_failures_total')!.get();
  return Object.fromEntries(m.values.map((v) => [`${v.labels['service']}/${v.labels['reason']}`, v.value]));
}

describe('PinGuard', () => {
  it('accepts the right PIN and resets the count (MVA-11)', async () => {
    const { guard, state } = setup();
    expect((await guard.check(check())).ok).toBe(false);
    expect((await guard.check(check())).ok).toBe(false);
    expect((await state.pinFailures.get('U1'))?.consecutiveFailures).toBe(2);
    expect(await guard.check(check({ pin: '1234' }))).toEqual({ ok: true, locked: false });
    expect(await state.pinFailures.get('U1')).toBeUndefined();
  });

  it('TS-33c: locks after pinLockoutThreshold failures across calls and services; the right PIN fails while locked, works after the duration', async () => {
    const { guard, advance, metrics } = setup(4, 60);
    for (const pin of ['0000', '1111', '2222']) expect((await guard.check(check({ pin }))).ok).toBe(false);
    // A different service (EFA) counts towards the same user.
    const fourth = await guard.check(check({ pin: '3333', service: 'efa' }));
    expect(fourth).toEqual({ ok: false, reason: 'wrongPin', locked: true });
    expect(await guard.check(check({ pin: '1234' }))).toEqual({ ok: false, reason: 'locked', locked: true });
    advance(59_000);
    expect((await guard.check(check({ pin: '1234' }))).ok).toBe(false);
    advance(1_000);
    expect((await guard.check(check({ pin: '1234' }))).ok).toBe(true);
    expect(await failures(metrics)).toEqual({ 'mva/wrongPin': 3, 'efa/wrongPin': 1, 'mva/locked': 2 });
  });

  it('pinLockoutThreshold 0 never locks', async () => {
    const { guard } = setup(0);
    for (let i = 0; i < 20; i++) await guard.check(check());
    expect((await guard.check(check({ pin: '1234' }))).ok).toBe(true);
  });

  it('an unknown user fails without touching any counter of a user', async () => {
    const { guard, state, metrics } = setup();
    expect(await guard.check(check({ userId: undefined, pin: '1234' }))).toEqual({ ok: false, reason: 'unknownUser', locked: false });
    expect(await state.pinFailures.get('U1')).toBeUndefined();
    expect(await failures(metrics)).toEqual({ 'mva/unknownUser': 1 });
  });

  it('MVA-08: per-user MVA off fails like a wrong PIN, but a right PIN is not counted towards the lockout', async () => {
    const { guard, state } = setup(2);
    expect(await guard.check(check({ pin: '1234', userEnabled: false }))).toEqual({ ok: false, reason: 'notEnabled', locked: false });
    expect(await state.pinFailures.get('U1')).toBeUndefined();
    expect((await guard.check(check({ pin: '9999', userEnabled: false }))).ok).toBe(false);
    expect((await state.pinFailures.get('U1'))?.consecutiveFailures).toBe(1);
  });

  it('logs every failure with calling number, called number and user (D-49)', async () => {
    const { guard, logs } = setup();
    await guard.check(check());
    await guard.check(check({ userId: undefined, callingNumber: null }));
    guard.noteFailure({ service: 'efa', userId: 'U1', callingNumber: '+1', calledNumber: '+2' }, 'timeout');
    const failed = logs.filter((l) => l.msg === 'failed PIN authentication');
    expect(failed.map((l) => l.obj)).toEqual([
      expect.objectContaining({ service: 'mva', reason: 'wrongPin', calling: '+14085557890', called: '+14085552345', user: 'U1' }),
      expect.objectContaining({ reason: 'unknownUser', calling: null, user: null }),
      expect.objectContaining({ service: 'efa', reason: 'timeout', calling: '+1', called: '+2', user: 'U1' }),
    ]);
  });

  it('two guards on one registry (MVA and EFA) share the counter', async () => {
    const { guard, metrics, state } = setup();
    const other = new PinGuard({ store: state.pinFailures, verifyPin: async () => false, policy: () => ({ threshold: 10, durationS: 60 }), log: { warn: () => undefined, info: () => undefined }, metrics });
    await guard.check(check());
    await other.check(check({ service: 'efa' }));
    expect(await failures(metrics)).toEqual({ 'mva/wrongPin': 1, 'efa/wrongPin': 1 });
  });
});
