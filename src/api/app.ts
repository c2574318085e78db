/**
 * The HTTP application: /healthz, /metrics, the REST API under /api/v1 (with its OpenAPI
 * document at /api/v1/openapi.json) and the web pages under /ui. `createHttpApp` builds it
 * without listening (tests use inject; the CLI runs it in-process).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Directory } from '../directory/directory.js';
import { runMigrations } from '../directory/migrate.js';
import type { Metrics } from './metrics.js';
import { AccountStore } from './auth/accounts.js';
import { LoginThrottle, authenticate, type AuthState } from './auth/guard.js';
import { hashPassword, passwordProblem } from './auth/passwords.js';
import type { Actor } from './audit.js';
import { ApiError, toApiError } from './errors.js';
import type { CallFeatureLookup, LiveCall } from './live-calls.js';
import { API_COMPONENT, API_MIGRATIONS } from './migrations.js';
import { openApiDocument } from './openapi.js';
import { Routes } from './route.js';
import { ProvisioningService } from './service.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerBulkRoutes } from './routes/bulk.js';
import { registerCallRoutes } from './routes/calls.js';
import { registerEntityRoutes } from './routes/entities.js';
import { registerPages, defaultWebRoot } from './routes/pages.js';
import { registerParameterRoutes } from './routes/params.js';
import { registerSelfCareRoutes } from './routes/self-care.js';

export interface HttpAppOptions {
  metrics?: Metrics;
  health?: () => { ok: boolean; [k: string]: unknown };
  /** The provisioning directory; without it only /healthz and /metrics are served. */
  directory?: Directory;
  /** The server's live calls (`server.calls`). */
  calls?: ReadonlyMap<string, LiveCall>;
  /** Live calls features run outside `calls` (conferences, MID-08), listed with them. */
  otherCalls?: () => Iterable<LiveCall>;
  /** The feature that created a live call (anchored-call origin), shown in the live calls view. */
  callFeature?: CallFeatureLookup;
  /** Recent call records (GEN-07), most recent first: GET /api/v1/call-records. */
  callRecords?: (limit: number) => readonly object[];
  /** Data directory (HTTP backups go to <dataDir>/backups). */
  dataDir?: string;
  /** Digest realm for device credentials created with a device. Default: the directory's domain. */
  sipRealm?: string;
  log?: Logger;
  /** Bootstrap: MA_ADMIN_USER / MA_ADMIN_PASSWORD create the first administrator if it does not exist. */
  env?: Record<string, string | undefined>;
  /** CLI only (never on a listening server): requests without credentials act as this actor. */
  localActor?: Actor;
  /** Static pages folder (default: web/ of the repository). */
  webRoot?: string;
  sessionTtlS?: number;
  loginLockout?: { threshold: number; windowMs: number; durationMs: number };
  callsStreamIntervalMs?: number;
}

export interface HttpApp {
  app: FastifyInstance;
  /** Present when a directory was given. */
  api?: { service: ProvisioningService; accounts: AccountStore };
}

const VERSION = '1.0.0';

export async function createHttpApp(o: HttpAppOptions): Promise<HttpApp> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  const log = o.log ?? pino({ level: 'silent' });

  app.get('/healthz', async (_req, reply) => {
    const h = o.health?.() ?? { ok: true };
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  if (o.metrics) {
    const metrics = o.metrics;
    app.get('/metrics', async (_req, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  }

  // Security headers for everything (the pages load only their own scripts and styles).
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    reply.header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    return payload;
  });

  app.setErrorHandler((err, req, reply) => {
    let e: ApiError;
    const fe = err as { statusCode?: number; code?: string; message: string };
    if (err instanceof ApiError) e = err;
    else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new ApiError('unsupported_media_type', fe.message);
    else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      e = new ApiError('invalid', fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the request body is empty' : fe.message.replace(/^Body /, 'body: '));
      if (fe.statusCode === 413) return reply.code(413).send({ error: 'invalid', message: 'request body too large' });
    } else e = toApiError(err);
    if (e.code === 'internal') log.error({ err: (err as Error).stack, url: req.url }, 'API request failed');
    return reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  // Bulk import accepts YAML and CSV as text.
  for (const ct of ['text/csv', 'application/yaml', 'application/x-yaml', 'text/yaml']) {
    app.addContentTypeParser(ct, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  const result: HttpApp = { app };
  if (o.directory) {
    const dir = o.directory;
    runMigrations(dir.db, API_COMPONENT, API_MIGRATIONS);
    const accounts = new AccountStore(dir.db, (o.sessionTtlS ?? 8 * 3600) * 1000);
    const service = new ProvisioningService(dir, accounts, log, o.sipRealm ?? dir.domain);
    const authCache = new WeakMap<object, AuthState | undefined>();
    const authOf = (req: Parameters<typeof authenticate>[0]): AuthState | undefined => {
      if (!authCache.has(req)) authCache.set(req, authenticate(req, accounts, o.localActor));
      return authCache.get(req);
    };
    const routes = new Routes(app, authOf);
    const lock = o.loginLockout;
    const deps = {
      svc: service,
      accounts,
      routes,
      log,
      throttle: lock ? new LoginThrottle(lock.threshold, lock.windowMs, lock.durationMs) : new LoginThrottle(),
      calls: o.calls,
      otherCalls: o.otherCalls,
      callFeature: o.callFeature,
      callRecords: o.callRecords,
      dataDir: o.dataDir,
      callsStreamIntervalMs: o.callsStreamIntervalMs ?? 1000,
      streams: new Set<ServerResponse>(),
    };
    app.addHook('preClose', async () => {
      for (const s of deps.streams) s.end();
    });
    registerAuthRoutes(deps);
    registerEntityRoutes(deps);
    registerParameterRoutes(deps);
    registerSelfCareRoutes(deps);
    registerCallRoutes(deps);
    registerBulkRoutes(deps);
    app.get('/api/v1/openapi.json', async () => openApiDocument(routes.documented, { title: 'Mobility anchor provisioning API', version: VERSION }));
    registerPages(app, o.webRoot ?? defaultWebRoot());
    await bootstrapAdmin(accounts, service, o.env, log);
    result.api = { service, accounts };
  }
  await app.ready();
  return result;
}

/** First administrator from MA_ADMIN_USER / MA_ADMIN_PASSWORD (only if that account does not exist yet). */
async function bootstrapAdmin(accounts: AccountStore, svc: ProvisioningService, env: Record<string, string | undefined> | undefined, log: Logger): Promise<void> {
  const user = env?.MA_ADMIN_USER;
  const password = env?.MA_ADMIN_PASSWORD;
  if (user && password) {
    if (accounts.get(user)) return;
    const problem = passwordProblem(password);
    if (problem) throw new Error(`MA_ADMIN_PASSWORD: ${problem}`);
    const passwordHash = await hashPassword(password);
    svc.write({ username: 'bootstrap', role: 'admin', via: 'env', userId: null }, { action: 'create', entity: 'accounts', entityId: user }, () =>
      accounts.create({ username: user, role: 'admin', passwordHash }),
    );
    log.info({ admin: user }, 'administrator account created from MA_ADMIN_USER');
    return;
  }
  if (env !== undefined && accounts.countAdmins() === 0) {
    log.warn('no administrator account: set MA_ADMIN_USER and MA_ADMIN_PASSWORD, or run "mobility-anchor-admin admin create <name>" (see README, API section)');
  }
}
