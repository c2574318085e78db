/** Login/logout/session, accounts (admins and end users), API tokens, the audit log. */
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { SESSION_COOKIE, actorOf } from '../auth/guard.js';
import { hashPassword } from '../auth/passwords.js';
import { qInt } from '../route.js';
import * as S from '../schemas.js';
import type { RouteDeps } from './deps.js';

const identity = z.object({ username: z.string(), role: z.enum(['admin', 'user']), userId: z.string().nullable(), csrfToken: z.string().optional(), via: z.string() });

export function registerAuthRoutes(d: RouteDeps): void {
  const { routes, accounts, svc, throttle } = d;

  routes.add<z.infer<typeof S.loginBody>>({
    method: 'POST',
    url: '/api/v1/auth/login',
    summary: 'Log in (administrator or end user): sets the session cookie, returns the CSRF token',
    tag: 'auth',
    access: 'public',
    body: S.loginBody,
    response: { schema: identity },
    handler: async ({ req, reply, body }) => {
      const keys = [`u:${body.username}`, `ip:${req.ip}`];
      const wait = throttle.lockedFor(keys);
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new ApiError('rate_limited', 'too many failed logins; try again later');
      }
      const account = await accounts.verify(body.username, body.password);
      const actor = account ? actorOf(account, 'session', req.ip) : { username: body.username, role: 'user' as const, via: 'session', ip: req.ip, userId: null };
      if (!account) {
        throttle.fail(keys);
        svc.audit.recordFailure(actor, { action: 'login', entity: 'session', entityId: body.username, error: 'wrong username or password' });
        throw new ApiError('unauthenticated', 'wrong username or password');
      }
      throttle.succeed(keys);
      const s = svc.write(actor, { action: 'login', entity: 'session', entityId: account.username }, () => accounts.createSession(account.username));
      const secure = req.protocol === 'https' ? '; Secure' : '';
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${encodeURIComponent(s.id)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor((s.expiresAt - Date.now()) / 1000)}${secure}`,
      );
      return { username: account.username, role: account.role, userId: account.userId, csrfToken: s.csrfToken, via: 'session' };
    },
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/auth/logout',
    summary: 'Log out (ends the session)',
    tag: 'auth',
    access: 'any',
    status: 204,
    handler: ({ auth, reply, actor }) => {
      if (auth?.sessionId !== undefined) {
        const sid = auth.sessionId;
        svc.write(actor, { action: 'logout', entity: 'session', entityId: actor.username }, () => accounts.deleteSession(sid));
      }
      reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return undefined;
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/auth/session',
    summary: 'Who am I (and the CSRF token of a cookie session)',
    tag: 'auth',
    access: 'any',
    response: { schema: identity },
    handler: ({ actor, auth }) => ({ username: actor.username, role: actor.role, userId: actor.userId, via: actor.via, ...(auth?.csrfToken ? { csrfToken: auth.csrfToken } : {}) }),
  });

  // ---- accounts (administrators) ------------------------------------------------------------

  routes.add({
    method: 'GET',
    url: '/api/v1/accounts',
    summary: 'List web/API accounts',
    tag: 'accounts',
    access: 'admin',
    handler: () => accounts.list(),
  });

  routes.add<z.infer<typeof S.accountCreate>>({
    method: 'POST',
    url: '/api/v1/accounts',
    summary: 'Create an account: role admin, or role user tied to an EndUser (userId) for self-care',
    tag: 'accounts',
    access: 'admin',
    body: S.accountCreate,
    status: 201,
    handler: async ({ body, actor }) => {
      const passwordHash = await hashPassword(body.password);
      return svc.write(actor, { action: 'create', entity: 'accounts', entityId: body.username, detail: body }, () =>
        accounts.create({ username: body.username, role: body.role, userId: body.userId ?? null, passwordHash }),
      );
    },
  });

  routes.add<z.infer<typeof S.accountPatch>>({
    method: 'PATCH',
    url: '/api/v1/accounts/:username',
    summary: "Set an account's password (ends its sessions)",
    tag: 'accounts',
    access: 'admin',
    body: S.accountPatch,
    handler: async ({ body, actor, params }) => {
      const username = params.username!;
      if (!accounts.get(username)) throw new ApiError('not_found', `account "${username}" not found`);
      const passwordHash = await hashPassword(body.password);
      svc.write(actor, { action: 'update', entity: 'accounts', entityId: username, detail: body }, () => accounts.setPasswordHash(username, passwordHash));
      return accounts.get(username);
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/accounts/:username',
    summary: 'Delete an account (its sessions and tokens go with it; the last administrator cannot be deleted)',
    tag: 'accounts',
    access: 'admin',
    status: 204,
    handler: ({ actor, params }) => {
      const username = params.username!;
      const acc = accounts.get(username);
      if (!acc) throw new ApiError('not_found', `account "${username}" not found`);
      if (acc.role === 'admin' && accounts.countAdmins() <= 1) throw new ApiError('in_use', 'the last administrator account cannot be deleted');
      svc.write(actor, { action: 'delete', entity: 'accounts', entityId: username }, () => accounts.delete(username));
      return undefined;
    },
  });

  // ---- tokens -------------------------------------------------------------------------------

  routes.add({
    method: 'GET',
    url: '/api/v1/tokens',
    summary: 'List API tokens (administrators: all; end users: their own)',
    tag: 'tokens',
    access: 'any',
    handler: ({ actor }) => accounts.listTokens(actor.role === 'admin' ? undefined : actor.username),
  });

  routes.add<z.infer<typeof S.tokenCreate>>({
    method: 'POST',
    url: '/api/v1/tokens',
    summary: 'Create an API token for yourself (administrators may name another account); the token text is shown only once',
    tag: 'tokens',
    access: 'any',
    body: S.tokenCreate,
    status: 201,
    response: { schema: z.object({ token: z.string(), info: z.object({}).passthrough() }) },
    handler: ({ body, actor }) => {
      const username = body.username ?? actor.username;
      if (username !== actor.username && actor.role !== 'admin') throw new ApiError('forbidden', 'you may create tokens only for yourself');
      return svc.write(actor, { action: 'create', entity: 'tokens', entityId: username, detail: { name: body.name } }, () => accounts.createToken(username, body.name ?? ''));
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    summary: 'Revoke an API token',
    tag: 'tokens',
    access: 'any',
    status: 204,
    handler: ({ actor, params }) => {
      const t = accounts.getToken(params.id!);
      if (!t || (actor.role !== 'admin' && t.username !== actor.username)) throw new ApiError('not_found', `token "${params.id}" not found`);
      svc.write(actor, { action: 'delete', entity: 'tokens', entityId: t.id }, () => accounts.deleteToken(t.id));
      return undefined;
    },
  });

  // ---- audit --------------------------------------------------------------------------------

  const auditQuery = z.strictObject({ limit: qInt(1, 1000).optional(), before: qInt(1, Number.MAX_SAFE_INTEGER).optional(), actor: z.string().optional(), entity: z.string().optional() });
  routes.add<undefined, z.infer<typeof auditQuery>>({
    method: 'GET',
    url: '/api/v1/audit',
    summary: 'The audit log, newest first (who changed what, when; failed attempts included)',
    tag: 'audit',
    access: 'admin',
    query: auditQuery,
    handler: ({ query }) => svc.audit.list(query),
  });
}
