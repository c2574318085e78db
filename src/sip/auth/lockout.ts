/**
 * Brute-force protection for digest auth: counts failures per source IP and
 * per username in a sliding window and locks either out for a while once a
 * threshold is reached.
 *
 * Memory is bounded: failure histories and locks live in separate
 * insertion-ordered maps per scope, each with a hard cap (oldest evicted), so
 * a username spray cannot push out IP state and vice versa.
 *
 * Note: per-username lockout lets anyone lock a user out on purpose. Keep
 * durationMs modest; the IP scope is what stops a single noisy source.
 */
import { createHash } from 'node:crypto';

export interface AuthLockoutOptions {
  /** Failures within `windowMs` that trigger a lock (>= 1). */
  readonly threshold: number;
  readonly windowMs: number;
  /** How long a lock lasts. */
  readonly durationMs: number;
  /** Cap on tracked failure histories per scope. Default 10000. */
  readonly maxEntries?: number;
  /** Cap on simultaneous locks per scope. Default = maxEntries. */
  readonly maxLocks?: number;
  /**
   * Also clear the IP's failure history on a success. Default false: an
   * attacker holding one valid account could otherwise reset the IP counter
   * between guesses at other accounts.
   */
  readonly resetIpOnSuccess?: boolean;
  /** Clock, ms. Default Date.now. */
  readonly now?: () => number;
}

export type LockScope = 'ip' | 'user';

export interface LockStatus {
  readonly locked: boolean;
  /** Which key is locked (ip wins if both are). */
  readonly scope?: LockScope;
  /** When the lock ends (ms), e.g. for Retry-After. */
  readonly until?: number;
}

const UNLOCKED: LockStatus = Object.freeze({ locked: false });
/** Longer keys are hashed so hostile usernames cannot inflate memory. */
const MAX_KEY_LENGTH = 128;

function keyOf(raw: string): string {
  return raw.length <= MAX_KEY_LENGTH ? raw : `#${createHash('sha256').update(raw).digest('base64url')}`;
}

/** Failure history and locks for one scope (ip or user). */
class ScopeState {
  /** key → failure timestamps in the window (at most `threshold`), LRU by last failure. */
  private readonly failures = new Map<string, number[]>();
  /** key → lock end; insertion order is expiry order since duration is constant. */
  private readonly locks = new Map<string, number>();

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly durationMs: number,
    private readonly maxEntries: number,
    private readonly maxLocks: number,
  ) {}

  lockedUntil(key: string, now: number): number | undefined {
    const until = this.locks.get(key);
    if (until === undefined) return undefined;
    if (until > now) return until;
    this.locks.delete(key);
    return undefined;
  }

  /** Records a failure; returns the lock end if this failure triggered (or hit) a lock. */
  fail(key: string, now: number): number | undefined {
    const existing = this.lockedUntil(key, now);
    if (existing !== undefined) return existing;
    const cutoff = now - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    list.push(now);
    this.failures.delete(key);
    if (list.length >= this.threshold) {
      const until = now + this.durationMs;
      this.locks.delete(key);
      this.locks.set(key, until);
      trim(this.locks, this.maxLocks);
      return until;
    }
    this.failures.set(key, list);
    trim(this.failures, this.maxEntries);
    return undefined;
  }

  clearFailures(key: string): void {
    this.failures.delete(key);
  }

  sweep(now: number): void {
    // Locks are in expiry order: stop at the first live one.
    for (const [k, until] of this.locks) {
      if (until > now) break;
      this.locks.delete(k);
    }
    // Failure maps are ordered by last failure: stop at the first one still in the window.
    const cutoff = now - this.windowMs;
    for (const [k, list] of this.failures) {
      const last = list[list.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (last > cutoff) break;
      this.failures.delete(k);
    }
  }

  get sizes(): { failures: number; locks: number } {
    return { failures: this.failures.size, locks: this.locks.size };
  }
}

function trim<V>(map: Map<string, V>, cap: number): void {
  while (map.size > cap) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}

export class AuthLockout {
  private readonly ip: ScopeState;
  private readonly user: ScopeState;
  private readonly clock: () => number;
  private readonly resetIpOnSuccess: boolean;

  constructor(options: AuthLockoutOptions) {
    const { threshold, windowMs, durationMs } = options;
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('threshold must be an integer >= 1');
    if (!(windowMs > 0) || !(durationMs > 0)) throw new RangeError('windowMs and durationMs must be positive');
    const maxEntries = options.maxEntries ?? 10_000;
    const maxLocks = options.maxLocks ?? maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || !Number.isInteger(maxLocks) || maxLocks < 1) {
      throw new RangeError('maxEntries and maxLocks must be integers >= 1');
    }
    this.ip = new ScopeState(threshold, windowMs, durationMs, maxEntries, maxLocks);
    this.user = new ScopeState(threshold, windowMs, durationMs, maxEntries, maxLocks);
    this.clock = options.now ?? Date.now;
    this.resetIpOnSuccess = options.resetIpOnSuccess ?? false;
  }

  /** Lock state for a request from `ip` claiming `user` (user optional: e.g. no credentials yet). */
  check(ip: string, user?: string): LockStatus {
    const now = this.clock();
    const ipUntil = this.ip.lockedUntil(keyOf(ip), now);
    if (ipUntil !== undefined) return { locked: true, scope: 'ip', until: ipUntil };
    if (user !== undefined) {
      const userUntil = this.user.lockedUntil(keyOf(user), now);
      if (userUntil !== undefined) return { locked: true, scope: 'user', until: userUntil };
    }
    return UNLOCKED;
  }

  isLocked(ip: string, user?: string): boolean {
    return this.check(ip, user).locked;
  }

  /**
   * Count an authentication failure (bad response / unknown user). Returns
   * the lock state afterwards. Do not count a first request without
   * credentials or a stale nonce: those are normal protocol steps.
   */
  recordFailure(ip: string, user?: string): LockStatus {
    const now = this.clock();
    const ipUntil = this.ip.fail(keyOf(ip), now);
    const userUntil = user === undefined ? undefined : this.user.fail(keyOf(user), now);
    if (ipUntil !== undefined) return { locked: true, scope: 'ip', until: ipUntil };
    if (userUntil !== undefined) return { locked: true, scope: 'user', until: userUntil };
    return UNLOCKED;
  }

  /** Clears the user's failure history (and the IP's if configured). Active locks stay. */
  recordSuccess(ip: string, user?: string): void {
    if (user !== undefined) this.user.clearFailures(keyOf(user));
    if (this.resetIpOnSuccess) this.ip.clearFailures(keyOf(ip));
  }

  /** Drop expired locks and failure histories that left the window. */
  sweep(now: number = this.clock()): void {
    this.ip.sweep(now);
    this.user.sweep(now);
  }

  /** Entry counts, for metrics and tests. */
  get size(): { readonly ip: { failures: number; locks: number }; readonly user: { failures: number; locks: number } } {
    return { ip: this.ip.sizes, user: this.user.sizes };
  }
}
