/** The admin CLI as a real process: direct mode on a data dir, and remote mode with a token. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/api/app.js';
import { Directory } from '../../src/directory/index.js';

// The built CLI, as installed by the package's "bin" (npm test builds dist/ first).
const CLI = join(process.cwd(), 'dist/cli/admin.js');
const NODE = process.execPath;
let dataDir: string;

function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(NODE, [CLI, ...args], { env: { ...process.env, MA_API_URL: '', MA_API_TOKEN: '', ...(opts.env ?? {}) }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(opts.input ?? '');
  });
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ma-cli-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('mobility-anchor-admin', { timeout: 120_000 }, () => {
  it('bootstrap an admin, provision, refuse invalid input (naming the field), audit as cli:<user>', async () => {
    const d = ['--data-dir', dataDir];
    expect((await cli([...d, 'admin', 'create', 'root'], { env: { MA_ADMIN_PASSWORD: '' } })).code).toBe(2);
    expect((await cli([...d, 'admin', 'create', 'root', '--password-stdin'], { input: 'short\n' })).stderr).toMatch(/password: must be at least 8/);
    const created = await cli([...d, 'admin', 'create', 'root', '--password-stdin'], { input: 'root-pass-1\n' });
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ username: 'root', role: 'admin' });
    expect((await cli([...d, 'create', 'partitions', '{"name":"PT"}'])).code).toBe(0);
    const bad = await cli([...d, 'create', 'lines', '{"number":"12x","partition":"PT"}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/HTTP 400: number: must be 1 to 32 of 0-9/);
    expect((await cli([...d, 'params', 'set', 'callAwaitTimerS=45'])).code).toBe(0);
    expect((await cli([...d, 'params'])).stdout).toMatch(/^callAwaitTimerS = 45 {2}\(default 30\)$/m);
    const audit = JSON.parse((await cli([...d, 'audit', '--limit', '2'])).stdout) as { actor: string; via: string; entity: string }[];
    expect(audit[0]).toMatchObject({ via: 'cli', entity: 'service-parameters' });
    expect(audit[0]!.actor).toMatch(/^cli:/);
    expect((await cli([...d, 'frobnicate'])).code).toBe(2);
  });

  it('import, export CSV, backup and restore', async () => {
    const d = ['--data-dir', dataDir];
    const yaml = join(dataDir, 'p.yaml');
    writeFileSync(yaml, 'users:\n  - userId: U1\n    displayName: Alice\n');
    expect((await cli([...d, 'import', yaml])).code).toBe(0);
    expect((await cli([...d, 'export', '--format', 'csv', '--entity', 'users'])).stdout).toMatch(/^userId,.*\r\nU1,/);
    const backup = join(dataDir, 'b.sqlite');
    expect((await cli([...d, 'backup', backup])).code).toBe(0);
    expect((await cli([...d, 'delete', 'users', 'U1'])).code).toBe(0);
    expect((await cli([...d, 'get', 'users', 'U1'])).code).toBe(1);
    const r = await cli([...d, 'restore', backup]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse((await cli([...d, 'get', 'users', 'U1'])).stdout).displayName).toBe('Alice');
    expect((await cli([...d, 'restore', join(dataDir, 'nope.sqlite')])).stderr).toMatch(/no such file/);
  });

  it('remote mode: talks to a running server with an API token; a bad token fails', async () => {
    const dir = new Directory();
    const { app, api } = await createHttpApp({ directory: dir, env: { MA_ADMIN_USER: 'ops', MA_ADMIN_PASSWORD: 'ops-pass-12' } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const token = api!.accounts.createToken('ops', 'cli').token;
      const r = await cli(['--url', url, '--token', token, 'create', 'partitions', '{"name":"PT-remote"}']);
      expect(r.code, r.stderr).toBe(0);
      expect(dir.partitions.get('PT-remote')).toBeDefined();
      expect(api!.service.audit.list({ limit: 1 })[0]).toMatchObject({ actor: 'ops', via: 'token' });
      const bad = await cli(['list', 'partitions'], { env: { MA_API_URL: url, MA_API_TOKEN: 'ma_000000000000_nottherighttokennottheright' } });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/HTTP 401/);
    } finally {
      await app.close();
      dir.close();
    }
  });
});
