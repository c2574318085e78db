/** Admin CRUD for every §17.1 entity: GET list, POST, GET one, PATCH, DELETE under /api/v1/<entity>. */
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { splitExtras, type EntityDef } from '../entities.js';
import type { RouteDeps } from './deps.js';

type Rec = Record<string, unknown>;

const writeResult = (record: z.ZodType = z.object({}).passthrough()) => z.object({ record, warnings: z.array(z.string()) });

/** `?field=value` filters on top-level scalar fields (e.g. /remote-destinations?ownerUser=U1). */
function filterRecords(records: unknown[], query: Record<string, unknown>): unknown[] {
  const filters = Object.entries(query).filter(([, v]) => typeof v === 'string');
  if (filters.length === 0) return records;
  return records.filter((r) => filters.every(([k, v]) => String((r as Rec)[k]) === v));
}

export function registerEntityRoutes(d: RouteDeps): void {
  for (const e of d.svc.entities) registerEntity(d, e);
}

function registerEntity(d: RouteDeps, e: EntityDef): void {
  const { svc, routes } = d;
  const base = `/api/v1/${e.name}`;
  const tag = e.name;
  const getOr404 = (id: string): unknown => {
    const r = e.get(svc.dir, id);
    if (r === undefined) throw new ApiError('not_found', `${e.label} "${id}" not found`);
    return r;
  };

  routes.add({
    method: 'GET',
    url: base,
    summary: `List ${e.label}s (optional ?field=value filters on top-level fields)`,
    tag,
    access: 'admin',
    query: z.record(z.string(), z.string()),
    handler: ({ query }) => filterRecords(e.list(svc.dir), query).map(e.view),
  });

  routes.add({
    method: 'GET',
    url: `${base}/:id`,
    summary: `Get one ${e.label}`,
    tag,
    access: 'admin',
    handler: ({ params }) => e.view(getOr404(params.id!)),
  });

  routes.add<Rec>({
    method: 'POST',
    url: base,
    summary: `Create a ${e.label}`,
    tag,
    access: 'admin',
    body: e.create as z.ZodType<Rec>,
    status: 201,
    response: { description: 'Created: the record and provisioning warnings (CID-05)', schema: writeResult() },
    handler: async ({ body, actor }) => {
      const { data, extras } = splitExtras(e, body);
      const prepared = e.prepareExtras ? await e.prepareExtras(extras) : {};
      const res = svc.write(
        actor,
        { action: 'create', entity: e.name, detail: body },
        () => {
          const r = e.insert(svc.dir, data);
          e.applyExtras?.(svc.ctx, r.record, prepared);
          return r;
        },
        (r) => String((r.record as Rec)[e.key]),
      );
      const fresh = e.get(svc.dir, String((res.record as Rec)[e.key])) ?? res.record;
      return { record: e.view(fresh), warnings: res.warnings };
    },
  });

  routes.add<Rec>({
    method: 'PATCH',
    url: `${base}/:id`,
    summary: `Change fields of a ${e.label} (fields not given keep their value)`,
    tag,
    access: 'admin',
    body: e.patch as z.ZodType<Rec>,
    response: { description: 'The record and provisioning warnings', schema: writeResult() },
    handler: async ({ body, actor, params }) => {
      const id = params.id!;
      getOr404(id);
      const { data, extras } = splitExtras(e, body);
      const prepared = e.prepareExtras ? await e.prepareExtras(extras) : {};
      const res = svc.write(actor, { action: 'update', entity: e.name, entityId: id, detail: body }, () => {
        const r = Object.keys(data).length > 0 || e.name === 'sip-credentials' ? e.update(svc.dir, id, data) : { record: e.get(svc.dir, id), warnings: [] };
        e.applyExtras?.(svc.ctx, r.record, prepared);
        return r;
      });
      return { record: e.view(e.get(svc.dir, id) ?? res.record), warnings: res.warnings };
    },
  });

  routes.add({
    method: 'DELETE',
    url: `${base}/:id`,
    summary: `Delete a ${e.label}`,
    tag,
    access: 'admin',
    status: 204,
    handler: ({ actor, params }) => {
      const id = params.id!;
      getOr404(id);
      svc.write(actor, { action: 'delete', entity: e.name, entityId: id }, () => e.remove(svc.dir, id));
      return undefined;
    },
  });
}
