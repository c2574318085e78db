/**
 * Route definitions: zod-validated params/query/body (400 naming the field), the role check,
 * and an entry in the OpenAPI document, all from one declaration.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from './audit.js';
import { ApiError, fromZod } from './errors.js';
import type { AuthState } from './auth/guard.js';

export type Access = 'public' | 'any' | 'admin';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HandlerArgs<B, Q> {
  req: FastifyRequest;
  reply: FastifyReply;
  /** The authenticated caller (a placeholder "anonymous" actor on public routes). */
  actor: Actor;
  auth: AuthState | undefined;
  params: Record<string, string>;
  query: Q;
  body: B;
}

export interface RouteSpec<B, Q> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  access: Access;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** Success status (default 200). */
  status?: number;
  /** Response description for the document; `schema` optional. */
  response?: { description?: string; schema?: z.ZodType | Record<string, unknown>; contentType?: string };
  /** Request content types other than JSON (import). */
  consumes?: string[];
  handler(a: HandlerArgs<B, Q>): unknown;
}

export interface DocumentedRoute {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  access: Access;
  body?: z.ZodType;
  query?: z.ZodType;
  status: number;
  response?: RouteSpec<unknown, unknown>['response'];
  consumes?: string[];
}

const ANON: Actor = { username: 'anonymous', role: 'user', via: 'none', userId: null };

export class Routes {
  readonly documented: DocumentedRoute[] = [];
  constructor(
    private readonly app: FastifyInstance,
    private readonly authOf: (req: FastifyRequest) => AuthState | undefined,
  ) {}

  add<B = undefined, Q = Record<string, never>>(spec: RouteSpec<B, Q>): void {
    const status = spec.status ?? 200;
    this.documented.push({
      method: spec.method,
      url: spec.url,
      summary: spec.summary,
      tag: spec.tag,
      access: spec.access,
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      status,
      ...(spec.response ? { response: spec.response } : {}),
      ...(spec.consumes ? { consumes: spec.consumes } : {}),
    });
    this.app.route({
      method: spec.method,
      url: spec.url,
      handler: async (req, reply) => {
        const auth = this.authOf(req);
        if (spec.access !== 'public') {
          if (!auth) throw new ApiError('unauthenticated', 'log in first (session cookie) or send Authorization: Bearer <token>');
          if (spec.access === 'admin' && auth.actor.role !== 'admin') throw new ApiError('forbidden', 'administrators only');
        }
        let body: unknown = undefined;
        if (spec.body) {
          const input = req.body ?? {};
          const r = spec.body.safeParse(input);
          if (!r.success) throw fromZod(r.error, input);
          body = r.data;
        }
        let query: unknown = {};
        if (spec.query) {
          const r = spec.query.safeParse(req.query ?? {});
          if (!r.success) throw fromZod(r.error, req.query);
          query = r.data;
        }
        const out = await spec.handler({
          req,
          reply,
          actor: auth?.actor ?? ANON,
          auth,
          params: (req.params ?? {}) as Record<string, string>,
          query: query as Q,
          body: body as B,
        });
        if (reply.sent) return reply;
        reply.code(status);
        if (out === undefined) return reply.send();
        return reply.send(out);
      },
    });
  }
}

/** Query values arrive as strings. */
export const qInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const qBool = () => z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
