/**
 * Starts a real server in-process for an end-to-end test: ephemeral SIP/HTTP
 * ports, a temp data dir, its own rtpengine on a free port slot (reporting RFC 4733
 * digits to the server with `dtmfEvents`), timers short, and the spec's fixture F
 * (§18.0) provisioned with trunk T pointing at SIPp. The feature-specific e2e helpers
 * (test/features/dvo, test/features/ivr) are built on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/index.js';
import { seedFixture, type Fixture } from '../../src/directory/index.js';
import type { Feature } from '../../src/features/feature.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { freePort } from './harness/ports.js';
import { sleep } from './harness/wait.js';
import { DigestClient } from '../../src/sip/auth/digest-client.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/message.js';
import { type SipStack, createSipStack } from '../../src/sip/stack.js';

export interface TestServer {
  /** The running server (a new one after restart()). */
  readonly server: RunningServer;
  fixture: Fixture;
  rtpengine: RtpengineHandle | undefined;
  readonly udpPort: number;
  readonly tcpPort: number;
  /** The server's log lines (with `captureLogs`; else empty). */
  logs: Record<string, unknown>[];
  /**
   * Close the server (calls are released, state stays on disk), stay down `downMs`, start it
   * again on the same data directory and rtpengine (new SIP ports).
   */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** SIPp playing gateway T (receives outbound trunk calls). */
  trunkPort: number;
  /** Source port(s) of inbound trunk calls (SIPp UAC playing T's other side); also failover gateways. */
  trunkAlternatePorts?: number[];
  anchor?: boolean;
  /** rtpengine reports RFC 4733 digits (--dtmf-log-dest) to the server (media.dtmfEvents). */
  dtmfEvents?: boolean;
  /** Mobility parameters set as service parameters after seeding (runtime-changeable). */
  mobility?: Record<string, unknown>;
  /** Keep the server's log lines in `logs` (level info unless E2E_LOG says otherwise; printed with E2E_LOG). */
  captureLogs?: boolean;
  /** Prefix of the temp data directory. */
  dataDirPrefix?: string;
  config?: Record<string, unknown>;
}

export async function startTestServer(o: TestServerOptions): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), o.dataDirPrefix ?? 'ma-e2e-'));
  const anchor = o.anchor ?? true;
  const dtmfPort = anchor && o.dtmfEvents === true ? await freePort({ tcp: false }) : undefined;
  const rtpengine = anchor ? await startRtpengineOnFreePorts(dtmfPort === undefined ? {} : { extraArgs: [`--dtmf-log-dest=127.0.0.1:${dtmfPort}`] }) : undefined;
  const config = buildConfig({
    sip: {
      listen: [
        { transport: 'udp', host: '127.0.0.1', port: 0 },
        { transport: 'tcp', host: '127.0.0.1', port: 0 },
      ],
      timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 },
    },
    http: { host: '127.0.0.1', port: 0 },
    media: anchor
      ? {
          rtpengines: [{ host: '127.0.0.1', port: rtpengine!.ngPort }],
          anchor: true,
          ...(dtmfPort !== undefined ? { dtmfEvents: { enabled: true, host: '127.0.0.1', port: dtmfPort } } : {}),
        }
      : { rtpengines: [{ host: '127.0.0.1', port: 9 }], anchor: false },
    dataDir,
    log: { level: process.env['E2E_LOG'] ?? (o.captureLogs === true ? 'info' : 'silent') },
    ...(o.config ?? {}),
  });
  const logs: Record<string, unknown>[] = [];
  const logger =
    o.captureLogs === true
      ? pino(
          { level: config.log.level },
          {
            write(line: string): void {
              try {
                logs.push(JSON.parse(line) as Record<string, unknown>);
              } catch {
                // not JSON
              }
              if (process.env['E2E_LOG'] !== undefined) process.stdout.write(line);
            },
          },
        )
      : pino({ level: config.log.level });
  let server = await startServer(config, { logger });
  let ports = { udp: server.sipPort('udp'), tcp: server.sipPort('tcp') };
  const fixture = seedFixture(server.directory, { trunkHost: '127.0.0.1', trunkPort: o.trunkPort });
  if (o.trunkAlternatePorts !== undefined) {
    server.directory.trunks.update('T', { alternates: o.trunkAlternatePorts.map((port) => ({ peerHost: '127.0.0.1', port, transport: 'udp' as const })) });
  }
  if (o.mobility !== undefined) server.directory.serviceParameters.setMany(o.mobility);
  return {
    get server() {
      return server;
    },
    fixture,
    rtpengine,
    get udpPort() {
      return ports.udp;
    },
    get tcpPort() {
      return ports.tcp;
    },
    logs,
    async restart(downMs = 0) {
      await server.close();
      if (downMs > 0) await sleep(downMs);
      server = await startServer(config, { logger });
      ports = { udp: server.sipPort('udp'), tcp: server.sipPort('tcp') };
    },
    async stop() {
      await server.close();
      await rtpengine?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The running feature of class `cls` (the built-in features: startServer's default). */
export function featureOf<F extends Feature>(server: RunningServer, cls: abstract new (...args: never[]) => F): F {
  const f = server.features.find((x): x is F => x instanceof cls);
  if (f === undefined) throw new Error(`${cls.name} is not registered in builtinFeatures()`);
  return f;
}

/** Our own SIP stack as a test client on 127.0.0.1 (UDP, short timers; INVITEs refused with 480). */
export function startClientStack(): Promise<SipStack> {
  return createSipStack({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 },
    handlers: { onInvite: (inv) => inv.reject(480), onRequest: () => undefined },
  });
}

/**
 * Register `contact` for a fixture device through our own SIP stack (a real
 * UAC doing digest auth), so a SIPp UAS at that contact receives its calls.
 */
export async function registerContact(
  serverPort: number,
  cred: { username: string; password: string; aor: string },
  contact: string,
  expires = 300,
): Promise<number> {
  const stack = await startClientStack();
  try {
    const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: serverPort };
    const make = (cseq: number) =>
      stack.ua.createRequest({ method: 'REGISTER', uri: `sip:127.0.0.1:${serverPort}`, from: `<${cred.aor}>`, to: `<${cred.aor}>`, callId: `reg-${cred.username}-${contact}`, cseq, contact: `<${contact}>`, options: { headers: { expires: String(expires) } } });
    return (await requestWithDigest(stack, dest, make, cred)).status;
  } finally {
    await stack.close();
  }
}

/**
 * A phone subscribes to its line's dialog state (RFC 4235 over RFC 6665), answering the digest
 * challenge: `cred` are the device's credentials, NOTIFYs go to its `contactPort`.
 */
export function subscribeLineDialogs(
  ts: TestServer,
  stack: SipStack,
  contactPort: number,
  line: string,
  cred: { username: string; password: string },
  callId: string,
): Promise<SipResponse> {
  const domain = ts.server.config.domain;
  const uri = `sip:${line}@127.0.0.1:${ts.udpPort}`;
  const make = (cseq: number): SipRequest =>
    stack.ua.createRequest({
      method: 'SUBSCRIBE',
      uri,
      from: `<sip:${cred.username}@${domain}>`,
      to: `<sip:${line}@${domain}>`,
      callId,
      cseq,
      contact: `<sip:${cred.username}@127.0.0.1:${contactPort}>`,
      options: { headers: { event: 'dialog', expires: '3600', accept: 'application/dialog-info+xml' } },
    });
  return requestWithDigest(stack, { protocol: 'udp', address: '127.0.0.1', port: ts.udpPort }, make, cred);
}

/**
 * Send the request `make(1)` from `stack`; a 401 is answered once with digest authentication
 * (`make(2)` with Authorization). Resolves with the final response.
 */
export async function requestWithDigest(
  stack: SipStack,
  dest: Parameters<SipStack['ua']['request']>[1],
  make: (cseq: number) => SipRequest,
  cred: { username: string; password: string },
): Promise<SipResponse> {
  const first = make(1);
  const res = await stack.ua.request(first, dest);
  if (res.status !== 401) return res;
  const auth = new DigestClient().authorize({ challenge: res.getAll('www-authenticate'), username: cred.username, password: cred.password, method: first.method, uri: first.uriString });
  if (!auth.ok) throw new Error(`digest client: ${auth.reason}`);
  const req = make(2);
  req.set('authorization', auth.value);
  return stack.ua.request(req, dest);
}
