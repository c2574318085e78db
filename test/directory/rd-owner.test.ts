/** The shared RD → parent / user / line lookup (src/directory/rd-owner.ts) on fixture F. */
import { describe, expect, it } from 'vitest';
import { Directory, seedFixture } from '../../src/directory/index.js';
import { rdOwner, rdParent } from '../../src/directory/rd-owner.js';

describe('rdOwner / rdParent', () => {
  const dir = new Directory({ domain: 'ma.test' });
  seedFixture(dir);
  const rd = (id: string) => dir.remoteDestinations.get(id)!;

  it('an RD under an RD profile: the profile with its CSSs, the user and the primary line', () => {
    const o = rdOwner(dir, rd('RD1'))!;
    expect(o.parent).toEqual({ kind: 'rdProfile', id: 'P1', ownerUser: 'U1', css: 'CSS-all', rerouteCss: 'CSS-all', lines: ['L5001'] });
    expect(o.user.userId).toBe('U1');
    expect(o.line?.number).toBe('5001');
  });

  it('an MI under a mobile client: the device with its CSSs', () => {
    const o = rdOwner(dir, rd('MI2'))!;
    expect(o.parent).toMatchObject({ kind: 'mobileClient', id: 'M1', ownerUser: 'U2', lines: ['L5002'] });
    expect(o.line?.number).toBe('5002');
  });

  it('a user without a primary line: the owner without a line; a missing parent: nothing', () => {
    dir.users.update('U2', { primaryLine: null });
    expect(rdOwner(dir, rd('MI2'))!.line).toBeUndefined();
    dir.users.update('U2', { primaryLine: 'L5002' });
    const orphan = { ...rd('RD1'), parent: { kind: 'rdProfile' as const, id: 'gone' } };
    expect(rdParent(dir, orphan)).toBeUndefined();
    expect(rdOwner(dir, orphan)).toBeUndefined();
  });
});
