/**
 * DVO-02, DVO-F-01, DVO-F-02, DVO-F-11, D-25, D-40: may this DVO request go ahead?
 * Pure: the feature gathers the facts, this decides the status code, in a fixed order.
 */
import type { DvoKind } from './sdp.js';

export interface DvoFacts {
  kind: DvoKind;
  /** The authenticated device is a mobile client with dvoEnabled. */
  dvoEnabled: boolean;
  /** It has a live registration (DVO-02). */
  registered: boolean;
  /** An EFA number is configured (DVO-02: needed for DVO-R and DVO-F alike). */
  efaConfigured: boolean;
  dvoForwardCapable: boolean;
  /** The device has a mobility identity (D-32). */
  hasMi: boolean;
  /** The target is an emergency number of the device, or in the blocked list (D-25). */
  targetBlocked: boolean;
  /** The device CSS (plus line CSS) routes the target (DVO-02). */
  targetRoutable: boolean;
  /** DVO-F only: the device already has a waiting DVO-F request (DVO-F-02, D-30). */
  pending: boolean;
  /** DVO-F only: connected DVO-F calls of the device (D-31: at most 2). */
  connectedDvoF: number;
}

export type DvoVerdict = { ok: true } | { ok: false; status: number; reason: string; headers?: Record<string, string> };

/** At most two connected DVO-F calls per device (D-31, LIM-03). */
export const MAX_CONNECTED_DVO_F = 2;

export function checkDvoRequest(f: DvoFacts): DvoVerdict {
  if (!f.dvoEnabled) return { ok: false, status: 403, reason: 'Forbidden - DVO is not enabled for this device' };
  if (!f.registered) return { ok: false, status: 403, reason: 'Forbidden - device not registered' };
  if (!f.efaConfigured) return { ok: false, status: 503, reason: 'Service Unavailable - no EFA number configured' };
  if (f.kind === 'dvoF' && !f.dvoForwardCapable) return { ok: false, status: 403, reason: 'Forbidden - device is not DVO-F capable' };
  if (!f.hasMi) return { ok: false, status: 403, reason: 'Forbidden - device has no mobility identity' };
  if (f.targetBlocked) return { ok: false, status: 403, reason: 'Forbidden - target not allowed for DVO' };
  if (!f.targetRoutable) return { ok: false, status: 404, reason: 'Not Found - target not routable' };
  if (f.kind === 'dvoF' && f.pending) {
    return { ok: false, status: 486, reason: 'Busy Here - DVO-F pending', headers: { reason: 'SIP;cause=486;text="DVO-F pending"' } };
  }
  if (f.kind === 'dvoF' && f.connectedDvoF >= MAX_CONNECTED_DVO_F) return { ok: false, status: 486, reason: 'Busy Here - two DVO-F calls connected' };
  return { ok: true };
}

/**
 * D-25: emergency numbers of the device, and (with applyBlockedNumbersToDvo) the system's
 * remote-access blocked numbers, are refused as DVO targets. Compared on digits and `+`
 * only, exactly (a blocked entry is a whole number, not a prefix).
 */
export function isBlockedTarget(target: string, emergency: readonly string[], blocked: readonly string[]): boolean {
  const norm = (s: string) => s.replace(/[^0-9+*#A-Da-d]/g, '');
  const t = norm(target);
  if (t === '') return false;
  return emergency.some((e) => norm(e) === t) || blocked.some((b) => norm(b) === t);
}
