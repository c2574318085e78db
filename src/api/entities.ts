/**
 * The provisioning entities of spec §17.1 as the REST API, the CLI, the export/import and the
 * OpenAPI document see them: URL name, key, schemas, and the directory calls behind each verb.
 */
import type { z } from 'zod';
import type { Directory } from '../directory/directory.js';
import type { Device, EndUser, Trunk } from '../directory/types.js';
import * as S from './schemas.js';
import type { AccountStore } from './auth/accounts.js';
import { hashPassword } from './auth/passwords.js';
import { ApiError } from './errors.js';

type Rec = Record<string, unknown>;

export interface WriteResult {
  record: unknown;
  warnings: string[];
}

export interface EntityContext {
  dir: Directory;
  accounts: AccountStore;
  /** Digest realm for device credentials given with a device. */
  sipRealm: string;
}

export interface EntityDef {
  /** URL segment and CLI name, e.g. `remote-destinations`. */
  name: string;
  /** Section of a provisioning document (applyProvisioning). */
  section: string;
  /** For messages, e.g. "remote destination". */
  label: string;
  /** Key property of a record. */
  key: string;
  create: z.ZodType;
  patch: z.ZodType;
  /** Create without the API-only extras (imports). */
  importSchema: z.ZodType;
  /** Fields handled by `extras` rather than the directory. */
  extraKeys: readonly string[];
  list(dir: Directory): unknown[];
  get(dir: Directory, id: string): unknown;
  insert(dir: Directory, input: Rec): WriteResult;
  update(dir: Directory, id: string, patch: Rec): WriteResult;
  remove(dir: Directory, id: string): boolean;
  /** API view of a record (secrets removed). */
  view(rec: unknown): unknown;
  /** Import-compatible form, or undefined for entities that cannot be exported (secrets only). */
  exportForm?(rec: unknown): unknown;
  /** Async preparation of the extras (hashing), before the transaction. */
  prepareExtras?(extras: Rec): Promise<Rec>;
  /** Applies prepared extras inside the write's transaction. */
  applyExtras?(ctx: EntityContext, record: unknown, prepared: Rec): void;
}

const plain = (record: unknown): WriteResult => ({ record, warnings: [] });
const identity = (r: unknown): unknown => r;

function def(d: Omit<EntityDef, 'view' | 'extraKeys' | 'importSchema'> & Partial<Pick<EntityDef, 'view' | 'extraKeys' | 'importSchema'>>): EntityDef {
  return { view: identity, exportForm: identity, extraKeys: [], importSchema: d.create, ...d };
}

function userExport(u: unknown): unknown {
  const { hasPin: _h, ...rest } = u as EndUser;
  return rest;
}

function trunkView(t: unknown): unknown {
  const tr = t as Trunk;
  return { ...tr, auth: tr.auth ? { username: tr.auth.username, realm: tr.auth.realm } : null };
}

function deviceExport(d: unknown): unknown {
  return d as Device;
}

export function entityDefs(): EntityDef[] {
  return [
    def({
      name: 'partitions',
      section: 'partitions',
      label: 'partition',
      key: 'name',
      create: S.partition.create,
      patch: S.partition.patch,
      list: (d) => d.partitions.list(),
      get: (d, id) => d.partitions.get(id),
      insert: (d, r) => plain(d.partitions.create(r as never)),
      update: (d, id, p) => plain(d.partitions.update(id, p as never)),
      remove: (d, id) => d.partitions.delete(id),
    }),
    def({
      name: 'css',
      section: 'css',
      label: 'calling search space',
      key: 'name',
      create: S.css.create,
      patch: S.css.patch,
      list: (d) => d.css.list(),
      get: (d, id) => d.css.get(id),
      insert: (d, r) => plain(d.css.create(r as never)),
      update: (d, id, p) => plain(d.css.update(id, p as never)),
      remove: (d, id) => d.css.delete(id),
    }),
    def({
      name: 'lines',
      section: 'lines',
      label: 'line',
      key: 'id',
      create: S.line.create,
      patch: S.line.patch,
      list: (d) => d.lines.list(),
      get: (d, id) => d.lines.get(id),
      insert: (d, r) => plain(d.lines.create(r as never)),
      update: (d, id, p) => plain(d.lines.update(id, p as never)),
      remove: (d, id) => d.lines.delete(id),
    }),
    def({
      name: 'users',
      section: 'users',
      label: 'user',
      key: 'userId',
      create: S.user.create,
      patch: S.user.patch,
      importSchema: S.directoryCreate(S.user),
      extraKeys: ['webPassword'],
      list: (d) => d.users.list(),
      get: (d, id) => d.users.get(id),
      insert: (d, r) => plain(d.users.create(r as never)),
      update: (d, id, p) => plain(d.users.update(id, p as never)),
      remove: (d, id) => d.users.delete(id),
      exportForm: userExport,
      // A self-care login for the user: account name = userId.
      prepareExtras: async (x) => (typeof x.webPassword === 'string' ? { passwordHash: await hashPassword(x.webPassword) } : {}),
      applyExtras: (ctx, rec, prepared) => {
        if (typeof prepared.passwordHash !== 'string') return;
        const u = rec as EndUser;
        const acc = ctx.accounts.byUserId(u.userId);
        if (acc) ctx.accounts.setPasswordHash(acc.username, prepared.passwordHash);
        else ctx.accounts.create({ username: u.userId, role: 'user', userId: u.userId, passwordHash: prepared.passwordHash });
      },
    }),
    def({
      name: 'devices',
      section: 'devices',
      label: 'device',
      key: 'id',
      create: S.device.create,
      patch: S.device.patch,
      importSchema: S.device.directoryCreate,
      extraKeys: ['sipPassword'],
      list: (d) => d.devices.list(),
      get: (d, id) => d.devices.get(id),
      insert: (d, r) => plain(d.devices.create(r as never)),
      update: (d, id, p) => plain(d.devices.update(id, p as never)),
      remove: (d, id) => d.devices.delete(id),
      exportForm: deviceExport,
      // SIP digest credentials given with the device: username = sipUsername (or the device id).
      prepareExtras: async (x) => x,
      applyExtras: (ctx, rec, prepared) => {
        if (typeof prepared.sipPassword !== 'string') return;
        const dev = rec as Device;
        const username = dev.sipUsername ?? dev.id;
        if (dev.sipUsername === null) ctx.dir.devices.update(dev.id, { sipUsername: username });
        ctx.dir.credentials.set(username, ctx.sipRealm, prepared.sipPassword, dev.id);
      },
    }),
    def({
      name: 'sip-credentials',
      section: 'sipCredentials',
      label: 'SIP credential',
      key: 'username',
      create: S.sipCredential.create,
      patch: S.sipCredential.patch,
      list: (d) => d.credentials.list(),
      get: (d, id) => d.credentials.list().find((c) => c.username === id),
      insert: (d, r) => plain(d.credentials.set(r.username as string, (r.realm as string | undefined) ?? d.domain, r.password as string, (r.deviceId as string | null | undefined) ?? null)),
      update: (d, id, p) => {
        const cur = d.credentials.list().find((c) => c.username === id);
        const realm = (p.realm as string | undefined) ?? cur?.realm ?? d.domain;
        if (typeof p.password !== 'string') {
          throw new ApiError('invalid', 'password: required (only HA1 is stored, so the password must be given again)', [{ field: 'password', message: 'required' }]);
        }
        return plain(d.credentials.set(id, realm, p.password, p.deviceId === undefined ? (cur?.deviceId ?? null) : (p.deviceId as string | null)));
      },
      remove: (d, id) => d.credentials.delete(id),
      // Only HA1 is stored: credentials cannot be exported for re-import.
      exportForm: undefined,
    }),
    def({
      name: 'rd-profiles',
      section: 'rdProfiles',
      label: 'remote destination profile',
      key: 'id',
      create: S.rdProfile.create,
      patch: S.rdProfile.patch,
      list: (d) => d.rdProfiles.list(),
      get: (d, id) => d.rdProfiles.get(id),
      insert: (d, r) => plain(d.rdProfiles.create(r as never)),
      update: (d, id, p) => plain(d.rdProfiles.update(id, p as never)),
      remove: (d, id) => d.rdProfiles.delete(id),
    }),
    def({
      name: 'remote-destinations',
      section: 'remoteDestinations',
      label: 'remote destination',
      key: 'id',
      create: S.remoteDestination.create,
      patch: S.remoteDestination.patch,
      list: (d) => d.remoteDestinations.list(),
      get: (d, id) => d.remoteDestinations.get(id),
      insert: (d, r) => d.remoteDestinations.create(r as never),
      update: (d, id, p) => d.remoteDestinations.update(id, p as never),
      remove: (d, id) => d.remoteDestinations.delete(id),
    }),
    def({
      name: 'access-lists',
      section: 'accessLists',
      label: 'access list',
      key: 'id',
      create: S.accessList.create,
      patch: S.accessList.patch,
      list: (d) => d.accessLists.list(),
      get: (d, id) => d.accessLists.get(id),
      insert: (d, r) => plain(d.accessLists.create(r as never)),
      update: (d, id, p) => plain(d.accessLists.update(id, p as never)),
      remove: (d, id) => d.accessLists.delete(id),
    }),
    def({
      name: 'ring-schedules',
      section: 'ringSchedules',
      label: 'ring schedule',
      key: 'id',
      create: S.ringSchedule.create,
      patch: S.ringSchedule.patch,
      list: (d) => d.ringSchedules.list(),
      get: (d, id) => d.ringSchedules.get(id),
      insert: (d, r) => plain(d.ringSchedules.create(r as never)),
      update: (d, id, p) => plain(d.ringSchedules.update(id, p as never)),
      remove: (d, id) => d.ringSchedules.delete(id),
    }),
    def({
      name: 'mobility-profiles',
      section: 'mobilityProfiles',
      label: 'mobility profile',
      key: 'id',
      create: S.mobilityProfile.create,
      patch: S.mobilityProfile.patch,
      list: (d) => d.mobilityProfiles.list(),
      get: (d, id) => d.mobilityProfiles.get(id),
      insert: (d, r) => plain(d.mobilityProfiles.create(r as never)),
      update: (d, id, p) => plain(d.mobilityProfiles.update(id, p as never)),
      remove: (d, id) => d.mobilityProfiles.delete(id),
    }),
    def({
      name: 'route-patterns',
      section: 'routePatterns',
      label: 'route pattern',
      key: 'id',
      create: S.routePattern.create,
      patch: S.routePattern.patch,
      list: (d) => d.routePatterns.list(),
      get: (d, id) => d.routePatterns.get(id),
      insert: (d, r) => plain(d.routePatterns.create(r as never)),
      update: (d, id, p) => plain(d.routePatterns.update(id, p as never)),
      remove: (d, id) => d.routePatterns.delete(id),
    }),
    def({
      name: 'trunks',
      section: 'trunks',
      label: 'trunk',
      key: 'id',
      create: S.trunk.create,
      patch: S.trunk.patch,
      list: (d) => d.trunks.list(),
      get: (d, id) => d.trunks.get(id),
      insert: (d, r) => plain(d.trunks.create(r as never)),
      update: (d, id, p) => plain(d.trunks.update(id, p as never)),
      remove: (d, id) => d.trunks.delete(id),
      view: trunkView,
    }),
    def({
      name: 'directed-parks',
      section: 'directedParks',
      label: 'directed call park range',
      key: 'id',
      create: S.directedPark.create,
      patch: S.directedPark.patch,
      list: (d) => d.directedParks.list(),
      get: (d, id) => d.directedParks.get(id),
      insert: (d, r) => plain(d.directedParks.create(r as never)),
      update: (d, id, p) => plain(d.directedParks.update(id, p as never)),
      remove: (d, id) => d.directedParks.delete(id),
    }),
  ];
}

export function splitExtras(def: EntityDef, body: Rec): { data: Rec; extras: Rec } {
  const data: Rec = {};
  const extras: Rec = {};
  for (const [k, v] of Object.entries(body)) (def.extraKeys.includes(k) ? extras : data)[k] = v;
  return { data, extras };
}
