export { MidCallFeature, type MidCallApi } from './mid-call-feature.js';
export { MidCallSession, type MidCallHandle, type MidCallState } from './session.js';
export { FeatureCodeCollector, type FeatureCodes, type MidCallCode } from './codes.js';
