import { afterEach, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import type { TransportLayerOptions } from '../../../src/sip/transport/options.js';
import { createTransportLayer, type NetworkTransportLayer } from '../../../src/sip/transport/transport-layer.js';
import { type ConnectionEvent, TransportError } from '../../../src/sip/transport/types.js';
import { RawTcpClient, freePort, nextEvent, nextEvents, request, sleep, waitFor } from './helpers.js';

const layers: NetworkTransportLayer[] = [];
const clients: RawTcpClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

async function tcpLayer(extra: Partial<TransportLayerOptions> = {}): Promise<NetworkTransportLayer> {
  const l = await createTransportLayer({ listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }], ...extra });
  layers.push(l);
  return l;
}

async function client(l: NetworkTransportLayer, localAddress?: string): Promise<RawTcpClient> {
  const c = await RawTcpClient.connect(l.listeningPoint('tcp')!.port, localAddress);
  clients.push(c);
  return c;
}

describe('TCP transport', () => {
  it('frames several messages from one write', async () => {
    const l = await tcpLayer();
    const c = await client(l);
    const got = nextEvents(l, 'message', 3);
    c.write(request({ transport: 'TCP' }) + request({ transport: 'TCP', body: 'hello' }) + request({ transport: 'TCP' }));
    const msgs = await got;
    expect(msgs.map((m) => m.message.bodyText)).toEqual(['', 'hello', '']);
    const ids = new Set(msgs.map((m) => m.flow.connectionId));
    expect(ids.size).toBe(1);
    expect(msgs[0]!.flow).toMatchObject({ protocol: 'tcp', remoteAddress: '127.0.0.1', remotePort: c.localPort });
    expect(msgs[1]!.size).toBe(Buffer.byteLength(request({ transport: 'TCP', body: 'hello' })));
  });

  it('reassembles one message written in pieces', async () => {
    const l = await tcpLayer();
    const c = await client(l);
    const text = request({ transport: 'TCP', body: 'v=0\r\n' });
    let delivered = 0;
    l.on('message', () => delivered++);
    const got = nextEvent(l, 'message');
    for (const piece of [text.slice(0, 10), text.slice(10, 200), text.slice(200, text.length - 2), text.slice(text.length - 2)]) {
      c.write(piece);
      await sleep(15);
      if (piece !== text.slice(text.length - 2)) expect(delivered).toBe(0);
    }
    expect((await got).message.bodyText).toBe('v=0\r\n');
  });

  it('answers over the same connection and reuses it for later requests to that peer', async () => {
    const l = await tcpLayer();
    const c = await client(l);
    const got = nextEvent(l, 'message');
    c.write(request({ transport: 'TCP', sentBy: '10.9.9.9:5060' })); // sent-by unreachable: only the connection works
    const { message, flow } = await got;
    expect(message.topVia.received).toBe('127.0.0.1');
    await l.sendResponse(createResponse(message as SipRequest, 200), flow);
    await c.waitFor(/SIP\/2\.0 200 OK/);
    // a new request to the phone's address:port (no connectionId) uses the inbound connection
    const req = parseMessage(Buffer.from(request({ method: 'NOTIFY', transport: 'TCP' })));
    await l.send(req, { protocol: 'tcp', address: '127.0.0.1', port: c.localPort });
    await c.waitFor(/NOTIFY sip:/);
    // and by connectionId whatever the address says
    await l.send(req, { protocol: 'tcp', address: '192.0.2.1', port: 1, connectionId: flow.connectionId! });
    await c.waitFor(/NOTIFY[\s\S]*NOTIFY/);
    const st = l.stats().tcp;
    expect(st.openConnections).toBe(1);
    expect(st.connectionsAccepted).toBe(1);
    expect(st.messagesOut).toBe(3);
  });

  it('answers a CRLFCRLF ping with a CRLF pong (RFC 5626)', async () => {
    const l = await tcpLayer();
    const c = await client(l);
    c.write('\r\n\r\n');
    await c.waitFor(/^\r\n$/);
    expect(l.stats().tcp.keepalives).toBe(1);
  });

  it('an oversized message closes that connection only; others keep being served', async () => {
    const l = await tcpLayer({ maxMessageSize: 2000 });
    const bad = await client(l);
    const good = await client(l);
    const fail = nextEvent(l, 'parseFailure');
    const closed = nextEvent(l, 'connectionClosed');
    bad.write(request({ transport: 'TCP' }).replace('Content-Length: 0', 'Content-Length: 50000'));
    const f = await fail;
    expect(f.reason).toMatch(/exceeds the maximum of 2000/);
    expect((await closed).reason).toMatch(/framing error/);
    await waitFor(() => bad.closed, 3000, 'bad client closed');
    const got = nextEvent(l, 'message');
    good.write(request({ transport: 'TCP' }));
    const { message, flow } = await got;
    await l.sendResponse(createResponse(message as SipRequest, 200), flow);
    await good.waitFor(/200 OK/);
    expect(good.closed).toBe(false);
    expect(l.stats().tcp.openConnections).toBe(1);
  });

  it('a message without Content-Length on a stream closes the connection', async () => {
    const l = await tcpLayer();
    const c = await client(l);
    const fail = nextEvent(l, 'parseFailure');
    c.write(request({ transport: 'TCP', noContentLength: true }));
    expect((await fail).reason).toMatch(/Content-Length/);
    await waitFor(() => c.closed, 3000, 'closed');
  });

  it('a frame with a broken start line is reported and the connection stays usable', async () => {
    const l = await tcpLayer();
    const c = await client(l);
    const fail = nextEvent(l, 'parseFailure');
    c.write('HELLO WORLD\r\nContent-Length: 0\r\n\r\n');
    await fail;
    const got = nextEvent(l, 'message');
    c.write(request({ transport: 'TCP' }));
    await got;
    expect(c.closed).toBe(false);
  });

  it('reaps idle connections, but not retained ones', async () => {
    const l = await tcpLayer({ connections: { idleTimeoutMs: 300 } });
    const idle = await client(l);
    const kept = await client(l);
    // messages make both connections known with their ids
    const got = nextEvents(l, 'message', 2);
    idle.write(request({ transport: 'TCP' }));
    kept.write(request({ transport: 'TCP' }));
    const msgs = await got;
    const keptId = msgs.find((m) => m.flow.remotePort === kept.localPort)!.flow.connectionId!;
    const release = l.retainConnection(keptId);
    expect(release).toBeTypeOf('function');
    const closed = await nextEvent(l, 'connectionClosed', 3000);
    expect(closed.reason).toBe('idle timeout');
    expect(closed.flow.remotePort).toBe(idle.localPort);
    await waitFor(() => idle.closed, 3000, 'idle client closed');
    await sleep(700);
    expect(kept.closed).toBe(false);
    expect(l.isConnectionOpen(keptId)).toBe(true);
    release!();
    await waitFor(() => kept.closed, 3000, 'released connection reaped');
    expect(l.stats().tcp.connectionsReaped).toBe(2);
    expect(l.stats().tcp.openConnections).toBe(0);
  });

  it('caps connections per remote IP without starving other sources', async () => {
    const l = await tcpLayer({ connections: { maxConnectionsPerIp: 2 } });
    const a1 = await client(l);
    const a2 = await client(l);
    const a3 = await client(l);
    await waitFor(() => a3.closed, 3000, 'third connection from one IP refused');
    expect(a1.closed || a2.closed).toBe(false);
    // 127.0.0.2 is another source address on the loopback network
    const other = await client(l, '127.0.0.2');
    const got = nextEvent(l, 'message');
    other.write(request({ transport: 'TCP' }));
    expect((await got).flow.remoteAddress).toBe('127.0.0.2');
    expect(l.stats().tcp.connectionsRejected).toBe(1);
    // a slot frees up when a connection closes
    a1.destroy();
    await waitFor(() => l.stats().tcp.openConnections === 2, 3000, 'close noticed');
    const a4 = await client(l);
    const got4 = nextEvent(l, 'message');
    a4.write(request({ transport: 'TCP' }));
    await got4;
  });

  it('caps the total number of inbound connections', async () => {
    const l = await tcpLayer({ connections: { maxConnections: 1 } });
    await client(l);
    const b = await client(l, '127.0.0.3');
    await waitFor(() => b.closed, 3000, 'over the total cap');
  });

  it('connects on demand between two layers and gets the response on that connection', async () => {
    const a = await tcpLayer();
    const b = await tcpLayer();
    const bPort = b.listeningPoint('tcp')!.port;
    b.on('message', ({ message, flow }) => {
      if (message.isRequest()) void b.sendResponse(createResponse(message, 200), flow);
    });
    const aOpened = nextEvent(a, 'connectionOpened');
    const res = nextEvent(a, 'message');
    const req = parseMessage(Buffer.from(request({ transport: 'TCP', sentBy: `127.0.0.1:${a.listeningPoint('tcp')!.port}` })));
    await a.send(req, { protocol: 'tcp', address: '127.0.0.1', port: bPort });
    const opened: ConnectionEvent = await aOpened;
    expect(opened.inbound).toBe(false);
    const r = await res;
    expect(r.message.isRequest()).toBe(false);
    expect(r.flow.connectionId).toBe(opened.flow.connectionId);
    expect(a.stats().tcp.openConnections).toBe(1);
    expect(b.stats().tcp.connectionsAccepted).toBe(1);
  });

  it('concurrent sends to one peer share a single new connection', async () => {
    const a = await tcpLayer();
    const b = await tcpLayer();
    const got = nextEvents(b, 'message', 5);
    const bPort = b.listeningPoint('tcp')!.port;
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) => a.send(parseMessage(Buffer.from(request({ transport: 'TCP', callId: `c${i}` }))), { protocol: 'tcp', address: '127.0.0.1', port: bPort })),
    );
    const msgs = await got;
    expect(new Set(msgs.map((m) => m.flow.connectionId)).size).toBe(1);
    expect(b.stats().tcp.connectionsAccepted).toBe(1);
  });

  it('§18.2.2: when the request connection is gone, the response opens a connection to received + sent-by port', async () => {
    const a = await tcpLayer();
    const b = await tcpLayer();
    const aPort = a.listeningPoint('tcp')!.port;
    const atB = nextEvent(b, 'message');
    await a.send(parseMessage(Buffer.from(request({ transport: 'TCP', sentBy: `localhost:${aPort}` }))), {
      protocol: 'tcp',
      address: '127.0.0.1',
      port: b.listeningPoint('tcp')!.port,
    });
    const { message, flow } = await atB;
    expect(message.topVia.received).toBe('127.0.0.1');
    b.closeConnection(flow.connectionId!);
    await waitFor(() => a.stats().tcp.openConnections === 0, 3000, 'a notices the close');
    expect(b.isConnectionOpen(flow.connectionId!)).toBe(false);
    const res = nextEvent(a, 'message');
    await b.sendResponse(createResponse(message as SipRequest, 200), flow);
    const r = await res;
    expect(r.message.isRequest()).toBe(false);
    expect(a.stats().tcp.connectionsAccepted).toBe(1); // b dialled a's listening port
  });

  it('rejects with connect-failed when nothing listens', async () => {
    const a = await tcpLayer();
    const port = await freePort();
    const err = await a.send(parseMessage(Buffer.from(request())), { protocol: 'tcp', address: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('connect-failed');
    expect((err as TransportError).destination.port).toBe(port);
    expect(a.stats().tcp.sendFailures).toBe(1);
  });

  it('close() drops connections and releases the port', async () => {
    const l = await tcpLayer();
    const port = l.listeningPoint('tcp')!.port;
    const c = await client(l);
    await waitFor(() => l.stats().tcp.openConnections === 1, 3000, 'accepted');
    await l.close();
    await waitFor(() => c.closed, 3000, 'client closed');
    const again = await createTransportLayer({ listen: [{ protocol: 'tcp', host: '127.0.0.1', port }] });
    layers.push(again);
    expect(again.listeningPoint('tcp')!.port).toBe(port);
  });
});
