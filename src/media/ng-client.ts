// rtpengine ng protocol client over UDP: "<cookie> <bencoded dict>" per datagram.
//
// Decision (measured with bench/media/ng-cycle.ts against the local rtpengine 10.5, numbers
// in that file's header): we use this client, not npm rtpengine-client 0.4.12. Per
// offer+answer+delete cycle ours used ~230-400 µs of Node CPU vs ~300-550 µs for
// rtpengine-client in the same runs (most of either is the UDP send syscall).
// rtpengine-client costs more CPU per command (it JSON.stringify()s every command for
// `debug` even when debug is off, decodes through the generic `bencode` package, defers every
// reply through two setImmediate hops, console.log()s late/duplicate replies) and it has no
// retransmission. This client sends each request once, retransmits the *same* bytes once
// (rtpengine caches replies by cookie, so a duplicate never runs a command twice) and rejects
// with NgTimeoutError when the per-request timeout expires.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { bdecode, bencode, isBDict, type BDict, type BencodeValue } from './bencode.js';

const MAX_NG_DATAGRAM = 65507;

export interface NgEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface NgClientOptions {
  /** Local address to bind (default 127.0.0.1). */
  readonly localAddress?: string;
  /** Local port (default 0 = ephemeral). */
  readonly localPort?: number;
  /** Default per-request timeout in ms (default 1000). */
  readonly timeoutMs?: number;
  /** When to retransmit once; default timeoutMs/2. Set >= timeoutMs to disable. */
  readonly retransmitAfterMs?: number;
}

export interface NgRequestOptions {
  readonly timeoutMs?: number;
  readonly retransmitAfterMs?: number;
}

/** An ng command: `command` plus any other keys. */
export type NgMessage = { readonly command: string } & { readonly [key: string]: BencodeValue | undefined };

export class NgTimeoutError extends Error {
  constructor(
    readonly endpoint: NgEndpoint,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`rtpengine ${endpoint.host}:${endpoint.port} did not answer '${command}' within ${timeoutMs} ms`);
    this.name = 'NgTimeoutError';
  }
}

/** rtpengine answered `result: error`. */
export class NgCommandError extends Error {
  constructor(
    readonly endpoint: NgEndpoint,
    readonly command: string,
    readonly reason: string,
  ) {
    super(`rtpengine ${endpoint.host}:${endpoint.port} '${command}' failed: ${reason}`);
    this.name = 'NgCommandError';
  }
}

export interface NgClientStats {
  sent: number;
  retransmits: number;
  replies: number;
  /** Replies with no pending request: late after a timeout, or the duplicate of a retransmit. */
  strays: number;
  timeouts: number;
  decodeErrors: number;
}

interface Pending {
  readonly cookie: string;
  readonly endpoint: NgEndpoint;
  readonly command: string;
  readonly bytes: Buffer;
  readonly timeoutMs: number;
  readonly resolve: (d: BDict) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class NgClient {
  readonly stats: NgClientStats = { sent: 0, retransmits: 0, replies: 0, strays: 0, timeouts: 0, decodeErrors: 0 };
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomBytes(5).toString('hex') + '_';
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly timeoutMs: number,
    private readonly retransmitAfterMs: number,
  ) {
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // A UDP socket error must never crash the server; pending requests time out on their own.
    socket.on('error', () => undefined);
  }

  static async create(opts: NgClientOptions = {}): Promise<NgClient> {
    const socket = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.localPort ?? 0, opts.localAddress ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Do not keep the process alive on an idle client: pending requests hold their timers.
    socket.unref();
    const timeoutMs = opts.timeoutMs ?? 1000;
    return new NgClient(socket, timeoutMs, opts.retransmitAfterMs ?? Math.floor(timeoutMs / 2));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /**
   * Send one ng command and resolve with the reply dict. Rejects with NgCommandError when
   * rtpengine answers `result: error`, NgTimeoutError when nothing arrives in time.
   */
  request(endpoint: NgEndpoint, message: NgMessage, opts?: NgRequestOptions): Promise<BDict> {
    if (this.closed) return Promise.reject(new Error('ng client closed'));
    const cookie = this.prefix + (this.seq++).toString(36);
    let bytes: Buffer;
    try {
      bytes = bencode(message, cookie + ' ');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // One datagram per command. Over loopback (MTU 64K) anything up to this size is fine;
    // across a real network large SDP is IP-fragmented (rtpengine issue #1101), so keep ng local.
    if (bytes.length > MAX_NG_DATAGRAM) {
      return Promise.reject(new Error(`ng '${message.command}' is ${bytes.length} bytes, over the UDP limit of ${MAX_NG_DATAGRAM}`));
    }
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    const retransmitAfterMs = opts?.retransmitAfterMs ?? (opts?.timeoutMs !== undefined ? Math.floor(timeoutMs / 2) : this.retransmitAfterMs);
    return new Promise<BDict>((resolve, reject) => {
      const p: Pending = {
        cookie,
        endpoint,
        command: message.command,
        bytes,
        timeoutMs,
        resolve,
        reject,
        timer: undefined as unknown as NodeJS.Timeout,
      };
      if (retransmitAfterMs > 0 && retransmitAfterMs < timeoutMs) {
        p.timer = setTimeout(() => this.onRetransmitTimer(p, timeoutMs - retransmitAfterMs), retransmitAfterMs);
      } else {
        p.timer = setTimeout(() => this.onTimeout(p), timeoutMs);
      }
      this.pending.set(cookie, p);
      this.send(p);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('ng client closed'));
    }
    this.pending.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private send(p: Pending): void {
    this.stats.sent++;
    this.socket.send(p.bytes, p.endpoint.port, p.endpoint.host, (err) => {
      // Send errors (e.g. EHOSTUNREACH) are transient for UDP: the retransmit or timeout decides.
      void err;
    });
  }

  private onRetransmitTimer(p: Pending, remainingMs: number): void {
    if (this.pending.get(p.cookie) !== p) return;
    this.stats.retransmits++;
    this.send(p);
    p.timer = setTimeout(() => this.onTimeout(p), remainingMs);
  }

  private onTimeout(p: Pending): void {
    if (this.pending.get(p.cookie) !== p) return;
    this.pending.delete(p.cookie);
    this.stats.timeouts++;
    p.reject(new NgTimeoutError(p.endpoint, p.command, p.timeoutMs));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const sp = msg.indexOf(0x20);
    if (sp <= 0) {
      this.stats.decodeErrors++;
      return;
    }
    const cookie = msg.toString('latin1', 0, sp);
    const p = this.pending.get(cookie);
    if (p === undefined || rinfo.port !== p.endpoint.port) {
      this.stats.strays++;
      return;
    }
    let data;
    try {
      data = bdecode(msg, sp + 1);
    } catch {
      // Leave the request pending: the retransmission may yield a good reply.
      this.stats.decodeErrors++;
      return;
    }
    if (!isBDict(data)) {
      this.stats.decodeErrors++;
      return;
    }
    this.pending.delete(cookie);
    clearTimeout(p.timer);
    this.stats.replies++;
    if (data['result'] === 'error') {
      const reason = data['error-reason'];
      p.reject(new NgCommandError(p.endpoint, p.command, typeof reason === 'string' ? reason : 'unknown error'));
      return;
    }
    p.resolve(data);
  }
}
