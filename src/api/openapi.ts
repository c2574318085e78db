/** The OpenAPI 3.1 document, generated from the routes' zod schemas. */
import { z } from 'zod';
import type { DocumentedRoute } from './route.js';

function jsonSchema(s: z.ZodType | Record<string, unknown>, io: 'input' | 'output'): Record<string, unknown> {
  if (!(s instanceof z.ZodType)) return s;
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'invalid | not_found | conflict | in_use | unauthenticated | forbidden | csrf | rate_limited | store_unavailable | internal' },
    message: { type: 'string' },
    field: { type: 'string', description: 'key path of the first invalid field' },
    issues: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
  },
};

export function openApiDocument(routes: readonly DocumentedRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const params = [...r.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.query) {
      const qs = jsonSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(qs.properties ?? {})) {
        params.push({ name, in: 'query', required: (qs.required ?? []).includes(name), schema } as never);
      }
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(params.length ? { parameters: params } : {}),
      security: r.access === 'public' ? [] : [{ cookieSession: [] }, { bearerToken: [] }],
      'x-access': r.access,
      responses: {
        [String(r.status)]: {
          description: r.response?.description ?? 'OK',
          ...(r.response?.schema ? { content: { [r.response.contentType ?? 'application/json']: { schema: jsonSchema(r.response.schema, 'output') } } } : {}),
        },
        '400': { description: 'Invalid input: `field` names the offending key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ...(r.access !== 'public'
          ? {
              '401': { description: 'Not authenticated', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
              '403': { description: 'Not allowed for this role, or CSRF check failed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
            }
          : {}),
      },
    };
    if (r.body) {
      const content: Record<string, unknown> = { 'application/json': { schema: jsonSchema(r.body, 'input') } };
      for (const ct of r.consumes ?? []) content[ct] = { schema: { type: 'string' } };
      op.requestBody = { required: true, content };
    } else if (r.consumes) {
      op.requestBody = { required: true, content: Object.fromEntries(r.consumes.map((ct) => [ct, { schema: ct.includes('json') ? { type: 'object' } : { type: 'string' } }])) };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Provisioning and self-care API of the mobility anchor server (spec §17.1 entities, §16 service parameters). ' +
        'Authenticate with POST /api/v1/auth/login (cookie session; unsafe methods then need X-CSRF-Token) or an API token (Authorization: Bearer ma_…).',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      securitySchemes: {
        cookieSession: { type: 'apiKey', in: 'cookie', name: 'ma_session' },
        bearerToken: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}
