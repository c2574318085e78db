/**
 * Identifiers: branch (RFC 3261 §8.1.1.7, with the magic cookie), tags (§19.3,
 * at least 32 bits of randomness) and Call-IDs (§8.1.1.4). Drawn from a pooled
 * crypto-random buffer so that ids stay unguessable and cheap at thousands of calls/s.
 */
import { randomBytes } from 'node:crypto';
import { MAGIC_COOKIE } from './via.js';

const POOL_SIZE = 8192;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  if (bytes > POOL_SIZE) return randomBytes(bytes).toString('hex');
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return s;
}

export function newBranch(): string {
  return MAGIC_COOKIE + randomHex(10);
}

export function newTag(): string {
  return randomHex(6);
}

export function newCallId(host?: string): string {
  return host === undefined ? randomHex(16) : `${randomHex(12)}@${host}`;
}
