/**
 * Local (single-node) implementations: in-memory maps with SQLite write-through, so
 * registrations, pending DVO-F requests, resumption records and PIN lockouts survive a restart
 * with their deadlines. Methods do their work synchronously and return resolved promises.
 */
import type { Database } from 'better-sqlite3';
import { JsonTable } from './json-table.js';
import {
  bindingKey,
  type ContactBinding,
  type PendingDvoF,
  type PendingDvoStore,
  type PinFailureState,
  type PinFailureStore,
  type PinLockoutPolicy,
  type RegistrationStore,
  type ResumptionRecord,
  type ResumptionStore,
} from './types.js';

const clone = <T>(v: T): T => structuredClone(v);

export class LocalRegistrationStore implements RegistrationStore {
  private readonly byAor = new Map<string, Map<string, ContactBinding>>();
  private readonly table: JsonTable<ContactBinding>;

  constructor(db: Database) {
    this.table = new JsonTable<ContactBinding>(db, 'registrations', ['aor', 'binding_key'], 'expires_at');
    for (const b of this.table.loadAll()) this.mapFor(b.aor).set(bindingKey(b), b);
  }

  private mapFor(aor: string): Map<string, ContactBinding> {
    let m = this.byAor.get(aor);
    if (!m) this.byAor.set(aor, (m = new Map()));
    return m;
  }

  async put(binding: ContactBinding): Promise<ContactBinding | undefined> {
    const key = bindingKey(binding);
    const m = this.mapFor(binding.aor);
    const prev = m.get(key);
    const b = clone(binding);
    this.table.save([b.aor, key], b.expiresAt, b);
    m.set(key, b);
    return prev ? clone(prev) : undefined;
  }

  async get(aor: string, key: string): Promise<ContactBinding | undefined> {
    const b = this.byAor.get(aor)?.get(key);
    return b ? clone(b) : undefined;
  }

  async remove(aor: string, key: string): Promise<boolean> {
    const m = this.byAor.get(aor);
    if (!m?.has(key)) return false;
    this.table.delete([aor, key]);
    m.delete(key);
    if (m.size === 0) this.byAor.delete(aor);
    return true;
  }

  async removeAll(aor: string): Promise<ContactBinding[]> {
    const m = this.byAor.get(aor);
    if (!m) return [];
    const out = [...m.values()];
    for (const k of m.keys()) this.table.delete([aor, k]);
    this.byAor.delete(aor);
    return out;
  }

  async list(aor: string, now: number = Date.now()): Promise<ContactBinding[]> {
    const m = this.byAor.get(aor);
    if (!m) return [];
    return [...m.values()]
      .filter((b) => b.expiresAt > now)
      .sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt)
      .map(clone);
  }

  async listAors(now: number = Date.now()): Promise<string[]> {
    return [...this.byAor.entries()].filter(([, m]) => [...m.values()].some((b) => b.expiresAt > now)).map(([aor]) => aor);
  }

  async sweep(now: number): Promise<ContactBinding[]> {
    const out: ContactBinding[] = [];
    for (const [aor, m] of this.byAor) {
      for (const [k, b] of m) {
        if (b.expiresAt <= now) {
          this.table.delete([aor, k]);
          m.delete(k);
          out.push(b);
        }
      }
      if (m.size === 0) this.byAor.delete(aor);
    }
    return out;
  }
}

export class LocalPendingDvoStore implements PendingDvoStore {
  private readonly byDevice = new Map<string, PendingDvoF>();
  private readonly table: JsonTable<PendingDvoF>;

  constructor(db: Database) {
    this.table = new JsonTable<PendingDvoF>(db, 'pending_dvo', ['device_id'], 'expires_at');
    for (const r of this.table.loadAll()) this.byDevice.set(r.deviceId, r);
  }

  async create(rec: PendingDvoF): Promise<boolean> {
    if (this.byDevice.has(rec.deviceId)) return false;
    const r = clone(rec);
    this.table.save([r.deviceId], r.expiresAt, r);
    this.byDevice.set(r.deviceId, r);
    return true;
  }

  async get(deviceId: string): Promise<PendingDvoF | undefined> {
    const r = this.byDevice.get(deviceId);
    return r ? clone(r) : undefined;
  }

  async take(deviceId: string): Promise<PendingDvoF | undefined> {
    const r = this.byDevice.get(deviceId);
    if (!r) return undefined;
    this.table.delete([deviceId]);
    this.byDevice.delete(deviceId);
    return r;
  }

  async remove(deviceId: string): Promise<boolean> {
    return (await this.take(deviceId)) !== undefined;
  }

  async list(): Promise<PendingDvoF[]> {
    return [...this.byDevice.values()].map(clone);
  }

  async sweep(now: number): Promise<PendingDvoF[]> {
    const out: PendingDvoF[] = [];
    for (const [k, r] of this.byDevice) {
      if (r.expiresAt <= now) {
        this.table.delete([k]);
        this.byDevice.delete(k);
        out.push(r);
      }
    }
    return out;
  }
}

export class LocalResumptionStore implements ResumptionStore {
  private readonly byDevice = new Map<string, ResumptionRecord>();
  private readonly table: JsonTable<ResumptionRecord>;

  constructor(db: Database) {
    this.table = new JsonTable<ResumptionRecord>(db, 'resumption_records', ['device_id'], 'expires_at');
    for (const r of this.table.loadAll()) this.byDevice.set(r.deviceId, r);
  }

  async put(rec: ResumptionRecord): Promise<ResumptionRecord | undefined> {
    const prev = this.byDevice.get(rec.deviceId);
    const r = clone(rec);
    this.table.save([r.deviceId], r.expiresAt, r);
    this.byDevice.set(r.deviceId, r);
    return prev;
  }

  async get(deviceId: string): Promise<ResumptionRecord | undefined> {
    const r = this.byDevice.get(deviceId);
    return r ? clone(r) : undefined;
  }

  async update(deviceId: string, patch: Partial<Pick<ResumptionRecord, 'anchoredCallRef' | 'expiresAt' | 'nodeId'>>): Promise<ResumptionRecord | undefined> {
    const cur = this.byDevice.get(deviceId);
    if (!cur) return undefined;
    const r: ResumptionRecord = { ...cur };
    if (patch.anchoredCallRef !== undefined) r.anchoredCallRef = patch.anchoredCallRef;
    if (patch.expiresAt !== undefined) r.expiresAt = patch.expiresAt;
    if (patch.nodeId !== undefined) r.nodeId = patch.nodeId;
    this.table.save([deviceId], r.expiresAt, r);
    this.byDevice.set(deviceId, r);
    return clone(r);
  }

  async remove(deviceId: string): Promise<boolean> {
    if (!this.byDevice.has(deviceId)) return false;
    this.table.delete([deviceId]);
    this.byDevice.delete(deviceId);
    return true;
  }

  async list(): Promise<ResumptionRecord[]> {
    return [...this.byDevice.values()].map(clone);
  }

  async sweep(now: number): Promise<ResumptionRecord[]> {
    const out: ResumptionRecord[] = [];
    for (const [k, r] of this.byDevice) {
      if (r.expiresAt !== null && r.expiresAt <= now) {
        this.table.delete([k]);
        this.byDevice.delete(k);
        out.push(r);
      }
    }
    return out;
  }
}

export class LocalPinFailureStore implements PinFailureStore {
  private readonly byUser = new Map<string, PinFailureState>();
  private readonly table: JsonTable<PinFailureState>;

  constructor(db: Database) {
    this.table = new JsonTable<PinFailureState>(db, 'pin_failures', ['user_id'], 'locked_until');
    for (const s of this.table.loadAll()) this.byUser.set(s.userId, s);
  }

  private save(s: PinFailureState): void {
    this.table.save([s.userId], s.lockedUntil, s);
    this.byUser.set(s.userId, s);
  }

  async get(userId: string): Promise<PinFailureState | undefined> {
    const s = this.byUser.get(userId);
    return s ? clone(s) : undefined;
  }

  async isLocked(userId: string, now: number): Promise<boolean> {
    const s = this.byUser.get(userId);
    return !!s && s.lockedUntil !== null && s.lockedUntil > now;
  }

  async recordFailure(userId: string, now: number, policy: PinLockoutPolicy): Promise<PinFailureState> {
    let s = this.byUser.get(userId) ?? { userId, consecutiveFailures: 0, lockedUntil: null, lastFailureAt: null };
    if (s.lockedUntil !== null) {
      if (s.lockedUntil > now) return clone(s);
      s = { ...s, consecutiveFailures: 0, lockedUntil: null };
    }
    const next: PinFailureState = { ...s, consecutiveFailures: s.consecutiveFailures + 1, lastFailureAt: now };
    if (policy.threshold > 0 && next.consecutiveFailures >= policy.threshold) next.lockedUntil = now + policy.durationS * 1000;
    this.save(next);
    return clone(next);
  }

  async recordSuccess(userId: string): Promise<void> {
    if (!this.byUser.has(userId)) return;
    this.table.delete([userId]);
    this.byUser.delete(userId);
  }

  async sweep(now: number): Promise<PinFailureState[]> {
    const out: PinFailureState[] = [];
    for (const [k, s] of this.byUser) {
      if (s.lockedUntil !== null && s.lockedUntil <= now) {
        this.table.delete([k]);
        this.byUser.delete(k);
        out.push(s);
      }
    }
    return out;
  }
}
