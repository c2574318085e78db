/** Shared IVR pieces of MVA and EFA: digits, PIN guard, prompts, the answered call and its outbound leg. */
export { DigitCollector, type DtmfMethod, type FieldResult, type DigitResult, type FieldOptions } from './digit-collector.js';
export { PinGuard, type PinCheck, type PinVerdict, type PinService, type PinFailureReason, type PinGuardDeps } from './pin-guard.js';
export { ensurePrompts, PROMPTS, type PromptName, type PromptSet } from './prompts.js';
export { openSharedDtmfEvents, dtmfEventsFromEnv, type DtmfEventSource, type SharedDtmfEvents } from './dtmf-source.js';
export { IvrCall, type IvrCallDeps, REPEAT_FOREVER } from './ivr-call.js';
export { onBehalfOf, routeDestination, isBlockedEntry, placeAndBridge, type OnBehalf, type RoutedDestination, type PlaceResult } from './place-call.js';
export { startIvrServices, ivrOptionsFromEnv, type IvrOptions, type IvrServices } from './services.js';
export { anchorTwoStage, type AnchoredTwoStage, type TwoStageInfo } from './anchored-call.js';
