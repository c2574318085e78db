/**
 * Write-through persistence for the local stores: rows of (key columns, expiry column, JSON data),
 * with statements prepared once. The stores keep the authoritative copy in memory and write every
 * change here synchronously, so a restart reloads exactly what was there.
 */
import type { Database, Statement } from 'better-sqlite3';

export class JsonTable<V> {
  private readonly upsertStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly allStmt: Statement;

  constructor(
    db: Database,
    table: string,
    private readonly keyCols: readonly string[],
    private readonly expiryCol: string,
  ) {
    const cols = [...keyCols, expiryCol, 'data'];
    this.upsertStmt = db.prepare(
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
       ON CONFLICT (${keyCols.join(', ')}) DO UPDATE SET ${expiryCol} = excluded.${expiryCol}, data = excluded.data`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE ${keyCols.map((k) => `${k} = ?`).join(' AND ')}`);
    this.allStmt = db.prepare(`SELECT data FROM ${table}`);
  }

  save(key: readonly string[], expiry: number | null, value: V): void {
    this.upsertStmt.run(...key, expiry, JSON.stringify(value));
  }

  delete(key: readonly string[]): void {
    this.deleteStmt.run(...key);
  }

  loadAll(): V[] {
    return (this.allStmt.all() as { data: string }[]).map((r) => JSON.parse(r.data) as V);
  }
}
