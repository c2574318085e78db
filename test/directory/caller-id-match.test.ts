import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CallerIdIndex,
  checkRemoteDestinationNumber,
  numbersMatch,
  uniqueMatch,
  varyingLengthWarning,
  type MatchOptions,
} from '../../src/directory/index.js';

const complete: MatchOptions = { mode: 'complete', digits: 10 };
const partial = (digits: number): MatchOptions => ({ mode: 'partial', digits });

describe('CID-02 complete match', () => {
  it('needs the normalised numbers to be equal', () => {
    expect(numbersMatch('+14085557890', '+14085557890', complete)).toBe(true);
    expect(numbersMatch('+14085557890', '+1 408-555-7890', complete)).toBe(true);
    expect(numbersMatch('+14085557890', '14085557890', complete)).toBe(false);
    expect(numbersMatch('+14085557890', '914085557890', complete)).toBe(false);
  });
  it('never matches a SIP URI RD or an empty number', () => {
    expect(numbersMatch('+14085557890', 'sip:alice@example.com', complete)).toBe(false);
    expect(numbersMatch('', '', complete)).toBe(false);
  });
});

describe('CID-03 partial match', () => {
  it('S1:1255 example: stored 914085557890, caller 14085557890, N = 10 or 11', () => {
    expect(numbersMatch('14085557890', '914085557890', partial(10))).toBe(true);
    expect(numbersMatch('14085557890', '914085557890', partial(11))).toBe(true);
    expect(numbersMatch('14085557890', '914085557890', partial(12))).toBe(false);
  });
  it('+ and other non-digits are removed; nothing else is stripped', () => {
    expect(numbersMatch('+1 408 555 7890', '4085557890', partial(10))).toBe(true);
    expect(numbersMatch('+14085557891', '4085557890', partial(10))).toBe(false);
  });
  it('D-04: fewer than N digits on either side falls back to complete match', () => {
    expect(numbersMatch('+14085557890', '+14085557890', partial(12))).toBe(true);
    expect(numbersMatch('+44085557890', '+14085557890', partial(12))).toBe(false);
    expect(numbersMatch('5557890', '5557890', partial(10))).toBe(true);
    expect(numbersMatch('+15557890', '5557890', partial(10))).toBe(false);
  });
  it('CID-06 / ISC-02: dialled 914085551234 matches stored 4085551234 with N = 10, not with complete', () => {
    expect(numbersMatch('914085551234', '4085551234', partial(10))).toBe(true);
    expect(numbersMatch('914085551234', '4085551234', complete)).toBe(false);
  });
});

describe('CID-04 uniqueness and the index (LIM-02)', () => {
  const rds = [
    { number: '+14085557890', value: 'RD1' },
    { number: '+16505557890', value: 'RDother' },
    { number: '+14085551111', value: 'MI2' },
    { number: 'sip:alice@example.com', value: 'URI' },
  ];

  it('TS-32: N = 7 is ambiguous (no match); N = 10 succeeds', () => {
    expect(CallerIdIndex.build(rds, partial(7)).lookup('+14085557890')).toEqual({ kind: 'ambiguous', values: ['RD1', 'RDother'] });
    expect(CallerIdIndex.build(rds, partial(10)).lookup('+14085557890')).toEqual({ kind: 'unique', value: 'RD1' });
    expect(uniqueMatch('+14085557890', rds, partial(7)).kind).toBe('ambiguous');
  });

  it('TS-32b: N = 12 falls back to complete; +44085557890 does not match', () => {
    const idx = CallerIdIndex.build(rds, partial(12));
    expect(idx.lookup('+14085557890')).toEqual({ kind: 'unique', value: 'RD1' });
    expect(idx.lookup('+44085557890')).toEqual({ kind: 'none' });
  });

  it('TS-50: MI stored in dialled form 914085551111 correlates under partial N = 10, not under complete', () => {
    const stored = [{ number: '914085551111', value: 'MI2' }];
    expect(CallerIdIndex.build(stored, partial(10)).lookup('+14085551111')).toEqual({ kind: 'unique', value: 'MI2' });
    expect(CallerIdIndex.build(stored, complete).lookup('+14085551111')).toEqual({ kind: 'none' });
  });

  it('no usable number: no match', () => {
    const idx = CallerIdIndex.build(rds, complete);
    expect(idx.lookup('anonymous')).toEqual({ kind: 'none' });
    expect(idx.lookup('')).toEqual({ kind: 'none' });
  });

  it('reindex when N changes', () => {
    const idx = CallerIdIndex.build(rds, partial(10));
    expect(idx.lookup('+16505557890').kind).toBe('unique');
    idx.reindex(partial(7));
    expect(idx.lookup('+16505557890').kind).toBe('ambiguous');
    expect(idx.options).toEqual(partial(7));
  });

  it('the mode may be overridden per lookup (complete on a partial index)', () => {
    const idx = CallerIdIndex.build([{ number: '914085551111', value: 'MI2' }], partial(10));
    expect(idx.lookup('+14085551111', 'complete').kind).toBe('none');
  });

  it('property: the index agrees with the linear scan', () => {
    const num = fc.tuple(fc.boolean(), fc.stringMatching(/^[0-9]{3,13}$/)).map(([plus, d]) => (plus ? '+' : '') + d);
    fc.assert(
      fc.property(fc.array(num, { maxLength: 12 }), num, fc.integer({ min: 1, max: 12 }), fc.boolean(), (stored, calling, n, isPartial) => {
        const opts: MatchOptions = { mode: isPartial ? 'partial' : 'complete', digits: n };
        const entries = stored.map((s, i) => ({ number: s, value: i }));
        const a = CallerIdIndex.build(entries, opts).matches(calling).sort();
        const b = entries.filter((e) => numbersMatch(calling, e.number, opts)).map((e) => e.value).sort();
        expect(a).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });
});

describe('CID-05 provisioning check', () => {
  const existing = [
    { id: 'RD1', number: '+14085557890' },
    { id: 'MI2', number: '+14085551111' },
  ];
  it('refuses a number that already exists (after normalisation)', () => {
    expect(checkRemoteDestinationNumber('+1 408 555 7890', existing, complete).errors).toEqual(['number +14085557890 already exists (RD1)']);
  });
  it('warns on a last-N collision under partial matching only', () => {
    expect(checkRemoteDestinationNumber('+16505557890', existing, partial(7)).warnings).toEqual([
      expect.stringContaining('the last 7 digits of +16505557890 equal those of RD1'),
    ]);
    expect(checkRemoteDestinationNumber('+16505557890', existing, partial(10)).warnings).toEqual([]);
    expect(checkRemoteDestinationNumber('+16505557890', existing, complete).warnings).toEqual([]);
  });
  it('warns when complete matching meets a number with steering digits', () => {
    const r = checkRemoteDestinationNumber('914085550000', existing, complete);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.stringContaining('steering digits')]);
    expect(checkRemoteDestinationNumber('914085550000', existing, partial(10)).warnings).toEqual([]);
  });
  it('SIP URI RDs are allowed with a warning; garbage is refused', () => {
    expect(checkRemoteDestinationNumber('sip:bob@example.com', existing, complete)).toEqual({
      errors: [],
      warnings: [expect.stringContaining('SIP URI')],
    });
    expect(checkRemoteDestinationNumber('call me', existing, complete).errors).toHaveLength(1);
  });
  it('warns when a trunk delivers calling numbers of varying length under partial matching', () => {
    expect(varyingLengthWarning('T', [11, 11, 7], partial(10))).toContain('numbers of 7 digits fall back to complete matching');
    expect(varyingLengthWarning('T', [11, 11], partial(10))).toBeUndefined();
    expect(varyingLengthWarning('T', [11, 7], complete)).toBeUndefined();
  });
});
