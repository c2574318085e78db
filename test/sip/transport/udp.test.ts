import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { createTransportLayer, type NetworkTransportLayer } from '../../../src/sip/transport/transport-layer.js';
import { type InboundMessage, TransportError } from '../../../src/sip/transport/types.js';
import { captureLogger, freePort, nextEvent, nextEvents, request, sleep } from './helpers.js';

const layers: NetworkTransportLayer[] = [];
const sockets: dgram.Socket[] = [];

afterEach(async () => {
  await Promise.all(layers.splice(0).map((l) => l.close()));
  for (const s of sockets.splice(0)) s.close();
});

async function udpLayer(extra: Partial<Parameters<typeof createTransportLayer>[0]> = {}): Promise<NetworkTransportLayer> {
  const l = await createTransportLayer({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], ...extra });
  layers.push(l);
  return l;
}

async function udpClient(): Promise<{ sock: dgram.Socket; port: number; received: Buffer[] }> {
  const sock = dgram.createSocket('udp4');
  sockets.push(sock);
  const received: Buffer[] = [];
  sock.on('message', (b) => received.push(b));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { sock, port: (sock.address() as AddressInfo).port, received };
}

function waitReceived(received: Buffer[], n = 1, timeoutMs = 3000): Promise<Buffer[]> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (received.length >= n) resolve(received);
      else if (Date.now() > end) reject(new Error('no datagram'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('UDP transport', () => {
  it('binds an ephemeral port and reports it as the listening point', async () => {
    const l = await udpLayer();
    const lp = l.listeningPoint('udp')!;
    expect(lp.address).toBe('127.0.0.1');
    expect(lp.port).toBeGreaterThan(0);
    expect(l.listeningPoint('tcp')).toBeUndefined();
    expect(l.isReliable('udp')).toBe(false);
    expect(l.isReliable('tcp')).toBe(true);
  });

  it('round trip: fills Via received and rport, answers to received:rport from the same socket', async () => {
    const l = await udpLayer();
    const port = l.listeningPoint('udp')!.port;
    const c = await udpClient();
    const got = nextEvent(l, 'message');
    // sent-by claims a host name and port 5099: only received/rport lead back to the client
    c.sock.send(request({ sentBy: 'client.example.com:5099', viaParams: ';rport' }), port, '127.0.0.1');
    const { message, flow, size } = await got;
    expect(message.isRequest()).toBe(true);
    expect(flow).toMatchObject({ protocol: 'udp', remoteAddress: '127.0.0.1', remotePort: c.port, localPort: port });
    expect(flow.connectionId).toBeUndefined();
    expect(size).toBeGreaterThan(100);
    expect(message.topVia.received).toBe('127.0.0.1');
    expect(message.topVia.rport).toBe(c.port);
    expect(message.toString()).toContain(`;rport=${c.port};received=127.0.0.1`);

    await l.sendResponse(createResponse(message as SipRequest, 200), flow);
    const [buf] = await waitReceived(c.received);
    const res = parseMessage(buf!, { datagram: true });
    expect(res.isRequest()).toBe(false);
    expect(res.topVia.rport).toBe(c.port);
    expect(res.topVia.received).toBe('127.0.0.1');

    const st = l.stats();
    expect(st.udp.messagesIn).toBe(1);
    expect(st.udp.messagesOut).toBe(1);
    expect(st.udp.bytesOut).toBe(buf!.length);
    expect(st.udp.bytesIn).toBe(size);
  });

  it('adds no received when the source matches sent-by, and answers to the sent-by port', async () => {
    const l = await udpLayer();
    const port = l.listeningPoint('udp')!.port;
    const c = await udpClient();
    const got = nextEvent(l, 'message');
    c.sock.send(request({ sentBy: `127.0.0.1:${c.port}` }), port, '127.0.0.1');
    const { message, flow } = await got;
    expect(message.topVia.received).toBeUndefined();
    expect(message.topVia.params.has('rport')).toBe(false);
    await l.sendResponse(createResponse(message as SipRequest, 486), flow);
    const [buf] = await waitReceived(c.received);
    expect(buf!.toString()).toMatch(/^SIP\/2\.0 486 Busy Here/);
  });

  it('garbage datagram → parseFailure event, counted, and the socket keeps working', async () => {
    const l = await udpLayer();
    const port = l.listeningPoint('udp')!.port;
    const c = await udpClient();
    const fail = nextEvent(l, 'parseFailure');
    c.sock.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a, 0x41]), port, '127.0.0.1');
    const f = await fail;
    expect(f.reason).toMatch(/start line/);
    expect(f.flow.remotePort).toBe(c.port);
    expect(f.size).toBe(7);
    const ok = nextEvent(l, 'message');
    c.sock.send(request(), port, '127.0.0.1');
    await ok;
    expect(l.stats().udp.parseFailures).toBe(1);
    expect(l.stats().udp.messagesIn).toBe(1);
  });

  it('delivers a message with a header-level parse error as a message (the layer above answers 400)', async () => {
    const l = await udpLayer();
    const c = await udpClient();
    const got = nextEvent(l, 'message');
    const text = request().replace('Max-Forwards: 70', 'Max-Forwards 70');
    c.sock.send(text, l.listeningPoint('udp')!.port, '127.0.0.1');
    const { message } = await got;
    expect(message.parseError).toMatch(/colon/);
  });

  it('drops inbound datagrams above maxMessageSize with a reason', async () => {
    const l = await udpLayer({ maxMessageSize: 600 });
    const c = await udpClient();
    const fail = nextEvent(l, 'parseFailure');
    c.sock.send(request({ body: 'x'.repeat(800) }), l.listeningPoint('udp')!.port, '127.0.0.1');
    expect((await fail).reason).toMatch(/exceeds the maximum of 600/);
  });

  it('swallows CRLF keepalives and answers RFC 5626 STUN binding requests with the mapped address', async () => {
    const l = await udpLayer();
    const port = l.listeningPoint('udp')!.port;
    const c = await udpClient();
    let failures = 0;
    l.on('parseFailure', () => failures++);
    c.sock.send('\r\n\r\n', port, '127.0.0.1');
    const stun = Buffer.alloc(20);
    stun.writeUInt16BE(0x0001, 0);
    stun.writeUInt32BE(0x2112a442, 4);
    Buffer.from('0123456789ab').copy(stun, 8);
    c.sock.send(stun, port, '127.0.0.1');
    const [reply] = await waitReceived(c.received);
    expect(reply!.readUInt16BE(0)).toBe(0x0101);
    expect(reply!.subarray(8, 20).toString()).toBe('0123456789ab');
    expect(reply!.readUInt16BE(20)).toBe(0x0020); // XOR-MAPPED-ADDRESS
    expect(reply!.readUInt16BE(26) ^ 0x2112).toBe(c.port);
    const ip = [28, 29, 30, 31].map((i, k) => reply![i]! ^ [0x21, 0x12, 0xa4, 0x42][k]!).join('.');
    expect(ip).toBe('127.0.0.1');
    await sleep(20);
    expect(failures).toBe(0);
    expect(l.stats().udp.keepalives).toBe(2);
  });

  it('rejects an outbound message above maxDatagramSize with TransportError code too-large', async () => {
    const l = await udpLayer({ udp: { maxDatagramSize: 1000 } });
    const msg = parseMessage(Buffer.from(request({ body: 'y'.repeat(1200) })));
    const err = await l.send(msg, { protocol: 'udp', address: '127.0.0.1', port: 9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('too-large');
    expect(l.stats().udp.sendFailures).toBe(1);
  });

  it('never throws synchronously: a bad destination rejects', async () => {
    const l = await udpLayer();
    const msg = parseMessage(Buffer.from(request()));
    const p = l.send(msg, { protocol: 'udp', address: '127.0.0.1', port: 70000 });
    await expect(p).rejects.toBeInstanceOf(TransportError);
    await expect(l.send(msg, { protocol: 'tcp', address: '127.0.0.1', port: 5060 })).rejects.toMatchObject({ code: 'no-route' });
  });

  it('§18.1.1: with allowTcpSwitch a large request goes over TCP with the Via rewritten', async () => {
    const port = await freePort();
    const b = await createTransportLayer({
      listen: [
        { protocol: 'udp', host: '127.0.0.1', port },
        { protocol: 'tcp', host: '127.0.0.1', port },
      ],
    });
    layers.push(b);
    const a = await createTransportLayer({
      listen: [
        { protocol: 'udp', host: '127.0.0.1', port: 0 },
        { protocol: 'tcp', host: '127.0.0.1', port: 0 },
      ],
    });
    layers.push(a);
    const big = parseMessage(Buffer.from(request({ body: 'z'.repeat(1500) })));
    const got = nextEvent(b, 'message');
    await a.send(big, { protocol: 'udp', address: '127.0.0.1', port, allowTcpSwitch: true });
    const { flow, message } = await got;
    expect(flow.protocol).toBe('tcp');
    expect(big.topVia.transport).toBe('TCP');
    expect(big.topVia.port).toBe(a.listeningPoint('tcp')!.port);
    expect(message.topVia.transport).toBe('TCP');
    // without the flag the same request stays on UDP
    const small = parseMessage(Buffer.from(request({ body: 'z'.repeat(1500) })));
    const got2 = nextEvent(b, 'message');
    await a.send(small, { protocol: 'udp', address: '127.0.0.1', port });
    expect((await got2).flow.protocol).toBe('udp');
    expect(small.topVia.transport).toBe('UDP');
  });

  it('§18.1.1: falls back to UDP (Via restored) when the TCP connection is refused', async () => {
    const b = await udpLayer(); // UDP only: TCP connect to its port is refused
    const a = await createTransportLayer({
      listen: [
        { protocol: 'udp', host: '127.0.0.1', port: 0 },
        { protocol: 'tcp', host: '127.0.0.1', port: 0 },
      ],
    });
    layers.push(a);
    const big = parseMessage(Buffer.from(request({ body: 'z'.repeat(1500) })));
    const got = nextEvent(b, 'message');
    await a.send(big, { protocol: 'udp', address: '127.0.0.1', port: b.listeningPoint('udp')!.port, allowTcpSwitch: true });
    expect((await got).flow.protocol).toBe('udp');
    expect(big.topVia.transport).toBe('UDP');
    expect(big.topVia.host).toBe('client.example.com');
  });

  it('a handler that throws or rejects does not stop delivery to the next handler or message', async () => {
    const log = captureLogger();
    const l = await udpLayer({ logger: log });
    const c = await udpClient();
    l.on('message', () => {
      throw new Error('boom');
    });
    l.on('message', async () => {
      throw new Error('async boom');
    });
    const seen: InboundMessage[] = [];
    l.on('message', (m) => seen.push(m));
    const two = nextEvents(l, 'message', 2);
    c.sock.send(request(), l.listeningPoint('udp')!.port, '127.0.0.1');
    c.sock.send(request(), l.listeningPoint('udp')!.port, '127.0.0.1');
    await two;
    await sleep(20);
    expect(seen).toHaveLength(2);
    expect(log.entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual(
      expect.arrayContaining(['message handler threw', 'message handler rejected']),
    );
  });

  it('asks for large socket buffers and logs what the kernel granted', async () => {
    const log = captureLogger();
    await udpLayer({ logger: log, udp: { recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 } });
    const e = log.entries.find((x) => x.msg?.startsWith('udp socket buffers'));
    expect(e).toBeDefined();
    expect((e!.obj as { wantRecv: number }).wantRecv).toBe(1 << 20);
    expect((e!.obj as { recvBufferSize: number }).recvBufferSize).toBeGreaterThan(0);
  });

  it('close() releases the port', async () => {
    const l = await udpLayer();
    const port = l.listeningPoint('udp')!.port;
    await l.close();
    const again = await createTransportLayer({ listen: [{ protocol: 'udp', host: '127.0.0.1', port }] });
    layers.push(again);
    expect(again.listeningPoint('udp')!.port).toBe(port);
    await expect(l.send(parseMessage(Buffer.from(request())), { protocol: 'udp', address: '127.0.0.1', port })).rejects.toMatchObject({ code: 'closed' });
  });

  it('createTransportLayer rejects (and releases what it bound) when a port is taken', async () => {
    const l = await udpLayer();
    const port = l.listeningPoint('udp')!.port;
    await expect(
      createTransportLayer({
        listen: [
          { protocol: 'tcp', host: '127.0.0.1', port: 0 },
          { protocol: 'udp', host: '127.0.0.1', port },
        ],
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
