/**
 * PIN checks for MVA, EFA two-stage dialling and mid-call EFA sequences (spec MVA-08, MVA-11,
 * EFA-02, D-49):
 *  - consecutive failed PIN checks are counted per user across calls and services; a correct
 *    PIN resets the count;
 *  - at `pinLockoutThreshold` (0 = off) the user is locked for `pinLockoutDurationS`: every
 *    PIN check fails, even a right one, and the caller hears the same failure;
 *  - a user with per-user `enableMobileVoiceAccess` off (MVA only) fails like a wrong PIN,
 *    but a right PIN is not counted towards the lockout;
 *  - every failure is logged with the calling number, the called number and the user (when
 *    known), and counted in `mobility_pin_failures_total{service,reason}`.
 *
 * The counters live behind `PinFailureStore` (src/state/types.ts: async, so a Redis store can
 * replace the local SQLite-backed one); PIN hashes stay in the directory.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { PinFailureStore, PinLockoutPolicy } from '../../state/types.js';

export type PinService = 'mva' | 'efa' | 'efaMidCall';
export type PinFailureReason = 'wrongPin' | 'locked' | 'unknownUser' | 'notEnabled' | 'timeout';

export interface PinCheck {
  service: PinService;
  /** The user the entry claims to be; undefined when the ID / RD entry matched nobody. */
  userId: string | undefined;
  pin: string;
  /** Globalised, unreplaced calling number (GEN-09); null when withheld or absent. */
  callingNumber: string | null;
  calledNumber: string;
  /** MVA-08: per-user enableMobileVoiceAccess (default true). */
  userEnabled?: boolean;
}

export interface PinVerdict {
  ok: boolean;
  reason?: PinFailureReason;
  /** The user is locked now (after this check). Never told to the caller. */
  locked: boolean;
}

export interface PinGuardDeps {
  store: PinFailureStore;
  /** Compares with the stored hash (Directory.users.verifyPin). */
  verifyPin(userId: string, pin: string): Promise<boolean>;
  policy(): PinLockoutPolicy;
  log: Pick<Logger, 'warn' | 'info'>;
  metrics: Registry;
  now?: () => number;
}

const counters = new WeakMap<Registry, Counter<'service' | 'reason'>>();

/** One counter per registry: MVA and EFA each build a guard on the same registry. */
function failureCounter(registry: Registry): Counter<'service' | 'reason'> {
  let c = counters.get(registry);
  if (c === undefined) {
    const existing = registry.getSingleMetric('mobility_pin_failures_total');
    c =
      (existing as Counter<'service' | 'reason'> | undefined) ??
      new Counter({
        name: 'mobility_pin_failures_total',
        help: 'Failed PIN authentications (MVA, EFA), by service and reason (MVA-11)',
        labelNames: ['service', 'reason'] as const,
        registers: [registry],
      });
    counters.set(registry, c);
  }
  return c;
}

export class PinGuard {
  private readonly failures: Counter<'service' | 'reason'>;
  private readonly now: () => number;

  constructor(private readonly deps: PinGuardDeps) {
    this.failures = failureCounter(deps.metrics);
    this.now = deps.now ?? Date.now;
  }

  async check(c: PinCheck): Promise<PinVerdict> {
    const now = this.now();
    const store = this.deps.store;
    if (c.userId === undefined) return this.fail(c, 'unknownUser', false);
    if (await store.isLocked(c.userId, now)) {
      // The lock is not extended by failures during it (PinFailureStore.recordFailure).
      return this.fail(c, 'locked', true);
    }
    const right = c.pin !== '' && (await this.deps.verifyPin(c.userId, c.pin));
    if (right && c.userEnabled === false) return this.fail(c, 'notEnabled', false);
    if (right) {
      await store.recordSuccess(c.userId);
      return { ok: true, locked: false };
    }
    const s = await store.recordFailure(c.userId, now, this.deps.policy());
    const locked = s.lockedUntil !== null && s.lockedUntil > now;
    if (locked) this.deps.log.warn({ user: c.userId, service: c.service, lockedUntil: new Date(s.lockedUntil!).toISOString(), failures: s.consecutiveFailures }, 'PIN lockout: user locked (MVA-11)');
    return this.fail(c, c.userEnabled === false ? 'notEnabled' : 'wrongPin', locked, s.consecutiveFailures);
  }

  /** A failed entry that never reached a PIN check (e.g. input timeout), for the log and counter. */
  noteFailure(c: Omit<PinCheck, 'pin'>, reason: PinFailureReason): void {
    this.fail({ ...c, pin: '' }, reason, false);
  }

  private fail(c: PinCheck, reason: PinFailureReason, locked: boolean, consecutive?: number): PinVerdict {
    this.failures.inc({ service: c.service, reason });
    this.deps.log.warn(
      { service: c.service, reason, calling: c.callingNumber, called: c.calledNumber, user: c.userId ?? null, ...(consecutive !== undefined ? { consecutiveFailures: consecutive } : {}) },
      'failed PIN authentication',
    );
    return { ok: false, reason, locked };
  }
}
