/** DVO-02, DVO-F-01/02/11, D-25, D-30, D-31, D-40: which refusal, in which order. */
import { describe, expect, it } from 'vitest';
import { checkDvoRequest, isBlockedTarget, type DvoFacts } from '../../../src/features/dvo/preconditions.js';

const ok: DvoFacts = {
  kind: 'dvoR',
  dvoEnabled: true,
  registered: true,
  efaConfigured: true,
  dvoForwardCapable: true,
  hasMi: true,
  targetBlocked: false,
  targetRoutable: true,
  pending: false,
  connectedDvoF: 0,
};
const status = (f: Partial<DvoFacts>) => {
  const v = checkDvoRequest({ ...ok, ...f });
  return v.ok ? 'ok' : v.status;
};

describe('checkDvoRequest', () => {
  it('accepts a complete request', () => {
    expect(status({})).toBe('ok');
    expect(status({ kind: 'dvoF' })).toBe('ok');
  });
  it('403: DVO not enabled, not registered, not DVO-F capable (DVO-F only), no MI, blocked or emergency target', () => {
    expect(status({ dvoEnabled: false })).toBe(403);
    expect(status({ registered: false })).toBe(403);
    expect(status({ kind: 'dvoF', dvoForwardCapable: false })).toBe(403);
    expect(status({ kind: 'dvoR', dvoForwardCapable: false })).toBe('ok');
    expect(status({ hasMi: false })).toBe(403);
    expect(status({ targetBlocked: true })).toBe(403);
  });
  it('503 without an EFA number, for DVO-R and DVO-F alike (TS-38b), before the capability checks', () => {
    expect(status({ efaConfigured: false })).toBe(503);
    expect(status({ kind: 'dvoF', efaConfigured: false, dvoForwardCapable: false })).toBe(503);
    // ...but an unknown or unregistered device learns nothing about the configuration.
    expect(status({ efaConfigured: false, registered: false })).toBe(403);
  });
  it('404 for a target the device CSS does not route (TS-38c)', () => {
    expect(status({ targetRoutable: false })).toBe(404);
  });
  it('486 for a second pending DVO-F (D-30, with a Reason) and for a third connected DVO-F (D-31)', () => {
    const v = checkDvoRequest({ ...ok, kind: 'dvoF', pending: true });
    expect(v).toMatchObject({ ok: false, status: 486, headers: { reason: 'SIP;cause=486;text="DVO-F pending"' } });
    expect(status({ kind: 'dvoF', connectedDvoF: 1 })).toBe('ok');
    expect(status({ kind: 'dvoF', connectedDvoF: 2 })).toBe(486);
    expect(status({ kind: 'dvoR', pending: true, connectedDvoF: 2 })).toBe('ok');
  });
});

describe('isBlockedTarget (D-25)', () => {
  it('matches emergency numbers and blocked numbers exactly, ignoring separators', () => {
    expect(isBlockedTarget('911', ['911'], [])).toBe(true);
    expect(isBlockedTarget('9-1-1', ['911'], [])).toBe(true);
    expect(isBlockedTarget('+1900555', [], ['+1900555'])).toBe(true);
    expect(isBlockedTarget('+19005551', [], ['+1900555'])).toBe(false);
    expect(isBlockedTarget('2000', ['911'], ['112'])).toBe(false);
  });
});
