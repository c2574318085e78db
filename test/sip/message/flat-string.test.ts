import { describe, expect, it } from 'vitest';
import { flatString } from '../../../src/sip/message/flat-string.js';

describe('flatString', () => {
  it('returns the same text, empty string included', () => {
    const parts = ['"Alice" <sip:', 'alice', '@127.0.0.1:5060>', ';tag=', 'abc123'];
    let s = '';
    for (const p of parts) s += p;
    expect(flatString(s)).toBe('"Alice" <sip:alice@127.0.0.1:5060>;tag=abc123');
    expect(flatString('')).toBe('');
  });
});
