/**
 * The §14.5 EFA-number dispatcher: what an inbound trunk call to an EFA number or the
 * DVO-F service access number is. Pure decision, in the spec's order:
 *   1. no usable calling number (CID-01)                 → refuse 403 (reorder, D-22)
 *   2. CID lookup not unique (CID-02..04)                → refuse 403
 *   3. the identity is the MI of a device with a pending DVO-F request → DVO-F correlation
 *   4. that MI has a live resumption record              → session resumption (SR-04/05)
 *   5. otherwise                                          → EFA two-stage dialling (§11);
 *      with enableEnterpriseFeatureAccess off             → refuse 403 (D-35)
 */
import type { LookupResult } from '../../directory/caller-id-match.js';
import type { RemoteDestination } from '../../directory/types.js';

export type DispatchDecision =
  | { step: 'refuse'; status: 403; reason: string }
  | { step: 'dvoF'; deviceId: string; identity: RemoteDestination }
  | { step: 'resume'; deviceId: string; identity: RemoteDestination }
  | { step: 'efa'; identity: RemoteDestination };

export interface DispatchInput {
  /** Globalised, unreplaced calling number (GEN-09); null when there is none (anonymous, unavailable). */
  callingNumber: string | null;
  lookup(callingNumber: string): LookupResult<RemoteDestination>;
  hasPendingDvoF(deviceId: string): boolean;
  hasLiveResumption(deviceId: string): boolean;
  efaEnabled: boolean;
}

/** Q.850 cause 21 (call rejected) so that the gateway plays reorder (D-22). */
export const REORDER_HEADERS: Record<string, string> = { reason: 'Q.850;cause=21;text="Call rejected"' };

export function decideDispatch(i: DispatchInput): DispatchDecision {
  if (i.callingNumber === null || i.callingNumber === '') return { step: 'refuse', status: 403, reason: 'Forbidden - no calling number' };
  const m = i.lookup(i.callingNumber);
  if (m.kind !== 'unique') return { step: 'refuse', status: 403, reason: 'Forbidden - caller not identified' };
  const identity = m.value;
  const deviceId = identity.isMobilityIdentity && identity.parent.kind === 'mobileClient' ? identity.parent.id : undefined;
  if (deviceId !== undefined && i.hasPendingDvoF(deviceId)) return { step: 'dvoF', deviceId, identity };
  if (deviceId !== undefined && i.hasLiveResumption(deviceId)) return { step: 'resume', deviceId, identity };
  if (!i.efaEnabled) return { step: 'refuse', status: 403, reason: 'Forbidden - enterprise feature access disabled' };
  return { step: 'efa', identity };
}
