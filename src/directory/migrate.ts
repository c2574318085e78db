/**
 * Numbered schema migrations: an ordered array of SQL strings per component, recorded in
 * `schema_migrations(component, version)`. Migration i (0-based) is version i+1; each runs in
 * its own transaction, so a crash leaves the database at a whole version. Re-running is a no-op.
 * Shared by the directory and the runtime state stores (src/state).
 */
import type { Database } from 'better-sqlite3';

export function runMigrations(db: Database, component: string, migrations: readonly string[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (component, version)
  )`);
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?').get(component) as { v: number }).v;
  if (current > migrations.length) {
    throw new Error(`${component} database is at schema version ${current}, newer than this program (${migrations.length})`);
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (component, version) VALUES (?, ?)');
  for (let v = current + 1; v <= migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v - 1]!);
      record.run(component, v);
    })();
    applied.push(v);
  }
  return applied;
}

export function schemaVersion(db: Database, component: string): number {
  const row = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!row) return 0;
  return (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?').get(component) as { v: number }).v;
}
