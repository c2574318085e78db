export * from './types.js';
export { type TransactionLogger } from './context.js';
export { DEFAULT_TIMER_SETTINGS, type TimerValues, timerValues } from './timers.js';
export { TransactionLayer, type TransactionLayerOptions, type TransactionLayerSizes } from './transaction-layer.js';
export { InviteClientTransaction } from './invite-client-transaction.js';
export { NonInviteClientTransaction } from './non-invite-client-transaction.js';
export { InviteServerTransaction } from './invite-server-transaction.js';
export { NonInviteServerTransaction } from './non-invite-server-transaction.js';
export { buildAckForNon2xx, buildCancel } from './requests.js';
