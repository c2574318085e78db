/**
 * RFC 5626 §4.4.2 / §8: on UDP, outbound clients keep their NAT binding (and
 * detect a changed public address) with STUN Binding requests (RFC 5389) sent
 * to the SIP port. We answer with XOR-MAPPED-ADDRESS and nothing else: no
 * authentication, no FINGERPRINT needed (RFC 5626 §8).
 */
import { isIP } from 'node:net';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;

/** A STUN message starts with two zero bits and carries the magic cookie (RFC 5389 §6). */
export function isStunMessage(buf: Buffer): boolean {
  return buf.length >= 20 && (buf[0]! & 0xc0) === 0 && buf.readUInt32BE(4) === MAGIC_COOKIE && buf.readUInt16BE(2) + 20 === buf.length;
}

/** The Binding success response for a Binding request, or undefined for any other STUN message. */
export function stunBindingResponse(request: Buffer, address: string, port: number): Buffer | undefined {
  if (!isStunMessage(request) || request.readUInt16BE(0) !== BINDING_REQUEST) return undefined;
  const family = isIP(address);
  if (family === 0) return undefined;
  const txId = request.subarray(8, 20);
  const addrLen = family === 4 ? 4 : 16;
  const attr = Buffer.alloc(4 + 4 + addrLen);
  attr.writeUInt16BE(XOR_MAPPED_ADDRESS, 0);
  attr.writeUInt16BE(4 + addrLen, 2);
  attr.writeUInt8(0, 4);
  attr.writeUInt8(family === 4 ? 0x01 : 0x02, 5);
  attr.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 6);
  const raw = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const key = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), txId]);
  for (let i = 0; i < addrLen; i++) attr[8 + i] = raw[i]! ^ key[i]!;
  const head = Buffer.alloc(20);
  head.writeUInt16BE(BINDING_SUCCESS, 0);
  head.writeUInt16BE(attr.length, 2);
  head.writeUInt32BE(MAGIC_COOKIE, 4);
  txId.copy(head, 8);
  return Buffer.concat([head, attr]);
}

function ipv4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function ipv6Bytes(a: string): Buffer {
  let text = a;
  // A dotted-quad tail (::ffff:1.2.3.4) becomes two hex groups first.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const b = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap === -1) groups = parse(text);
  else {
    const head = parse(text.slice(0, gap));
    const tail = parse(text.slice(gap + 2));
    groups = [...head, ...new Array<number>(Math.max(0, 8 - head.length - tail.length)).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2));
  return out;
}
