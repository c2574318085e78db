/**
 * TCP listening point and outbound TCP connections (RFC 3261 §18). The TLS
 * transport reuses all of this with a different server and dialer.
 */
import net from 'node:net';
import { addressFamily, hostPort, isWildcard, listeningPointOf, normalizeAddress } from './address.js';
import { type Connection, type StreamTransport, type TransportContext, listenServer } from './connection.js';
import { errorInfo } from './logger.js';
import type { ListenOptions } from './options.js';
import { SocketConnection } from './socket-connection.js';
import { type Destination, type ListeningPoint, TransportError, type TransportProtocol } from './types.js';

export class TcpTransport implements StreamTransport {
  readonly family: 4 | 6;
  protected server: net.Server | undefined;
  private boundAddress: string;
  private boundPort = 0;
  private closed = false;
  /** Sockets still connecting or handshaking, destroyed on close(). */
  private readonly dialing = new Set<net.Socket>();

  constructor(
    protected readonly ctx: TransportContext,
    protected readonly listen: ListenOptions,
    readonly protocol: TransportProtocol = 'tcp',
  ) {
    this.family = addressFamily(listen.host) === 6 ? 6 : 4;
    this.boundAddress = normalizeAddress(listen.host);
  }

  /** The server; TLS overrides. Accepted sockets must be handed to accepted(). */
  protected createServer(): net.Server {
    const server = net.createServer({ noDelay: true });
    server.on('connection', (socket) => {
      if (this.gate(socket)) this.accepted(socket);
    });
    return server;
  }

  /** Open the socket for an outbound connection; `ready` is the event that means usable. */
  protected dial(address: string, port: number): { socket: net.Socket; ready: string } {
    const opts: net.NetConnectOpts = { host: address, port };
    const local = this.localBindAddress(address);
    if (local !== undefined) opts.localAddress = local;
    return { socket: net.connect(opts), ready: 'connect' };
  }

  /** Bind outbound connections to the listening address so the source IP matches Via (multi-homed hosts). */
  protected localBindAddress(remote: string): string | undefined {
    if (isWildcard(this.boundAddress)) return undefined;
    const f = addressFamily(remote);
    return f === 0 || f === this.family ? this.boundAddress : undefined;
  }

  /** Admission control on the raw socket, before any TLS work. */
  protected gate(socket: net.Socket): boolean {
    socket.on('error', () => undefined); // a reset before the connection object exists must not crash
    const release = this.ctx.admit(this.protocol, socket.remoteAddress ?? '');
    if (release === undefined) {
      this.ctx.stats.p[this.protocol].connectionsRejected++;
      this.ctx.logger.debug({ protocol: this.protocol, remote: socket.remoteAddress }, 'connection refused: limit reached');
      socket.destroy();
      return false;
    }
    socket.once('close', release);
    return true;
  }

  protected accepted(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.ctx.stats.p[this.protocol].connectionsAccepted++;
    const conn = new SocketConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, socket, true);
    this.ctx.connectionOpened(conn);
  }

  async start(): Promise<void> {
    const server = this.createServer();
    this.server = server;
    const bound = await listenServer(server, this.listen, this.ctx.logger, this.protocol);
    if (bound !== undefined) {
      this.boundAddress = bound.address;
      this.boundPort = bound.port;
    }
  }

  listeningPoint(): ListeningPoint {
    return listeningPointOf(this.protocol, this.listen, this.boundAddress, this.boundPort);
  }

  connect(address: string, port: number): Promise<Connection> {
    const dest: Destination = { protocol: this.protocol, address, port };
    if (this.closed) return Promise.reject(new TransportError('transport closed', dest, 'closed'));
    const timeoutMs = this.ctx.options.connections.connectTimeoutMs;
    return new Promise<Connection>((resolve, reject) => {
      let socket: net.Socket;
      let ready: string;
      try {
        ({ socket, ready } = this.dial(normalizeAddress(address), port));
      } catch (e) {
        reject(new TransportError(`cannot connect to ${hostPort(address, port)}: ${errorInfo(e).err}`, dest, 'connect-failed', { cause: e }));
        return;
      }
      this.dialing.add(socket);
      let settled = false;
      const finish = (err: TransportError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.dialing.delete(socket);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (err !== undefined) {
          socket.on('error', () => undefined);
          socket.destroy();
          reject(err);
          return;
        }
        const conn = new SocketConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, socket, false);
        this.ctx.connectionOpened(conn);
        resolve(conn);
      };
      const onError = (e: Error): void =>
        finish(new TransportError(`cannot connect to ${hostPort(address, port)}: ${e.message}`, dest, 'connect-failed', { cause: e }));
      const onClose = (): void => finish(new TransportError(`connection to ${hostPort(address, port)} closed during setup`, dest, 'connect-failed'));
      const timer = setTimeout(
        () => finish(new TransportError(`connect to ${hostPort(address, port)} timed out after ${timeoutMs} ms`, dest, 'connect-timeout')),
        timeoutMs,
      );
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.once(ready, () => finish(this.closed ? new TransportError('transport closed', dest, 'closed') : undefined));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.dialing) s.destroy();
    this.dialing.clear();
    const server = this.server;
    if (server === undefined) return;
    // Connections are destroyed by the layer; close() then only waits for the listener.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
