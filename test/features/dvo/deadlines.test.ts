/** Timers armed from persisted absolute deadlines (DVO-F-05, SR-02 after a restart). */
import { describe, expect, it } from 'vitest';
import { Deadlines } from '../../../src/features/dvo/deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Deadlines', () => {
  it('fires at the absolute deadline (the remaining time), not after a full period', async () => {
    const d = new Deadlines();
    const t0 = Date.now();
    let at = 0;
    d.arm('M1', t0 + 120, () => (at = Date.now()));
    await sleep(200);
    expect(at - t0).toBeGreaterThanOrEqual(110);
    expect(at - t0).toBeLessThan(190);
    expect(d.size).toBe(0);
  });
  it('a deadline already past fires on the next tick', async () => {
    const d = new Deadlines();
    let fired = false;
    d.arm('M1', Date.now() - 60_000, () => (fired = true));
    await sleep(10);
    expect(fired).toBe(true);
  });
  it('re-arming a key replaces its timer; cancel and clear stop it', async () => {
    const d = new Deadlines();
    const hits: string[] = [];
    d.arm('M1', Date.now() + 30, () => hits.push('first'));
    d.arm('M1', Date.now() + 60, () => hits.push('second'));
    d.arm('M2', Date.now() + 30, () => hits.push('m2'));
    expect(d.cancel('M2')).toBe(true);
    expect(d.has('M1')).toBe(true);
    await sleep(100);
    expect(hits).toEqual(['second']);
    d.arm('M3', Date.now() + 10, () => hits.push('m3'));
    d.clear();
    await sleep(40);
    expect(hits).toEqual(['second']);
  });
  it('uses the injected clock', async () => {
    let now = 1_000_000;
    const d = new Deadlines(() => now);
    let fired = false;
    d.arm('k', 1_000_020, () => (fired = true)); // 20 ms from the injected "now"
    now += 10_000; // the clock moving later does not matter: the delay was computed at arm()
    await sleep(50);
    expect(fired).toBe(true);
  });
});
