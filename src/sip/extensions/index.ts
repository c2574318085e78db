export * from './dtmf-info.js';
export * from './option-tags.js';
export * from './prack.js';
export * from './refer.js';
export * from './replaces.js';
export * from './session-timer.js';
export * from './sipfrag.js';
