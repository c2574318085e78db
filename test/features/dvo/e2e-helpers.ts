/**
 * End-to-end helpers for the DVO and session-resumption tests: a real server
 * (startTestServer: fixture F with trunk T pointing at SIPp, its own rtpengine) whose DVO
 * feature instances can be inspected, and a restart that keeps the data directory (state
 * stores, directory, registrations) and the rtpengine.
 */
import type { Config } from '../../../src/config/index.js';
import type { Fixture } from '../../../src/directory/index.js';
import { DvoFeature } from '../../../src/features/dvo/feature.js';
import { SessionResumption } from '../../../src/features/session-resumption/session-resumption.js';
import type { RtpengineHandle } from '../../../src/media/rtpengine-process.js';
import type { RunningServer } from '../../../src/server.js';
import type { SippMessage } from '../../e2e/harness/messages.js';
import { featureOf, startTestServer } from '../../e2e/server-fixture.js';

export { sleep, until } from '../../e2e/harness/wait.js';

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
  const ts = await startTestServer({ ...o, dataDirPrefix: 'ma-dvo-e2e-' });
  const features = (): { dvo: DvoFeature; sr: SessionResumption } => ({ dvo: featureOf(ts.server, DvoFeature), sr: featureOf(ts.server, SessionResumption) });
  let cur: ReturnType<typeof features>;
  try {
    cur = features();
  } catch (e) {
    await ts.stop();
    throw e;
  }
  return {
    get server() {
      return ts.server;
    },
    get dvo() {
      return cur.dvo;
    },
    get sr() {
      return cur.sr;
    },
    get udpPort() {
      return ts.udpPort;
    },
    get config() {
      return ts.server.config;
    },
    fixture: ts.fixture,
    rtpengine: ts.rtpengine!,
    async restart(downMs = 0) {
      await ts.restart(downMs);
      cur = features();
    },
    stop: () => ts.stop(),
  };
}

/** Epoch ms of a SIPp trace entry ("2026-12-01 00:54:56.516453", local time). */
export function sippTime(m: SippMessage): number {
  const [d, t] = m.timestamp.split(' ');
  const [hms, frac = '0'] = (t ?? '').split('.');
  const base = new Date(`${d}T${hms}`).getTime();
  return base + Number(`0.${frac}`) * 1000;
}
