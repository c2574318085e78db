/**
 * Bulk provisioning: export (JSON document of every section, or CSV of one entity) and import
 * (JSON, YAML or CSV), in one transaction: an error names the section, row and field and
 * changes nothing. Backup download of the whole database.
 */
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { applyProvisioning, PROVISIONING_SECTIONS } from '../../directory/provision.js';
import { DirectoryError } from '../../directory/errors.js';
import { backupDatabase } from '../backup.js';
import { columnTypes, csvRecords, toCsv } from '../csv.js';
import { ApiError, fromZod, splitFieldMessage } from '../errors.js';
import { qBool } from '../route.js';
import * as S from '../schemas.js';
import type { ProvisioningService } from '../service.js';
import type { RouteDeps } from './deps.js';

type Rec = Record<string, unknown>;

export function exportDocument(svc: ProvisioningService): Rec {
  const doc: Rec = {};
  for (const section of PROVISIONING_SECTIONS) {
    if (section === 'serviceParameters') {
      doc.serviceParameters = svc.dir.serviceParameters.list();
      continue;
    }
    const e = svc.entities.find((x) => x.section === section);
    if (!e?.exportForm) continue;
    doc[section] = e.list(svc.dir).map(e.exportForm);
  }
  return doc;
}

/** Checks every record of a document against its entity schema, naming `section[i].field`. */
export function validateDocument(svc: ProvisioningService, doc: unknown): void {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ApiError('invalid', '(root): a provisioning document must be a mapping of sections');
  for (const [section, list] of Object.entries(doc as Rec)) {
    if (section === 'serviceParameters') {
      if (list === null || typeof list !== 'object' || Array.isArray(list)) throw new ApiError('invalid', 'serviceParameters: must be a mapping', [{ field: 'serviceParameters', message: 'must be a mapping' }]);
      for (const [k, v] of Object.entries(list as Rec)) {
        const s = S.serviceParameterSchema(k);
        if (!s) throw new ApiError('invalid', `serviceParameters.${k}: unknown service parameter`, [{ field: `serviceParameters.${k}`, message: 'unknown service parameter' }]);
        const r = s.safeParse(v);
        if (!r.success) throw fromZod(r.error, v, `serviceParameters.${k}`);
      }
      continue;
    }
    const e = svc.entities.find((x) => x.section === section);
    if (!e) throw new ApiError('invalid', `${section}: unknown section (known: ${PROVISIONING_SECTIONS.join(', ')})`, [{ field: section, message: 'unknown section' }]);
    if (!Array.isArray(list)) throw new ApiError('invalid', `${section}: must be a list`, [{ field: section, message: 'must be a list' }]);
    list.forEach((rec, i) => {
      const r = e.importSchema.safeParse(rec);
      if (!r.success) throw fromZod(r.error, rec, `${section}[${i}]`);
    });
  }
}

class DryRun extends Error {}

export function importDocument(svc: ProvisioningService, doc: Rec, dryRun: boolean): { created: number; updated: number; warnings: string[] } {
  validateDocument(svc, doc);
  try {
    let result: ReturnType<typeof applyProvisioning> | undefined;
    svc.dir.transaction(() => {
      try {
        result = applyProvisioning(svc.dir, doc, 'import');
      } catch (e) {
        throw importError(e);
      }
      if (dryRun) throw new DryRun();
    });
    return result!;
  } catch (e) {
    if (e instanceof DryRun) {
      svc.dir.invalidateCaches();
      return { created: 0, updated: 0, warnings: [] };
    }
    throw e;
  }
}

/** "import: users[3] (U9): enableMobility: ..." → field "users[3].enableMobility". */
function importError(e: unknown): unknown {
  if (e instanceof DirectoryError) {
    const m = /^import: (\w+)(?:\[(\d+)\] \([^)]*\))?: (.*)$/s.exec(e.message);
    if (m) {
      const inner = splitFieldMessage(m[3]!);
      const at = m[2] !== undefined ? `${m[1]}[${m[2]}]` : m[1]!;
      const field = inner ? `${at}.${inner.field}` : at;
      return new ApiError(e.code, e.message, [{ field, message: inner?.message ?? m[3]! }]);
    }
  }
  return e;
}

export function registerBulkRoutes(d: RouteDeps): void {
  const { routes, svc } = d;
  const sectionNames = svc.entities.filter((e) => e.exportForm).map((e) => e.name);

  const exportQuery = z.strictObject({ format: z.enum(['json', 'csv']).optional(), entity: z.enum(sectionNames as [string, ...string[]]).optional() });
  routes.add<undefined, z.infer<typeof exportQuery>>({
    method: 'GET',
    url: '/api/v1/export',
    summary: 'Export the provisioning data: JSON document of every section (format=json), or one entity as CSV (format=csv&entity=users). SIP passwords and PINs are not exported (only hashes are stored); use the backup for a full copy.',
    tag: 'bulk',
    access: 'admin',
    query: exportQuery,
    response: { description: 'application/json or text/csv' },
    handler: ({ query, reply }) => {
      if ((query.format ?? 'json') === 'json') {
        reply.header('content-disposition', 'attachment; filename="provisioning.json"');
        return exportDocument(svc);
      }
      if (!query.entity) throw new ApiError('invalid', 'entity: required with format=csv', [{ field: 'entity', message: 'required with format=csv' }]);
      const e = svc.entity(query.entity)!;
      const cols = [e.key, ...Object.keys(columnTypes(e.importSchema)).filter((c) => c !== e.key)];
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${e.name}.csv"`);
      return toCsv(e.list(svc.dir).map(e.exportForm!), cols);
    },
  });

  const importQuery = z.strictObject({ entity: z.enum(svc.entities.map((e) => e.name) as [string, ...string[]]).optional(), dryRun: qBool().optional() });
  routes.add<undefined, z.infer<typeof importQuery>>({
    method: 'POST',
    url: '/api/v1/import',
    summary:
      'Import a provisioning document (application/json or YAML: sections as in export; records are created or updated by id) or a CSV of one entity (text/csv with ?entity=). All or nothing; dryRun=true validates only.',
    tag: 'bulk',
    access: 'admin',
    query: importQuery,
    consumes: ['application/json', 'application/yaml', 'text/csv'],
    handler: ({ req, query, actor }) => {
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let doc: Rec;
      if (ct === 'text/csv') {
        if (!query.entity) throw new ApiError('invalid', 'entity: required for a CSV import', [{ field: 'entity', message: 'required for a CSV import' }]);
        const e = svc.entity(query.entity)!;
        doc = { [e.section]: csvRecords(String(req.body ?? ''), e.importSchema, e.section) };
      } else if (ct.includes('yaml')) {
        const y = parseDocument(String(req.body ?? ''), { uniqueKeys: true });
        if (y.errors.length) throw new ApiError('invalid', `yaml: ${y.errors[0]!.message.split('\n')[0]}`);
        doc = (y.toJS() ?? {}) as Rec;
      } else if (ct === 'application/json') {
        doc = req.body as Rec;
        if (query.entity && Array.isArray(doc)) doc = { [svc.entity(query.entity)!.section]: doc };
      } else throw new ApiError('unsupported_media_type', `content type ${ct || '(none)'}: send application/json, application/yaml or text/csv`);
      const sections = doc && typeof doc === 'object' ? Object.keys(doc).join(',') : '';
      if (query.dryRun) return { dryRun: true, ...importDocument(svc, doc, true) };
      return svc.write(actor, { action: 'import', entity: 'bulk', entityId: sections }, () => importDocument(svc, doc, false));
    },
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/backup',
    summary: 'Take a consistent backup of the database (provisioning, accounts, audit) and download it; a copy stays in <dataDir>/backups',
    tag: 'bulk',
    access: 'admin',
    response: { description: 'SQLite database file', contentType: 'application/vnd.sqlite3' },
    handler: async ({ reply, actor }) => {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const path = join(d.dataDir ?? tmpdir(), 'backups', `directory-${stamp}.sqlite`);
      await backupDatabase(svc.dir.db, path);
      svc.write(actor, { action: 'backup', entity: 'database', entityId: path }, () => undefined);
      reply.header('content-type', 'application/vnd.sqlite3').header('content-disposition', `attachment; filename="directory-${stamp}.sqlite"`);
      return reply.send(createReadStream(path));
    },
  });
}
