export * from './parse-message.js';
export * from './stream-parser.js';
