/** ACL-01..04, D-03, D-12: access lists of remote destinations. */
import { describe, expect, it } from 'vitest';
import type { AccessList, EnterpriseLine, Trunk } from '../../../src/directory/types.js';
import type { Caller } from '../../../src/routing/router.js';
import { accessAllows, callingPartyOf, maskMatches, memberMatches } from '../../../src/features/snr/acl.js';

const list = (id: string, type: 'allowed' | 'blocked', members: AccessList['members']): AccessList => ({ id, name: id, ownerUser: 'U1', type, members });
const C = { numbers: ['+19725553456'], withheld: false };
const anonymous = { numbers: [], withheld: true };
const privateWithPai = { numbers: ['+19725553456'], withheld: true };

describe('masks (D-12)', () => {
  it('X is exactly one digit and the lengths must be equal', () => {
    expect(maskMatches('+1408555XXXX', '+14085550001')).toBe(true);
    expect(maskMatches('+1408555XXXX', '+1408555000')).toBe(false);
    expect(maskMatches('+1408555XXXX', '+140855500011')).toBe(false);
    expect(maskMatches('+1408555XXXX', '+1408555000*')).toBe(false);
  });
  it('a leading + matches literally', () => {
    expect(maskMatches('+1408555XXXX', '14085550001X')).toBe(false);
    expect(maskMatches('1408555XXXX', '+14085550001')).toBe(false);
    expect(maskMatches('1408555XXXX', '14085550001')).toBe(true);
  });
});

describe('members (ACL-04)', () => {
  it('number: exact match on the globalised number', () => {
    expect(memberMatches({ kind: 'number', value: '+19725553456' }, C)).toBe(true);
    expect(memberMatches({ kind: 'number', value: '9725553456' }, C)).toBe(false);
  });
  it('private: withheld caller ID (anonymous From or Privacy: id), even with a trusted PAI number', () => {
    expect(memberMatches({ kind: 'private', value: null }, anonymous)).toBe(true);
    expect(memberMatches({ kind: 'private', value: null }, privateWithPai)).toBe(true);
    expect(memberMatches({ kind: 'private', value: null }, C)).toBe(false);
  });
  it('notAvailable: no usable number; an anonymous call matches both private and notAvailable', () => {
    expect(memberMatches({ kind: 'notAvailable', value: null }, anonymous)).toBe(true);
    expect(memberMatches({ kind: 'notAvailable', value: null }, privateWithPai)).toBe(false);
    expect(memberMatches({ kind: 'notAvailable', value: null }, C)).toBe(false);
  });
});

describe('policies (ACL-02, ACL-03; TS-06 a–c)', () => {
  const L1 = list('L1', 'blocked', [{ kind: 'number', value: '+19725553456' }]);
  const L1p = list('L1p', 'blocked', [{ kind: 'number', value: '+19725553456' }, { kind: 'private', value: null }]);
  const L2 = list('L2', 'allowed', [{ kind: 'mask', value: '+1408555XXXX' }]);
  const lists = new Map([L1, L1p, L2].map((l) => [l.id, l]));
  const lookup = (id: string) => lists.get(id);

  it('always lets everybody through', () => {
    expect(accessAllows('always', lookup, C)).toBe(true);
    expect(accessAllows('always', lookup, anonymous)).toBe(true);
  });
  it('(a) blocked list: the listed caller is blocked, all others pass (implicit allow all)', () => {
    expect(accessAllows({ blockedList: 'L1' }, lookup, C)).toBe(false);
    expect(accessAllows({ blockedList: 'L1' }, lookup, { numbers: ['+14085550001'], withheld: false })).toBe(true);
  });
  it('(b) blocked list with private: an anonymous caller with Privacy: id is blocked', () => {
    expect(accessAllows({ blockedList: 'L1p' }, lookup, anonymous)).toBe(false);
    expect(accessAllows({ blockedList: 'L1' }, lookup, anonymous)).toBe(true);
  });
  it('(c) allowed list: only listed callers pass (implicit deny all)', () => {
    expect(accessAllows({ allowedList: 'L2' }, lookup, C)).toBe(false);
    expect(accessAllows({ allowedList: 'L2' }, lookup, { numbers: ['+14085550001'], withheld: false })).toBe(true);
    expect(accessAllows({ allowedList: 'L2' }, lookup, anonymous)).toBe(false);
  });
  it('a list that no longer exists counts as empty', () => {
    expect(accessAllows({ allowedList: 'gone' }, lookup, C)).toBe(false);
    expect(accessAllows({ blockedList: 'gone' }, lookup, C)).toBe(true);
  });
});

describe('calling party of a call', () => {
  const trunk = { id: 'T' } as Trunk;
  it('trunk caller: the globalised number, withheld flag; no number = notAvailable', () => {
    const c: Caller = { kind: 'trunk', trunk, callingNumber: '+19725553456', withheld: true, displayName: undefined };
    expect(callingPartyOf(c)).toEqual({ numbers: ['+19725553456'], withheld: true });
    expect(callingPartyOf({ ...c, callingNumber: null })).toEqual({ numbers: [], withheld: true });
  });
  it('internal caller: its line DID and DN', () => {
    const line = { number: '2000', did: '+14085552999' } as EnterpriseLine;
    const c = { kind: 'device', device: {} as never, line, username: 'd3' } as Caller;
    expect(callingPartyOf(c)).toEqual({ numbers: ['+14085552999', '2000'], withheld: false });
  });
});
