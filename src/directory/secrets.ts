/**
 * Secrets at rest: SIP digest passwords as HA1 (RFC 7616, per realm), PINs as salted scrypt.
 * Neither plaintext is ever stored.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { DigestAlgorithm } from './types.js';

/** HA1 = H(username ":" realm ":" password), hex. */
export function computeHa1(username: string, realm: string, password: string, algorithm: DigestAlgorithm): string {
  const h = algorithm === 'MD5' ? 'md5' : 'sha256';
  return createHash(h).update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}

// scrypt cost: ~10 ms on a server core. A 4-digit PIN can be brute-forced offline whatever the cost;
// the hash only keeps PINs out of dumps and logs. Online guessing is bounded by MVA-11 lockout.
const N = 1 << 14;
const KEYLEN = 32;

export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(pin, salt, KEYLEN, { N, r: 8, p: 1 });
  return `scrypt$${N}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function parse(stored: string): { n: number; salt: Buffer; key: Buffer } | undefined {
  const [alg, n, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !n || !salt || !key) return undefined;
  return { n: Number(n), salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

/** Verifies off the event loop (libuv thread pool), so a PIN check does not stall call timers. */
export function verifyPinHash(pin: string, stored: string): Promise<boolean> {
  const p = parse(stored);
  if (!p) return Promise.resolve(false);
  return new Promise((resolve) => {
    scrypt(pin, p.salt, p.key.length, { N: p.n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key) => {
      resolve(!err && key.length === p.key.length && timingSafeEqual(key, p.key));
    });
  });
}

export function isValidPin(pin: string): boolean {
  return /^[0-9]{1,32}$/.test(pin);
}
