import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { FakeNetwork, FakeTransport } from '../../../src/sip/transport/fake-transport.js';
import { type InboundMessage, type ManagedTransportLayer, type TransportLayer, TransportError } from '../../../src/sip/transport/types.js';
import { request } from './helpers.js';

const req = (o: Parameters<typeof request>[0] = {}): SipRequest => parseMessage(Buffer.from(request(o))) as SipRequest;

describe('FakeTransport', () => {
  it('is a ManagedTransportLayer (and so a TransportLayer)', () => {
    const t: ManagedTransportLayer = new FakeTransport();
    const base: TransportLayer = t;
    expect(base.listeningPoint('udp')).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5060 });
    expect(t.isReliable('udp')).toBe(false);
    expect(t.isReliable('ws')).toBe(true);
  });

  it('records sends with the wire text at send time', async () => {
    const t = new FakeTransport();
    const m = req({ method: 'INVITE' });
    await t.send(m, { protocol: 'udp', address: '192.0.2.5', port: 5060 });
    m.set('subject', 'changed later');
    expect(t.sent).toHaveLength(1);
    expect(t.sentRequests('INVITE')).toHaveLength(1);
    expect(t.sent[0]!.wire).not.toContain('changed later');
    expect(t.sent[0]!.destination).toEqual({ protocol: 'udp', address: '192.0.2.5', port: 5060 });
    expect(t.stats().udp.messagesOut).toBe(1);
  });

  it('injects inbound messages with a flow, stamping Via like the real layer', () => {
    const t = new FakeTransport();
    const seen: InboundMessage[] = [];
    t.on('message', (m) => seen.push(m));
    const r = t.inject(request({ viaParams: ';rport' }), { remoteAddress: '198.51.100.7', remotePort: 40000 });
    expect('message' in r).toBe(true);
    expect(seen).toHaveLength(1);
    const { message, flow } = seen[0]!;
    expect(flow).toMatchObject({ protocol: 'udp', remoteAddress: '198.51.100.7', remotePort: 40000, localPort: 5060 });
    expect(message.topVia.received).toBe('198.51.100.7');
    expect(message.topVia.rport).toBe(40000);
  });

  it('routes sendResponse per §18.2.2 / RFC 3581', async () => {
    const t = new FakeTransport();
    let inbound: InboundMessage | undefined;
    t.on('message', (m) => (inbound = m));
    t.inject(request({ viaParams: ';rport' }), { remoteAddress: '198.51.100.7', remotePort: 40000 });
    await t.sendResponse(createResponse(inbound!.message as SipRequest, 200), inbound!.flow);
    expect(t.sentResponses(200)[0]!.destination).toEqual({ protocol: 'udp', address: '198.51.100.7', port: 40000 });
    expect(t.sentResponses(200)[0]!.requestFlow).toBe(inbound!.flow);
  });

  it('reports unparseable input as parseFailure', () => {
    const t = new FakeTransport();
    const reasons: string[] = [];
    t.on('parseFailure', (f) => reasons.push(f.reason));
    t.inject('garbage\r\n\r\n');
    expect(reasons).toHaveLength(1);
    expect(t.stats().udp.parseFailures).toBe(1);
  });

  it('simulates loss: dropNext, dropWhen, lossRate with a seeded random', async () => {
    const t = new FakeTransport({ lossRate: 0.5, random: (() => { let i = 0; return () => [0.1, 0.9][i++ % 2]!; })() });
    const d = { protocol: 'udp' as const, address: '192.0.2.1', port: 5060 };
    await t.send(req(), d); // 0.1 < 0.5 → lost
    await t.send(req(), d); // 0.9 → delivered
    expect(t.sent.map((s) => s.dropped)).toEqual([true, false]);
    t.clearRules();
    t.clear();
    t.dropNext(1, (s) => s.message.isRequest() && s.message.method === 'BYE');
    await t.send(req({ method: 'INFO' }), d);
    await t.send(req({ method: 'BYE' }), d);
    await t.send(req({ method: 'BYE' }), d);
    expect(t.sent.map((s) => s.dropped)).toEqual([false, true, false]);
    t.dropWhen(() => true);
    await t.send(req(), d);
    await t.send(req(), d);
    expect(t.sent.slice(3).every((s) => s.dropped)).toBe(true);
  });

  it('simulates send failures with a TransportError code', async () => {
    const t = new FakeTransport();
    t.failNext(1, 'connect-failed');
    const d = { protocol: 'tcp' as const, address: '192.0.2.1', port: 5060 };
    const err = await t.send(req(), d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('connect-failed');
    await t.send(req(), d);
    expect(t.sent).toHaveLength(1);
    expect(t.stats().tcp.sendFailures).toBe(1);
  });

  it('rejects UDP sends above maxDatagramSize with too-large', async () => {
    const t = new FakeTransport({ maxDatagramSize: 500 });
    await expect(t.send(req({ body: 'x'.repeat(600) }), { protocol: 'udp', address: '192.0.2.1', port: 5060 })).rejects.toMatchObject({ code: 'too-large' });
  });

  it('tracks connections: WS responses fail once the connection is closed', async () => {
    const t = new FakeTransport({ listeningPoints: [{ protocol: 'ws', address: '127.0.0.1', port: 8080 }] });
    const closed: string[] = [];
    t.on('connectionClosed', (e) => closed.push(e.flow.connectionId!));
    let inbound: InboundMessage | undefined;
    t.on('message', (m) => (inbound = m));
    t.inject(request({ transport: 'WS', sentBy: 'abc.invalid' }), { protocol: 'ws' });
    const id = inbound!.flow.connectionId!;
    expect(t.isConnectionOpen(id)).toBe(true);
    const release = t.retainConnection(id)!;
    expect(t.connectionHolds(id)).toBe(1);
    release();
    release();
    expect(t.connectionHolds(id)).toBe(0);
    t.closeConnection(id);
    expect(closed).toEqual([id]);
    await expect(t.sendResponse(createResponse(inbound!.message as SipRequest, 200), inbound!.flow)).rejects.toMatchObject({ code: 'connection-closed' });
  });

  it('waitForSent resolves on a later matching send', async () => {
    const t = new FakeTransport();
    const p = t.waitForSent((s) => s.message.isRequest() && s.message.method === 'CANCEL');
    setTimeout(() => void t.send(req({ method: 'CANCEL' }), { protocol: 'udp', address: '192.0.2.1', port: 5060 }), 5);
    expect((await p).message.isRequest()).toBe(true);
    await expect(t.waitForSent(() => false, 20)).rejects.toThrow(/nothing matching/);
  });

  it('a handler that throws does not break inject', () => {
    const t = new FakeTransport();
    let second = 0;
    t.on('message', () => {
      throw new Error('boom');
    });
    t.on('message', () => second++);
    t.inject(request());
    expect(second).toBe(1);
  });

  it('FakeNetwork carries messages between two fakes, responses included', async () => {
    const net = new FakeNetwork();
    const a = new FakeTransport({ listeningPoints: [{ protocol: 'tcp', address: '10.0.0.1', port: 5060 }] });
    const b = new FakeTransport({ listeningPoints: [{ protocol: 'tcp', address: '10.0.0.2', port: 5060 }] });
    net.attach(a);
    net.attach(b);
    b.on('message', ({ message, flow }) => {
      if (message.isRequest()) void b.sendResponse(createResponse(message, 180), flow);
    });
    const gotAtA = new Promise<InboundMessage>((resolve) => a.on('message', resolve));
    const r = req({ method: 'INVITE', transport: 'TCP', sentBy: '10.0.0.1:5060' });
    await a.send(r, { protocol: 'tcp', address: '10.0.0.2', port: 5060 });
    const res = await gotAtA;
    expect(res.message.isRequest()).toBe(false);
    expect(res.flow).toMatchObject({ protocol: 'tcp', remoteAddress: '10.0.0.2', localAddress: '10.0.0.1' });
    expect(res.message).not.toBe(r);
    // the simulated connection has the same id on both sides
    expect(b.sent[0]!.destination.connectionId).toBe(res.flow.connectionId);
    // lost messages are not carried
    a.dropNext();
    let atB = 0;
    b.on('message', () => atB++);
    await a.send(req({ transport: 'TCP' }), { protocol: 'tcp', address: '10.0.0.2', port: 5060 });
    await new Promise((r2) => setTimeout(r2, 10));
    expect(atB).toBe(0);
  });
});
