/**
 * End-to-end helpers for the MVA and EFA tests: a real server with the built-in features (the
 * MVA and EFA feature instances can be inspected), fixture F with trunk T pointing at SIPp, its
 * own rtpengine reporting RFC 4733 digits to the server (`--dtmf-log-dest`), and the SIPp caller
 * (sipp-scenarios/mva-uac-dtmf.xml) with its key presses filled in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/index.js';
import { seedFixture, type Fixture } from '../../../src/directory/index.js';
import { EfaFeature } from '../../../src/features/efa/index.js';
import { builtinFeatures } from '../../../src/features/index.js';
import { MvaFeature } from '../../../src/features/mva/index.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../../src/media/rtpengine-process.js';
import { type RunningServer, startServer } from '../../../src/server.js';
import { freePort } from '../../e2e/harness/ports.js';
import { runSipp, writeScenarioVariant, type SippResult } from '../../e2e/harness/sipp.js';

export interface IvrTestServer {
  server: RunningServer;
  fixture: Fixture;
  mva: MvaFeature;
  efa: EfaFeature;
  rtpengine: RtpengineHandle;
  readonly udpPort: number;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface IvrTestServerOptions {
  /** SIPp playing gateway T (outbound trunk calls). */
  trunkPort: number;
  /** Source ports of inbound trunk calls (the SIPp callers). */
  trunkAlternatePorts: number[];
  /** Mobility parameters set as service parameters after seeding. */
  mobility?: Record<string, unknown>;
}

export async function startIvrServer(o: IvrTestServerOptions): Promise<IvrTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ma-ivr-e2e-'));
  const dtmfPort = await freePort({ tcp: false });
  const rtpengine = await startRtpengineOnFreePorts({ extraArgs: [`--dtmf-log-dest=127.0.0.1:${dtmfPort}`] });
  const config = buildConfig({
    sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 } },
    http: { host: '127.0.0.1', port: 0 },
    media: { rtpengines: [{ host: '127.0.0.1', port: rtpengine.ngPort }], anchor: true, dtmfEvents: { enabled: true, host: '127.0.0.1', port: dtmfPort } },
    dataDir,
    log: { level: process.env['E2E_LOG'] ?? 'info' },
  });
  // Keep the log lines in memory (MVA-11 logging is asserted); print them with E2E_LOG.
  const logs: Record<string, unknown>[] = [];
  const stream = {
    write(line: string): void {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON
      }
      if (process.env['E2E_LOG'] !== undefined) process.stdout.write(line);
    },
  };
  const logger = pino({ level: config.log.level }, stream);
  const features = builtinFeatures();
  const mva = features.find((f): f is MvaFeature => f instanceof MvaFeature);
  const efa = features.find((f): f is EfaFeature => f instanceof EfaFeature);
  if (mva === undefined || efa === undefined) throw new Error('MVA / EFA are not registered in builtinFeatures()');
  const server = await startServer(config, { logger, features });
  const fixture = seedFixture(server.directory, { trunkHost: '127.0.0.1', trunkPort: o.trunkPort });
  server.directory.trunks.update('T', { alternates: o.trunkAlternatePorts.map((port) => ({ peerHost: '127.0.0.1', port, transport: 'udp' as const })) });
  if (o.mobility !== undefined) server.directory.serviceParameters.setMany(o.mobility);
  return {
    server,
    fixture,
    mva,
    efa,
    rtpengine,
    logs,
    get udpPort() {
      return server.sipPort('udp');
    },
    async stop() {
      await server.close();
      await rtpengine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Keys pressed by the call's method, a pause in ms, or keys pressed by another method. */
export type KeyStep = string | { pauseMs: number } | { keys: string; via: KeyVia };
export type KeyVia = 'info' | 'rfc4733' | 'both';

const PCAP: Record<string, string> = { '*': 'star', '#': 'pound' };

/** One key press: INFO Signal=D (and/or the RFC 4733 pcap of the digit). */
function keyXml(d: string, via: KeyVia, n: number): string {
  const out: string[] = [];
  if (via === 'rfc4733' || via === 'both') {
    out.push(`  <nop display="rfc4733 ${d}"><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${PCAP[d] ?? d}.pcap" /></action></nop>`);
    // The pcap plays in the background (one key press lasts about 250 ms).
    out.push('  <pause milliseconds="400" />');
  }
  if (via === 'info' || via === 'both') {
    out.push(`  <send retrans="500" start_txn="info${n}">
    <![CDATA[

      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: <sip:[$caller]@[$dom]>;tag=[pid]SIPpTag00[call_number]
      To:[$peer_to]
      Call-ID: [call_id]
      CSeq: [cseq] INFO
      Contact: <sip:[$caller]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${d}
      Duration=160

    ]]>
  </send>
  <recv response="200" response_txn="info${n}" />`);
    out.push('  <pause milliseconds="60" />');
  }
  return out.join('\n');
}

/** The KEYS block of mva-uac-dtmf.xml: "1234#" strings are typed key by key. */
export function keysBlock(steps: readonly KeyStep[], via: KeyVia = 'info'): string {
  const out: string[] = [];
  let n = 0;
  for (const s of steps) {
    if (typeof s === 'string') for (const d of s) out.push(keyXml(d, via, n++));
    else if ('keys' in s) for (const d of s.keys) out.push(keyXml(d, s.via, n++));
    else out.push(`  <pause milliseconds="${s.pauseMs}" />`);
  }
  return out.join('\n');
}

export interface DialInOptions {
  from: string;
  called: string;
  port: number;
  serverPort: number;
  keys: readonly KeyStep[];
  via?: KeyVia;
  /** The caller hangs up after the keys (else it waits for the server's BYE). */
  hangup?: boolean;
  timeoutS?: number;
  /** The port in the caller's SDP offer (e.g. a test's RTP counter, to hear the prompts). */
  rtpPort?: number;
}

let variant = 0;

/** The SIPp caller T→S with its key presses. */
export async function dialIn(o: DialInOptions): Promise<SippResult> {
  const edits: [string, string][] = [['<!-- @KEYS@ -->', keysBlock(o.keys, o.via)]];
  if (o.rtpPort !== undefined) edits.push(['m=audio [media_port]', `m=audio ${o.rtpPort}`]);
  const file = await writeScenarioVariant('mva-uac-dtmf', edits, `mva-uac-dtmf-${process.pid}-${variant++}`);
  return runSipp({
    scenario: file,
    remote: `127.0.0.1:${o.serverPort}`,
    port: o.port,
    service: o.called,
    set: { from: o.from, hangup: o.hangup === true ? '1' : '0' },
    timeoutS: o.timeoutS ?? 30,
  });
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
