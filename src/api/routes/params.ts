/**
 * Service parameters (spec §16 "system" rows, with the spec's defaults and ranges) and the EFA
 * numbers (§17.1 EfaNumber, stored as the `efaNumbers` parameter).
 */
import { z } from 'zod';
import { defaultConfig } from '../../config/load.js';
import { resolveMobilityParameters } from '../../config/service-parameters.js';
import { unescapeDialable } from '../../config/dialable.js';
import type { EfaNumberConfig } from '../../config/mobility-schema.js';
import { ApiError, fromZod } from '../errors.js';
import * as S from '../schemas.js';
import type { RouteDeps } from './deps.js';

type Rec = Record<string, unknown>;

export function registerParameterRoutes(d: RouteDeps): void {
  const { routes, svc } = d;
  const dir = svc.dir;
  const specDefaults = (): Rec => resolveMobilityParameters(defaultConfig().mobility, {}, dir.domain) as unknown as Rec;

  const describe = () => {
    const effective = dir.mobilityParameters() as unknown as Rec;
    const overrides = dir.serviceParameters.list();
    const defaults = specDefaults();
    return {
      effective,
      overrides,
      parameters: S.serviceParameterKeys().map((key) => {
        const schema = S.serviceParameterSchema(key)!;
        const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Rec;
        delete js.$schema;
        return { key, value: effective[key], default: defaults[key], overridden: key in overrides, schema: js };
      }),
    };
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/service-parameters',
    summary: 'Service parameters: effective values, overrides, spec defaults and ranges (JSON Schema per key)',
    tag: 'service-parameters',
    access: 'admin',
    handler: () => describe(),
  });

  routes.add<Rec>({
    method: 'PATCH',
    url: '/api/v1/service-parameters',
    summary: 'Set service parameters (validated together with the current values; effective for the next call)',
    tag: 'service-parameters',
    access: 'admin',
    body: z.record(z.string(), z.unknown()),
    handler: ({ body, actor }) => {
      const values: Rec = {};
      const issues: { field: string; message: string }[] = [];
      for (const [k, v] of Object.entries(body)) {
        const schema = S.serviceParameterSchema(k);
        if (!schema) {
          issues.push({ field: k, message: 'unknown service parameter' });
          continue;
        }
        const r = schema.safeParse(v);
        if (!r.success) issues.push(...fromZod(r.error, v, k).issues);
        // Store what was given (not the parsed value with defaults filled in), like the YAML does.
        else values[k] = v;
      }
      if (issues.length) throw new ApiError('invalid', `${issues[0]!.field}: ${issues[0]!.message}`, issues);
      if (Object.keys(values).length === 0) throw new ApiError('invalid', 'no parameters given');
      svc.write(actor, { action: 'update', entity: 'service-parameters', entityId: Object.keys(values).join(','), detail: values }, () => dir.serviceParameters.setMany(values));
      return describe();
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/service-parameters/:key',
    summary: 'Reset a service parameter to the configured / spec default',
    tag: 'service-parameters',
    access: 'admin',
    status: 204,
    handler: ({ params, actor }) => {
      const key = params.key!;
      if (!S.serviceParameterSchema(key)) throw new ApiError('not_found', `unknown service parameter "${key}"`);
      svc.write(actor, { action: 'reset', entity: 'service-parameters', entityId: key }, () => dir.serviceParameters.delete(key));
      return undefined;
    },
  });

  // ---- EFA numbers --------------------------------------------------------------------------

  const efaList = (): EfaNumberConfig[] => dir.mobilityParameters().efaNumbers;
  const indexOf = (list: EfaNumberConfig[], number: string): number => {
    const i = list.findIndex((e) => e.number === number || unescapeDialable(e.number) === unescapeDialable(number));
    if (i < 0) throw new ApiError('not_found', `EFA number "${number}" not found`);
    return i;
  };
  const save = (actor: Parameters<typeof svc.write>[0], action: string, id: string, detail: unknown, list: EfaNumberConfig[]) =>
    svc.write(actor, { action, entity: 'efa-numbers', entityId: id, detail }, () => dir.serviceParameters.setMany({ efaNumbers: list }));
  const onlyDefault = (list: EfaNumberConfig[], keep: number): EfaNumberConfig[] => list.map((e, i) => ({ ...e, isDefault: i === keep }));

  routes.add({
    method: 'GET',
    url: '/api/v1/efa-numbers',
    summary: 'List EFA numbers (the first-class form of the efaNumbers service parameter)',
    tag: 'efa-numbers',
    access: 'admin',
    handler: () => efaList(),
  });

  routes.add<EfaNumberConfig>({
    method: 'POST',
    url: '/api/v1/efa-numbers',
    summary: 'Add an EFA number (≤ 24 dialable characters, "+" written "\\+"; with a partition; isDefault moves the default)',
    tag: 'efa-numbers',
    access: 'admin',
    body: S.efaNumber.create as z.ZodType<EfaNumberConfig>,
    status: 201,
    handler: ({ body, actor }) => {
      let list = [...efaList(), body];
      if (body.isDefault) list = onlyDefault(list, list.length - 1);
      save(actor, 'create', body.number, body, list);
      return body;
    },
  });

  routes.add<Partial<EfaNumberConfig>>({
    method: 'PATCH',
    url: '/api/v1/efa-numbers/:number',
    summary: 'Change an EFA number (path: the number, "+" or "\\+" form)',
    tag: 'efa-numbers',
    access: 'admin',
    body: S.efaNumber.patch as z.ZodType<Partial<EfaNumberConfig>>,
    handler: ({ body, actor, params }) => {
      let list = [...efaList()];
      const i = indexOf(list, params.number!);
      list[i] = { ...list[i]!, ...body };
      if (body.isDefault) list = onlyDefault(list, i);
      save(actor, 'update', params.number!, body, list);
      return list[i];
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/efa-numbers/:number',
    summary: 'Remove an EFA number',
    tag: 'efa-numbers',
    access: 'admin',
    status: 204,
    handler: ({ actor, params }) => {
      let list = [...efaList()];
      const i = indexOf(list, params.number!);
      const wasDefault = list[i]!.isDefault;
      list.splice(i, 1);
      if (wasDefault && list.length > 1) list = onlyDefault(list, 0);
      save(actor, 'delete', params.number!, undefined, list);
      return undefined;
    },
  });
}
