import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import type { TransportLayerOptions } from '../../../src/sip/transport/options.js';
import { createTransportLayer, type NetworkTransportLayer } from '../../../src/sip/transport/transport-layer.js';
import { TransportError } from '../../../src/sip/transport/types.js';
import { type TestCert, makeCert, nextEvent, request, waitFor } from './helpers.js';

const layers: NetworkTransportLayer[] = [];
const sockets: WebSocket[] = [];
let cert: TestCert;

beforeAll(() => {
  cert = makeCert();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

async function wsLayer(extra: Partial<TransportLayerOptions> = {}): Promise<NetworkTransportLayer> {
  const l = await createTransportLayer({
    listen: [
      { protocol: 'ws', host: '127.0.0.1', port: 0 },
      { protocol: 'wss', host: '127.0.0.1', port: 0, tls: { cert: cert.cert, key: cert.key } },
    ],
    tlsClient: { ca: cert.cert },
    ...extra,
  });
  layers.push(l);
  return l;
}

interface Client {
  ws: WebSocket;
  frames: { text: string; binary: boolean }[];
}

async function wsClient(url: string, protocols: string | string[] | null = 'sip', ca?: string): Promise<Client> {
  const ws = protocols === null ? new WebSocket(url, { ca }) : new WebSocket(url, protocols, { ca });
  sockets.push(ws);
  const frames: Client['frames'] = [];
  ws.on('message', (data, binary) => frames.push({ text: Buffer.isBuffer(data) ? data.toString() : String(data), binary }));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, frames };
}

const register = (): string => request({ method: 'REGISTER', transport: 'WS', sentBy: 'df7jal23ls0d.invalid', viaParams: ';rport' });

describe('WebSocket transport (RFC 7118)', () => {
  it('REGISTER as a text frame; the response comes back over the same socket', async () => {
    const l = await wsLayer();
    const c = await wsClient(`ws://127.0.0.1:${l.listeningPoint('ws')!.port}/`);
    expect(c.ws.protocol).toBe('sip');
    const got = nextEvent(l, 'message');
    c.ws.send(register());
    const { message, flow } = await got;
    expect(flow.protocol).toBe('ws');
    expect(flow.connectionId).toMatch(/^ws-/);
    expect(message.topVia.host).toBe('df7jal23ls0d.invalid');
    expect(message.topVia.received).toBe('127.0.0.1');
    await l.sendResponse(createResponse(message as SipRequest, 200), flow);
    await waitFor(() => c.frames.length === 1, 3000, 'response frame');
    expect(c.frames[0]!.binary).toBe(false);
    expect(c.frames[0]!.text).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(c.frames[0]!.text).toContain('received=127.0.0.1');
    // a later request to that UA goes by connectionId (its Via/Contact host is *.invalid)
    await l.send(parseMessage(Buffer.from(request({ method: 'INVITE', transport: 'WS' }))), {
      protocol: 'ws',
      address: 'df7jal23ls0d.invalid',
      port: 0,
      connectionId: flow.connectionId!,
    });
    await waitFor(() => c.frames.length === 2, 3000, 'request frame');
    expect(c.frames[1]!.text).toMatch(/^INVITE /);
  });

  it('accepts binary frames and messages without Content-Length', async () => {
    const l = await wsLayer();
    const c = await wsClient(`ws://127.0.0.1:${l.listeningPoint('ws')!.port}`);
    const got = nextEvent(l, 'message');
    c.ws.send(Buffer.from(request({ transport: 'WS', noContentLength: true, body: 'abc' })), { binary: true });
    const { message } = await got;
    expect(message.bodyText).toBe('abc');
    expect(message.parseError).toBeUndefined();
  });

  it('refuses an upgrade without the sip subprotocol', async () => {
    const l = await wsLayer();
    const url = `ws://127.0.0.1:${l.listeningPoint('ws')!.port}/`;
    await expect(wsClient(url, null)).rejects.toThrow(/400/);
    await expect(wsClient(url, ['chat', 'superchat'])).rejects.toThrow(/400/);
    const ok = await wsClient(url, ['chat', 'sip']);
    expect(ok.ws.protocol).toBe('sip');
    expect(l.stats().ws.connectionsRejected).toBe(2);
    expect(l.stats().ws.openConnections).toBe(1);
  });

  it('plain HTTP gets 426', async () => {
    const l = await wsLayer();
    const res = await fetch(`http://127.0.0.1:${l.listeningPoint('ws')!.port}/`);
    expect(res.status).toBe(426);
  });

  it('a bad or oversized message never closes the connection', async () => {
    const l = await wsLayer({ maxMessageSize: 3000 });
    const c = await wsClient(`ws://127.0.0.1:${l.listeningPoint('ws')!.port}/`);
    const f1 = nextEvent(l, 'parseFailure');
    c.ws.send('this is not SIP');
    expect((await f1).reason).toMatch(/start line/);
    const f2 = nextEvent(l, 'parseFailure');
    c.ws.send(request({ transport: 'WS', body: 'x'.repeat(4000) }));
    expect((await f2).reason).toMatch(/exceeds the maximum of 3000/);
    const f3 = nextEvent(l, 'parseFailure');
    c.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]), { binary: false }); // invalid UTF-8 text frame
    await f3;
    const got = nextEvent(l, 'message');
    c.ws.send(register());
    await got;
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(l.stats().ws.parseFailures).toBe(3);
  });

  it('answers a CRLFCRLF keepalive frame with CRLF', async () => {
    const l = await wsLayer();
    const c = await wsClient(`ws://127.0.0.1:${l.listeningPoint('ws')!.port}/`);
    c.ws.send('\r\n\r\n');
    await waitFor(() => c.frames.length === 1, 3000, 'pong');
    expect(c.frames[0]!.text).toBe('\r\n');
  });

  it('once the UA disconnects, responses fail with connection-closed (no dialling *.invalid)', async () => {
    const l = await wsLayer();
    const c = await wsClient(`ws://127.0.0.1:${l.listeningPoint('ws')!.port}/`);
    const got = nextEvent(l, 'message');
    c.ws.send(register());
    const { message, flow } = await got;
    const closed = nextEvent(l, 'connectionClosed');
    c.ws.close();
    expect((await closed).flow.connectionId).toBe(flow.connectionId);
    const err = await l.sendResponse(createResponse(message as SipRequest, 200), flow).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('connection-closed');
  });

  it('WSS round trip', async () => {
    const l = await wsLayer();
    const c = await wsClient(`wss://127.0.0.1:${l.listeningPoint('wss')!.port}/`, 'sip', cert.cert);
    const got = nextEvent(l, 'message');
    c.ws.send(request({ method: 'REGISTER', transport: 'WSS', sentBy: 'x.invalid' }));
    const { message, flow } = await got;
    expect(flow.protocol).toBe('wss');
    await l.sendResponse(createResponse(message as SipRequest, 200), flow);
    await waitFor(() => c.frames.length === 1, 3000, 'response');
    expect(c.frames[0]!.text).toMatch(/^SIP\/2\.0 200 OK/);
  });

  it('opens outbound WS connections to another layer (sip subprotocol)', async () => {
    const a = await wsLayer();
    const b = await wsLayer();
    b.on('message', ({ message, flow }) => {
      if (message.isRequest()) void b.sendResponse(createResponse(message, 200), flow);
    });
    const res = nextEvent(a, 'message');
    await a.send(parseMessage(Buffer.from(request({ transport: 'WS' }))), { protocol: 'ws', address: '127.0.0.1', port: b.listeningPoint('ws')!.port });
    const r = await res;
    expect(r.flow.protocol).toBe('ws');
    expect(r.message.isRequest()).toBe(false);
    await expect(
      a.send(parseMessage(Buffer.from(request({ transport: 'WS' }))), { protocol: 'ws', address: 'nobody.invalid', port: 80 }),
    ).rejects.toMatchObject({ code: 'connection-closed' });
  });
});
