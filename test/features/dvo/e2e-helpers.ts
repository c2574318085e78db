/**
 * End-to-end helpers for the DVO and session-resumption tests: a real server with the
 * built-in features (so the DVO feature instances can be inspected), fixture F with trunk
 * T pointing at SIPp, its own rtpengine, and a restart that keeps the data directory
 * (state stores, directory, registrations) and the rtpengine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildConfig, type Config } from '../../../src/config/index.js';
import { seedFixture, type Fixture } from '../../../src/directory/index.js';
import { DvoFeature } from '../../../src/features/dvo/feature.js';
import { builtinFeatures } from '../../../src/features/index.js';
import { SessionResumption } from '../../../src/features/session-resumption/session-resumption.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../../src/media/rtpengine-process.js';
import { type RunningServer, startServer } from '../../../src/server.js';
import type { SippMessage } from '../../e2e/harness/messages.js';

export interface DvoTestServer {
  server: RunningServer;
  fixture: Fixture;
  dvo: DvoFeature;
  sr: SessionResumption;
  rtpengine: RtpengineHandle;
  readonly udpPort: number;
  config: Config;
  /** Close the server (calls are released, state stays on disk), stay down `downMs`, start it again. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DvoTestServerOptions {
  /** SIPp playing gateway T (outbound trunk calls: DVO-R callbacks). */
  trunkPort: number;
  /** Source ports of inbound trunk calls (SIPp UACs playing the cellular side). */
  trunkAlternatePorts: number[];
  /** Mobility parameters set as service parameters after seeding (runtime-changeable). */
  mobility?: Record<string, unknown>;
}

export async function startDvoServer(o: DvoTestServerOptions): Promise<DvoTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ma-dvo-e2e-'));
  const rtpengine = await startRtpengineOnFreePorts();
  const config = buildConfig({
    sip: {
      listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
      timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 },
    },
    http: { host: '127.0.0.1', port: 0 },
    media: { rtpengines: [{ host: '127.0.0.1', port: rtpengine.ngPort }], anchor: true },
    dataDir,
    log: { level: process.env['E2E_LOG'] ?? 'silent' },
  });
  const logger = pino({ level: config.log.level });
  const boot = async (): Promise<{ server: RunningServer; dvo: DvoFeature; sr: SessionResumption }> => {
    const features = builtinFeatures();
    const dvo = features.find((f): f is DvoFeature => f instanceof DvoFeature);
    const sr = features.find((f): f is SessionResumption => f instanceof SessionResumption);
    if (dvo === undefined || sr === undefined) throw new Error('DVO features are not registered in builtinFeatures()');
    const server = await startServer(config, { logger, features });
    return { server, dvo, sr };
  };
  let cur = await boot();
  const fixture = seedFixture(cur.server.directory, { trunkHost: '127.0.0.1', trunkPort: o.trunkPort });
  cur.server.directory.trunks.update('T', { alternates: o.trunkAlternatePorts.map((port) => ({ peerHost: '127.0.0.1', port, transport: 'udp' as const })) });
  if (o.mobility !== undefined) cur.server.directory.serviceParameters.setMany(o.mobility);
  const ts: DvoTestServer = {
    get server() {
      return cur.server;
    },
    get dvo() {
      return cur.dvo;
    },
    get sr() {
      return cur.sr;
    },
    get udpPort() {
      return cur.server.sipPort('udp');
    },
    fixture,
    rtpengine,
    config,
    async restart(downMs = 0) {
      await cur.server.close();
      if (downMs > 0) await sleep(downMs);
      cur = await boot();
    },
    async stop() {
      await cur.server.close();
      await rtpengine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return ts;
}

/** Epoch ms of a SIPp trace entry ("2026-12-01 00:54:56.516453", local time). */
export function sippTime(m: SippMessage): number {
  const [d, t] = m.timestamp.split(' ');
  const [hms, frac = '0'] = (t ?? '').split('.');
  const base = new Date(`${d}T${hms}`).getTime();
  return base + Number(`0.${frac}`) * 1000;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `fn` is true (or throw after `timeoutMs`). */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
