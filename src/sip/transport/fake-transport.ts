/**
 * In-memory TransportLayer for unit tests of the transaction, dialog and B2BUA
 * layers (the idea of sipgo's fakes/): no sockets. It records what was sent,
 * lets a test inject inbound messages on a chosen Flow, simulates packet loss
 * and send failures, and can link several fakes into a FakeNetwork so two
 * stacks talk to each other. Responses are routed exactly like the real layer
 * (same §18.2.2 / RFC 3581 function), and inbound requests get the same Via
 * received/rport stamping.
 *
 * Delivery through a FakeNetwork is asynchronous via queueMicrotask, so it does
 * not depend on (fake) timers.
 */
import type { SipMessageAny, SipResponse } from '../message/message.js';
import { SipParseError, parseMessage } from '../parser/parse-message.js';
import { normalizeAddress } from './address.js';
import { EventHandlers } from './event-handlers.js';
import { noopLogger, type TransportLogger } from './logger.js';
import { responseDestination } from './response-route.js';
import { StatsCounters } from './stats.js';
import {
  type Destination,
  type Flow,
  type InboundMessage,
  type InboundParseFailure,
  type ListeningPoint,
  type ManagedTransportEvents,
  type ManagedTransportLayer,
  TransportError,
  type TransportErrorCode,
  type TransportProtocol,
  type TransportStats,
} from './types.js';
import { stampVia } from './via-stamp.js';

export interface FakeSent {
  kind: 'request' | 'response';
  /** The object handed to send()/sendResponse() (live: later edits show up here). */
  message: SipMessageAny;
  /** The message as serialised at send time. */
  wire: string;
  /** Where it went (for sendResponse: the §18.2.2 destination). */
  destination: Destination;
  /** For sendResponse: the flow of the request being answered. */
  requestFlow?: Flow;
  /** true when simulated packet loss swallowed it (send() still resolved). */
  dropped: boolean;
  at: number;
}

export type SentPredicate = (s: FakeSent) => boolean;

export interface FakeTransportOptions {
  /** Default: udp, tcp on 127.0.0.1:5060 and tls on 127.0.0.1:5061. */
  listeningPoints?: ListeningPoint[];
  /** Probability (0..1) that a send is silently lost. Default 0. */
  lossRate?: number;
  /** Random source for lossRate (deterministic tests). Default Math.random. */
  random?: () => number;
  /** UDP sends above this reject with code 'too-large'. Default 65507. */
  maxDatagramSize?: number;
  logger?: TransportLogger;
}

interface Rule {
  match: SentPredicate;
  remaining: number; // Infinity for "always"
  code?: TransportErrorCode;
}

const DEFAULT_POINTS: ListeningPoint[] = [
  { protocol: 'udp', address: '127.0.0.1', port: 5060 },
  { protocol: 'tcp', address: '127.0.0.1', port: 5060 },
  { protocol: 'tls', address: '127.0.0.1', port: 5061 },
];

export class FakeTransport implements ManagedTransportLayer {
  readonly sent: FakeSent[] = [];
  lossRate: number;
  network: FakeNetwork | undefined;
  private readonly points: ListeningPoint[];
  private readonly random: () => number;
  private readonly maxDatagramSize: number;
  private readonly logger: TransportLogger;
  private readonly drops: Rule[] = [];
  private readonly failures: Rule[] = [];
  private readonly connections = new Map<string, { flow: Flow; holds: number }>();
  private readonly waiters: { match: SentPredicate; resolve: (s: FakeSent) => void }[] = [];
  private readonly counters = new StatsCounters();
  private readonly events: EventHandlers;
  private seq = 0;
  private closed = false;

  constructor(options: FakeTransportOptions = {}) {
    this.points = (options.listeningPoints ?? DEFAULT_POINTS).map((p) => ({ ...p }));
    this.lossRate = options.lossRate ?? 0;
    this.random = options.random ?? Math.random;
    this.maxDatagramSize = options.maxDatagramSize ?? 65_507;
    this.logger = options.logger ?? noopLogger;
    this.events = new EventHandlers(this.logger);
  }

  // ------------------------------------------------------------ test controls

  /** Silently lose the next `count` sends matching `match` (default: any). */
  dropNext(count = 1, match: SentPredicate = () => true): void {
    this.drops.push({ match, remaining: count });
  }

  /** Lose every send matching `match` until clearRules(). */
  dropWhen(match: SentPredicate): void {
    this.drops.push({ match, remaining: Infinity });
  }

  /** Reject the next `count` sends matching `match` with a TransportError. */
  failNext(count = 1, code: TransportErrorCode = 'send-failed', match: SentPredicate = () => true): void {
    this.failures.push({ match, remaining: count, code });
  }

  failWhen(match: SentPredicate, code: TransportErrorCode = 'send-failed'): void {
    this.failures.push({ match, remaining: Infinity, code });
  }

  clearRules(): void {
    this.drops.length = 0;
    this.failures.length = 0;
    this.lossRate = 0;
  }

  /** Forget recorded sends. */
  clear(): void {
    this.sent.length = 0;
  }

  sentRequests(method?: string): FakeSent[] {
    return this.sent.filter((s) => s.message.isRequest() && (method === undefined || s.message.method === method));
  }

  sentResponses(status?: number): FakeSent[] {
    return this.sent.filter((s) => !s.message.isRequest() && (status === undefined || (s.message as SipResponse).status === status));
  }

  /** Resolves with the first send (already recorded or future) matching `match`. */
  waitForSent(match: SentPredicate, timeoutMs = 2000): Promise<FakeSent> {
    const have = this.sent.find(match);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise<FakeSent>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (s: FakeSent) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error(`waitForSent: nothing matching was sent within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** A flow from a peer to our listening point of `protocol`; reliable flows get an open connection. */
  flow(partial: Partial<Flow> = {}): Flow {
    const protocol = partial.protocol ?? 'udp';
    const lp = this.listeningPoint(protocol);
    const flow: Flow = {
      protocol,
      localAddress: partial.localAddress ?? lp?.address ?? '127.0.0.1',
      localPort: partial.localPort ?? lp?.port ?? 5060,
      remoteAddress: partial.remoteAddress ?? '192.0.2.10',
      remotePort: partial.remotePort ?? 5060,
    };
    if (protocol !== 'udp') {
      flow.connectionId = partial.connectionId ?? `fake-${protocol}-${++this.seq}`;
      if (!this.connections.has(flow.connectionId)) {
        this.connections.set(flow.connectionId, { flow, holds: 0 });
        this.counters.p[protocol].openConnections++;
        this.events.emit('connectionOpened', { flow, inbound: true });
      }
    }
    return flow;
  }

  /**
   * Deliver an inbound message as if it arrived on `flow` (see flow() for
   * defaults). Text/bytes are parsed like a datagram; requests get Via
   * received/rport. Unparseable input is reported as a parseFailure instead.
   */
  inject(message: SipMessageAny | string | Buffer, flow: Partial<Flow> = {}): InboundMessage | InboundParseFailure {
    const f = this.flow(flow);
    let msg: SipMessageAny;
    let size: number;
    if (typeof message === 'string' || Buffer.isBuffer(message)) {
      const buf = typeof message === 'string' ? Buffer.from(message) : message;
      size = buf.length;
      try {
        msg = parseMessage(buf, { datagram: true });
      } catch (e) {
        const failure: InboundParseFailure = { flow: f, reason: e instanceof SipParseError ? e.message : String(e), size };
        this.counters.p[f.protocol].parseFailures++;
        this.events.emit('parseFailure', failure);
        return failure;
      }
    } else {
      msg = message;
      size = message.toBuffer().length;
    }
    if (msg.isRequest()) stampVia(msg, f.remoteAddress, f.remotePort);
    const s = this.counters.p[f.protocol];
    s.messagesIn++;
    s.bytesIn += size;
    const inbound: InboundMessage = { message: msg, flow: f, size };
    this.events.emit('message', inbound);
    return inbound;
  }

  // ------------------------------------------------------------- the contract

  async send(message: SipMessageAny, destination: Destination): Promise<void> {
    this.record(message, { ...destination }, undefined);
  }

  async sendResponse(response: SipResponse, requestFlow: Flow): Promise<void> {
    let dest: Destination;
    try {
      dest = responseDestination(response, requestFlow);
    } catch (e) {
      throw new TransportError(`response has no usable Via: ${String(e)}`, { protocol: requestFlow.protocol, address: requestFlow.remoteAddress, port: requestFlow.remotePort }, 'no-route');
    }
    const reliable = dest.protocol !== 'udp';
    const open = dest.connectionId !== undefined && this.connections.has(dest.connectionId);
    if (reliable && !open && (dest.protocol === 'ws' || dest.protocol === 'wss')) {
      this.counters.p[dest.protocol].sendFailures++;
      throw new TransportError(`the ${dest.protocol} connection is gone`, dest, 'connection-closed');
    }
    this.record(response, dest, requestFlow);
  }

  private record(message: SipMessageAny, destination: Destination, requestFlow: Flow | undefined): void {
    if (this.closed) throw new TransportError('transport layer closed', destination, 'closed');
    const wire = message.toBuffer();
    const entry: FakeSent = {
      kind: message.isRequest() ? 'request' : 'response',
      message,
      wire: wire.toString('utf8'),
      destination,
      dropped: false,
      at: Date.now(),
    };
    if (requestFlow !== undefined) entry.requestFlow = requestFlow;
    const s = this.counters.p[destination.protocol];
    const failure = this.take(this.failures, entry);
    if (failure !== undefined) {
      s.sendFailures++;
      throw new TransportError('simulated send failure', destination, failure.code ?? 'send-failed');
    }
    if (destination.protocol === 'udp' && wire.length > this.maxDatagramSize) {
      s.sendFailures++;
      throw new TransportError(`message of ${wire.length} bytes exceeds the UDP maximum of ${this.maxDatagramSize}`, destination, 'too-large');
    }
    entry.dropped = this.take(this.drops, entry) !== undefined || (this.lossRate > 0 && this.random() < this.lossRate);
    this.sent.push(entry);
    s.messagesOut++;
    s.bytesOut += wire.length;
    for (const w of [...this.waiters]) {
      if (w.match(entry)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    }
    if (!entry.dropped) this.network?.carry(this, entry, wire);
  }

  private take(rules: Rule[], entry: FakeSent): Rule | undefined {
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.match(entry)) continue;
      r.remaining--;
      if (r.remaining <= 0) rules.splice(i, 1);
      return r;
    }
    return undefined;
  }

  listeningPoint(protocol: TransportProtocol): ListeningPoint | undefined {
    const p = this.points.find((l) => l.protocol === protocol);
    return p === undefined ? undefined : { ...p };
  }

  listeningPoints(): ListeningPoint[] {
    return this.points.map((p) => ({ ...p }));
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
    return this.connections.has(connectionId);
  }

  retainConnection(connectionId: string): (() => void) | undefined {
    const c = this.connections.get(connectionId);
    if (c === undefined) return undefined;
    c.holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      c.holds--;
    };
  }

  /** Holds on a connection (to assert that a layer above retained / released it). */
  connectionHolds(connectionId: string): number {
    return this.connections.get(connectionId)?.holds ?? 0;
  }

  closeConnection(connectionId: string, reason = 'closed by application'): void {
    const c = this.connections.get(connectionId);
    if (c === undefined) return;
    this.connections.delete(connectionId);
    this.counters.p[c.flow.protocol].openConnections--;
    this.events.emit('connectionClosed', { flow: c.flow, inbound: true, reason });
  }

  async close(): Promise<void> {
    for (const id of [...this.connections.keys()]) this.closeConnection(id, 'transport layer closed');
    this.closed = true;
    this.network?.detach(this);
  }
}

/**
 * Links FakeTransports by their listening points: a send to another fake's
 * address:port (same protocol) is re-parsed from its wire bytes and injected
 * there with a matching flow, on a microtask.
 */
export class FakeNetwork {
  private readonly members = new Set<FakeTransport>();
  /** One simulated connection per pair of fakes and protocol, same id on both sides. */
  private readonly links = new Map<string, string>();
  private readonly ids = new WeakMap<FakeTransport, number>();
  private seq = 0;

  private idOf(t: FakeTransport): number {
    let id = this.ids.get(t);
    if (id === undefined) {
      id = ++this.seq;
      this.ids.set(t, id);
    }
    return id;
  }

  private linkId(a: FakeTransport, b: FakeTransport, protocol: TransportProtocol): string {
    const [x, y] = [this.idOf(a), this.idOf(b)].sort((m, n) => m - n);
    const key = `${protocol} ${x} ${y}`;
    let id = this.links.get(key);
    if (id === undefined) {
      id = `fake-link-${protocol}-${x}-${y}`;
      this.links.set(key, id);
    }
    return id;
  }

  attach(t: FakeTransport): void {
    this.members.add(t);
    t.network = this;
  }

  detach(t: FakeTransport): void {
    this.members.delete(t);
    if (t.network === this) t.network = undefined;
  }

  carry(from: FakeTransport, entry: FakeSent, wire: Buffer): void {
    const d = entry.destination;
    const address = normalizeAddress(d.address);
    for (const to of this.members) {
      if (to === from) continue;
      const lp = to.listeningPoints().find((p) => p.protocol === d.protocol && normalizeAddress(p.address) === address && p.port === d.port);
      if (lp === undefined) continue;
      const src = from.listeningPoint(d.protocol);
      const flow: Partial<Flow> = {
        protocol: d.protocol,
        localAddress: lp.address,
        localPort: lp.port,
        remoteAddress: src?.address ?? '127.0.0.1',
        remotePort: src?.port ?? 5060,
      };
      if (d.protocol !== 'udp') flow.connectionId = this.linkId(from, to, d.protocol);
      const bytes = Buffer.from(wire);
      queueMicrotask(() => to.inject(bytes, flow));
      return;
    }
  }
}
