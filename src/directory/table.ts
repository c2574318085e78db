/**
 * A typed row mapper over one SQLite table: camelCase properties ↔ snake_case columns,
 * booleans ↔ 0/1, JSON columns ↔ text. All statements are prepared once and reused.
 */
import type { Database, Statement } from 'better-sqlite3';

export type ColType = 'text' | 'int' | 'bool' | 'json';
export type Columns<T> = { [K in keyof T]-?: ColType };

export function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export class Table<T extends object> {
  private readonly cols: { prop: keyof T & string; col: string; type: ColType }[];
  private readonly insertStmt: Statement;
  private readonly upsertStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly getStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly allStmt: Statement;
  private readonly whereStmts = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    readonly name: string,
    private readonly key: readonly (keyof T & string)[],
    columns: Columns<T>,
    orderBy?: string,
  ) {
    this.cols = (Object.keys(columns) as (keyof T & string)[]).map((prop) => ({ prop, col: snake(prop), type: columns[prop] }));
    const names = this.cols.map((c) => c.col);
    const params = this.cols.map((c) => `@${c.col}`);
    const keyWhere = this.key.map((k) => `${snake(k)} = @${snake(k)}`).join(' AND ');
    const sets = this.cols.filter((c) => !this.key.includes(c.prop)).map((c) => `${c.col} = @${c.col}`);
    this.insertStmt = db.prepare(`INSERT INTO ${name} (${names.join(', ')}) VALUES (${params.join(', ')})`);
    this.upsertStmt = db.prepare(
      `INSERT INTO ${name} (${names.join(', ')}) VALUES (${params.join(', ')}) ON CONFLICT (${this.key.map(snake).join(', ')}) DO UPDATE SET ${sets.length ? sets.join(', ') : `${snake(this.key[0]!)} = excluded.${snake(this.key[0]!)}`}`,
    );
    this.updateStmt = db.prepare(`UPDATE ${name} SET ${sets.join(', ') || `${snake(this.key[0]!)} = ${snake(this.key[0]!)}`} WHERE ${keyWhere}`);
    this.getStmt = db.prepare(`SELECT * FROM ${name} WHERE ${keyWhere}`);
    this.deleteStmt = db.prepare(`DELETE FROM ${name} WHERE ${keyWhere}`);
    this.allStmt = db.prepare(`SELECT * FROM ${name} ORDER BY ${orderBy ?? 'rowid'}`);
  }

  toRow(obj: T): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const c of this.cols) {
      const v = obj[c.prop] as unknown;
      if (v === undefined || v === null) row[c.col] = null;
      else if (c.type === 'bool') row[c.col] = v ? 1 : 0;
      else if (c.type === 'json') row[c.col] = JSON.stringify(v);
      else row[c.col] = v;
    }
    return row;
  }

  fromRow(row: Record<string, unknown>): T {
    const obj: Record<string, unknown> = {};
    for (const c of this.cols) {
      const v = row[c.col];
      if (v === null || v === undefined) obj[c.prop] = c.type === 'bool' ? false : null;
      else if (c.type === 'bool') obj[c.prop] = v === 1 || v === true;
      else if (c.type === 'json') obj[c.prop] = JSON.parse(v as string);
      else obj[c.prop] = v;
    }
    return obj as T;
  }

  private keyParams(values: readonly unknown[]): Record<string, unknown> {
    const p: Record<string, unknown> = {};
    this.key.forEach((k, i) => (p[snake(k)] = values[i]));
    return p;
  }

  insert(obj: T): void {
    this.insertStmt.run(this.toRow(obj));
  }

  upsert(obj: T): void {
    this.upsertStmt.run(this.toRow(obj));
  }

  /** Returns false if no row has that key. */
  update(obj: T): boolean {
    return this.updateStmt.run(this.toRow(obj)).changes > 0;
  }

  get(...key: unknown[]): T | undefined {
    const row = this.getStmt.get(this.keyParams(key)) as Record<string, unknown> | undefined;
    return row ? this.fromRow(row) : undefined;
  }

  delete(...key: unknown[]): boolean {
    return this.deleteStmt.run(this.keyParams(key)).changes > 0;
  }

  all(): T[] {
    return (this.allStmt.all() as Record<string, unknown>[]).map((r) => this.fromRow(r));
  }

  /** Rows where `prop = value` (statement cached per property). */
  where(prop: keyof T & string, value: unknown): T[] {
    let st = this.whereStmts.get(prop);
    if (!st) {
      st = this.db.prepare(`SELECT * FROM ${this.name} WHERE ${snake(prop)} = ? ORDER BY rowid`);
      this.whereStmts.set(prop, st);
    }
    return (st.all(value) as Record<string, unknown>[]).map((r) => this.fromRow(r));
  }

  one(prop: keyof T & string, value: unknown): T | undefined {
    return this.where(prop, value)[0];
  }
}
