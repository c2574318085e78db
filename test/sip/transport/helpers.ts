/** Shared bits for the transport tests: SIP texts, event waiting, raw clients, a test certificate. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportLogger } from '../../../src/sip/transport/logger.js';
import type { ManagedTransportEvents, ManagedTransportLayer } from '../../../src/sip/transport/types.js';

let branchSeq = 0;

export interface SipTextOptions {
  method?: string;
  transport?: string;
  sentBy?: string;
  viaParams?: string;
  body?: string;
  callId?: string;
  extraHeaders?: string[];
  /** omit Content-Length entirely */
  noContentLength?: boolean;
}

/** A complete, valid request as text. */
export function request(o: SipTextOptions = {}): string {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  const lines = [
    `${method} sip:server.example.com SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} ${o.sentBy ?? 'client.example.com:5099'};branch=z9hG4bK-t${++branchSeq}${o.viaParams ?? ''}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=f1',
    'To: <sip:bob@example.com>',
    `Call-ID: ${o.callId ?? `call-${branchSeq}@test`}`,
    `CSeq: 1 ${method}`,
    'Contact: <sip:alice@client.example.com>',
    ...(o.extraHeaders ?? []),
  ];
  if (o.noContentLength !== true) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Resolve with the next `count` events of a kind (rejects after timeoutMs). */
export function nextEvents<E extends keyof ManagedTransportEvents>(
  layer: ManagedTransportLayer,
  event: E,
  count = 1,
  timeoutMs = 3000,
): Promise<Parameters<ManagedTransportEvents[E]>[0][]> {
  type Arg = Parameters<ManagedTransportEvents[E]>[0];
  return new Promise((resolve, reject) => {
    const got: Arg[] = [];
    const handler = ((arg: Arg) => {
      got.push(arg);
      if (got.length === count) {
        clearTimeout(timer);
        layer.off(event, handler);
        resolve(got);
      }
    }) as ManagedTransportEvents[E];
    const timer = setTimeout(() => {
      layer.off(event, handler);
      reject(new Error(`timed out waiting for ${count} ${event} event(s), got ${got.length}`));
    }, timeoutMs);
    layer.on(event, handler);
  });
}

export async function nextEvent<E extends keyof ManagedTransportEvents>(
  layer: ManagedTransportLayer,
  event: E,
  timeoutMs = 3000,
): Promise<Parameters<ManagedTransportEvents[E]>[0]> {
  const [e] = await nextEvents(layer, event, 1, timeoutMs);
  return e!;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A raw TCP client that accumulates everything it receives. */
export class RawTcpClient {
  data = '';
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (b) => (this.data += b.toString('latin1')));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number, localAddress?: string): Promise<RawTcpClient> {
    return new Promise((resolve, reject) => {
      const opts: net.NetConnectOpts = { host: '127.0.0.1', port };
      if (localAddress !== undefined) opts.localAddress = localAddress;
      const s = net.connect(opts, () => resolve(new RawTcpClient(s)));
      s.once('error', reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort!;
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Wait until the received text matches. */
  async waitFor(re: RegExp, timeoutMs = 3000): Promise<string> {
    await waitFor(() => re.test(this.data), timeoutMs, `data matching ${re}`);
    return this.data;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A free port for both TCP and UDP on 127.0.0.1 (best effort). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface TestCert {
  cert: string;
  key: string;
}

/** Self-signed EC certificate for 127.0.0.1 / localhost, made with the openssl CLI. */
export function makeCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LogEntry {
  level: string;
  obj: object;
  msg: string | undefined;
}

export function captureLogger(): TransportLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
