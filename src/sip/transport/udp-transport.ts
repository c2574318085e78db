/**
 * UDP listening point (RFC 3261 §18): one dgram socket, one SIP message per
 * datagram. Socket buffers are enlarged (the ~208 KB Linux default overflows
 * under load and silently drops requests). Also answers RFC 5626 STUN
 * keepalives and swallows CRLF keepalives.
 */
import dgram from 'node:dgram';
import { SipParseError, parseMessage } from '../parser/parse-message.js';
import { addressFamily, isWildcard, listeningPointOf, normalizeAddress } from './address.js';
import { type Transport, type TransportContext, isOnlyCrlf } from './connection.js';
import { errorInfo } from './logger.js';
import type { ListenOptions } from './options.js';
import { isStunMessage, stunBindingResponse } from './stun.js';
import type { Flow, ListeningPoint } from './types.js';

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly family: 4 | 6;
  private socket: dgram.Socket | undefined;
  private boundAddress: string;
  private boundPort = 0;
  private closed = false;

  constructor(
    private readonly ctx: TransportContext,
    private readonly listen: ListenOptions,
  ) {
    this.family = addressFamily(listen.host) === 6 ? 6 : 4;
    this.boundAddress = normalizeAddress(listen.host);
  }

  async start(): Promise<void> {
    const { recvBufferSize, sendBufferSize } = this.ctx.options.udp;
    const socket = dgram.createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', recvBufferSize, sendBufferSize });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      socket.once('error', onError);
      socket.bind(this.listen.port, this.listen.host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    // After binding, errors (e.g. ICMP-induced ECONNREFUSED on some platforms) must never crash the process.
    socket.on('error', (e) => this.ctx.logger.warn({ ...errorInfo(e), protocol: 'udp' }, 'udp socket error'));
    socket.on('message', (buf, rinfo) => {
      try {
        this.onDatagram(buf, rinfo.address, rinfo.port);
      } catch (e) {
        this.ctx.logger.error({ ...errorInfo(e), protocol: 'udp' }, 'unexpected error handling a datagram');
      }
    });
    const a = socket.address();
    this.boundAddress = normalizeAddress(a.address);
    this.boundPort = a.port;
    this.checkBuffers(socket, recvBufferSize, sendBufferSize);
  }

  /** Linux silently caps SO_RCVBUF at net.core.rmem_max (and reports double): say so once. */
  private checkBuffers(socket: dgram.Socket, wantRecv: number, wantSend: number): void {
    try {
      const recv = socket.getRecvBufferSize();
      const send = socket.getSendBufferSize();
      const info = { protocol: 'udp', port: this.boundPort, recvBufferSize: recv, sendBufferSize: send, wantRecv, wantSend };
      if (recv < wantRecv || send < wantSend) {
        this.ctx.logger.warn(info, 'udp socket buffers smaller than configured: raise net.core.rmem_max / wmem_max');
      } else this.ctx.logger.debug(info, 'udp socket buffers');
    } catch (e) {
      this.ctx.logger.warn(errorInfo(e), 'cannot read udp socket buffer sizes');
    }
  }

  listeningPoint(): ListeningPoint {
    return listeningPointOf('udp', this.listen, this.boundAddress, this.boundPort);
  }

  get localAddress(): string {
    return this.boundAddress;
  }

  get localPort(): number {
    return this.boundPort;
  }

  /** Can this socket reach `address` (family match, or a dual-stack `::` socket for IPv4)? */
  canReach(address: string): boolean {
    const f = addressFamily(address);
    if (f === 0 || f === this.family) return true;
    return f === 4 && this.family === 6 && isWildcard(this.boundAddress);
  }

  send(data: Buffer, address: string, port: number): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || this.closed) return Promise.reject(new Error('udp socket closed'));
    let target = normalizeAddress(address);
    if (this.family === 6 && addressFamily(target) === 4) target = `::ffff:${target}`;
    return new Promise<void>((resolve, reject) => {
      try {
        socket.send(data, port, target, (err) => (err ? reject(err) : resolve()));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private onDatagram(buf: Buffer, address: string, port: number): void {
    const flow: Flow = {
      protocol: 'udp',
      localAddress: this.boundAddress,
      localPort: this.boundPort,
      remoteAddress: normalizeAddress(address),
      remotePort: port,
    };
    const stats = this.ctx.stats.p.udp;
    stats.bytesIn += buf.length;
    if (buf.length > this.ctx.options.maxMessageSize) {
      this.ctx.parseFailure(flow, `datagram of ${buf.length} bytes exceeds the maximum of ${this.ctx.options.maxMessageSize}`, buf.length);
      return;
    }
    if (isStunMessage(buf)) {
      const reply = stunBindingResponse(buf, flow.remoteAddress, port);
      if (reply !== undefined) {
        stats.keepalives++;
        this.send(reply, flow.remoteAddress, port).catch((e: unknown) => this.ctx.logger.debug(errorInfo(e), 'stun reply failed'));
      }
      return;
    }
    // CRLF keepalives some phones send over UDP: nothing to answer, not a failure.
    if (isOnlyCrlf(buf)) {
      stats.keepalives++;
      return;
    }
    let msg;
    try {
      msg = parseMessage(buf, { datagram: true });
    } catch (e) {
      this.ctx.parseFailure(flow, e instanceof SipParseError ? e.message : `unparseable datagram: ${String(e)}`, buf.length);
      return;
    }
    this.ctx.deliver(msg, flow, buf.length);
  }

  close(): Promise<void> {
    if (this.closed || this.socket === undefined) {
      this.closed = true;
      return Promise.resolve();
    }
    this.closed = true;
    const socket = this.socket;
    return new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
