/** SNR-02, ANC-04, DM-02, DM-06, ACL-03: which RDs a call forks to. */
import { describe, expect, it } from 'vitest';
import type { AccessList, EndUser, RemoteDestination } from '../../../src/directory/types.js';
import { type RdCheck, miMode, skipReason } from '../../../src/features/snr/eligibility.js';

const user = { userId: 'U1', enableMobility: true, timeZone: 'America/Los_Angeles' } as EndUser;
const rd = { id: 'RD1', enableSnr: true, accessPolicy: 'always', isMobilityIdentity: false } as RemoteDestination;
const base: RdCheck = {
  rd,
  user,
  parentDnd: false,
  miMode: undefined,
  callerRdId: undefined,
  party: { numbers: ['+19725553456'], withheld: false },
  at: new Date('2026-01-02T18:00:00Z'),
  schedule: null,
  lists: () => undefined,
  timeZone: user.timeZone,
};

describe('SNR-02 eligibility', () => {
  it('an enabled RD of a mobility user with no filters is rung', () => {
    expect(skipReason(base)).toBeUndefined();
  });
  it('(a) enableMobility, (b) enableSnr', () => {
    expect(skipReason({ ...base, user: { ...user, enableMobility: false } })).toBe('mobilityDisabled');
    expect(skipReason({ ...base, user: undefined })).toBe('mobilityDisabled');
    expect(skipReason({ ...base, rd: { ...rd, enableSnr: false } })).toBe('snrDisabled');
  });
  it('(c) ring schedule (outside → not rung, D-13; a missing schedule counts as outside) and access list', () => {
    const saturday = new Date('2026-01-03T18:00:00Z');
    const sched = { id: 'S', name: 's', ownerUser: 'U1', entries: [{ days: ['mon' as const, 'fri' as const], start: '08:00', end: '18:00' }] };
    expect(skipReason({ ...base, schedule: sched })).toBeUndefined();
    expect(skipReason({ ...base, schedule: sched, at: saturday })).toBe('schedule');
    expect(skipReason({ ...base, schedule: 'missing' })).toBe('schedule');
    const L1: AccessList = { id: 'L1', name: 'L1', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'number', value: '+19725553456' }] };
    expect(skipReason({ ...base, rd: { ...rd, accessPolicy: { blockedList: 'L1' } }, lists: () => L1 })).toBe('accessList');
  });
  it('(d) DND of the parent device, (e) DM-02 MI of a registered VoIP client', () => {
    expect(skipReason({ ...base, parentDnd: true })).toBe('dnd');
    expect(skipReason({ ...base, miMode: 'voip' })).toBe('registeredVoip');
    expect(skipReason({ ...base, miMode: 'snr' })).toBeUndefined();
    expect(skipReason({ ...base, miMode: 'unregistered' })).toBeUndefined();
  });
  it('ANC-04: never a fork back to the RD the call comes from', () => {
    expect(skipReason({ ...base, callerRdId: 'RD1' })).toBe('callerRd');
    expect(skipReason({ ...base, callerRdId: 'RD2' })).toBeUndefined();
  });
});

describe('DM-02 / D-24 inbound mode of a mobile client', () => {
  it('unregistered, VoIP by default, SNR only with DVO enabled and the client asking for it', () => {
    expect(miMode({ dvoEnabled: true }, [])).toBe('unregistered');
    expect(miMode({ dvoEnabled: true }, ['sip:m1@127.0.0.1:5070'])).toBe('voip');
    expect(miMode({ dvoEnabled: true }, ['sip:m1@127.0.0.1:5070;+mobility-inbound=snr'])).toBe('snr');
    expect(miMode({ dvoEnabled: true }, ['sip:m1@127.0.0.1:5070;mobility-inbound=%22snr%22;transport=udp'])).toBe('snr');
    expect(miMode({ dvoEnabled: true }, ['sip:m1@127.0.0.1:5070;mobility-inbound=voip'])).toBe('voip');
    expect(miMode({ dvoEnabled: false }, ['sip:m1@127.0.0.1:5070;mobility-inbound=snr'])).toBe('voip');
    expect(miMode({ dvoEnabled: true }, ['sip:m1@127.0.0.1:5070;mobility-inbound=snrx'])).toBe('voip');
  });
});
