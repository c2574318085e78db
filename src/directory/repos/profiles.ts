/** Remote destination profiles, mobility profiles, access lists and ring schedules (spec §17.1). */
import { randomUUID } from 'node:crypto';
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { guard, invalid, notFound } from '../errors.js';
import { checkNonEmpty, checkOneOf, defined, requireRef } from '../validate.js';
import type {
  AccessList,
  AccessListMember,
  MobilityProfile,
  RemoteDestinationProfile,
  RingSchedule,
  RingScheduleEntry,
} from '../types.js';

export type NewRdProfile = Pick<RemoteDestinationProfile, 'name' | 'ownerUser'> & Partial<RemoteDestinationProfile>;
export type RdProfilePatch = Partial<Omit<RemoteDestinationProfile, 'id'>>;

export class RdProfileRepo {
  private readonly t: Table<Omit<RemoteDestinationProfile, 'lines'>>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<Omit<RemoteDestinationProfile, 'lines'>>(ctx.db, 'rd_profiles', ['id'], {
      id: 'text',
      name: 'text',
      ownerUser: 'text',
      css: 'text',
      rerouteCss: 'text',
      devicePool: 'text',
      userHoldAudioSource: 'text',
      networkHoldAudioSource: 'text',
      dndEnabled: 'bool',
    });
  }

  private linesOf(id: string): string[] {
    return (this.ctx.stmt('SELECT line_id FROM rd_profile_lines WHERE profile_id = ? ORDER BY ord').all(id) as { line_id: string }[]).map((r) => r.line_id);
  }

  private check(p: RemoteDestinationProfile): void {
    checkNonEmpty('id', p.id);
    requireRef(this.ctx, 'users', 'user_id', p.ownerUser, 'ownerUser');
    requireRef(this.ctx, 'css', 'name', p.css, 'css');
    requireRef(this.ctx, 'css', 'name', p.rerouteCss, 'rerouteCss');
    if (new Set(p.lines).size !== p.lines.length) throw invalid('lines: listed twice');
    p.lines.forEach((l, i) => requireRef(this.ctx, 'lines', 'id', l, `lines[${i}]`));
  }

  private setLines(id: string, lines: readonly string[]): void {
    this.ctx.stmt('DELETE FROM rd_profile_lines WHERE profile_id = ?').run(id);
    const ins = this.ctx.stmt('INSERT INTO rd_profile_lines (profile_id, line_id, ord) VALUES (?, ?, ?)');
    lines.forEach((l, i) => ins.run(id, l, i));
  }

  create(input: NewRdProfile): RemoteDestinationProfile {
    const p: RemoteDestinationProfile = {
      id: input.id ?? randomUUID(),
      name: input.name,
      ownerUser: input.ownerUser,
      lines: [...(input.lines ?? [])],
      css: input.css ?? null,
      rerouteCss: input.rerouteCss ?? null,
      devicePool: input.devicePool ?? null,
      userHoldAudioSource: input.userHoldAudioSource ?? null,
      networkHoldAudioSource: input.networkHoldAudioSource ?? null,
      dndEnabled: input.dndEnabled ?? false,
    };
    this.check(p);
    const { lines, ...row } = p;
    this.ctx.tx(() => {
      guard(`rd profile "${p.id}"`, () => this.t.insert(row));
      this.setLines(p.id, lines);
    });
    return p;
  }

  get(id: string): RemoteDestinationProfile | undefined {
    const r = this.t.get(id);
    return r ? { ...r, lines: this.linesOf(id) } : undefined;
  }

  list(ownerUser?: string): RemoteDestinationProfile[] {
    const rows = ownerUser !== undefined ? this.t.where('ownerUser', ownerUser) : this.t.all();
    return rows.map((r) => ({ ...r, lines: this.linesOf(r.id) }));
  }

  update(id: string, patch: RdProfilePatch): RemoteDestinationProfile {
    const cur = this.get(id);
    if (!cur) throw notFound('rd profile', id);
    const p: RemoteDestinationProfile = { ...cur, ...defined(patch), id };
    this.check(p);
    const { lines, ...row } = p;
    this.ctx.tx(() => {
      guard(`rd profile "${id}"`, () => this.t.update(row));
      if (patch.lines) this.setLines(id, lines);
    });
    this.ctx.changed('remoteDestinations');
    return p;
  }

  /** Deletes the profile and (cascade) its remote destinations. */
  delete(id: string): boolean {
    const ok = guard(`rd profile "${id}"`, () => this.t.delete(id));
    if (ok) this.ctx.changed('remoteDestinations');
    return ok;
  }
}

export class MobilityProfileRepo {
  private readonly t: Table<MobilityProfile>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<MobilityProfile>(ctx.db, 'mobility_profiles', ['id'], {
      id: 'text',
      name: 'text',
      dvoRCallbackCallerId: 'text',
      mobileClientCallingOption: 'text',
    });
  }

  private check(p: MobilityProfile): void {
    checkNonEmpty('id', p.id);
    if (p.dvoRCallbackCallerId !== null && p.dvoRCallbackCallerId !== '' && !/^\+?[0-9*#A-D]{1,24}$/.test(p.dvoRCallbackCallerId)) {
      throw invalid(`dvoRCallbackCallerId: "${p.dvoRCallbackCallerId}" is not a dialable number`);
    }
  }

  create(input: Pick<MobilityProfile, 'name'> & Partial<MobilityProfile>): MobilityProfile {
    const p: MobilityProfile = {
      id: input.id ?? randomUUID(),
      name: input.name,
      dvoRCallbackCallerId: input.dvoRCallbackCallerId ?? null,
      mobileClientCallingOption: input.mobileClientCallingOption ?? null,
    };
    this.check(p);
    guard(`mobility profile "${p.id}"`, () => this.t.insert(p));
    return p;
  }

  get(id: string): MobilityProfile | undefined {
    return this.t.get(id);
  }

  list(): MobilityProfile[] {
    return this.t.all();
  }

  update(id: string, patch: Partial<Omit<MobilityProfile, 'id'>>): MobilityProfile {
    const cur = this.get(id);
    if (!cur) throw notFound('mobility profile', id);
    const p = { ...cur, ...defined(patch), id };
    this.check(p);
    this.t.update(p);
    return p;
  }

  delete(id: string): boolean {
    return guard(`mobility profile "${id}"`, () => this.t.delete(id));
  }
}

const MEMBER_KINDS = ['number', 'mask', 'notAvailable', 'private'] as const;

export class AccessListRepo {
  private readonly t: Table<Omit<AccessList, 'members'>>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<Omit<AccessList, 'members'>>(ctx.db, 'access_lists', ['id'], { id: 'text', name: 'text', ownerUser: 'text', type: 'text' });
  }

  private membersOf(id: string): AccessListMember[] {
    return this.ctx.stmt('SELECT kind, value FROM access_list_members WHERE list_id = ? ORDER BY ord').all(id) as AccessListMember[];
  }

  private check(l: AccessList): void {
    checkNonEmpty('id', l.id);
    requireRef(this.ctx, 'users', 'user_id', l.ownerUser, 'ownerUser');
    checkOneOf('type', l.type, ['allowed', 'blocked'] as const);
    l.members.forEach((m, i) => {
      checkOneOf(`members[${i}].kind`, m.kind, MEMBER_KINDS);
      if (m.kind === 'number' && !/^\+?[0-9*#]{1,32}$/.test(m.value ?? '')) throw invalid(`members[${i}].value: must be a number`);
      // D-12: X = exactly one digit; a leading + is literal.
      if (m.kind === 'mask' && !/^\+?[0-9X*#]{1,32}$/.test(m.value ?? '')) throw invalid(`members[${i}].value: must be a mask of digits and X`);
    });
  }

  private setMembers(id: string, members: readonly AccessListMember[]): void {
    this.ctx.stmt('DELETE FROM access_list_members WHERE list_id = ?').run(id);
    const ins = this.ctx.stmt('INSERT INTO access_list_members (list_id, ord, kind, value) VALUES (?, ?, ?, ?)');
    members.forEach((m, i) => ins.run(id, i, m.kind, m.kind === 'number' || m.kind === 'mask' ? m.value : null));
  }

  create(input: Pick<AccessList, 'name' | 'ownerUser' | 'type'> & Partial<AccessList>): AccessList {
    const l: AccessList = {
      id: input.id ?? randomUUID(),
      name: input.name,
      ownerUser: input.ownerUser,
      type: input.type,
      members: (input.members ?? []).map((m) => ({ kind: m.kind, value: m.value ?? null })),
    };
    this.check(l);
    const { members, ...row } = l;
    this.ctx.tx(() => {
      guard(`access list "${l.id}"`, () => this.t.insert(row));
      this.setMembers(l.id, members);
    });
    return this.get(l.id)!;
  }

  get(id: string): AccessList | undefined {
    const r = this.t.get(id);
    return r ? { ...r, members: this.membersOf(id) } : undefined;
  }

  list(ownerUser?: string): AccessList[] {
    const rows = ownerUser !== undefined ? this.t.where('ownerUser', ownerUser) : this.t.all();
    return rows.map((r) => ({ ...r, members: this.membersOf(r.id) }));
  }

  update(id: string, patch: Partial<Omit<AccessList, 'id'>>): AccessList {
    const cur = this.get(id);
    if (!cur) throw notFound('access list', id);
    const l: AccessList = { ...cur, ...defined(patch), id };
    l.members = l.members.map((m) => ({ kind: m.kind, value: m.value ?? null }));
    this.check(l);
    const { members, ...row } = l;
    this.ctx.tx(() => {
      guard(`access list "${id}"`, () => this.t.update(row));
      if (patch.members) this.setMembers(id, members);
    });
    return this.get(id)!;
  }

  delete(id: string): boolean {
    return guard(`access list "${id}"`, () => this.t.delete(id));
  }
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function checkEntries(entries: readonly RingScheduleEntry[]): void {
  const hhmm = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
  entries.forEach((e, i) => {
    if (!Array.isArray(e.days) || e.days.length === 0) throw invalid(`entries[${i}].days: must list at least one day`);
    e.days.forEach((d) => checkOneOf(`entries[${i}].days`, d, DAYS));
    if (!hhmm.test(e.start)) throw invalid(`entries[${i}].start: must be HH:MM (got "${e.start}")`);
    if (!hhmm.test(e.end)) throw invalid(`entries[${i}].end: must be HH:MM (got "${e.end}")`);
    if (e.end <= e.start) throw invalid(`entries[${i}]: end must be after start`);
  });
}

export class RingScheduleRepo {
  private readonly t: Table<RingSchedule>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<RingSchedule>(ctx.db, 'ring_schedules', ['id'], { id: 'text', name: 'text', ownerUser: 'text', entries: 'json' });
  }

  create(input: Pick<RingSchedule, 'name' | 'entries'> & Partial<RingSchedule>): RingSchedule {
    const s: RingSchedule = { id: input.id ?? randomUUID(), name: input.name, ownerUser: input.ownerUser ?? null, entries: input.entries };
    checkNonEmpty('id', s.id);
    requireRef(this.ctx, 'users', 'user_id', s.ownerUser, 'ownerUser');
    checkEntries(s.entries);
    guard(`ring schedule "${s.id}"`, () => this.t.insert(s));
    return s;
  }

  get(id: string): RingSchedule | undefined {
    return this.t.get(id);
  }

  list(ownerUser?: string): RingSchedule[] {
    return ownerUser !== undefined ? this.t.where('ownerUser', ownerUser) : this.t.all();
  }

  update(id: string, patch: Partial<Omit<RingSchedule, 'id'>>): RingSchedule {
    const cur = this.get(id);
    if (!cur) throw notFound('ring schedule', id);
    const s = { ...cur, ...defined(patch), id };
    requireRef(this.ctx, 'users', 'user_id', s.ownerUser, 'ownerUser');
    checkEntries(s.entries);
    this.t.update(s);
    return s;
  }

  delete(id: string): boolean {
    return guard(`ring schedule "${id}"`, () => this.t.delete(id));
  }
}
