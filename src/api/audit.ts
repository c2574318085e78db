/**
 * The audit log: every write through the API or the CLI (and every login) is recorded with who,
 * what and when, in SQLite (table audit_log) and as a pino line. A successful change is recorded
 * inside the change's own transaction, so there is never a change without its record.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Role } from './auth/accounts.js';

export interface Actor {
  username: string;
  role: Role;
  /** session | token | cli | env */
  via: string;
  ip?: string;
  /** For role 'user': the EndUser the actor may manage. */
  userId: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role: string;
  via: string;
  ip: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  ok: boolean;
  detail: unknown;
}

export interface AuditInput {
  action: string;
  entity: string;
  entityId?: string | null;
  ok: boolean;
  detail?: unknown;
}

const SECRET_KEYS = /^(pin|newPin|currentPin|password|newPassword|currentPassword|webPassword|sipPassword|token|ha1Md5|ha1Sha256)$/;

/** Deep copy with secrets replaced by "***". */
export function redactSecrets(v: unknown, depth = 0): unknown {
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.length > 200 ? `[${v.length} items]` : v.map((x) => redactSecrets(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && x !== null && x !== undefined ? '***' : redactSecrets(x, depth + 1);
  return out;
}

export class AuditLog {
  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  record(actor: Actor, e: AuditInput): void {
    const at = new Date().toISOString();
    const detail = e.detail === undefined ? null : JSON.stringify(redactSecrets(e.detail));
    this.log.info(
      { audit: { actor: actor.username, role: actor.role, via: actor.via, ip: actor.ip, action: e.action, entity: e.entity, entityId: e.entityId ?? null, ok: e.ok } },
      'audit',
    );
    this.db
      .prepare('INSERT INTO audit_log (at, actor, role, via, ip, action, entity, entity_id, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(at, actor.username, actor.role, actor.via, actor.ip ?? null, e.action, e.entity, e.entityId ?? null, e.ok ? 1 : 0, detail);
  }

  /** Records a failed attempt outside any transaction; a store that cannot be written only gets the pino line. */
  recordFailure(actor: Actor, e: Omit<AuditInput, 'ok'> & { error: string }): void {
    try {
      this.record(actor, { ...e, ok: false, detail: { ...(typeof e.detail === 'object' && e.detail !== null ? e.detail : {}), error: e.error } });
    } catch (err) {
      this.log.warn({ err: (err as Error).message, action: e.action, entity: e.entity }, 'audit record of a failed write could not be stored');
    }
  }

  list(q: { limit?: number; before?: number; actor?: string; entity?: string } = {}): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.before !== undefined) (where.push('id < ?'), args.push(q.before));
    if (q.actor !== undefined) (where.push('actor = ?'), args.push(q.actor));
    if (q.entity !== undefined) (where.push('entity = ?'), args.push(q.entity));
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    args.push(Math.min(Math.max(q.limit ?? 100, 1), 1000));
    const rows = this.db.prepare(sql).all(...args) as {
      id: number;
      at: string;
      actor: string;
      role: string;
      via: string;
      ip: string | null;
      action: string;
      entity: string;
      entity_id: string | null;
      ok: number;
      detail: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      role: r.role,
      via: r.via,
      ip: r.ip,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      ok: r.ok === 1,
      detail: r.detail === null ? null : JSON.parse(r.detail),
    }));
  }
}
