/** Opening a SQLite database (file or `:memory:`) with the pragmas both the directory and state use. */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type { Database };

export function openSqlite(path: string): Database {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // NORMAL is durable in WAL mode except for the last transactions on power loss; fine for this data.
  db.pragma('synchronous = NORMAL');
  return db;
}
