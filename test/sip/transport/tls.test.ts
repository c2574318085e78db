import net from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import type { TransportLayerOptions } from '../../../src/sip/transport/options.js';
import { createTransportLayer, type NetworkTransportLayer } from '../../../src/sip/transport/transport-layer.js';
import { TransportError } from '../../../src/sip/transport/types.js';
import { type TestCert, makeCert, nextEvent, request, waitFor } from './helpers.js';

let cert: TestCert;
const layers: NetworkTransportLayer[] = [];
const servers: net.Server[] = [];

beforeAll(() => {
  cert = makeCert();
});

afterEach(async () => {
  await Promise.all(layers.splice(0).map((l) => l.close()));
  for (const s of servers.splice(0)) s.close();
});

async function tlsLayer(extra: Partial<TransportLayerOptions> = {}): Promise<NetworkTransportLayer> {
  const l = await createTransportLayer({
    listen: [{ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { cert: cert.cert, key: cert.key } }],
    tlsClient: { ca: cert.cert },
    ...extra,
  });
  layers.push(l);
  return l;
}

describe('TLS transport', () => {
  it('round trip with a node:tls client, response on the same connection', async () => {
    const l = await tlsLayer();
    const port = l.listeningPoint('tls')!.port;
    const sock = tls.connect({ host: '127.0.0.1', port, ca: cert.cert });
    await new Promise<void>((r, j) => {
      sock.once('secureConnect', r);
      sock.once('error', j);
    });
    let data = '';
    sock.on('data', (b: Buffer) => (data += b.toString()));
    const got = nextEvent(l, 'message');
    sock.write(request({ transport: 'TLS', method: 'REGISTER' }));
    const { message, flow } = await got;
    expect(flow.protocol).toBe('tls');
    expect(flow.connectionId).toMatch(/^tls-/);
    expect(flow.remotePort).toBe(sock.localPort);
    await l.sendResponse(createResponse(message as SipRequest, 200), flow);
    await waitFor(() => data.includes('SIP/2.0 200 OK'), 3000, 'response over tls');
    sock.write('\r\n\r\n');
    await waitFor(() => data.endsWith('Content-Length: 0\r\n\r\n\r\n'), 3000, 'pong');
    sock.destroy();
  });

  it('connects to another layer over TLS, verifying its certificate', async () => {
    const a = await tlsLayer();
    const b = await tlsLayer();
    b.on('message', ({ message, flow }) => {
      if (message.isRequest()) void b.sendResponse(createResponse(message, 200), flow);
    });
    const res = nextEvent(a, 'message');
    await a.send(parseMessage(Buffer.from(request({ transport: 'TLS' }))), { protocol: 'tls', address: '127.0.0.1', port: b.listeningPoint('tls')!.port });
    const r = await res;
    expect(r.flow.protocol).toBe('tls');
    expect(r.message.isRequest()).toBe(false);
  });

  it('refuses an untrusted server certificate (connect-failed)', async () => {
    const b = await tlsLayer();
    const a = await tlsLayer({ tlsClient: {} }); // no CA for the self-signed cert
    const err = await a
      .send(parseMessage(Buffer.from(request({ transport: 'TLS' }))), { protocol: 'tls', address: '127.0.0.1', port: b.listeningPoint('tls')!.port })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('connect-failed');
    expect((err as TransportError).message).toMatch(/self[- ]signed/i);
  });

  it('times out a handshake the peer never answers (connect-timeout)', async () => {
    const mute = net.createServer(() => undefined); // accepts TCP, never speaks TLS
    servers.push(mute);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as net.AddressInfo).port;
    const a = await tlsLayer({ connections: { connectTimeoutMs: 200 } });
    const t0 = Date.now();
    const err = await a.send(parseMessage(Buffer.from(request())), { protocol: 'tls', address: '127.0.0.1', port }).catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('connect-timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a plain-text client on the TLS port does not disturb the server', async () => {
    const l = await tlsLayer();
    const port = l.listeningPoint('tls')!.port;
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    await new Promise<void>((r) => raw.once('connect', r));
    raw.write(request());
    await new Promise<void>((r) => raw.once('close', r));
    const sock = tls.connect({ host: '127.0.0.1', port, ca: cert.cert });
    await new Promise<void>((r) => sock.once('secureConnect', r));
    const got = nextEvent(l, 'message');
    sock.write(request({ transport: 'TLS' }));
    await got;
    sock.destroy();
  });

  it('needs credentials for a tls listening point', async () => {
    await expect(createTransportLayer({ listen: [{ protocol: 'tls', host: '127.0.0.1', port: 0 }] })).rejects.toThrow(/cert, key/);
  });
});
