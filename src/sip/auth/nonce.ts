/**
 * Stateless server nonces plus an optional bounded nonce-count replay tracker.
 *
 * Nonce = base64url( issuedAt(8 bytes BE, ms) || random(12) || HMAC-SHA256(secret, ...)[0..16) ).
 * The server can check that it issued a nonce, and how old it is, without
 * storing anything. 36 bytes encode to exactly 48 base64url chars without
 * padding, so the textual form is canonical (no malleable trailing bits).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type NonceSecret = string | Uint8Array;
export type NonceStatus = 'valid' | 'stale' | 'invalid';

const TS_LEN = 8;
const RAND_LEN = 12;
const MAC_LEN = 16;
const RAW_LEN = TS_LEN + RAND_LEN + MAC_LEN;
const NONCE_RE = /^[A-Za-z0-9_-]{48}$/;
/** Minimum secret size: 128 bits. */
export const MIN_NONCE_SECRET_BYTES = 16;
/**
 * Nonces dated further in the future than this are rejected: we only ever
 * issue nonces with our own clock, so this only tolerates skew between nodes
 * sharing a secret.
 */
export const MAX_NONCE_FUTURE_SKEW_MS = 5_000;

function secretBytes(secret: NonceSecret): Buffer {
  const b = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (b.length < MIN_NONCE_SECRET_BYTES) {
    throw new RangeError(`nonce secret must be at least ${MIN_NONCE_SECRET_BYTES} bytes`);
  }
  return b;
}

function mac(key: Buffer, context: string, head: Buffer): Buffer {
  // The context (e.g. realm) is length-prefixed so (ctx, head) pairs cannot collide.
  const ctx = Buffer.from(context, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(ctx.length);
  return createHmac('sha256', key)
    .update('sip-digest-nonce-v1')
    .update(len)
    .update(ctx)
    .update(head)
    .digest()
    .subarray(0, MAC_LEN);
}

/**
 * Issue a nonce. `context` binds the nonce to e.g. the realm, so a nonce
 * issued for one realm is not accepted for another one sharing the secret.
 */
export function createNonce(secret: NonceSecret, now: number, context = ''): string {
  if (!Number.isSafeInteger(Math.floor(now)) || now < 0) throw new RangeError('now must be a non-negative time in ms');
  const key = secretBytes(secret);
  const head = Buffer.alloc(TS_LEN + RAND_LEN);
  head.writeBigUInt64BE(BigInt(Math.floor(now)), 0);
  randomBytes(RAND_LEN).copy(head, TS_LEN);
  return Buffer.concat([head, mac(key, context, head)]).toString('base64url');
}

export interface NonceInfo {
  readonly status: NonceStatus;
  /** Issue time (ms) when the MAC verified, i.e. status is not 'invalid'. */
  readonly issuedAt?: number;
}

/** Like `checkNonce` but also returns the authenticated issue time. */
export function inspectNonce(
  nonce: string,
  secret: NonceSecret,
  now: number,
  ttlMs: number,
  context = '',
): NonceInfo {
  if (!Number.isFinite(now) || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new RangeError('now and ttlMs must be finite, ttlMs non-negative');
  }
  const key = secretBytes(secret);
  if (typeof nonce !== 'string' || !NONCE_RE.test(nonce)) return { status: 'invalid' };
  const raw = Buffer.from(nonce, 'base64url');
  if (raw.length !== RAW_LEN) return { status: 'invalid' };
  const head = raw.subarray(0, TS_LEN + RAND_LEN);
  if (!timingSafeEqual(mac(key, context, head), raw.subarray(TS_LEN + RAND_LEN))) return { status: 'invalid' };
  const issuedAt = Number(head.readBigUInt64BE(0));
  if (issuedAt > now + MAX_NONCE_FUTURE_SKEW_MS) return { status: 'invalid' };
  if (now - issuedAt > ttlMs) return { status: 'stale', issuedAt };
  return { status: 'valid', issuedAt };
}

/**
 * 'valid'   — we issued it (MAC ok) and it is at most `ttlMs` old;
 * 'stale'   — we issued it but it expired (answer with stale=true if the digest is right);
 * 'invalid' — not ours, tampered, malformed or implausibly from the future.
 */
export function checkNonce(nonce: string, secret: NonceSecret, now: number, ttlMs: number, context = ''): NonceStatus {
  return inspectNonce(nonce, secret, now, ttlMs, context).status;
}

export interface NonceCountTrackerOptions {
  /** Hard cap on tracked nonces; least recently used are evicted beyond it. */
  readonly maxEntries: number;
}

export type NonceCountVerdict = 'ok' | 'replay' | 'forgotten';

interface TrackedNonce {
  nc: number;
  readonly issuedAt: number;
}

/**
 * Remembers the highest nonce-count accepted per nonce so `nc` must increase.
 *
 * Memory is bounded by `maxEntries` (LRU). Eviction would normally reopen a
 * replay window for the evicted nonce, so we keep a floor: the latest issue
 * time of any nonce we ever dropped. An untracked nonce issued at or before
 * the floor might have been seen before, so it is reported 'forgotten' and the
 * caller answers stale=true (the client simply retries with a fresh nonce).
 */
export class NonceCountTracker {
  private readonly entries = new Map<string, TrackedNonce>();
  private floor = -1;
  private readonly maxEntries: number;

  constructor(options: NonceCountTrackerOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    this.maxEntries = options.maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Accept `nc` for `nonce` if it is strictly greater than any accepted
   * before; records it on success. Call only after the digest has verified,
   * so forged requests cannot burn counts.
   */
  accept(nonce: string, issuedAt: number, nc: number): NonceCountVerdict {
    const e = this.entries.get(nonce);
    if (e === undefined) {
      if (issuedAt <= this.floor) return 'forgotten';
      this.entries.set(nonce, { nc, issuedAt });
      this.evictOverflow();
      return 'ok';
    }
    if (nc <= e.nc) return 'replay';
    e.nc = nc;
    // Refresh LRU position.
    this.entries.delete(nonce);
    this.entries.set(nonce, e);
    return 'ok';
  }

  /** Drop entries whose nonce is older than `ttlMs` (they would be stale anyway). */
  sweep(now: number, ttlMs: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.issuedAt > ttlMs) this.drop(k, e);
    }
  }

  private evictOverflow(): void {
    while (this.entries.size > this.maxEntries) {
      const first = this.entries.entries().next();
      if (first.done === true) return;
      this.drop(first.value[0], first.value[1]);
    }
  }

  private drop(key: string, e: TrackedNonce): void {
    this.entries.delete(key);
    if (e.issuedAt > this.floor) this.floor = e.issuedAt;
  }
}
