/**
 * Writes to the directory on behalf of an actor: validated, in one transaction with their audit
 * record, and all-or-nothing (SNR-14: if the store cannot be written, the error is returned and
 * nothing changes; the directory's caches are rebuilt on the next call after a rollback, and
 * calls in progress are not touched).
 */
import type { Logger } from 'pino';
import type { Directory } from '../directory/directory.js';
import type { AccountStore } from './auth/accounts.js';
import { AuditLog, type Actor } from './audit.js';
import { ApiError, toApiError } from './errors.js';
import { entityDefs, type EntityContext, type EntityDef } from './entities.js';

export interface WriteMeta {
  action: string;
  entity: string;
  entityId?: string | null;
  detail?: unknown;
}

export class ProvisioningService {
  readonly entities: EntityDef[] = entityDefs();
  readonly audit: AuditLog;
  readonly ctx: EntityContext;

  constructor(
    readonly dir: Directory,
    readonly accounts: AccountStore,
    log: Logger,
    sipRealm: string,
  ) {
    this.audit = new AuditLog(dir.db, log);
    this.ctx = { dir, accounts, sipRealm };
  }

  entity(name: string): EntityDef | undefined {
    return this.entities.find((e) => e.name === name);
  }

  /**
   * Runs `fn` and the audit record in one transaction. `entityId` may be computed from the
   * result (creates with generated ids). Failures are audited (ok = 0) after the rollback.
   */
  write<T>(actor: Actor, meta: WriteMeta, fn: () => T, idOf?: (r: T) => string | undefined): T {
    try {
      return this.dir.transaction(() => {
        const r = fn();
        this.audit.record(actor, { ...meta, entityId: idOf?.(r) ?? meta.entityId ?? null, ok: true });
        return r;
      });
    } catch (e) {
      const err = toApiError(e);
      this.audit.recordFailure(actor, { ...meta, error: `${err.code}: ${err.message}` });
      throw err;
    }
  }

  /** Whether `actor` may act on this EndUser's data (administrators: any; end users: their own). */
  static mayManageUser(actor: Actor, userId: string): boolean {
    return actor.role === 'admin' || actor.userId === userId;
  }

  requireUser(userId: string): void {
    if (!this.dir.users.get(userId)) throw new ApiError('not_found', `user "${userId}" not found`);
  }
}
