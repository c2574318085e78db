import { describe, expect, it } from 'vitest';
import { newBranch, newCallId, newTag, randomHex } from '../../../src/sip/message/ids.js';
import { MAGIC_COOKIE } from '../../../src/sip/message/via.js';

describe('ids', () => {
  it('randomHex returns lower-case hex of the requested size, across pool refills', () => {
    for (const n of [1, 6, 16, 5000, 5000, 8192, 10000]) {
      const h = randomHex(n);
      expect(h).toMatch(new RegExp(`^[0-9a-f]{${n * 2}}$`));
    }
  });

  it('branches carry the magic cookie and are unique', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const b = newBranch();
      expect(b.startsWith(MAGIC_COOKIE)).toBe(true);
      seen.add(b);
    }
    expect(seen.size).toBe(50_000);
  });

  it('tags have at least 32 random bits and are unique', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(newTag());
    expect(seen.size).toBe(50_000);
    expect(newTag().length * 4).toBeGreaterThanOrEqual(32);
  });

  it('Call-IDs are unique, with or without a host', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newCallId());
    for (let i = 0; i < 20_000; i++) seen.add(newCallId('pc33.example.com'));
    expect(seen.size).toBe(40_000);
    expect(newCallId('h.example.com')).toMatch(/^[0-9a-f]{24}@h\.example\.com$/);
    expect(newCallId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
