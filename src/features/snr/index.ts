/** Single Number Reach (spec §6): the feature and its pure building blocks. */
export { SnrFeature, snrOptionsFromEnv, MAX_SNR_CALLS_PER_USER, type SnrOptions, type SnrForkOptions, type SnrForkSource } from './snr-feature.js';
export { accessAllows, callingPartyOf, maskMatches, memberMatches, type CallingParty } from './acl.js';
export { inSchedule, localTime } from './schedule.js';
export { effectivePolicy, forkTimers, timerWarnings, type ForkTimers, type VoicemailPolicy } from './timers.js';
export { miMode, skipReason, type MiMode, type SkipReason } from './eligibility.js';
export { setSnr, snrStatus } from './snr-control.js';
export { RtpengineDtmfEvents, parseDtmfLog } from './dtmf-events.js';
