/** State shared by the directory's repositories: connection, statement cache, cache invalidation. */
import type { Database, Statement } from 'better-sqlite3';
import type { MobilityParameters } from '../config/mobility-schema.js';

export type CacheKind = 'dialPlan' | 'remoteDestinations' | 'trunks' | 'parameters';

export class DirectoryContext {
  private readonly stmts = new Map<string, Statement>();
  private readonly listeners: ((kind: CacheKind) => void)[] = [];

  constructor(
    readonly db: Database,
    readonly mobility: () => MobilityParameters,
  ) {}

  /** A prepared statement, prepared once per SQL text. */
  stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  onChange(fn: (kind: CacheKind) => void): void {
    this.listeners.push(fn);
  }

  changed(...kinds: CacheKind[]): void {
    for (const k of kinds) for (const l of this.listeners) l(k);
  }

  exists(table: string, col: string, value: unknown): boolean {
    return this.stmt(`SELECT 1 FROM ${table} WHERE ${col} = ? LIMIT 1`).get(value) !== undefined;
  }
}
