/**
 * Issue #3: start/stop contract and fault handling of the server process:
 * config errors name the key, SIGTERM drains, registrations persist across a
 * restart, rtpengine down → 503, overload → fast 503 with Retry-After while
 * OPTIONS is still answered.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.js';
import { seedFixture } from '../../src/directory/index.js';
import { startServer } from '../../src/server.js';
import { createResponse } from '../../src/sip/message/response.js';
import { createSipStack } from '../../src/sip/stack.js';
import { freePorts } from './harness/ports.js';
import { runSipp } from './harness/sipp.js';
import { registerContact } from './server-fixture.js';

const MAIN = join(__dirname, '../../dist/main.js');
const timers = { t1Ms: 100, t2Ms: 400, t4Ms: 500 };

function run(args: string[], env: Record<string, string>, untilLine?: RegExp): Promise<{ code: number | null; out: string; kill?: () => void }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (untilLine?.test(out)) resolve({ code: null, out, kill: () => p.kill('SIGTERM') });
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => resolve({ code, out }));
  });
}

describe('server process', () => {
  it('a wrong config value stops the server with a message naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ma-cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'mobility:\n  callAwaitTimerS: 3\nsip:\n  bogusKey: 1\n');
    const r = await run(['--config', file], {});
    expect(r.code).toBe(2);
    expect(r.out).toContain('mobility.callAwaitTimerS');
    expect(r.out).toMatch(/sip\.bogusKey|bogusKey/);
  });

  it('starts with a config file, answers OPTIONS, and drains on SIGTERM', async () => {
    const [sipPort, httpPort] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), 'ma-run-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `sip:\n  listen: [{ transport: udp, host: 127.0.0.1, port: ${sipPort} }]\nhttp: { host: 127.0.0.1, port: ${httpPort} }\nmedia: { rtpengines: [{ host: 127.0.0.1, port: 9 }], anchor: false }\ndataDir: ${dir}/data\n`);
    const started = await run(['--config', file], {}, /mobility anchor ready/);
    expect(started.kill, started.out).toBeDefined();
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    const client = await createSipStack({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers, handlers: { onInvite: (i) => i.reject(480), onRequest: () => undefined } });
    const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: sipPort! };
    const opt = await client.ua.request(client.ua.createRequest({ method: 'OPTIONS', uri: `sip:127.0.0.1:${sipPort}`, from: '<sip:x@127.0.0.1>', to: `<sip:127.0.0.1:${sipPort}>` }), dest);
    await client.close();
    expect(opt.status).toBe(200);
    expect(opt.get('allow')).toContain('INVITE');
    const exit = new Promise<number | null>((resolve) => {
      const t = setInterval(async () => {
        try {
          await fetch(`http://127.0.0.1:${httpPort}/healthz`);
        } catch {
          clearInterval(t);
          resolve(0);
        }
      }, 100);
    });
    started.kill!();
    expect(await exit).toBe(0);
  });
});

describe('server faults and state', () => {
  it('registrations persist across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ma-persist-'));
    const make = () =>
      buildConfig({
        sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], timers },
        http: { host: '127.0.0.1', port: 0 },
        media: { rtpengines: [{ host: '127.0.0.1', port: 9 }], anchor: false },
        dataDir,
        log: { level: 'silent' },
      });
    const s1 = await startServer(make(), { logger: pino({ level: 'silent' }) });
    const fx = seedFixture(s1.directory);
    expect(await registerContact(s1.sipPort('udp'), fx.credentials.D1, 'sip:d1@127.0.0.1:5999')).toBe(200);
    await s1.close();
    const s2 = await startServer(make(), { logger: pino({ level: 'silent' }) });
    try {
      const b = s2.registrar.lookup('d1');
      expect(b.map((x) => x.contact)).toEqual(['sip:d1@127.0.0.1:5999']);
    } finally {
      await s2.close();
    }
  });

  it('rtpengine down → 503 to the caller, and the log names the rtpengine', async () => {
    const [gwPort, pstnPort, deadNg] = await freePorts(3);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const s = await startServer(
      buildConfig({
        sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], timers },
        http: { host: '127.0.0.1', port: 0 },
        media: { rtpengines: [{ host: '127.0.0.1', port: deadNg! }], anchor: true, ngTimeoutMs: 200 },
        dataDir: mkdtempSync(join(tmpdir(), 'ma-rtp-')),
      }),
      { logger },
    );
    try {
      const fx = seedFixture(s.directory, { trunkPort: gwPort });
      expect(await registerContact(s.sipPort('udp'), fx.credentials.D1, `sip:d1@127.0.0.1:${gwPort}`)).toBe(200);
      s.directory.trunks.update('T', { alternates: [{ peerHost: '127.0.0.1', port: pstnPort!, transport: 'udp' }] });
      const r = await runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${s.sipPort('udp')}`, port: pstnPort, service: '4085551234', set: { from: '9725553456' }, timeoutS: 10 });
      const final = r.parsed.find((m) => m.direction === 'received' && (m.status ?? 0) >= 300);
      expect(final?.status, r.describe()).toBe(503);
      expect(lines.join('\n')).toContain(`127.0.0.1:${deadNg}`);
    } finally {
      await s.close();
    }
  });

  it('overload: excess INVITEs get a fast 503 with Retry-After while OPTIONS is still answered', async () => {
    const s = await startServer(
      buildConfig({
        sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], timers },
        http: { host: '127.0.0.1', port: 0 },
        media: { rtpengines: [{ host: '127.0.0.1', port: 9 }], anchor: false },
        overload: { maxCps: 1, maxCallsInSetup: 1000, retryAfterS: 7 },
        dataDir: mkdtempSync(join(tmpdir(), 'ma-ovl-')),
        log: { level: 'silent' },
      }),
      { logger: pino({ level: 'silent' }) },
    );
    const client = await createSipStack({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers, handlers: { onInvite: (i) => i.reject(480), onRequest: (q, tx) => tx.respond(createResponse(q, 200)) } });
    try {
      const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: s.sipPort('udp') };
      const statuses: { status: number; retryAfter: string | undefined }[] = [];
      await Promise.all(
        Array.from({ length: 5 }, () =>
          new Promise<void>((resolve) => {
            const req = client.ua.createRequest({ method: 'INVITE', uri: `sip:5001@127.0.0.1:${dest.port}`, from: '<sip:x@127.0.0.1>', to: '<sip:5001@127.0.0.1>' });
            client.ua.invite(req, dest, {
              onAnswer: () => resolve(),
              onFailure: (res) => {
                statuses.push({ status: res.status, retryAfter: res.get('retry-after') });
                resolve();
              },
            });
          }),
        ),
      );
      const shed = statuses.filter((x) => x.status === 503);
      expect(shed.length).toBeGreaterThanOrEqual(3);
      expect(shed[0]!.retryAfter).toBe('7');
      const opt = await client.ua.request(client.ua.createRequest({ method: 'OPTIONS', uri: `sip:127.0.0.1:${dest.port}`, from: '<sip:x@127.0.0.1>', to: `<sip:127.0.0.1:${dest.port}>` }), dest);
      expect(opt.status).toBe(200);
      expect(s.metrics.overloadRejected).toBeDefined();
    } finally {
      await client.close();
      await s.close();
    }
  });
});
