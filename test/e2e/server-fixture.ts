/**
 * Starts a real server in-process for an end-to-end test: ephemeral SIP/HTTP
 * ports, a temp data dir, its own rtpengine on a free port slot, timers short,
 * and the spec's fixture F (§18.0) provisioned with trunk T pointing at SIPp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/index.js';
import { seedFixture, type Fixture } from '../../src/directory/index.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { freePort } from './harness/ports.js';
import { DigestClient } from '../../src/sip/auth/digest-client.js';
import { type SipStack, createSipStack } from '../../src/sip/stack.js';

export interface TestServer {
  server: RunningServer;
  fixture: Fixture;
  rtpengine: RtpengineHandle | undefined;
  udpPort: number;
  tcpPort: number;
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
  config?: Record<string, unknown>;
}

export async function startTestServer(o: TestServerOptions): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ma-e2e-'));
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
    log: { level: process.env['E2E_LOG'] ?? 'silent' },
    ...(o.config ?? {}),
  });
  const server = await startServer(config, { logger: pino({ level: config.log.level }) });
  const fixture = seedFixture(server.directory, { trunkHost: '127.0.0.1', trunkPort: o.trunkPort });
  if (o.trunkAlternatePorts !== undefined) {
    server.directory.trunks.update('T', { alternates: o.trunkAlternatePorts.map((port) => ({ peerHost: '127.0.0.1', port, transport: 'udp' as const })) });
  }
  return {
    server,
    fixture,
    rtpengine,
    udpPort: server.sipPort('udp'),
    tcpPort: server.sipPort('tcp'),
    async stop() {
      await server.close();
      await rtpengine?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
  const stack: SipStack = await createSipStack({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 },
    handlers: { onInvite: (inv) => inv.reject(480), onRequest: () => undefined },
  });
  try {
    const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: serverPort };
    const make = (cseq: number) =>
      stack.ua.createRequest({ method: 'REGISTER', uri: `sip:127.0.0.1:${serverPort}`, from: `<${cred.aor}>`, to: `<${cred.aor}>`, callId: `reg-${cred.username}-${contact}`, cseq, contact: `<${contact}>`, options: { headers: { expires: String(expires) } } });
    let res = await stack.ua.request(make(1), dest);
    if (res.status === 401) {
      const client = new DigestClient();
      const auth = client.authorize({ challenge: res.getAll('www-authenticate'), username: cred.username, password: cred.password, method: 'REGISTER', uri: `sip:127.0.0.1:${serverPort}` });
      if (!auth.ok) throw new Error(`digest client: ${auth.reason}`);
      const req = make(2);
      req.set('authorization', auth.value);
      res = await stack.ua.request(req, dest);
    }
    return res.status;
  } finally {
    await stack.close();
  }
}
