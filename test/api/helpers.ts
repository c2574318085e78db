/** An API app over an in-memory directory with fixture F, an admin and an end-user account. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createHttpApp, type HttpAppOptions } from '../../src/api/app.js';
import type { AccountStore } from '../../src/api/auth/accounts.js';
import { hashPassword } from '../../src/api/auth/passwords.js';
import type { ProvisioningService } from '../../src/api/service.js';
import { Directory, seedFixture } from '../../src/directory/index.js';

export const ADMIN = { username: 'admin', password: 'admin-pass-1' };
export const ALICE = { username: 'U1', password: 'alice-pass-1' };
export const BOB = { username: 'U2', password: 'bob-pass-1' };

export interface Client {
  headers: Record<string, string>;
  req(method: InjectOptions['method'], url: string, payload?: unknown): Promise<LightMyRequestResponse>;
}

export interface TestApi {
  app: FastifyInstance;
  dir: Directory;
  svc: ProvisioningService;
  accounts: AccountStore;
  login(creds: { username: string; password: string }): Promise<Client>;
  anon: Client;
  close(): Promise<void>;
}

export async function startApi(opts: Partial<HttpAppOptions> = {}): Promise<TestApi> {
  const dir = new Directory();
  seedFixture(dir);
  const { app, api } = await createHttpApp({ directory: dir, env: { MA_ADMIN_USER: ADMIN.username, MA_ADMIN_PASSWORD: ADMIN.password }, ...opts });
  const accounts = api!.accounts;
  const [a, b] = await Promise.all([hashPassword(ALICE.password), hashPassword(BOB.password)]);
  accounts.create({ username: ALICE.username, role: 'user', userId: 'U1', passwordHash: a });
  accounts.create({ username: BOB.username, role: 'user', userId: 'U2', passwordHash: b });
  const client = (headers: Record<string, string>): Client => ({
    headers,
    req: (method, url, payload) => app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as string } : {}) }),
  });
  return {
    app,
    dir,
    svc: api!.service,
    accounts,
    anon: client({}),
    async login(creds) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: creds });
      if (r.statusCode !== 200) throw new Error(`login ${creds.username}: ${r.statusCode} ${r.body}`);
      const cookie = String(r.headers['set-cookie']).split(';')[0]!;
      return client({ cookie, 'x-csrf-token': (r.json() as { csrfToken: string }).csrfToken });
    },
    async close() {
      await app.close();
      dir.close();
    },
  };
}
