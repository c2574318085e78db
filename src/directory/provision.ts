/**
 * Applying a provisioning document (YAML/JSON: see config/example-trunk.yaml) to the directory.
 * Every record is created, or updated if one with the same id already exists, so applying the
 * same file again changes nothing. Runs in one transaction: an error leaves the directory as it
 * was and names the section and entry. Plaintext passwords/PINs in the file are hashed on the way in.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { Directory } from './directory.js';
import { DirectoryError } from './errors.js';

export const PROVISIONING_SECTIONS = [
  'partitions',
  'css',
  'trunks',
  'lines',
  'routePatterns',
  'serviceParameters',
  'users',
  'mobilityProfiles',
  'ringSchedules',
  'devices',
  'sipCredentials',
  'rdProfiles',
  'accessLists',
  'remoteDestinations',
  'directedParks',
] as const;

type Rec = Record<string, unknown>;

export interface ProvisioningResult {
  created: number;
  updated: number;
  /** CID-05 warnings from remote destinations. */
  warnings: string[];
}

function without<T extends Rec>(r: T, ...keys: string[]): Rec {
  const out: Rec = { ...r };
  for (const k of keys) delete out[k];
  return out;
}

export function applyProvisioning(dir: Directory, doc: unknown, source = 'provisioning'): ProvisioningResult {
  if (doc === null || doc === undefined) return { created: 0, updated: 0, warnings: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new DirectoryError('invalid', `${source}: the top level must be a mapping`);
  const d = doc as Rec;
  for (const k of Object.keys(d)) {
    if (!(PROVISIONING_SECTIONS as readonly string[]).includes(k)) throw new DirectoryError('invalid', `${source}: ${k}: unknown section`);
  }
  const res: ProvisioningResult = { created: 0, updated: 0, warnings: [] };
  const upsert = (exists: boolean, create: () => void, update: () => void) => {
    if (exists) {
      update();
      res.updated++;
    } else {
      create();
      res.created++;
    }
  };
  const each = (section: (typeof PROVISIONING_SECTIONS)[number], key: string, fn: (r: Rec, id: string) => void) => {
    const list = d[section];
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new DirectoryError('invalid', `${source}: ${section}: must be a list`);
    list.forEach((r: unknown, i) => {
      const at = `${source}: ${section}[${i}]`;
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new DirectoryError('invalid', `${at}: must be a mapping`);
      const id = (r as Rec)[key];
      if (typeof id !== 'string' || id === '') throw new DirectoryError('invalid', `${at}: ${key}: required`);
      try {
        fn(r as Rec, id);
      } catch (e) {
        if (e instanceof DirectoryError) throw new DirectoryError(e.code, `${at} (${id}): ${e.message}`);
        throw e;
      }
    });
  };

  dir.transaction(() => {
    each('partitions', 'name', (r, id) =>
      upsert(!!dir.partitions.get(id), () => dir.partitions.create(r as never), () => dir.partitions.update(id, without(r, 'name'))),
    );
    each('css', 'name', (r, id) => upsert(!!dir.css.get(id), () => dir.css.create(r as never), () => dir.css.update(id, without(r, 'name'))));
    each('trunks', 'id', (r, id) => upsert(!!dir.trunks.get(id), () => dir.trunks.create(r as never), () => dir.trunks.update(id, without(r, 'id'))));
    each('lines', 'id', (r, id) => upsert(!!dir.lines.get(id), () => dir.lines.create(r as never), () => dir.lines.update(id, without(r, 'id'))));
    each('routePatterns', 'id', (r, id) =>
      upsert(!!dir.routePatterns.get(id), () => dir.routePatterns.create(r as never), () => dir.routePatterns.update(id, without(r, 'id'))),
    );
    if (d.serviceParameters !== undefined) {
      const sp = d.serviceParameters;
      if (sp === null || typeof sp !== 'object' || Array.isArray(sp)) throw new DirectoryError('invalid', `${source}: serviceParameters: must be a mapping`);
      try {
        dir.serviceParameters.setMany(sp as Rec);
      } catch (e) {
        if (e instanceof DirectoryError) throw new DirectoryError(e.code, `${source}: serviceParameters: ${e.message}`);
        throw e;
      }
    }
    each('users', 'userId', (r, id) => upsert(!!dir.users.get(id), () => dir.users.create(r as never), () => dir.users.update(id, without(r, 'userId'))));
    each('mobilityProfiles', 'id', (r, id) =>
      upsert(!!dir.mobilityProfiles.get(id), () => dir.mobilityProfiles.create(r as never), () => dir.mobilityProfiles.update(id, without(r, 'id'))),
    );
    each('ringSchedules', 'id', (r, id) =>
      upsert(!!dir.ringSchedules.get(id), () => dir.ringSchedules.create(r as never), () => dir.ringSchedules.update(id, without(r, 'id'))),
    );
    each('devices', 'id', (r, id) => upsert(!!dir.devices.get(id), () => dir.devices.create(r as never), () => dir.devices.update(id, without(r, 'id', 'kind'))));
    each('sipCredentials', 'username', (r) => {
      const realm = typeof r.realm === 'string' ? r.realm : dir.domain;
      const existed = !!dir.credentials.get(r.username as string, realm);
      dir.credentials.set(r.username as string, realm, String(r.password ?? ''), (r.deviceId as string | undefined) ?? null);
      if (existed) res.updated++;
      else res.created++;
    });
    each('rdProfiles', 'id', (r, id) =>
      upsert(!!dir.rdProfiles.get(id), () => dir.rdProfiles.create(r as never), () => dir.rdProfiles.update(id, without(r, 'id', 'ownerUser'))),
    );
    each('accessLists', 'id', (r, id) =>
      upsert(!!dir.accessLists.get(id), () => dir.accessLists.create(r as never), () => dir.accessLists.update(id, without(r, 'id'))),
    );
    each('remoteDestinations', 'id', (r, id) =>
      upsert(
        !!dir.remoteDestinations.get(id),
        () => res.warnings.push(...dir.remoteDestinations.create(r as never).warnings.map((w) => `${id}: ${w}`)),
        () => res.warnings.push(...dir.remoteDestinations.update(id, without(r, 'id', 'parent', 'ownerUser')).warnings.map((w) => `${id}: ${w}`)),
      ),
    );
    each('directedParks', 'id', (r, id) =>
      upsert(!!dir.directedParks.get(id), () => dir.directedParks.create(r as never), () => dir.directedParks.update(id, without(r, 'id'))),
    );
  });
  return res;
}

export function applyProvisioningFile(dir: Directory, path: string): ProvisioningResult {
  const doc = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length) throw new DirectoryError('invalid', `${path}: YAML ${doc.errors[0]!.message.split('\n')[0]}`);
  return applyProvisioning(dir, doc.toJS(), path);
}
