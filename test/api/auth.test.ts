import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/api/app.js';
import { Directory } from '../../src/directory/index.js';
import { ADMIN, ALICE, startApi, type TestApi } from './helpers.js';

let t: TestApi;
beforeEach(async () => {
  t = await startApi({ loginLockout: { threshold: 3, windowMs: 60_000, durationMs: 60_000 } });
});
afterEach(async () => t.close());

type Op = { method: string; path: string; access: string };
async function operations(): Promise<Op[]> {
  const doc = (await t.anon.req('GET', '/api/v1/openapi.json')).json() as { paths: Record<string, Record<string, { 'x-access': string }>> };
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'X1'), access: op['x-access'] });
  }
  return ops;
}

describe('authentication and roles', () => {
  it('every non-public endpoint answers 401 without credentials, and nothing is written', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(60);
    const before = t.svc.audit.list({ limit: 1000 }).length;
    for (const op of ops.filter((o) => o.access !== 'public')) {
      const r = await t.anon.req(op.method as 'GET', op.path, op.method === 'GET' || op.method === 'DELETE' ? undefined : {});
      expect(r.statusCode, `${op.method} ${op.path}`).toBe(401);
      expect(r.json()).toMatchObject({ error: 'unauthenticated' });
    }
    expect(t.svc.audit.list({ limit: 1000 }).length).toBe(before);
  });

  it('every admin endpoint answers 403 to an end user', async () => {
    const alice = await t.login(ALICE);
    for (const op of (await operations()).filter((o) => o.access === 'admin')) {
      const r = await alice.req(op.method as 'GET', op.path, op.method === 'GET' || op.method === 'DELETE' ? undefined : {});
      expect(r.statusCode, `${op.method} ${op.path}`).toBe(403);
    }
  });

  it('login: wrong password 401, then 429 after the threshold; success sets an HttpOnly SameSite cookie', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await t.anon.req('POST', '/api/v1/auth/login', { username: ADMIN.username, password: 'wrong-password' });
      expect(r.statusCode).toBe(401);
    }
    const locked = await t.anon.req('POST', '/api/v1/auth/login', { username: ADMIN.username, password: ADMIN.password });
    expect(locked.statusCode).toBe(429);
    const ok = await t.anon.req('POST', '/api/v1/auth/login', ALICE);
    expect(ok.statusCode).toBe(200);
    expect(String(ok.headers['set-cookie'])).toMatch(/^ma_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const failed = t.svc.audit.list({ entity: 'session' }).filter((e) => !e.ok);
    expect(failed.length).toBe(3);
    expect(failed[0]).toMatchObject({ action: 'login', entityId: 'admin', ok: false });
  });

  it('unknown user and wrong password give the same answer', async () => {
    const a = await t.anon.req('POST', '/api/v1/auth/login', { username: 'nobody', password: 'x' });
    const b = await t.anon.req('POST', '/api/v1/auth/login', { username: ALICE.username, password: 'x' });
    expect(a.statusCode).toBe(401);
    expect(a.json()).toEqual(b.json());
  });

  it('CSRF: a cookie session needs X-CSRF-Token for writes, and a same-origin Origin', async () => {
    const admin = await t.login(ADMIN);
    const cookieOnly = { cookie: admin.headers.cookie! };
    let r = await t.app.inject({ method: 'POST', url: '/api/v1/partitions', headers: cookieOnly, payload: { name: 'PX' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toBe('csrf');
    r = await t.app.inject({ method: 'POST', url: '/api/v1/partitions', headers: { ...cookieOnly, 'x-csrf-token': 'nope' }, payload: { name: 'PX' } });
    expect(r.statusCode).toBe(403);
    r = await t.app.inject({ method: 'POST', url: '/api/v1/partitions', headers: { ...admin.headers, origin: 'http://evil.example', host: 'localhost:80' }, payload: { name: 'PX' } });
    expect(r.statusCode).toBe(403);
    expect(t.dir.partitions.get('PX')).toBeUndefined();
    // Reads need no token.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partitions', headers: cookieOnly })).statusCode).toBe(200);
    r = await admin.req('POST', '/api/v1/partitions', { name: 'PX' });
    expect(r.statusCode).toBe(201);
  });

  it('logout ends the session; the session endpoint tells who is logged in', async () => {
    const alice = await t.login(ALICE);
    const s = await alice.req('GET', '/api/v1/auth/session');
    expect(s.json()).toMatchObject({ username: 'U1', role: 'user', userId: 'U1', via: 'session' });
    expect(s.json().csrfToken).toBe(alice.headers['x-csrf-token']);
    expect((await alice.req('POST', '/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await alice.req('GET', '/api/v1/auth/session')).statusCode).toBe(401);
  });

  it('API tokens: create (shown once), use without CSRF, revoke; bad tokens are 401', async () => {
    const admin = await t.login(ADMIN);
    const r = await admin.req('POST', '/api/v1/tokens', { name: 'script' });
    expect(r.statusCode).toBe(201);
    const token = r.json().token as string;
    expect(token).toMatch(/^ma_[0-9a-f]{12}_/);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/partitions', headers: bearer, payload: { name: 'PT-token' } })).statusCode).toBe(201);
    expect(t.svc.audit.list({ limit: 1 })[0]).toMatchObject({ actor: 'admin', via: 'token', action: 'create', entity: 'partitions', entityId: 'PT-token' });
    const list = (await admin.req('GET', '/api/v1/tokens')).json() as { id: string; name: string }[];
    expect(list.map((x) => x.name)).toEqual(['script']);
    expect(JSON.stringify(list)).not.toContain(token.split('_')[2]);
    expect((await admin.req('DELETE', `/api/v1/tokens/${list[0]!.id}`)).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partitions', headers: bearer })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partitions', headers: { authorization: 'Bearer ma_000000000000_xxxxxxxxxxxxxxxxxxxxxxxx' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partitions', headers: { authorization: 'Basic Zm9vOmJhcg==' } })).statusCode).toBe(401);
  });

  it('end users may create tokens only for themselves; their tokens keep the user role', async () => {
    const alice = await t.login(ALICE);
    expect((await alice.req('POST', '/api/v1/tokens', { username: 'admin' })).statusCode).toBe(403);
    const token = (await alice.req('POST', '/api/v1/tokens', { name: 'phone app' })).json().token as string;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(403);
    const me = await t.app.inject({ method: 'PUT', url: '/api/v1/me/remote-destinations/RD1/snr', headers: bearer, payload: { enabled: false } });
    expect(me.statusCode).toBe(200);
    expect(t.dir.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
  });

  it('accounts: admin creates, changes password (sessions end), deletes; the last admin stays', async () => {
    const admin = await t.login(ADMIN);
    expect((await admin.req('POST', '/api/v1/accounts', { username: 'ops', role: 'admin', password: 'short' })).json()).toMatchObject({ error: 'invalid', field: 'password' });
    expect((await admin.req('POST', '/api/v1/accounts', { username: 'carol', role: 'user', userId: 'nobody', password: 'carol-pass-1' })).json()).toMatchObject({ error: 'invalid', field: 'userId' });
    expect((await admin.req('POST', '/api/v1/accounts', { username: 'U1b', role: 'user', userId: 'U1', password: 'alice-pass-2' })).statusCode).toBe(409);
    expect((await admin.req('POST', '/api/v1/accounts', { username: 'ops', role: 'admin', password: 'ops-pass-1' })).statusCode).toBe(201);
    const ops = await t.login({ username: 'ops', password: 'ops-pass-1' });
    expect((await admin.req('PATCH', '/api/v1/accounts/ops', { password: 'ops-pass-2' })).statusCode).toBe(200);
    expect((await ops.req('GET', '/api/v1/users')).statusCode).toBe(401);
    await t.login({ username: 'ops', password: 'ops-pass-2' });
    expect((await admin.req('DELETE', '/api/v1/accounts/ops')).statusCode).toBe(204);
    expect((await admin.req('DELETE', '/api/v1/accounts/admin')).json()).toMatchObject({ error: 'in_use' });
    expect((await admin.req('DELETE', '/api/v1/accounts/nobody')).statusCode).toBe(404);
    const list = (await admin.req('GET', '/api/v1/accounts')).json() as { username: string }[];
    expect(list.map((a) => a.username).sort()).toEqual(['U1', 'U2', 'admin']);
    expect(JSON.stringify(list)).not.toMatch(/scrypt|hash/i);
  });

  it('passwords are stored as scrypt hashes', () => {
    const row = t.dir.db.prepare('SELECT password_hash FROM api_accounts WHERE username = ?').get('admin') as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$\d+\$8\$1\$/);
    expect(row.password_hash).not.toContain(ADMIN.password);
  });

  it('bootstrap: MA_ADMIN_USER/MA_ADMIN_PASSWORD create the first admin once; a weak password is refused', async () => {
    const dir = new Directory();
    const env = { MA_ADMIN_USER: 'boot', MA_ADMIN_PASSWORD: 'boot-pass-1' };
    const a = await createHttpApp({ directory: dir, env });
    expect(a.api!.accounts.get('boot')).toMatchObject({ role: 'admin' });
    await a.app.close();
    // Again with another password: the existing account is left alone.
    const b = await createHttpApp({ directory: dir, env: { ...env, MA_ADMIN_PASSWORD: 'other-pass-2' } });
    expect(await b.api!.accounts.verify('boot', 'boot-pass-1')).toBeDefined();
    await b.app.close();
    await expect(createHttpApp({ directory: dir, env: { MA_ADMIN_USER: 'weak', MA_ADMIN_PASSWORD: '123' } })).rejects.toThrow(/MA_ADMIN_PASSWORD: must be at least 8/);
    dir.close();
  });

  it('audit log: admin reads it; secrets are redacted', async () => {
    const admin = await t.login(ADMIN);
    await admin.req('PATCH', '/api/v1/users/U1', { pin: '9876' });
    const log = (await admin.req('GET', '/api/v1/audit?limit=5')).json() as { action: string; entity: string; entityId: string; detail: unknown; actor: string }[];
    expect(log[0]).toMatchObject({ actor: 'admin', action: 'update', entity: 'users', entityId: 'U1', detail: { pin: '***' } });
    expect((await admin.req('GET', '/api/v1/audit?limit=0')).json()).toMatchObject({ error: 'invalid', field: 'limit' });
  });
});
