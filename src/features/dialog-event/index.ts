export { DEFAULT_DIALOG_SUBSCRIPTION, DialogEventFeature, heldDialog } from './dialog-event-feature.js';
export type { DialogEventApi, DialogEventOptions, HeldDialogOffer } from './dialog-event-feature.js';
export type { DialogInfo, DialogInfoDocument, DialogParticipant, TargetParam } from '../../sip/extensions/dialog-info.js';
