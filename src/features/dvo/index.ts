/**
 * Dial via Office (§14) and Session Resumption (§14.4), wired together: the DVO feature's
 * dispatcher hands redials to session resumption, and DVO-F calls hand their mobile-leg
 * release to it.
 */
import type { Feature } from '../feature.js';
import { SessionResumption } from '../session-resumption/session-resumption.js';
import { DvoFeature, type DvoFeatureOptions } from './feature.js';

export { DvoFeature, type DvoFeatureOptions, type EfaHandler } from './feature.js';
export { SessionResumption } from '../session-resumption/session-resumption.js';

/** The DVO feature and the session-resumption feature it uses, in that order. */
export function dvoFeatures(options: Omit<DvoFeatureOptions, 'sr'> = {}): Feature[] {
  const sr = new SessionResumption();
  return [new DvoFeature({ ...options, sr }), sr];
}
