/** Enterprise lines (DNs), spec §17.1 EnterpriseLine. */
import { randomUUID } from 'node:crypto';
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { guard, notFound } from '../errors.js';
import { checkDialString, checkInt, checkNonEmpty, defined, requireRef } from '../validate.js';
import type { EnterpriseLine } from '../types.js';

export type NewLine = Pick<EnterpriseLine, 'number' | 'partition'> & Partial<EnterpriseLine>;
export type LinePatch = Partial<Omit<EnterpriseLine, 'id'>>;

export class LineRepo {
  private readonly t: Table<EnterpriseLine>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<EnterpriseLine>(ctx.db, 'lines', ['id'], {
      id: 'text',
      number: 'text',
      partition: 'text',
      lineCss: 'text',
      did: 'text',
      displayName: 'text',
      noAnswerRingDurationS: 'int',
      callForwardAll: 'text',
      callForwardBusy: 'text',
      callForwardNoAnswer: 'text',
      voicemailPilot: 'text',
    });
  }

  private check(l: EnterpriseLine): void {
    checkNonEmpty('id', l.id);
    checkDialString('number', l.number);
    checkDialString('did', l.did);
    for (const f of ['callForwardAll', 'callForwardBusy', 'callForwardNoAnswer', 'voicemailPilot'] as const) checkDialString(f, l[f]);
    checkInt('noAnswerRingDurationS', l.noAnswerRingDurationS, 1, 300);
    requireRef(this.ctx, 'partitions', 'name', l.partition, 'partition');
    requireRef(this.ctx, 'css', 'name', l.lineCss, 'lineCss');
  }

  create(input: NewLine): EnterpriseLine {
    const rec: EnterpriseLine = {
      id: input.id ?? randomUUID(),
      number: input.number,
      partition: input.partition,
      lineCss: input.lineCss ?? null,
      did: input.did ?? null,
      displayName: input.displayName ?? '',
      noAnswerRingDurationS: input.noAnswerRingDurationS ?? null,
      callForwardAll: input.callForwardAll ?? null,
      callForwardBusy: input.callForwardBusy ?? null,
      callForwardNoAnswer: input.callForwardNoAnswer ?? null,
      voicemailPilot: input.voicemailPilot ?? null,
    };
    this.check(rec);
    guard(`line ${rec.number} in ${rec.partition}`, () => this.t.insert(rec));
    this.ctx.changed('dialPlan', 'remoteDestinations');
    return rec;
  }

  get(id: string): EnterpriseLine | undefined {
    return this.t.get(id);
  }

  /** The line with this DN in `partition`; without a partition, the only line with this DN (undefined if several). */
  find(number: string, partition?: string): EnterpriseLine | undefined {
    if (partition !== undefined) {
      const row = this.ctx.stmt('SELECT * FROM lines WHERE number = ? AND partition = ?').get(number, partition) as Record<string, unknown> | undefined;
      return row ? this.t.fromRow(row) : undefined;
    }
    const all = this.t.where('number', number);
    return all.length === 1 ? all[0] : undefined;
  }

  findAll(number: string): EnterpriseLine[] {
    return this.t.where('number', number);
  }

  findByDid(did: string): EnterpriseLine | undefined {
    return this.t.one('did', did);
  }

  list(): EnterpriseLine[] {
    return this.t.all();
  }

  update(id: string, patch: LinePatch): EnterpriseLine {
    const cur = this.get(id);
    if (!cur) throw notFound('line', id);
    const rec: EnterpriseLine = { ...cur, ...defined(patch), id };
    this.check(rec);
    guard(`line ${rec.number}`, () => this.t.update(rec));
    this.ctx.changed('dialPlan');
    return rec;
  }

  delete(id: string): boolean {
    const ok = guard(`line "${id}"`, () => this.t.delete(id));
    if (ok) this.ctx.changed('dialPlan');
    return ok;
  }
}
