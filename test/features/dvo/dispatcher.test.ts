/** §14.5 dispatcher order: no number → no match → pending DVO-F → live SR record → EFA (D-35). */
import { describe, expect, it } from 'vitest';
import type { LookupResult } from '../../../src/directory/caller-id-match.js';
import type { RemoteDestination } from '../../../src/directory/types.js';
import { decideDispatch, type DispatchInput } from '../../../src/features/dvo/dispatcher.js';

const mi = { id: 'MI2', number: '+14085551111', isMobilityIdentity: true, parent: { kind: 'mobileClient', id: 'M1' } } as RemoteDestination;
const rd = { id: 'RD1', number: '+14085557890', isMobilityIdentity: false, parent: { kind: 'rdProfile', id: 'P1' } } as RemoteDestination;

function input(p: Partial<DispatchInput> & { match?: LookupResult<RemoteDestination> }): DispatchInput {
  const match = p.match ?? { kind: 'unique', value: mi };
  return { callingNumber: '+14085551111', lookup: () => match, hasPendingDvoF: () => false, hasLiveResumption: () => false, efaEnabled: true, ...p };
}

describe('decideDispatch', () => {
  it('1. no usable calling number → 403, even with a pending DVO-F (TS-48)', () => {
    expect(decideDispatch(input({ callingNumber: null, hasPendingDvoF: () => true }))).toMatchObject({ step: 'refuse', status: 403 });
  });
  it('2. no unique CID match → 403 (none or ambiguous, CID-04)', () => {
    expect(decideDispatch(input({ match: { kind: 'none' } }))).toMatchObject({ step: 'refuse', status: 403 });
    expect(decideDispatch(input({ match: { kind: 'ambiguous', values: [mi, rd] } }))).toMatchObject({ step: 'refuse', status: 403 });
  });
  it('3. the MI of a device with a pending DVO-F → correlation, before any resumption record (D-34)', () => {
    expect(decideDispatch(input({ hasPendingDvoF: (d) => d === 'M1', hasLiveResumption: () => true }))).toMatchObject({ step: 'dvoF', deviceId: 'M1' });
  });
  it('4. a live resumption record → session resumption', () => {
    expect(decideDispatch(input({ hasLiveResumption: (d) => d === 'M1' }))).toMatchObject({ step: 'resume', deviceId: 'M1' });
  });
  it('5. otherwise EFA; with EFA disabled only steps 3 and 4 can succeed (D-35)', () => {
    expect(decideDispatch(input({}))).toMatchObject({ step: 'efa', identity: mi });
    expect(decideDispatch(input({ efaEnabled: false }))).toMatchObject({ step: 'refuse', status: 403 });
    expect(decideDispatch(input({ efaEnabled: false, hasPendingDvoF: () => true }))).toMatchObject({ step: 'dvoF' });
    expect(decideDispatch(input({ efaEnabled: false, hasLiveResumption: () => true }))).toMatchObject({ step: 'resume' });
  });
  it('an ordinary RD (not an MI) never correlates or resumes: EFA', () => {
    expect(decideDispatch(input({ match: { kind: 'unique', value: rd }, hasPendingDvoF: () => true, hasLiveResumption: () => true }))).toMatchObject({ step: 'efa', identity: rd });
  });
});
