import { describe, expect, it } from 'vitest';
import { parseReason, q850Cause } from '../../../src/sip/extensions/reason.js';

describe('Reason header (RFC 3326)', () => {
  it('parses protocol, cause and quoted text, several values', () => {
    expect(parseReason('SIP;cause=200;text="Call completed elsewhere", Q.850;cause=16;text="Normal, call clearing"')).toEqual([
      { protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' },
      { protocol: 'Q.850', cause: 16, text: 'Normal, call clearing' },
    ]);
  });

  it('q850Cause finds the Q.850 value, case-insensitively; none without one', () => {
    expect(q850Cause('q.850 ; cause=41')).toBe(41);
    expect(q850Cause('SIP;cause=487')).toBeUndefined();
    expect(q850Cause(undefined)).toBeUndefined();
    expect(q850Cause('Q.850;cause=abc')).toBeUndefined();
  });

  it('skips garbage values', () => {
    expect(parseReason('<bad>;cause=1, SIP;cause=500')).toEqual([{ protocol: 'SIP', cause: 500, text: undefined }]);
  });
});
