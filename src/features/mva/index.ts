/** Mobile Voice Access (spec §10). */
export { MvaFeature } from './mva-feature.js';
export { runMva, findRdByEntry, selectOwnRd, type MvaRecord, type MvaOutcome } from './mva-session.js';
