/**
 * A TCP or TLS connection carrying SIP (RFC 3261 §18.3 framing by
 * Content-Length via StreamParser, RFC 5626 §3.5.1 CRLF keepalives).
 * A frame that cannot be parsed is reported and skipped; lost framing
 * (oversized, no Content-Length) closes this connection only.
 */
import type { Socket } from 'node:net';
import { StreamParser } from '../parser/stream-parser.js';
import { socketFlow } from './address.js';
import { type Connection, type TransportContext, wireSize } from './connection.js';
import { errorInfo } from './logger.js';
import type { Flow, TransportProtocol } from './types.js';

const PONG = Buffer.from('\r\n');

export class SocketConnection implements Connection {
  readonly flow: Flow;
  lastActivity = Date.now();
  holds = 0;
  private readonly parser: StreamParser;
  private closed = false;

  constructor(
    private readonly ctx: TransportContext,
    readonly id: string,
    readonly protocol: TransportProtocol,
    private readonly socket: Socket,
    readonly inbound: boolean,
  ) {
    this.flow = socketFlow(protocol, socket, id);
    this.parser = new StreamParser(ctx.options.maxMessageSize);
    socket.setNoDelay(true);
    // OS-level keepalive notices peers that vanished without a FIN (phones losing coverage).
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (e) {
        // Should not happen (handlers are guarded); framing state is unknown now, so drop the connection.
        ctx.logger.error({ ...errorInfo(e), connectionId: id }, 'unexpected error handling inbound data');
        this.close('internal error');
      }
    });
    socket.on('error', (e) => {
      ctx.logger.debug({ ...errorInfo(e), connectionId: id, protocol }, 'connection error');
      this.close(`socket error: ${e.message}`);
    });
    socket.on('close', () => this.close('closed'));
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    const stats = this.ctx.stats.p[this.protocol];
    stats.bytesIn += chunk.length;
    for (const ev of this.parser.push(chunk)) {
      switch (ev.kind) {
        case 'message':
          this.ctx.deliver(ev.message, this.flow, wireSize(ev.message));
          break;
        case 'ping':
          stats.keepalives++;
          this.send(PONG).catch(() => undefined);
          break;
        case 'pong':
          break;
        case 'error':
          this.ctx.parseFailure(this.flow, ev.error.message, ev.raw.length);
          break;
        case 'fatal':
          this.ctx.parseFailure(this.flow, ev.error.message, chunk.length);
          this.close(`framing error: ${ev.error.message}`);
          return;
      }
    }
  }

  send(data: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error('connection closed'));
    const limit = this.ctx.options.connections.maxWriteBuffer;
    if (this.socket.writableLength + data.length > limit) {
      this.close('peer not reading: write buffer full');
      return Promise.reject(new Error(`write buffer of ${limit} bytes full`));
    }
    this.lastActivity = Date.now();
    return new Promise<void>((resolve, reject) => {
      this.socket.write(data, (err) => {
        if (err) reject(err);
        else {
          this.ctx.stats.p[this.protocol].bytesOut += data.length;
          resolve();
        }
      });
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.ctx.connectionClosed(this, reason);
  }
}
