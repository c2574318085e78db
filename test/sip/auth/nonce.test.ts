import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkNonce,
  createNonce,
  inspectNonce,
  MAX_NONCE_FUTURE_SKEW_MS,
  NonceCountTracker,
} from '../../../src/sip/auth/nonce.js';

const SECRET = 'test-secret-0123456789abcdef';
const T0 = 1_700_000_000_000;
const TTL = 60_000;

describe('stateless nonces', () => {
  it('are 48 base64url chars and unique', () => {
    const a = createNonce(SECRET, T0);
    const b = createNonce(SECRET, T0);
    expect(a).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(a).not.toBe(b);
  });

  it('are valid within the TTL and carry their issue time', () => {
    const n = createNonce(SECRET, T0);
    expect(checkNonce(n, SECRET, T0, TTL)).toBe('valid');
    expect(checkNonce(n, SECRET, T0 + TTL, TTL)).toBe('valid');
    expect(inspectNonce(n, SECRET, T0 + 10, TTL)).toEqual({ status: 'valid', issuedAt: T0 });
  });

  it('become stale after the TTL', () => {
    const n = createNonce(SECRET, T0);
    expect(checkNonce(n, SECRET, T0 + TTL + 1, TTL)).toBe('stale');
  });

  it('are invalid under another secret or context', () => {
    const n = createNonce(SECRET, T0, 'realm-a');
    expect(checkNonce(n, 'another-secret-0123456789', T0, TTL, 'realm-a')).toBe('invalid');
    expect(checkNonce(n, SECRET, T0, TTL, 'realm-b')).toBe('invalid');
    expect(checkNonce(n, SECRET, T0, TTL, 'realm-a')).toBe('valid');
  });

  it('are invalid when any character is altered (timestamp, random or MAC)', () => {
    const n = createNonce(SECRET, T0);
    for (let i = 0; i < n.length; i++) {
      const c = n[i] === 'A' ? 'B' : 'A';
      const tampered = n.slice(0, i) + c + n.slice(i + 1);
      expect(checkNonce(tampered, SECRET, T0, TTL)).toBe('invalid');
    }
  });

  it('cannot be extended by forging a newer timestamp', () => {
    const n = createNonce(SECRET, T0);
    const raw = Buffer.from(n, 'base64url');
    raw.writeBigUInt64BE(BigInt(T0 + TTL * 10), 0);
    expect(checkNonce(raw.toString('base64url'), SECRET, T0 + TTL * 10, TTL)).toBe('invalid');
  });

  it('from the future beyond the allowed skew are invalid', () => {
    const n = createNonce(SECRET, T0 + MAX_NONCE_FUTURE_SKEW_MS + 1);
    expect(checkNonce(n, SECRET, T0, TTL)).toBe('invalid');
    const m = createNonce(SECRET, T0 + 1000);
    expect(checkNonce(m, SECRET, T0, TTL)).toBe('valid');
  });

  it('reject short secrets and bad clocks loudly', () => {
    expect(() => createNonce('short', T0)).toThrow(RangeError);
    expect(() => createNonce(SECRET, Number.NaN)).toThrow(RangeError);
    expect(() => checkNonce('x', SECRET, Number.NaN, TTL)).toThrow(RangeError);
  });

  it('accept Uint8Array secrets', () => {
    const key = new Uint8Array(32).fill(7);
    expect(checkNonce(createNonce(key, T0), key, T0, TTL)).toBe('valid');
  });

  it('checkNonce never throws on garbage and says invalid', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (s) => {
        expect(checkNonce(s, SECRET, T0, TTL)).toBe('invalid');
      }),
      { numRuns: 2000 },
    );
    expect(checkNonce('A'.repeat(48), SECRET, T0, TTL)).toBe('invalid');
    expect(checkNonce(`${createNonce(SECRET, T0)}=`, SECRET, T0, TTL)).toBe('invalid');
  });
});

describe('NonceCountTracker', () => {
  it('requires nc to strictly increase per nonce', () => {
    const t = new NonceCountTracker({ maxEntries: 10 });
    expect(t.accept('n1', T0, 1)).toBe('ok');
    expect(t.accept('n1', T0, 1)).toBe('replay');
    expect(t.accept('n1', T0, 3)).toBe('ok');
    expect(t.accept('n1', T0, 2)).toBe('replay');
    expect(t.accept('n2', T0, 1)).toBe('ok');
  });

  it('is bounded and never forgets in a way that reopens replay', () => {
    const t = new NonceCountTracker({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) expect(t.accept(`n${i}`, T0 + i, 1)).toBe('ok');
    expect(t.size).toBe(3);
    // n0 was evicted: a replay of it must not be accepted as new.
    expect(t.accept('n0', T0, 1)).toBe('forgotten');
    expect(t.accept('n0', T0, 2)).toBe('forgotten');
    // A nonce issued after everything evicted is fine.
    expect(t.accept('fresh', T0 + 100, 1)).toBe('ok');
  });

  it('evicts least recently used', () => {
    const t = new NonceCountTracker({ maxEntries: 2 });
    t.accept('a', T0, 1);
    t.accept('b', T0 + 1, 1);
    t.accept('a', T0, 2); // a is now most recent
    t.accept('c', T0 + 2, 1); // evicts b
    expect(t.accept('a', T0, 2)).toBe('replay'); // still tracked
    expect(t.accept('b', T0 + 1, 2)).toBe('forgotten');
  });

  it('sweep drops nonces older than the TTL', () => {
    const t = new NonceCountTracker({ maxEntries: 10 });
    t.accept('old', T0, 1);
    t.accept('new', T0 + TTL, 1);
    t.sweep(T0 + TTL + 1, TTL);
    expect(t.size).toBe(1);
    expect(t.accept('new', T0 + TTL, 1)).toBe('replay');
  });

  it('rejects a bad cap', () => {
    expect(() => new NonceCountTracker({ maxEntries: 0 })).toThrow(RangeError);
  });
});
