/**
 * Backup and restore of the directory database (provisioning, accounts, audit log), with
 * SQLite's online backup API: a consistent copy even while the server runs.
 * Restore replaces the database file's content; run it with the server stopped.
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { schemaVersion } from '../directory/migrate.js';
import { DIRECTORY_COMPONENT } from '../directory/directory.js';

export async function backupDatabase(db: Database, destination: string): Promise<{ path: string; pages: number }> {
  mkdirSync(dirname(destination), { recursive: true });
  const r = await db.backup(destination);
  return { path: destination, pages: r.totalPages };
}

/** Copies a backup file into `target` (the directory database); checks that it is one first. */
export async function restoreDatabase(source: string, target: string): Promise<{ pages: number }> {
  if (!existsSync(source)) throw new Error(`${source}: no such file`);
  const src = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    const ok = src.pragma('integrity_check', { simple: true });
    if (ok !== 'ok') throw new Error(`${source}: integrity check failed (${String(ok)})`);
    if (schemaVersion(src, DIRECTORY_COMPONENT) === 0) throw new Error(`${source}: not a mobility anchor directory database`);
    mkdirSync(dirname(target), { recursive: true });
    const r = await src.backup(target);
    return { pages: r.totalPages };
  } finally {
    src.close();
  }
}
