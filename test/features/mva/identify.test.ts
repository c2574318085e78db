/** MVA identification helpers (spec MVA-03, MVA-06, D-47): entries as RD numbers, RD selection. */
import { afterEach, describe, expect, it } from 'vitest';
import { Directory, seedFixture } from '../../../src/directory/index.js';
import { findRdByEntry, selectOwnRd } from '../../../src/features/mva/index.js';
import { isBlockedEntry, onBehalfOf } from '../../../src/features/ivr/index.js';

const dirs: Directory[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!.close();
});
function fixture(): Directory {
  const d = new Directory();
  dirs.push(d);
  seedFixture(d);
  return d;
}

describe('findRdByEntry (D-47)', () => {
  it('matches the digits of a stored +E.164 number, exactly one', () => {
    const d = fixture();
    expect(findRdByEntry(d, '14085557890')?.id).toBe('RD1');
    expect(findRdByEntry(d, '4085557890')).toBeUndefined(); // complete matching: all digits
    expect(findRdByEntry(d, '99999')).toBeUndefined();
    expect(findRdByEntry(d, '')).toBeUndefined();
  });

  it('under partial matching the rightmost N digits decide, and two matches are no match (CID-04)', () => {
    const d = fixture();
    d.serviceParameters.setMany({ matchCallerIdWithRemoteDestination: 'partial', callerIdPartialMatchDigits: 10 });
    expect(findRdByEntry(d, '4085557890')?.id).toBe('RD1');
    d.remoteDestinations.create({ id: 'RDX', number: '+16505557890', parent: { kind: 'mobileClient', id: 'M1' }, ownerUser: 'U2' });
    d.serviceParameters.setMany({ callerIdPartialMatchDigits: 7 });
    expect(findRdByEntry(d, '4085557890')).toBeUndefined();
  });
});

describe('selectOwnRd (MVA-06)', () => {
  it('selects the one RD whose digits end with the entry', () => {
    const d = fixture();
    d.remoteDestinations.create({ id: 'RD2', number: '+14085557891', parent: { kind: 'rdProfile', id: 'P1' }, ownerUser: 'U1' });
    const rds = d.listRemoteDestinations('U1');
    expect(selectOwnRd(rds, '14085557890')?.id).toBe('RD1');
    expect(selectOwnRd(rds, '7891')?.id).toBe('RD2');
    expect(selectOwnRd(rds, '789')).toBeUndefined();
    expect(selectOwnRd(rds, '')).toBeUndefined();
  });
});

describe('two-stage routing helpers', () => {
  it('MVA-07: blocked entries compare as entered', () => {
    expect(isBlockedEntry('9911', '9911, 911')).toBe(true);
    expect(isBlockedEntry('911', '9911,911')).toBe(true);
    expect(isBlockedEntry('99112', '9911,911')).toBe(false);
    expect(isBlockedEntry('9911', '')).toBe(false);
  });

  it('MVA-05: on behalf of the RD profile (CSS + line CSS); without one, the mobile client that owns the MI', () => {
    const d = fixture();
    expect(onBehalfOf(d, 'U1', d.remoteDestinations.get('RD1'))).toMatchObject({ via: { kind: 'rdProfile', id: 'P1' }, css: ['CSS-all', 'CSS-all'], line: { number: '5001' } });
    expect(onBehalfOf(d, 'U2', d.remoteDestinations.get('MI2'))).toMatchObject({ via: { kind: 'mobileClient', id: 'M1' }, line: { number: '5002' } });
    expect(onBehalfOf(d, 'nobody')).toBeUndefined();
  });
});
