/** Partitions and calling search spaces (ordered partitions), spec GEN-06. */
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { DirectoryError, guard, invalid, notFound } from '../errors.js';
import { checkNonEmpty, defined, requireRef } from '../validate.js';
import type { Css, Partition } from '../types.js';

export class PartitionRepo {
  private readonly t: Table<Partition>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<Partition>(ctx.db, 'partitions', ['name'], { name: 'text', description: 'text' }, 'name');
  }

  create(p: { name: string; description?: string }): Partition {
    checkNonEmpty('name', p.name);
    const rec: Partition = { name: p.name, description: p.description ?? '' };
    guard(`partition "${p.name}"`, () => this.t.insert(rec));
    this.ctx.changed('dialPlan');
    return rec;
  }

  get(name: string): Partition | undefined {
    return this.t.get(name);
  }

  list(): Partition[] {
    return this.t.all();
  }

  update(name: string, patch: { description?: string }): Partition {
    const cur = this.get(name);
    if (!cur) throw notFound('partition', name);
    const rec = { ...cur, ...defined(patch), name };
    this.t.update(rec);
    return rec;
  }

  /** Refused while a line, route pattern, CSS or park range uses the partition. */
  delete(name: string): boolean {
    for (const [table, col] of [
      ['lines', 'partition'],
      ['route_patterns', 'partition'],
      ['css_partitions', 'partition'],
      ['directed_parks', 'partition'],
    ] as const) {
      if (this.ctx.exists(table, col, name)) throw new DirectoryError('in_use', `partition "${name}" is used by ${table}`);
    }
    const ok = this.t.delete(name);
    if (ok) this.ctx.changed('dialPlan');
    return ok;
  }
}

export class CssRepo {
  private readonly t: Table<Omit<Css, 'partitions'>>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<Omit<Css, 'partitions'>>(ctx.db, 'css', ['name'], { name: 'text', description: 'text' }, 'name');
  }

  private partitionsOf(name: string): string[] {
    return (this.ctx.stmt('SELECT partition FROM css_partitions WHERE css = ? ORDER BY ord').all(name) as { partition: string }[]).map((r) => r.partition);
  }

  private setPartitions(name: string, partitions: readonly string[]): void {
    if (new Set(partitions).size !== partitions.length) throw invalid(`css "${name}": partitions: listed twice`);
    partitions.forEach((p, i) => requireRef(this.ctx, 'partitions', 'name', p, `partitions[${i}]`));
    this.ctx.stmt('DELETE FROM css_partitions WHERE css = ?').run(name);
    const ins = this.ctx.stmt('INSERT INTO css_partitions (css, ord, partition) VALUES (?, ?, ?)');
    partitions.forEach((p, i) => ins.run(name, i, p));
  }

  create(c: { name: string; partitions: readonly string[]; description?: string }): Css {
    checkNonEmpty('name', c.name);
    const rec: Css = { name: c.name, description: c.description ?? '', partitions: [...c.partitions] };
    this.ctx.tx(() => {
      guard(`css "${c.name}"`, () => this.t.insert({ name: rec.name, description: rec.description }));
      this.setPartitions(rec.name, rec.partitions);
    });
    this.ctx.changed('dialPlan');
    return rec;
  }

  get(name: string): Css | undefined {
    const r = this.t.get(name);
    return r ? { ...r, partitions: this.partitionsOf(name) } : undefined;
  }

  list(): Css[] {
    return this.t.all().map((r) => ({ ...r, partitions: this.partitionsOf(r.name) }));
  }

  update(name: string, patch: { partitions?: readonly string[]; description?: string }): Css {
    const cur = this.get(name);
    if (!cur) throw notFound('css', name);
    this.ctx.tx(() => {
      if (patch.description !== undefined) this.t.update({ name, description: patch.description });
      if (patch.partitions) this.setPartitions(name, patch.partitions);
    });
    this.ctx.changed('dialPlan');
    return this.get(name)!;
  }

  delete(name: string): boolean {
    const ok = guard(`css "${name}"`, () => this.t.delete(name));
    if (ok) this.ctx.changed('dialPlan');
    return ok;
  }
}
