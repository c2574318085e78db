/**
 * Remote destinations and mobility identities (spec §17.1) with the provisioning rules:
 * unique number and CID-05 warnings, never a DN of this server, at most 10 per user (SNR-03),
 * MI only under a mobile-client device with a cellular radio, one MI per device, mobility
 * profile only on an MI, D-26 one DVO-enabled client with an MI per user.
 */
import { randomUUID } from 'node:crypto';
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { DirectoryError, guard, invalid, notFound } from '../errors.js';
import { checkInt, checkNonEmpty, checkOneOf, defined, requireRef } from '../validate.js';
import { checkRemoteDestinationNumber, normaliseNumber, type MatchOptions } from '../caller-id-match.js';
import type { AccessPolicy, ProvisionResult, RdParent, RemoteDestination, SnrVoicemailPolicy } from '../types.js';
import type { DeviceRepo } from './devices.js';

export const MAX_RDS_PER_USER = 10;

interface RdRow {
  id: string;
  name: string;
  number: string;
  numberNorm: string;
  isMobilityIdentity: boolean;
  rdProfileId: string | null;
  deviceId: string | null;
  mobilityProfile: string | null;
  ownerUser: string;
  enableSnr: boolean;
  mobilePhone: boolean;
  delayBeforeRingingMs: number;
  answerTooSoonMs: number;
  answerTooLateMs: number;
  snrVoicemailPolicy: SnrVoicemailPolicy;
  ringSchedule: string | null;
  accessPolicy: 'always' | 'allowedList' | 'blockedList';
  accessList: string | null;
}

export type NewRemoteDestination = Pick<RemoteDestination, 'number' | 'parent'> & Partial<Omit<RemoteDestination, 'number' | 'parent'>>;
export type RemoteDestinationPatch = Partial<Omit<RemoteDestination, 'id' | 'parent' | 'ownerUser'>>;

function toRd(r: RdRow): RemoteDestination {
  const parent: RdParent = r.deviceId !== null ? { kind: 'mobileClient', id: r.deviceId } : { kind: 'rdProfile', id: r.rdProfileId! };
  const accessPolicy: AccessPolicy =
    r.accessPolicy === 'allowedList' ? { allowedList: r.accessList! } : r.accessPolicy === 'blockedList' ? { blockedList: r.accessList! } : 'always';
  return {
    id: r.id,
    name: r.name,
    number: r.number,
    isMobilityIdentity: r.isMobilityIdentity,
    parent,
    mobilityProfile: r.mobilityProfile,
    ownerUser: r.ownerUser,
    enableSnr: r.enableSnr,
    mobilePhone: r.mobilePhone,
    delayBeforeRingingMs: r.delayBeforeRingingMs,
    answerTooSoonMs: r.answerTooSoonMs,
    answerTooLateMs: r.answerTooLateMs,
    snrVoicemailPolicy: r.snrVoicemailPolicy,
    ringSchedule: r.ringSchedule,
    accessPolicy,
  };
}

/** The stored uniqueness key: the complete-match form, or the trimmed URI for off-net RDs. */
function numberKey(number: string): string {
  return normaliseNumber(number) ?? number.trim().toLowerCase();
}

export class RemoteDestinationRepo {
  private readonly t: Table<RdRow>;
  constructor(
    private readonly ctx: DirectoryContext,
    private readonly devices: DeviceRepo,
  ) {
    this.t = new Table<RdRow>(ctx.db, 'remote_destinations', ['id'], {
      id: 'text',
      name: 'text',
      number: 'text',
      numberNorm: 'text',
      isMobilityIdentity: 'bool',
      rdProfileId: 'text',
      deviceId: 'text',
      mobilityProfile: 'text',
      ownerUser: 'text',
      enableSnr: 'bool',
      mobilePhone: 'bool',
      delayBeforeRingingMs: 'int',
      answerTooSoonMs: 'int',
      answerTooLateMs: 'int',
      snrVoicemailPolicy: 'text',
      ringSchedule: 'text',
      accessPolicy: 'text',
      accessList: 'text',
    });
  }

  private matchOptions(): MatchOptions {
    const m = this.ctx.mobility();
    return { mode: m.matchCallerIdWithRemoteDestination, digits: m.callerIdPartialMatchDigits };
  }

  private ownerOfParent(parent: RdParent): string {
    if (parent.kind === 'rdProfile') {
      const r = this.ctx.stmt('SELECT owner_user FROM rd_profiles WHERE id = ?').get(parent.id) as { owner_user: string } | undefined;
      if (!r) throw invalid(`parent: rd profile "${parent.id}" does not exist`);
      return r.owner_user;
    }
    if (parent.kind !== 'mobileClient') throw invalid('parent.kind: must be rdProfile or mobileClient');
    const d = this.devices.get(parent.id);
    if (!d || d.kind !== 'mobileClient') throw invalid(`parent: mobile client device "${parent.id}" does not exist`);
    if (!d.ownerUser) throw invalid(`parent: device "${parent.id}" has no owner user`);
    return d.ownerUser;
  }

  /** Validates `rd` (with `existingId` excluded from uniqueness checks); returns CID-05 warnings. */
  private check(rd: RemoteDestination, existingId: string | null): string[] {
    checkNonEmpty('id', rd.id);
    checkNonEmpty('number', rd.number);
    const owner = this.ownerOfParent(rd.parent);
    if (rd.ownerUser !== owner) throw invalid(`ownerUser: must be the parent's owner "${owner}"`);
    const user = this.ctx.stmt('SELECT enable_mobility FROM users WHERE user_id = ?').get(owner) as { enable_mobility: number } | undefined;
    if (!user) throw invalid(`ownerUser: "${owner}" does not exist`);
    if (!user.enable_mobility) throw invalid(`ownerUser: user "${owner}" does not have enableMobility`);
    for (const f of ['delayBeforeRingingMs', 'answerTooSoonMs', 'answerTooLateMs'] as const) checkInt(f, rd[f], 0, 60000);
    checkOneOf('snrVoicemailPolicy', rd.snrVoicemailPolicy, ['useSystemDefault', 'timerControl', 'userControl'] as const);
    requireRef(this.ctx, 'ring_schedules', 'id', rd.ringSchedule, 'ringSchedule');
    requireRef(this.ctx, 'mobility_profiles', 'id', rd.mobilityProfile, 'mobilityProfile');
    if (rd.mobilityProfile !== null && !rd.isMobilityIdentity) throw invalid('mobilityProfile: allowed only on a mobility identity');
    if (rd.accessPolicy !== 'always') {
      const [type, listId] = 'allowedList' in rd.accessPolicy ? ['allowed', rd.accessPolicy.allowedList] : ['blocked', rd.accessPolicy.blockedList];
      const l = this.ctx.stmt('SELECT type, owner_user FROM access_lists WHERE id = ?').get(listId) as { type: string; owner_user: string } | undefined;
      if (!l) throw invalid(`accessPolicy: access list "${listId}" does not exist`);
      if (l.type !== type) throw invalid(`accessPolicy: access list "${listId}" is of type ${l.type}, not ${type}`);
      if (l.owner_user !== owner) throw invalid(`accessPolicy: access list "${listId}" belongs to another user`);
    }
    if (rd.isMobilityIdentity) {
      if (rd.parent.kind !== 'mobileClient') throw invalid('parent: a mobility identity must belong to a mobile client device');
      const d = this.devices.get(rd.parent.id);
      if (d?.kind === 'mobileClient') {
        if (!d.hasCellularRadio) throw invalid(`parent: device "${d.id}" has no cellular radio (DM-01)`);
        if (d.dvoEnabled) this.devices.checkOneActiveClient(d.id, owner);
      }
      const otherMi = this.ctx
        .stmt('SELECT id FROM remote_destinations WHERE device_id = ? AND is_mobility_identity = 1 AND id <> ?')
        .get(rd.parent.id, existingId ?? '') as { id: string } | undefined;
      if (otherMi) throw invalid(`parent: device "${rd.parent.id}" already has mobility identity "${otherMi.id}"`);
    }
    const count = (this.ctx.stmt('SELECT COUNT(*) AS n FROM remote_destinations WHERE owner_user = ? AND id <> ?').get(owner, existingId ?? '') as { n: number }).n;
    if (count >= MAX_RDS_PER_USER) throw invalid(`user "${owner}" already has ${MAX_RDS_PER_USER} remote destinations (SNR-03)`);

    // Never a DN of this server (S1:1395).
    const key = numberKey(rd.number);
    const dn = this.ctx.stmt('SELECT id, number FROM lines WHERE number = ? OR did = ? LIMIT 1').get(key, key) as { id: string; number: string } | undefined;
    if (dn) throw invalid(`number: ${rd.number} is a directory number of this server (line ${dn.number})`);
    const digits = key.replace(/\+/g, '');
    const mvaUser = this.ctx.stmt('SELECT user_id FROM users WHERE mva_numeric_id = ?').get(digits) as { user_id: string } | undefined;
    if (mvaUser) throw invalid(`number: its digits equal the MVA numeric ID of user "${mvaUser.user_id}" (D-47)`);

    const others = this.ctx.stmt('SELECT id, number FROM remote_destinations WHERE id <> ?').all(existingId ?? '') as { id: string; number: string }[];
    const res = checkRemoteDestinationNumber(rd.number, others, this.matchOptions());
    if (res.errors.length) {
      const dup = res.errors.some((e) => e.includes('already exists'));
      throw new DirectoryError(dup ? 'conflict' : 'invalid', `number: ${res.errors.join('; ')}`);
    }
    return res.warnings;
  }

  private toRow(rd: RemoteDestination): RdRow {
    const ap = rd.accessPolicy;
    return {
      id: rd.id,
      name: rd.name,
      number: rd.number,
      numberNorm: numberKey(rd.number),
      isMobilityIdentity: rd.isMobilityIdentity,
      rdProfileId: rd.parent.kind === 'rdProfile' ? rd.parent.id : null,
      deviceId: rd.parent.kind === 'mobileClient' ? rd.parent.id : null,
      mobilityProfile: rd.mobilityProfile,
      ownerUser: rd.ownerUser,
      enableSnr: rd.enableSnr,
      mobilePhone: rd.mobilePhone,
      delayBeforeRingingMs: rd.delayBeforeRingingMs,
      answerTooSoonMs: rd.answerTooSoonMs,
      answerTooLateMs: rd.answerTooLateMs,
      snrVoicemailPolicy: rd.snrVoicemailPolicy,
      ringSchedule: rd.ringSchedule,
      accessPolicy: ap === 'always' ? 'always' : 'allowedList' in ap ? 'allowedList' : 'blockedList',
      accessList: ap === 'always' ? null : 'allowedList' in ap ? ap.allowedList : ap.blockedList,
    };
  }

  create(input: NewRemoteDestination): ProvisionResult<RemoteDestination> {
    const m = this.ctx.mobility();
    const rd: RemoteDestination = {
      id: input.id ?? randomUUID(),
      name: input.name ?? '',
      number: input.number.trim(),
      isMobilityIdentity: input.isMobilityIdentity ?? false,
      parent: input.parent,
      mobilityProfile: input.mobilityProfile ?? null,
      ownerUser: input.ownerUser ?? this.ownerOfParent(input.parent),
      enableSnr: input.enableSnr ?? true,
      mobilePhone: input.mobilePhone ?? false,
      delayBeforeRingingMs: input.delayBeforeRingingMs ?? m.delayBeforeRingingMs,
      answerTooSoonMs: input.answerTooSoonMs ?? m.answerTooSoonMs,
      answerTooLateMs: input.answerTooLateMs ?? m.answerTooLateMs,
      snrVoicemailPolicy: input.snrVoicemailPolicy ?? m.snrVoicemailPolicy,
      ringSchedule: input.ringSchedule ?? null,
      accessPolicy: input.accessPolicy ?? 'always',
    };
    const warnings = this.ctx.tx(() => {
      const w = this.check(rd, null);
      guard(`remote destination ${rd.number}`, () => this.t.insert(this.toRow(rd)));
      return w;
    });
    this.ctx.changed('remoteDestinations');
    return { record: rd, warnings };
  }

  get(id: string): RemoteDestination | undefined {
    const r = this.t.get(id);
    return r ? toRd(r) : undefined;
  }

  /** RDs and MIs of a user (spec "list RDs of a user"). */
  listByUser(userId: string): RemoteDestination[] {
    return this.t.where('ownerUser', userId).map(toRd);
  }

  list(): RemoteDestination[] {
    return this.t.all().map(toRd);
  }

  /** The MI of a mobile-client device, if any. */
  mobilityIdentityOf(deviceId: string): RemoteDestination | undefined {
    const row = this.ctx.stmt('SELECT * FROM remote_destinations WHERE device_id = ? AND is_mobility_identity = 1').get(deviceId) as
      | Record<string, unknown>
      | undefined;
    return row ? toRd(this.t.fromRow(row)) : undefined;
  }

  /** Exact stored-number lookup (complete-match form), independent of the matching mode. */
  findByStoredNumber(number: string): RemoteDestination | undefined {
    const r = this.t.one('numberNorm', numberKey(number));
    return r ? toRd(r) : undefined;
  }

  update(id: string, patch: RemoteDestinationPatch): ProvisionResult<RemoteDestination> {
    const cur = this.get(id);
    if (!cur) throw notFound('remote destination', id);
    const rd: RemoteDestination = { ...cur, ...defined(patch), id, parent: cur.parent, ownerUser: cur.ownerUser };
    if (patch.number !== undefined) rd.number = patch.number.trim();
    const warnings = this.ctx.tx(() => {
      const w = this.check(rd, id);
      guard(`remote destination ${rd.number}`, () => this.t.update(this.toRow(rd)));
      return w;
    });
    this.ctx.changed('remoteDestinations');
    return { record: rd, warnings };
  }

  delete(id: string): boolean {
    const ok = guard(`remote destination "${id}"`, () => this.t.delete(id));
    if (ok) this.ctx.changed('remoteDestinations');
    return ok;
  }
}
