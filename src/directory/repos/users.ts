/** End users, spec §17.1 EndUser. PINs are stored hashed (secrets.ts). */
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { guard, invalid, notFound } from '../errors.js';
import { checkInt, checkNonEmpty, defined, requireRef } from '../validate.js';
import { hashPin, isValidPin, verifyPinHash } from '../secrets.js';
import type { EndUser } from '../types.js';

interface UserRow extends Omit<EndUser, 'hasPin'> {
  pinHash: string | null;
}

export type NewEndUser = Pick<EndUser, 'userId'> & Partial<Omit<EndUser, 'hasPin'>> & { pin?: string | null };
export type EndUserPatch = Partial<Omit<EndUser, 'userId' | 'hasPin'>> & { pin?: string | null };

function toUser(r: UserRow): EndUser {
  const { pinHash, ...rest } = r;
  return { ...rest, hasPin: pinHash !== null };
}

export class UserRepo {
  private readonly t: Table<UserRow>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<UserRow>(ctx.db, 'users', ['userId'], {
      userId: 'text',
      displayName: 'text',
      mvaNumericId: 'text',
      pinHash: 'text',
      enableMobility: 'bool',
      enableMobileVoiceAccess: 'bool',
      maxWaitTimeForDeskPickupMs: 'int',
      primaryLine: 'text',
      timeZone: 'text',
    });
  }

  private check(r: UserRow): void {
    checkNonEmpty('userId', r.userId);
    if (r.mvaNumericId !== null && !/^[0-9]{1,32}$/.test(r.mvaNumericId)) throw invalid(`mvaNumericId: must be digits (got "${r.mvaNumericId}")`);
    if (r.mvaNumericId !== null) {
      // D-47: an MVA entry is looked up as a user ID first, then as an RD number; keep them apart.
      const rd = this.ctx.stmt("SELECT id FROM remote_destinations WHERE replace(number_norm, '+', '') = ? LIMIT 1").get(r.mvaNumericId) as
        | { id: string }
        | undefined;
      if (rd) throw invalid(`mvaNumericId: equals the digits of remote destination "${rd.id}" (D-47)`);
    }
    checkInt('maxWaitTimeForDeskPickupMs', r.maxWaitTimeForDeskPickupMs, 0, 30000);
    requireRef(this.ctx, 'lines', 'id', r.primaryLine, 'primaryLine');
    if (!isValidTimeZone(r.timeZone)) throw invalid(`timeZone: unknown time zone "${r.timeZone}"`);
  }

  private pinHashOf(pin: string | null | undefined, current: string | null): string | null {
    if (pin === undefined) return current;
    if (pin === null) return null;
    if (!isValidPin(pin)) throw invalid('pin: must be 1 to 32 digits');
    return hashPin(pin);
  }

  create(input: NewEndUser): EndUser {
    const row: UserRow = {
      userId: input.userId,
      displayName: input.displayName ?? '',
      mvaNumericId: input.mvaNumericId ?? null,
      pinHash: this.pinHashOf(input.pin, null),
      enableMobility: input.enableMobility ?? false,
      enableMobileVoiceAccess: input.enableMobileVoiceAccess ?? false,
      maxWaitTimeForDeskPickupMs: input.maxWaitTimeForDeskPickupMs ?? this.ctx.mobility().maxWaitTimeForDeskPickupMs,
      primaryLine: input.primaryLine ?? null,
      timeZone: input.timeZone ?? 'UTC',
    };
    this.check(row);
    guard(`user "${row.userId}"`, () => this.t.insert(row));
    return toUser(row);
  }

  get(userId: string): EndUser | undefined {
    const r = this.t.get(userId);
    return r ? toUser(r) : undefined;
  }

  findByMvaId(mvaNumericId: string): EndUser | undefined {
    const r = this.t.one('mvaNumericId', mvaNumericId);
    return r ? toUser(r) : undefined;
  }

  list(): EndUser[] {
    return this.t.all().map(toUser);
  }

  update(userId: string, patch: EndUserPatch): EndUser {
    const cur = this.t.get(userId);
    if (!cur) throw notFound('user', userId);
    const { pin, ...rest } = patch;
    const row: UserRow = { ...cur, ...defined(rest), userId, pinHash: this.pinHashOf(pin, cur.pinHash) };
    this.check(row);
    if (cur.enableMobility && !row.enableMobility && this.ctx.exists('remote_destinations', 'owner_user', userId)) {
      throw invalid('enableMobility: the user still owns remote destinations or a mobility identity');
    }
    guard(`user "${userId}"`, () => this.t.update(row));
    this.ctx.changed('remoteDestinations');
    return toUser(row);
  }

  delete(userId: string): boolean {
    const ok = guard(`user "${userId}"`, () => this.t.delete(userId));
    if (ok) this.ctx.changed('remoteDestinations');
    return ok;
  }

  /** Compares with the stored hash (false if the user has no PIN). MVA-11 lockout is the caller's job. */
  async verifyPin(userId: string, pin: string): Promise<boolean> {
    const r = this.t.get(userId);
    if (!r || r.pinHash === null) return false;
    return verifyPinHash(pin, r.pinHash);
  }
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
