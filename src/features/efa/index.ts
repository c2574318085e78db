/** Enterprise Feature Access two-stage dialling (spec §11) and the mid-call hand-off contract (EFA-04). */
export { EfaFeature, type EfaFeatureOptions } from './efa-feature.js';
export { runEfa, type EfaRecord, type EfaOutcome } from './efa-session.js';
export type { EfaMidCallHandler, EfaMidCallRequest, EfaMidCallCode } from './mid-call.js';
