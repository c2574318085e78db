import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory, DIRECTORY_COMPONENT, DIRECTORY_MIGRATIONS, openSqlite, runMigrations, schemaVersion } from '../../src/directory/index.js';
import type { Database } from 'better-sqlite3';

const open: { close(): void }[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
});
const db = (path = ':memory:'): Database => {
  const d = openSqlite(path);
  open.push(d);
  return d;
};

describe('schema migrations', () => {
  it('apply in order once, and a second run is a no-op', () => {
    const d = db();
    expect(runMigrations(d, DIRECTORY_COMPONENT, DIRECTORY_MIGRATIONS)).toEqual(DIRECTORY_MIGRATIONS.map((_, i) => i + 1));
    expect(runMigrations(d, DIRECTORY_COMPONENT, DIRECTORY_MIGRATIONS)).toEqual([]);
    expect(schemaVersion(d, DIRECTORY_COMPONENT)).toBe(DIRECTORY_MIGRATIONS.length);
    const rows = d.prepare('SELECT component, version FROM schema_migrations').all();
    expect(rows).toEqual(DIRECTORY_MIGRATIONS.map((_, i) => ({ component: 'directory', version: i + 1 })));
  });

  it('only pending migrations run; components are independent', () => {
    const d = db();
    expect(runMigrations(d, 'x', ['CREATE TABLE a (v INTEGER)'])).toEqual([1]);
    expect(runMigrations(d, 'x', ['CREATE TABLE a (v INTEGER)', 'CREATE TABLE b (v INTEGER)'])).toEqual([2]);
    expect(runMigrations(d, 'y', ['CREATE TABLE c (v INTEGER)'])).toEqual([1]);
    expect(schemaVersion(d, 'x')).toBe(2);
  });

  it('a failing migration is rolled back and not recorded', () => {
    const d = db();
    expect(() => runMigrations(d, 'x', ['CREATE TABLE a (v INTEGER); CREATE TABLE a (v INTEGER)'])).toThrow();
    expect(schemaVersion(d, 'x')).toBe(0);
    expect(d.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").get()).toBeUndefined();
  });

  it('refuses a database newer than the program', () => {
    const d = db();
    runMigrations(d, 'x', ['SELECT 1', 'SELECT 2']);
    expect(() => runMigrations(d, 'x', ['SELECT 1'])).toThrow(/newer than this program/);
  });

  it('a directory file reopens with its data and without re-running migrations', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ma-dir-')), 'sub', 'directory.sqlite');
    const a = new Directory({ path });
    a.partitions.create({ name: 'PT' });
    a.close();
    const b = new Directory({ path });
    open.push(b);
    expect(b.partitions.list()).toEqual([{ name: 'PT', description: '' }]);
    expect(schemaVersion(b.db, DIRECTORY_COMPONENT)).toBe(DIRECTORY_MIGRATIONS.length);
    expect(b.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(b.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});
