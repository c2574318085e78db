/** Public surface of SIP digest authentication. */
export * from './digest-header.js';
export * from './digest.js';
export * from './nonce.js';
export * from './digest-server.js';
export * from './digest-client.js';
export * from './lockout.js';
