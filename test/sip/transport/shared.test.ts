/** Pieces the transports share: the event handler registry, the listening point and flow they report, TLS server options, starting a listener. */
import { describe, expect, it } from 'vitest';
import net, { type Socket } from 'node:net';
import { listeningPointOf, socketFlow } from '../../../src/sip/transport/address.js';
import { listenServer } from '../../../src/sip/transport/connection.js';
import { EventHandlers } from '../../../src/sip/transport/event-handlers.js';
import type { TransportLogger } from '../../../src/sip/transport/logger.js';
import { tlsServerOptions } from '../../../src/sip/transport/options.js';
import type { Flow, InboundParseFailure } from '../../../src/sip/transport/types.js';

function recordingLogger(): TransportLogger & { errors: string[] } {
  const errors: string[] = [];
  const noop = (): void => undefined;
  return { errors, debug: noop, info: noop, warn: noop, error: (_o, msg) => errors.push(msg ?? '') };
}

const flow = { protocol: 'udp', remoteAddress: '127.0.0.1', remotePort: 5060 } as unknown as Flow;

describe('EventHandlers', () => {
  it('calls every handler of an event; off and clear remove them', () => {
    const h = new EventHandlers(recordingLogger());
    const seen: string[] = [];
    const a = (f: InboundParseFailure): void => void seen.push(`a:${f.reason}`);
    const b = (f: InboundParseFailure): void => void seen.push(`b:${f.reason}`);
    h.on('parseFailure', a);
    h.on('parseFailure', b);
    h.on('connectionOpened', () => void seen.push('opened'));
    h.emit('parseFailure', { flow, reason: 'x', size: 1 });
    h.off('parseFailure', a);
    h.emit('parseFailure', { flow, reason: 'y', size: 1 });
    expect(seen).toEqual(['a:x', 'b:x', 'b:y']);
    h.clear();
    h.emit('parseFailure', { flow, reason: 'z', size: 1 });
    h.emit('connectionOpened', { flow, inbound: true });
    expect(seen).toEqual(['a:x', 'b:x', 'b:y']);
  });

  it('a handler that throws or rejects is logged and does not stop the others', async () => {
    const log = recordingLogger();
    const h = new EventHandlers(log);
    let reached = 0;
    h.on('connectionClosed', () => {
      throw new Error('boom');
    });
    h.on('connectionClosed', (() => Promise.reject(new Error('later'))) as unknown as () => void);
    h.on('connectionClosed', () => void reached++);
    h.emit('connectionClosed', { flow, inbound: false, reason: 'gone' });
    expect(reached).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(log.errors).toEqual(['connectionClosed handler threw', 'connectionClosed handler rejected']);
  });
});

describe('listeningPointOf', () => {
  it('reports the bound address and port, or the advertised ones where configured', () => {
    expect(listeningPointOf('tcp', { protocol: 'tcp', host: '0.0.0.0', port: 0 }, '0.0.0.0', 5070)).toEqual({ protocol: 'tcp', address: '0.0.0.0', port: 5070, localAddress: '0.0.0.0', localPort: 5070 });
    expect(listeningPointOf('udp', { protocol: 'udp', host: '10.0.0.1', port: 5060, advertisedHost: 'sip.example.com', advertisedPort: 5080 }, '10.0.0.1', 5060)).toEqual({
      protocol: 'udp',
      address: 'sip.example.com',
      port: 5080,
      localAddress: '10.0.0.1',
      localPort: 5060,
    });
  });
});

describe('socketFlow', () => {
  it('is the socket\'s addresses (IPv4-mapped normalised), with the connection id', () => {
    const socket = { localAddress: '::ffff:127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.2', remotePort: 40000 } as unknown as Socket;
    expect(socketFlow('tcp', socket, 'c1')).toEqual({ protocol: 'tcp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.2', remotePort: 40000, connectionId: 'c1' });
    expect(socketFlow('ws', {} as Socket, 'c2')).toEqual({ protocol: 'ws', localAddress: '', localPort: 0, remoteAddress: '', remotePort: 0, connectionId: 'c2' });
  });
});

describe('tlsServerOptions', () => {
  it('passes the credentials, client certificates off by default, and the handshake timeout', () => {
    expect(tlsServerOptions({ cert: 'C', key: 'K' }, 3000)).toEqual({ cert: 'C', key: 'K', ca: undefined, requestCert: false, rejectUnauthorized: false, handshakeTimeout: 3000 });
    expect(tlsServerOptions({ cert: 'C', key: 'K', ca: 'A', requestCert: true, rejectUnauthorized: true }, 10)).toMatchObject({ ca: 'A', requestCert: true, rejectUnauthorized: true, handshakeTimeout: 10 });
  });
});

describe('listenServer', () => {
  it('resolves with the bound address and port; a port in use rejects', async () => {
    const log = recordingLogger();
    const a = net.createServer();
    const b = net.createServer();
    try {
      const bound = await listenServer(a, { host: '127.0.0.1', port: 0 }, log, 'tcp');
      expect(bound?.address).toBe('127.0.0.1');
      expect(bound!.port).toBeGreaterThan(0);
      await expect(listenServer(b, { host: '127.0.0.1', port: bound!.port }, log, 'tcp')).rejects.toThrow(/EADDRINUSE/);
      a.emit('error', new Error('later'));
      expect(log.errors).toEqual(['server error']);
    } finally {
      a.close();
      b.close();
    }
  });
});
