/**
 * TLS listening point and outbound TLS connections (RFC 3261 §26.2.1,
 * RFC 5630 sips is up to the layer above). Same connection handling as TCP.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { addressFamily } from './address.js';
import type { TransportContext } from './connection.js';
import { type ListenOptions, tlsServerOptions } from './options.js';
import { TcpTransport } from './tcp-transport.js';

export class TlsTransport extends TcpTransport {
  constructor(ctx: TransportContext, listen: ListenOptions) {
    super(ctx, listen, 'tls');
    if (listen.tls === undefined) throw new Error('a tls listening point needs tls: { cert, key }');
  }

  protected override createServer(): net.Server {
    const creds = this.listen.tls!;
    const server = tls.createServer(tlsServerOptions(creds, this.ctx.options.connections.handshakeTimeoutMs));
    // Raw TCP accept: admission before spending CPU on a handshake.
    server.on('connection', (socket: net.Socket) => {
      this.gate(socket);
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => this.accepted(socket));
    server.on('tlsClientError', (e, socket) => {
      this.ctx.logger.debug({ err: e.message, remote: socket.remoteAddress }, 'tls handshake failed');
      socket.destroy();
    });
    return server;
  }

  protected override dial(address: string, port: number): { socket: net.Socket; ready: string } {
    const c = this.ctx.options.tlsClient;
    const opts: tls.ConnectionOptions & { localAddress?: string } = {
      host: address,
      port,
      ca: c.ca,
      cert: c.cert,
      key: c.key,
      rejectUnauthorized: c.rejectUnauthorized ?? true,
    };
    // SNI only for names (RFC 6066 forbids IP literals); IPs are checked against the certificate's IP SANs.
    if (addressFamily(address) === 0) opts.servername = address;
    const local = this.localBindAddress(address);
    if (local !== undefined) opts.localAddress = local;
    return { socket: tls.connect(opts), ready: 'secureConnect' };
  }
}
