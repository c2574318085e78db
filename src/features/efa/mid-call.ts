/**
 * The contract for EFA mid-call sequences (spec EFA-04, MID-05..MID-08): `PIN # *84 # target #`
 * (transfer), `PIN # *85 # target #` (conference) and `PIN # *84 # parkNumber # *84 #` (park),
 * entered on an EFA2 leg after `*82` (exclusive hold) on the user's anchored call.
 *
 * The EFA feature authenticates the EFA2 leg (caller ID + PIN, MVA-11 lockout) and reads the
 * function code; then it hands the answered leg to the registered handler, which reads the
 * rest (target, `#`, the completing `*84` / `*85`) from `call.digits`, checks the target with
 * `routeDestination` (blocked numbers MVA-07, CSS, CLI-02) and places the consult leg with
 * `call.bridge.callOut` (the EFA2 leg hears ringback, then the target).
 *
 * With no handler registered, or when the handler finds no call of the user on exclusive
 * hold (it returns false), the EFA feature plays reorder and sends BYE (MID-05).
 */
import type { RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import type { FeatureContext } from '../feature.js';
import type { IvrCall } from '../ivr/ivr-call.js';

export type EfaMidCallCode = 'transfer' | 'conference';

export interface EfaMidCallRequest {
  /** Which `mobilityFeatureCodes` entry was entered (park uses the transfer code). */
  code: EfaMidCallCode;
  /** The digits as entered (e.g. `*84`). */
  digits: string;
  /** The authenticated user and the RD/MI the EFA2 leg comes from (CID, EFA-02). */
  userId: string;
  identity: RemoteDestination;
  caller: Extract<Caller, { kind: 'trunk' }>;
  /** The answered EFA2 leg: digits, tones, the consult leg (bridge.callOut), release(). */
  call: IvrCall;
  ctx: FeatureContext;
}

export interface EfaMidCallHandler {
  /**
   * Take over the EFA2 leg for a mid-call sequence. Resolve false (without touching the leg)
   * when the user has no call on exclusive hold: the EFA feature then rejects the sequence
   * with reorder and BYE (MID-05). Resolve true once the handler owns the leg (it releases it).
   */
  handle(req: EfaMidCallRequest): Promise<boolean>;
}
