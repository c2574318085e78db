/**
 * Who is calling: a bearer token (scripts, the CLI over HTTP), a session cookie (the web pages;
 * unsafe methods then need the session's CSRF token in `X-CSRF-Token` and a same-origin
 * `Origin` if the browser sent one), or, in the CLI's own in-process app only, the local actor.
 */
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../audit.js';
import { ApiError } from '../errors.js';
import type { Account, AccountStore } from './accounts.js';

export const SESSION_COOKIE = 'ma_session';

export interface AuthState {
  actor: Actor;
  /** Set for cookie sessions: the CSRF token the pages must echo. */
  csrfToken?: string;
  sessionId?: string;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (!(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

export function actorOf(account: Account, via: string, ip: string | undefined): Actor {
  return { username: account.username, role: account.role, via, ...(ip !== undefined ? { ip } : {}), userId: account.userId };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Resolves the caller, or undefined for an anonymous request. Throws on a bad token or a CSRF failure. */
export function authenticate(req: FastifyRequest, accounts: AccountStore, localActor: Actor | undefined): AuthState | undefined {
  const authz = req.headers.authorization;
  if (authz !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(authz);
    const account = m ? accounts.verifyToken(m[1]!) : undefined;
    if (!account) throw new ApiError('unauthenticated', 'invalid or revoked API token');
    return { actor: actorOf(account, 'token', req.ip) };
  }
  const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (sid !== undefined && sid !== '') {
    const s = accounts.session(sid);
    if (s) {
      if (!SAFE.has(req.method)) checkCsrf(req, s.csrfToken);
      return { actor: actorOf(s.account, 'session', req.ip), csrfToken: s.csrfToken, sessionId: sid };
    }
  }
  if (localActor) return { actor: localActor };
  return undefined;
}

function checkCsrf(req: FastifyRequest, expected: string): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.headers.host) throw new ApiError('csrf', `cross-origin request refused (Origin ${origin})`);
  }
  const got = req.headers['x-csrf-token'];
  if (typeof got !== 'string' || got !== expected) throw new ApiError('csrf', 'missing or wrong X-CSRF-Token header (get it from GET /api/v1/auth/session)');
}

/** Failed logins per username and per address: a simple in-memory lockout against guessing. */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; first: number; lockedUntil: number }>();
  constructor(
    private readonly threshold = 10,
    private readonly windowMs = 10 * 60_000,
    private readonly durationMs = 5 * 60_000,
  ) {}

  lockedFor(keys: string[], now = Date.now()): number {
    let ms = 0;
    for (const k of keys) {
      const f = this.failures.get(k);
      if (f && f.lockedUntil > now) ms = Math.max(ms, f.lockedUntil - now);
    }
    return ms;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const k of keys) {
      let f = this.failures.get(k);
      if (!f || now - f.first > this.windowMs) f = { count: 0, first: now, lockedUntil: 0 };
      f.count++;
      // An address is shared by many users (NAT, a proxy): it gets a larger budget than a username.
      if (f.count >= (k.startsWith('ip:') ? this.threshold * 5 : this.threshold)) f.lockedUntil = now + this.durationMs;
      this.failures.set(k, f);
    }
    if (this.failures.size > 10_000) for (const [k, f] of this.failures) if (now - f.first > this.windowMs && f.lockedUntil < now) this.failures.delete(k);
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
