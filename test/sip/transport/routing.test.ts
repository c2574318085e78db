/** Pure pieces: Via stamping, response routing, STUN encoding, options, logger shape. */
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { normalizeAddress } from '../../../src/sip/transport/address.js';
import type { TransportLogger } from '../../../src/sip/transport/logger.js';
import { resolveOptions } from '../../../src/sip/transport/options.js';
import { responseDestination } from '../../../src/sip/transport/response-route.js';
import { stunBindingResponse } from '../../../src/sip/transport/stun.js';
import type { Flow } from '../../../src/sip/transport/types.js';
import { stampVia } from '../../../src/sip/transport/via-stamp.js';
import { request } from './helpers.js';

const req = (o: Parameters<typeof request>[0] = {}): SipRequest => parseMessage(Buffer.from(request(o))) as SipRequest;
const flow = (p: Partial<Flow> = {}): Flow => ({ protocol: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '203.0.113.9', remotePort: 33000, ...p });
const respond = (r: SipRequest): SipResponse => createResponse(r, 200);

describe('stampVia (RFC 3261 §18.2.1, RFC 3581)', () => {
  it('adds received when the source differs from sent-by', () => {
    const r = req({ sentBy: '10.0.0.5:5060' });
    stampVia(r, '203.0.113.9', 33000);
    expect(r.topVia.received).toBe('203.0.113.9');
    expect(r.topVia.params.has('rport')).toBe(false);
  });
  it('leaves an exact match alone', () => {
    const r = req({ sentBy: '203.0.113.9:33000' });
    stampVia(r, '203.0.113.9', 33000);
    expect(r.topVia.params.has('received')).toBe(false);
  });
  it('with rport: fills the port and always sets received', () => {
    const r = req({ sentBy: '203.0.113.9:5060', viaParams: ';rport' });
    stampVia(r, '203.0.113.9', 33000);
    expect(r.topVia.rport).toBe(33000);
    expect(r.topVia.received).toBe('203.0.113.9');
  });
  it('overwrites a received the client made up', () => {
    const r = req({ sentBy: '203.0.113.9:5060', viaParams: ';received=1.1.1.1' });
    stampVia(r, '203.0.113.9', 5060);
    expect(r.topVia.received).toBe('203.0.113.9');
  });
  it('handles IPv6 and IPv4-mapped sources', () => {
    const r = req({ sentBy: '[2001:db8::1]:5060' });
    stampVia(r, '2001:DB8::1', 5060);
    expect(r.topVia.params.has('received')).toBe(false);
    const r2 = req({ sentBy: 'host.example.com' });
    stampVia(r2, '::ffff:192.0.2.4', 5060);
    expect(r2.topVia.received).toBe('192.0.2.4');
    expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
  });
  it('ignores a request with a broken Via', () => {
    const r = req().set('via', 'garbage');
    expect(() => stampVia(r, '1.2.3.4', 1)).not.toThrow();
  });
});

describe('responseDestination (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('UDP with rport: received + rport', () => {
    const r = req({ sentBy: '10.0.0.5:5070', viaParams: ';rport' });
    stampVia(r, '203.0.113.9', 33000);
    expect(responseDestination(respond(r), flow())).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 33000 });
  });
  it('UDP without rport: received + sent-by port, or 5060', () => {
    const r = req({ sentBy: '10.0.0.5:5070' });
    stampVia(r, '203.0.113.9', 33000);
    expect(responseDestination(respond(r), flow())).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 5070 });
    const r2 = req({ sentBy: '10.0.0.5' });
    stampVia(r2, '203.0.113.9', 33000);
    expect(responseDestination(respond(r2), flow()).port).toBe(5060);
  });
  it('UDP without received: the sent-by host and port', () => {
    const r = req({ sentBy: '203.0.113.9:5080' });
    expect(responseDestination(respond(r), flow())).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 5080 });
  });
  it('UDP with an unfilled rport falls back to the flow source', () => {
    const r = req({ sentBy: '10.0.0.5:5070', viaParams: ';rport' });
    expect(responseDestination(respond(r), flow())).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 33000 });
  });
  it('reliable: the connection, else received + sent-by port or the default port', () => {
    const r = req({ transport: 'TLS', sentBy: 'phone.example.com' });
    stampVia(r, '203.0.113.9', 40001);
    const f = flow({ protocol: 'tls', connectionId: 'tls-x-1', remotePort: 40001 });
    expect(responseDestination(respond(r), f)).toEqual({ protocol: 'tls', address: '203.0.113.9', port: 5061, connectionId: 'tls-x-1' });
  });
  it('throws for a response without Via', () => {
    const res = respond(req()).remove('via');
    expect(() => responseDestination(res, flow())).toThrow(/Via/);
  });
});

describe('STUN binding response', () => {
  it('encodes an IPv6 XOR-MAPPED-ADDRESS', () => {
    const reqBuf = Buffer.alloc(20);
    reqBuf.writeUInt16BE(1, 0);
    reqBuf.writeUInt32BE(0x2112a442, 4);
    const tx = Buffer.from('abcdefghijkl');
    tx.copy(reqBuf, 8);
    const res = stunBindingResponse(reqBuf, '2001:db8::1:2', 5060)!;
    expect(res.readUInt16BE(2)).toBe(24);
    expect(res[25]).toBe(0x02);
    const key = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), tx]);
    const addr = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) addr[i] = res[28 + i]! ^ key[i]!;
    expect(addr.toString('hex')).toBe('20010db8000000000000000000010002');
    // not a binding request: no answer
    reqBuf.writeUInt16BE(0x0111, 0);
    expect(stunBindingResponse(reqBuf, '127.0.0.1', 1)).toBeUndefined();
  });
});

describe('options', () => {
  it('defaults', () => {
    const o = resolveOptions({ listen: [] });
    expect(o.udp.recvBufferSize).toBe(4 * 1024 * 1024);
    expect(o.udp.mtuThreshold).toBe(1300);
    expect(o.connections.idleTimeoutMs).toBe(300_000);
    expect(o.maxMessageSize).toBe(65_535);
  });
  it('rejects nonsense', () => {
    expect(() => resolveOptions({ listen: [], maxMessageSize: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ listen: [], connections: { connectTimeoutMs: 0 } })).toThrow(RangeError);
    expect(resolveOptions({ listen: [], connections: { idleTimeoutMs: 0 } }).connections.idleTimeoutMs).toBe(0);
  });
  it('a pino logger fits the TransportLogger interface', () => {
    const accept = (l: TransportLogger): TransportLogger => l;
    const fromPino = (p: Logger): TransportLogger => accept(p);
    expect(fromPino).toBeTypeOf('function');
  });
});
