/**
 * createTransportLayer(): the RFC 3261 §18 transport layer over real sockets.
 * Combines any number of UDP/TCP/TLS/WS/WSS listening points, picks the socket
 * or connection for each outbound message, routes responses per §18.2.2 and
 * RFC 3581, stamps Via received/rport on inbound requests (§18.2.1), reaps idle
 * connections, and keeps counters. Nothing a peer sends and nothing a handler
 * throws may take the process down.
 */
import { randomBytes } from 'node:crypto';
import type { SipMessageAny, SipResponse } from '../message/message.js';
import type { Via } from '../message/via.js';
import { addressFamily, hostPort, normalizeAddress, remoteKey } from './address.js';
import { ConnectionTable } from './connection-table.js';
import type { Connection, StreamTransport, Transport, TransportContext } from './connection.js';
import { EventHandlers } from './event-handlers.js';
import { type TransportLogger, errorInfo, noopLogger } from './logger.js';
import { type ListenOptions, type ResolvedOptions, type TransportLayerOptions, resolveOptions } from './options.js';
import { responseDestination } from './response-route.js';
import { StatsCounters } from './stats.js';
import { TcpTransport } from './tcp-transport.js';
import { TlsTransport } from './tls-transport.js';
import {
  type Destination,
  type Flow,
  type ListeningPoint,
  type ManagedTransportEvents,
  type ManagedTransportLayer,
  TransportError,
  type TransportProtocol,
  type TransportStats,
} from './types.js';
import { UdpTransport } from './udp-transport.js';
import { stampVia } from './via-stamp.js';
import { WsTransport } from './ws-transport.js';

type StreamProtocol = Exclude<TransportProtocol, 'udp'>;

/** Bind every listening point; rejects (after releasing what was bound) if one fails. */
export async function createTransportLayer(options: TransportLayerOptions): Promise<NetworkTransportLayer> {
  const layer = new NetworkTransportLayer(options);
  try {
    await layer.start();
  } catch (e) {
    await layer.close();
    throw e;
  }
  return layer;
}

export class NetworkTransportLayer implements ManagedTransportLayer {
  private readonly logger: TransportLogger;
  private readonly opts: ResolvedOptions;
  private readonly counters = new StatsCounters();
  private readonly table: ConnectionTable;
  private readonly udp: UdpTransport[] = [];
  private readonly streams: Record<StreamProtocol, StreamTransport[]> = { tcp: [], tls: [], ws: [], wss: [] };
  private readonly transports: Transport[] = [];
  /** Outbound connects in progress, so concurrent sends to one peer share a connection. */
  private readonly pending = new Map<string, Promise<Connection>>();
  private readonly events: EventHandlers;
  private readonly ctx: TransportContext;
  private readonly instance = randomBytes(3).toString('hex');
  private seq = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: TransportLayerOptions) {
    this.logger = options.logger ?? noopLogger;
    this.events = new EventHandlers(this.logger);
    this.opts = resolveOptions(options);
    this.table = new ConnectionTable(this.opts.connections.maxConnections, this.opts.connections.maxConnectionsPerIp);
    this.ctx = {
      logger: this.logger,
      options: this.opts,
      stats: this.counters,
      deliver: (message, flow, size) => this.deliver(message, flow, size),
      parseFailure: (flow, reason, size) => this.parseFailure(flow, reason, size),
      connectionOpened: (conn) => this.connectionOpened(conn),
      connectionClosed: (conn, reason) => this.connectionClosed(conn, reason),
      admit: (_protocol, remoteAddress) => this.table.admit(remoteAddress),
      // Unique across restarts too: a connectionId persisted with a registration must never match a new connection.
      nextConnectionId: (protocol) => `${protocol}-${this.instance}-${++this.seq}`,
    };
  }

  async start(): Promise<void> {
    if (this.options.listen.length === 0) throw new Error('createTransportLayer: no listening points');
    for (const l of this.options.listen) {
      const t = this.createTransport(l);
      this.transports.push(t);
      await t.start();
      const lp = t.listeningPoint();
      this.logger.info({ protocol: lp.protocol, address: lp.localAddress, port: lp.localPort }, 'sip transport listening');
    }
    const idle = this.opts.connections.idleTimeoutMs;
    if (idle > 0) {
      const period = Math.max(10, Math.min(Math.floor(idle / 4), 30_000));
      this.sweepTimer = setInterval(() => this.reapIdle(), period);
      this.sweepTimer.unref();
    }
  }

  private createTransport(l: ListenOptions): Transport {
    switch (l.protocol) {
      case 'udp': {
        const t = new UdpTransport(this.ctx, l);
        this.udp.push(t);
        return t;
      }
      case 'tcp': {
        const t = new TcpTransport(this.ctx, l);
        this.streams.tcp.push(t);
        return t;
      }
      case 'tls': {
        const t = new TlsTransport(this.ctx, l);
        this.streams.tls.push(t);
        return t;
      }
      case 'ws':
      case 'wss': {
        const t = new WsTransport(this.ctx, l, l.protocol);
        this.streams[l.protocol].push(t);
        return t;
      }
      default: {
        const never: never = l.protocol;
        throw new Error(`unknown transport protocol ${String(never)}`);
      }
    }
  }

  // ------------------------------------------------------------------ inbound

  private deliver(message: SipMessageAny, flow: Flow, size: number): void {
    const s = this.counters.p[flow.protocol];
    s.messagesIn++;
    if (message.isRequest()) stampVia(message, flow.remoteAddress, flow.remotePort);
    this.events.emit('message', { message, flow, size });
  }

  private parseFailure(flow: Flow, reason: string, size: number): void {
    this.counters.p[flow.protocol].parseFailures++;
    this.logger.debug({ protocol: flow.protocol, remote: hostPort(flow.remoteAddress, flow.remotePort), reason, size }, 'unparseable message dropped');
    this.events.emit('parseFailure', { flow, reason, size });
  }

  private connectionOpened(conn: Connection): void {
    if (this.closed) {
      conn.close('transport layer closed', true);
      return;
    }
    this.table.add(conn);
    this.counters.p[conn.protocol].openConnections++;
    this.logger.debug({ connectionId: conn.id, inbound: conn.inbound, remote: hostPort(conn.flow.remoteAddress, conn.flow.remotePort) }, 'connection open');
    this.events.emit('connectionOpened', { flow: conn.flow, inbound: conn.inbound });
  }

  private connectionClosed(conn: Connection, reason: string): void {
    if (!this.table.has(conn)) return;
    this.table.remove(conn);
    this.counters.p[conn.protocol].openConnections--;
    this.logger.debug({ connectionId: conn.id, reason }, 'connection closed');
    this.events.emit('connectionClosed', { flow: conn.flow, inbound: conn.inbound, reason });
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const conn of this.table.idle(now, this.opts.connections.idleTimeoutMs)) {
      this.counters.p[conn.protocol].connectionsReaped++;
      conn.close('idle timeout');
    }
  }

  // ----------------------------------------------------------------- outbound

  send(message: SipMessageAny, destination: Destination): Promise<void> {
    return this.dispatch(message, destination, undefined);
  }

  async sendResponse(response: SipResponse, requestFlow: Flow): Promise<void> {
    let dest: Destination;
    try {
      dest = responseDestination(response, requestFlow);
    } catch (e) {
      const fallback: Destination = { protocol: requestFlow.protocol, address: requestFlow.remoteAddress, port: requestFlow.remotePort };
      this.counters.p[requestFlow.protocol].sendFailures++;
      throw new TransportError(`response has no usable Via: ${errorInfo(e).err}`, fallback, 'no-route', { cause: e });
    }
    return this.dispatch(response, dest, requestFlow);
  }

  /** `requestFlow` set for responses: UDP answers from the socket the request came in on, WS peers are never dialled. */
  private async dispatch(message: SipMessageAny, dest: Destination, requestFlow: Flow | undefined): Promise<void> {
    try {
      if (this.closed) throw new TransportError('transport layer closed', dest, 'closed');
      let data: Buffer;
      try {
        data = message.toBuffer();
      } catch (e) {
        throw new TransportError(`cannot serialise message: ${errorInfo(e).err}`, dest, 'send-failed', { cause: e });
      }
      if (dest.protocol === 'udp') await this.sendUdp(message, data, dest, requestFlow);
      else await this.sendStream(data, dest, requestFlow === undefined);
    } catch (e) {
      const err = e instanceof TransportError ? e : new TransportError(errorInfo(e).err, dest, 'send-failed', { cause: e });
      this.counters.p[err.destination.protocol].sendFailures++;
      this.logger.debug({ ...errorInfo(err), code: err.code, protocol: dest.protocol, to: hostPort(dest.address, dest.port) }, 'send failed');
      throw err;
    }
  }

  private async sendUdp(message: SipMessageAny, data: Buffer, dest: Destination, requestFlow: Flow | undefined): Promise<void> {
    const u = this.opts.udp;
    if (message.isRequest() && dest.allowTcpSwitch === true && data.length > u.mtuThreshold && this.streams.tcp.length > 0) {
      if (await this.sendSwitchedToTcp(message, dest, data.length)) return;
    }
    if (data.length > u.maxDatagramSize) {
      throw new TransportError(`message of ${data.length} bytes exceeds the UDP maximum of ${u.maxDatagramSize}`, dest, 'too-large');
    }
    const t = this.pickUdp(dest.address, requestFlow);
    if (t === undefined) throw new TransportError(`no UDP socket can reach ${dest.address}`, dest, 'no-route');
    try {
      await t.send(data, dest.address, dest.port);
    } catch (e) {
      throw new TransportError(`udp send to ${hostPort(dest.address, dest.port)} failed: ${errorInfo(e).err}`, dest, 'send-failed', { cause: e });
    }
    const s = this.counters.p.udp;
    s.messagesOut++;
    s.bytesOut += data.length;
  }

  /**
   * RFC 3261 §18.1.1: a request above the MTU threshold goes over TCP, with its
   * top Via rewritten to our TCP listening point. If the connection cannot be
   * made, the Via is restored and the caller falls back to UDP (if it fits).
   */
  private async sendSwitchedToTcp(message: SipMessageAny, dest: Destination, size: number): Promise<boolean> {
    let via: Via;
    try {
      via = message.topVia;
    } catch {
      return false;
    }
    const saved = { transport: via.transport, host: via.host, port: via.port };
    const lp = this.streams.tcp[0]!.listeningPoint();
    via.transport = 'TCP';
    via.host = addressFamily(lp.address) === 6 ? `[${normalizeAddress(lp.address)}]` : lp.address;
    via.port = lp.port;
    try {
      await this.sendStream(message.toBuffer(), { protocol: 'tcp', address: dest.address, port: dest.port }, true);
      return true;
    } catch (e) {
      via.transport = saved.transport;
      via.host = saved.host;
      via.port = saved.port;
      if (size > this.opts.udp.maxDatagramSize) throw e;
      this.logger.debug({ ...errorInfo(e), to: hostPort(dest.address, dest.port) }, 'tcp for a large request failed, falling back to udp');
      return false;
    }
  }

  private pickUdp(address: string, requestFlow: Flow | undefined): UdpTransport | undefined {
    if (requestFlow !== undefined) {
      const same = this.udp.find((t) => t.localPort === requestFlow.localPort && t.localAddress === normalizeAddress(requestFlow.localAddress));
      if (same !== undefined) return same;
    }
    const f = addressFamily(address);
    return this.udp.find((t) => t.family === f) ?? this.udp.find((t) => t.canReach(address));
  }

  private async sendStream(data: Buffer, dest: Destination, mayConnect: boolean): Promise<void> {
    const protocol = dest.protocol as StreamProtocol;
    if (data.length > this.opts.maxMessageSize) {
      throw new TransportError(`message of ${data.length} bytes exceeds the maximum of ${this.opts.maxMessageSize}`, dest, 'too-large');
    }
    let conn = dest.connectionId !== undefined ? this.table.get(dest.connectionId) : undefined;
    conn ??= this.table.find(protocol, dest.address, dest.port);
    if (conn === undefined) {
      const isWs = protocol === 'ws' || protocol === 'wss';
      // WebSocket clients (browsers) cannot be connected to; their Via host is a random *.invalid.
      if (isWs && (!mayConnect || normalizeAddress(dest.address).endsWith('.invalid'))) {
        throw new TransportError(`the ${protocol} connection to ${hostPort(dest.address, dest.port)} is gone`, dest, 'connection-closed');
      }
      conn = await this.connect(protocol, dest);
    }
    try {
      await conn.send(data);
    } catch (e) {
      throw new TransportError(`${protocol} send on ${conn.id} failed: ${errorInfo(e).err}`, dest, 'send-failed', { cause: e });
    }
    this.counters.p[protocol].messagesOut++;
  }

  private connect(protocol: StreamProtocol, dest: Destination): Promise<Connection> {
    const key = remoteKey(protocol, dest.address, dest.port);
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const f = addressFamily(dest.address);
    const candidates = this.streams[protocol];
    const t = candidates.find((c) => f === 0 || c.family === f) ?? candidates[0];
    if (t === undefined) return Promise.reject(new TransportError(`no ${protocol} listening point`, dest, 'no-route'));
    const p = t.connect(dest.address, dest.port).then((conn) => {
      // Index under the name we were asked for as well (a host name, an unnormalised address).
      this.table.index(conn, key);
      return conn;
    });
    this.pending.set(key, p);
    const clear = (): void => {
      if (this.pending.get(key) === p) this.pending.delete(key);
    };
    p.then(clear, clear);
    return p;
  }

  // ----------------------------------------------------------------- contract

  listeningPoint(protocol: TransportProtocol): ListeningPoint | undefined {
    return this.transports.find((t) => t.protocol === protocol)?.listeningPoint();
  }

  listeningPoints(): ListeningPoint[] {
    return this.transports.map((t) => t.listeningPoint());
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'udp';
  }

  on<E extends keyof ManagedTransportEvents>(event: E, handler: ManagedTransportEvents[E]): void {
    this.events.on(event, handler);
  }

  off<E extends keyof ManagedTransportEvents>(event: E, handler: ManagedTransportEvents[E]): void {
    this.events.off(event, handler);
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  isConnectionOpen(connectionId: string): boolean {
    return this.table.get(connectionId) !== undefined;
  }

  retainConnection(connectionId: string): (() => void) | undefined {
    const conn = this.table.get(connectionId);
    if (conn === undefined) return undefined;
    conn.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      conn.holds--;
      // The idle period starts when the last holder lets go.
      conn.lastActivity = Date.now();
    };
  }

  closeConnection(connectionId: string, reason = 'closed by application'): void {
    this.table.get(connectionId)?.close(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    for (const conn of this.table.all()) conn.close('transport layer closed', true);
    await Promise.allSettled(this.transports.map((t) => t.close()));
    this.events.clear();
  }
}
