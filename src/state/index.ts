export type {
  ContactBinding,
  ReceivedFrom,
  RegistrationStore,
  DialogRef,
  PendingDvoF,
  PendingDvoStore,
  ResumptionRecord,
  ResumptionStore,
  PinFailureState,
  PinFailureStore,
  PinLockoutPolicy,
  StateStores,
} from './types.js';
export { bindingKey } from './types.js';
export { LocalRegistrationStore, LocalPendingDvoStore, LocalResumptionStore, LocalPinFailureStore } from './local-stores.js';
export { openLocalStateStores, STATE_COMPONENT } from './local.js';
export type { LocalStateStores } from './local.js';
export { STATE_MIGRATIONS } from './migrations.js';
export { sweepAll, startSweeper } from './sweeper.js';
export type { Expired, SweeperOptions } from './sweeper.js';
