/**
 * SIP over WebSocket (RFC 7118): WS and WSS listening points, and outbound
 * connections. The "sip" subprotocol is mandatory: upgrades without it are
 * refused. One SIP message per frame (text or binary), so no Content-Length
 * framing; a message that cannot be parsed or is too large is dropped and
 * reported, the connection stays (framing is intact). WS peers put a random
 * `*.invalid` host in Via: they can only be reached over the connection they
 * opened, by connectionId.
 */
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { SipParseError, parseMessage } from '../parser/parse-message.js';
import { addressFamily, hostPort, listeningPointOf, normalizeAddress, socketFlow } from './address.js';
import { type Connection, type StreamTransport, type TransportContext, isOnlyCrlf, listenServer } from './connection.js';
import { errorInfo } from './logger.js';
import { type ListenOptions, tlsServerOptions } from './options.js';
import { type Destination, type Flow, type ListeningPoint, TransportError } from './types.js';

const SUBPROTOCOL = 'sip';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Does a Sec-WebSocket-Protocol header offer "sip"? */
export function offersSip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((p) => p.trim().toLowerCase() === SUBPROTOCOL);
}

class WsConnection implements Connection {
  readonly flow: Flow;
  lastActivity = Date.now();
  holds = 0;
  private closed = false;

  constructor(
    private readonly ctx: TransportContext,
    readonly id: string,
    readonly protocol: 'ws' | 'wss',
    private readonly ws: WebSocket,
    socket: net.Socket,
    readonly inbound: boolean,
  ) {
    this.flow = socketFlow(protocol, socket, id);
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(toBuffer(data), isBinary);
      } catch (e) {
        ctx.logger.error({ ...errorInfo(e), connectionId: id }, 'unexpected error handling a websocket frame');
      }
    });
    ws.on('ping', () => this.touch());
    ws.on('pong', () => this.touch());
    ws.on('error', (e) => {
      ctx.logger.debug({ ...errorInfo(e), connectionId: id, protocol }, 'websocket error');
      this.close(`websocket error: ${e.message}`);
    });
    ws.on('close', (code) => this.close(`closed (${code})`));
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private onFrame(buf: Buffer, _isBinary: boolean): void {
    if (this.closed) return;
    this.touch();
    const stats = this.ctx.stats.p[this.protocol];
    stats.bytesIn += buf.length;
    const max = this.ctx.options.maxMessageSize;
    if (buf.length > max) {
      this.ctx.parseFailure(this.flow, `message of ${buf.length} bytes exceeds the maximum of ${max}`, buf.length);
      return;
    }
    // sip.js and JsSIP send RFC 5626-style CRLFCRLF keepalives as frames and expect a CRLF back.
    if (isOnlyCrlf(buf)) {
      if (buf.includes('\r\n\r\n')) {
        stats.keepalives++;
        this.send(Buffer.from('\r\n')).catch(() => undefined);
      }
      return;
    }
    let msg;
    try {
      msg = parseMessage(buf, { datagram: true });
    } catch (e) {
      this.ctx.parseFailure(this.flow, e instanceof SipParseError ? e.message : `unparseable frame: ${String(e)}`, buf.length);
      return;
    }
    this.ctx.deliver(msg, this.flow, buf.length);
  }

  send(data: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error('connection closed'));
    const limit = this.ctx.options.connections.maxWriteBuffer;
    if (this.ws.bufferedAmount + data.length > limit) {
      this.close('peer not reading: write buffer full');
      return Promise.reject(new Error(`write buffer of ${limit} bytes full`));
    }
    this.touch();
    // RFC 7118 §5: text frames for UTF-8 messages, binary otherwise.
    const binary = !isUtf8(data);
    return new Promise<void>((resolve, reject) => {
      this.ws.send(data, { binary }, (err) => {
        if (err) reject(err);
        else {
          this.ctx.stats.p[this.protocol].bytesOut += data.length;
          resolve();
        }
      });
    });
  }

  close(reason: string, immediate = false): void {
    if (this.closed) return;
    this.closed = true;
    if (!immediate && this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1000);
      // A peer that never completes the closing handshake must not keep the socket.
      setTimeout(() => this.ws.terminate(), 2000).unref();
    } else this.ws.terminate();
    this.ctx.connectionClosed(this, reason);
  }
}

export class WsTransport implements StreamTransport {
  readonly family: 4 | 6;
  private server: http.Server | https.Server | undefined;
  private readonly wss: WebSocketServer;
  private boundAddress: string;
  private boundPort = 0;
  private closed = false;
  private readonly dialing = new Set<WebSocket>();
  private readonly rawSockets = new Set<net.Socket>();

  constructor(
    private readonly ctx: TransportContext,
    private readonly listen: ListenOptions,
    readonly protocol: 'ws' | 'wss',
  ) {
    if (protocol === 'wss' && listen.tls === undefined) throw new Error('a wss listening point needs tls: { cert, key }');
    this.family = addressFamily(listen.host) === 6 ? 6 : 4;
    this.boundAddress = normalizeAddress(listen.host);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Frames beyond twice the message limit cannot be buffered: ws closes with 1009.
      maxPayload: ctx.options.maxMessageSize * 2,
      // Invalid UTF-8 in a text frame would make ws close the connection; the SIP parser copes instead.
      skipUTF8Validation: true,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.wss.on('error', (e) => ctx.logger.warn({ ...errorInfo(e), protocol }, 'websocket server error'));
    this.wss.on('wsClientError', (e, socket) => {
      ctx.logger.debug({ ...errorInfo(e), protocol }, 'websocket handshake failed');
      socket.destroy();
    });
  }

  async start(): Promise<void> {
    const creds = this.listen.tls;
    const server =
      this.protocol === 'wss' && creds !== undefined
        ? https.createServer(tlsServerOptions(creds, this.ctx.options.connections.handshakeTimeoutMs))
        : http.createServer();
    this.server = server;
    server.headersTimeout = this.ctx.options.connections.handshakeTimeoutMs;
    server.requestTimeout = this.ctx.options.connections.handshakeTimeoutMs;
    server.on('connection', (socket: net.Socket) => this.gate(socket));
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Type': 'text/plain' });
      res.end('SIP over WebSocket only (RFC 7118)\n');
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    server.on('clientError', (_e: Error, socket: Duplex) => socket.destroy());
    if (server instanceof https.Server) {
      server.on('tlsClientError', (e: Error, socket: Duplex) => {
        this.ctx.logger.debug({ err: e.message }, 'wss tls handshake failed');
        socket.destroy();
      });
    }
    const bound = await listenServer(server, this.listen, this.ctx.logger, this.protocol);
    if (bound !== undefined) {
      this.boundAddress = bound.address;
      this.boundPort = bound.port;
    }
  }

  /** Admission control at TCP accept, like the TCP transport. */
  private gate(socket: net.Socket): void {
    socket.on('error', () => undefined);
    const release = this.ctx.admit(this.protocol, socket.remoteAddress ?? '');
    if (release === undefined) {
      this.ctx.stats.p[this.protocol].connectionsRejected++;
      this.ctx.logger.debug({ protocol: this.protocol, remote: socket.remoteAddress }, 'connection refused: limit reached');
      socket.destroy();
      return;
    }
    this.rawSockets.add(socket);
    socket.once('close', () => {
      release();
      this.rawSockets.delete(socket);
    });
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const offered = req.headers['sec-websocket-protocol'];
    if (!offersSip(Array.isArray(offered) ? offered.join(',') : offered)) {
      this.ctx.stats.p[this.protocol].connectionsRejected++;
      this.ctx.logger.debug({ protocol: this.protocol, remote: req.socket.remoteAddress }, 'websocket upgrade without the sip subprotocol refused');
      const body = 'Sec-WebSocket-Protocol: sip required (RFC 7118)\n';
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closed) {
        ws.terminate();
        return;
      }
      this.ctx.stats.p[this.protocol].connectionsAccepted++;
      const conn = new WsConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, ws, req.socket, true);
      this.ctx.connectionOpened(conn);
    });
  }

  listeningPoint(): ListeningPoint {
    return listeningPointOf(this.protocol, this.listen, this.boundAddress, this.boundPort);
  }

  connect(address: string, port: number): Promise<Connection> {
    const dest: Destination = { protocol: this.protocol, address, port };
    if (this.closed) return Promise.reject(new TransportError('transport closed', dest, 'closed'));
    const o = this.ctx.options;
    const url = `${this.protocol}://${hostPort(normalizeAddress(address), port)}${o.wsPath}`;
    return new Promise<Connection>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, SUBPROTOCOL, {
          handshakeTimeout: o.connections.connectTimeoutMs,
          perMessageDeflate: false,
          maxPayload: o.maxMessageSize * 2,
          skipUTF8Validation: true,
          ca: o.tlsClient.ca,
          cert: o.tlsClient.cert,
          key: o.tlsClient.key,
          rejectUnauthorized: o.tlsClient.rejectUnauthorized ?? true,
        });
      } catch (e) {
        reject(new TransportError(`cannot connect to ${url}: ${errorInfo(e).err}`, dest, 'connect-failed', { cause: e }));
        return;
      }
      this.dialing.add(ws);
      let socket: net.Socket | undefined;
      let settled = false;
      const finish = (err: TransportError | undefined): void => {
        if (settled) return;
        settled = true;
        this.dialing.delete(ws);
        ws.off('error', onError);
        ws.off('close', onClose);
        if (err !== undefined || socket === undefined) {
          ws.on('error', () => undefined);
          ws.terminate();
          reject(err ?? new TransportError(`no socket for ${url}`, dest, 'connect-failed'));
          return;
        }
        const conn = new WsConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, ws, socket, false);
        this.ctx.connectionOpened(conn);
        resolve(conn);
      };
      const onError = (e: Error): void => {
        const timeout = /timed out|timeout/i.test(e.message);
        finish(new TransportError(`cannot connect to ${url}: ${e.message}`, dest, timeout ? 'connect-timeout' : 'connect-failed', { cause: e }));
      };
      const onClose = (): void => finish(new TransportError(`connection to ${url} closed during setup`, dest, 'connect-failed'));
      ws.on('upgrade', (res) => {
        socket = res.socket;
      });
      ws.once('error', onError);
      ws.once('close', onClose);
      ws.once('open', () => finish(this.closed ? new TransportError('transport closed', dest, 'closed') : undefined));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ws of this.dialing) ws.terminate();
    this.dialing.clear();
    // Half-done handshakes and plain HTTP requests are not connections yet: drop them too.
    for (const s of this.rawSockets) s.destroy();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
