export { AnchoredCallRegistry, legFromDialog } from './registry.js';
export type { AnchoredCalls, AnchoredCallRegistryOptions, AnchoredPatch, CallLike, DialogLike, EndInfo, OtherLiveCall, RegisterInfo } from './registry.js';
export { MemoryAnchoredCallStore, RingBufferRecordSink } from './store.js';
export type { AnchoredCallStore, CallRecordSink } from './store.js';
export * from './types.js';
