import { describe, expect, it } from 'vitest';
import { AuthLockout, type AuthLockoutOptions } from '../../../src/sip/auth/lockout.js';

const T0 = 1_700_000_000_000;

function make(opts: Partial<AuthLockoutOptions> = {}): { lock: AuthLockout; clock: { now: number } } {
  const clock = { now: T0 };
  const lock = new AuthLockout({ threshold: 3, windowMs: 10_000, durationMs: 60_000, now: () => clock.now, ...opts });
  return { lock, clock };
}

describe('AuthLockout', () => {
  it('locks an IP at the threshold and unlocks after the duration', () => {
    const { lock, clock } = make();
    expect(lock.recordFailure('10.0.0.1', 'alice').locked).toBe(false);
    clock.now += 1000;
    expect(lock.recordFailure('10.0.0.1', 'bob').locked).toBe(false);
    expect(lock.isLocked('10.0.0.1')).toBe(false);
    clock.now += 1000;
    const s = lock.recordFailure('10.0.0.1', 'carol');
    expect(s).toEqual({ locked: true, scope: 'ip', until: clock.now + 60_000 });
    expect(lock.isLocked('10.0.0.1')).toBe(true);
    expect(lock.isLocked('10.0.0.1', 'someone-else')).toBe(true);
    expect(lock.isLocked('10.0.0.2')).toBe(false);
    clock.now += 59_999;
    expect(lock.isLocked('10.0.0.1')).toBe(true);
    clock.now += 1;
    expect(lock.isLocked('10.0.0.1')).toBe(false);
    // A fresh count after expiry: one failure does not re-lock.
    expect(lock.recordFailure('10.0.0.1').locked).toBe(false);
  });

  it('locks a username attacked from many IPs', () => {
    const { lock } = make();
    lock.recordFailure('10.0.0.1', 'alice');
    lock.recordFailure('10.0.0.2', 'alice');
    const s = lock.recordFailure('10.0.0.3', 'alice');
    expect(s.locked && s.scope).toBe('user');
    expect(lock.check('10.9.9.9', 'alice')).toMatchObject({ locked: true, scope: 'user' });
    expect(lock.isLocked('10.9.9.9', 'bob')).toBe(false);
    expect(lock.isLocked('10.9.9.9')).toBe(false);
  });

  it('uses a sliding window: failures spread wider than windowMs never lock', () => {
    const { lock, clock } = make();
    for (let i = 0; i < 20; i++) {
      expect(lock.recordFailure('10.0.0.1', 'alice').locked).toBe(false);
      clock.now += 5001; // at most 2 failures inside any 10 s window
    }
    lock.recordFailure('10.0.0.1', 'alice');
    clock.now += 100;
    expect(lock.recordFailure('10.0.0.1', 'alice').locked).toBe(true);
  });

  it('a success clears the username history but not the IP history (by default)', () => {
    const { lock } = make();
    lock.recordFailure('10.0.0.1', 'alice');
    lock.recordFailure('10.0.0.1', 'alice');
    lock.recordSuccess('10.0.0.1', 'alice');
    // IP had 2 failures: the next one locks the IP, but alice's count restarted.
    const s = lock.recordFailure('10.0.0.1', 'alice');
    expect(s).toMatchObject({ locked: true, scope: 'ip' });
    expect(lock.isLocked('10.0.0.2', 'alice')).toBe(false);

    const { lock: lenient } = make({ resetIpOnSuccess: true });
    lenient.recordFailure('10.0.0.1', 'alice');
    lenient.recordFailure('10.0.0.1', 'alice');
    lenient.recordSuccess('10.0.0.1', 'alice');
    expect(lenient.recordFailure('10.0.0.1', 'alice').locked).toBe(false);
  });

  it('a success does not lift an active lock', () => {
    const { lock } = make({ threshold: 1 });
    lock.recordFailure('10.0.0.1', 'alice');
    lock.recordSuccess('10.0.0.1', 'alice');
    expect(lock.check('10.0.0.1', 'alice')).toMatchObject({ locked: true, scope: 'ip' });
    expect(lock.check('10.0.0.2', 'alice')).toMatchObject({ locked: true, scope: 'user' });
  });

  it('further failures while locked do not extend the lock', () => {
    const { lock, clock } = make({ threshold: 1 });
    const first = lock.recordFailure('10.0.0.1');
    clock.now += 30_000;
    expect(lock.recordFailure('10.0.0.1')).toEqual(first);
  });

  it('keeps memory bounded under a username spray', () => {
    const { lock } = make({ maxEntries: 50, maxLocks: 20 });
    for (let i = 0; i < 5000; i++) lock.recordFailure(`10.1.${i >> 8}.${i & 255}`, `user-${i}`);
    const size = lock.size;
    expect(size.user.failures).toBeLessThanOrEqual(50);
    expect(size.ip.failures).toBeLessThanOrEqual(50);
    expect(size.user.locks).toBeLessThanOrEqual(20);
    expect(size.ip.locks).toBeLessThanOrEqual(20);
  });

  it('a username spray cannot evict IP locks (separate maps per scope)', () => {
    const { lock } = make({ maxEntries: 10, maxLocks: 10 });
    for (let i = 0; i < 3; i++) lock.recordFailure('10.6.6.6', `x${i}`);
    expect(lock.isLocked('10.6.6.6')).toBe(true);
    for (let i = 0; i < 1000; i++) lock.recordFailure(`10.7.${i >> 8}.${i & 255}`, 'victim');
    expect(lock.isLocked('10.6.6.6')).toBe(true);
  });

  it('sweep drops expired locks and histories that left the window', () => {
    const { lock, clock } = make({ threshold: 2 });
    lock.recordFailure('10.0.0.1', 'a');
    lock.recordFailure('10.0.0.1', 'b'); // locks the IP
    lock.recordFailure('10.0.0.2', 'c');
    expect(lock.size).toEqual({ ip: { failures: 1, locks: 1 }, user: { failures: 3, locks: 0 } });
    clock.now += 10_001;
    lock.sweep();
    expect(lock.size).toEqual({ ip: { failures: 0, locks: 1 }, user: { failures: 0, locks: 0 } });
    lock.sweep(clock.now + 60_000);
    expect(lock.size).toEqual({ ip: { failures: 0, locks: 0 }, user: { failures: 0, locks: 0 } });
  });

  it('handles hostile keys: huge usernames are hashed, __proto__ is just a key', () => {
    const { lock } = make({ threshold: 2 });
    const long = 'a'.repeat(100_000);
    lock.recordFailure('1.1.1.1', `${long}1`);
    lock.recordFailure('1.1.1.2', `${long}2`);
    expect(lock.isLocked('9.9.9.9', `${long}1`)).toBe(false); // distinct keys despite the shared prefix
    lock.recordFailure('1.1.1.3', `${long}1`);
    expect(lock.isLocked('9.9.9.9', `${long}1`)).toBe(true);
    lock.recordFailure('__proto__', '__proto__');
    lock.recordFailure('__proto__', 'constructor');
    expect(lock.isLocked('__proto__')).toBe(true);
    expect(lock.isLocked('constructor')).toBe(false);
    expect(Object.prototype).not.toHaveProperty('length');
  });

  it('validates its configuration', () => {
    expect(() => new AuthLockout({ threshold: 0, windowMs: 1, durationMs: 1 })).toThrow(RangeError);
    expect(() => new AuthLockout({ threshold: 1, windowMs: 0, durationMs: 1 })).toThrow(RangeError);
    expect(() => new AuthLockout({ threshold: 1, windowMs: 1, durationMs: 1, maxEntries: 0 })).toThrow(RangeError);
  });
});
