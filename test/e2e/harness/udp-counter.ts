// A small RTP sink/source on 127.0.0.1, to check that media really flows (through rtpengine):
// point an SDP at counter.port, count what arrives, and send a 20 ms PCMU stream somewhere.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { LOOPBACK } from './ports.js';

export const RTP_HEADER_BYTES = 12;
export const PCMU_PAYLOAD_BYTES = 160; // 20 ms of 8 kHz G.711
export const PCMU_SILENCE = 0xff;

export interface RtpHeader {
  readonly version: number;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
}

export interface ReceivedPacket {
  readonly fromHost: string;
  readonly fromPort: number;
  readonly size: number;
  /** Parsed when the datagram looks like RTP (version 2, at least 12 bytes). */
  readonly rtp: RtpHeader | undefined;
  /** Date.now() at arrival. */
  readonly at: number;
}

/** A 12-byte RTP header plus `payload` (default 160 bytes of PCMU silence). */
export function rtpPacket(opts: {
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadType?: number;
  marker?: boolean;
  payload?: Buffer;
}): Buffer {
  const payload = opts.payload ?? Buffer.alloc(PCMU_PAYLOAD_BYTES, PCMU_SILENCE);
  const b = Buffer.alloc(RTP_HEADER_BYTES + payload.length);
  b[0] = 0x80; // V=2, no padding, no extension, no CSRC
  b[1] = ((opts.marker ? 1 : 0) << 7) | ((opts.payloadType ?? 0) & 0x7f);
  b.writeUInt16BE(opts.sequence & 0xffff, 2);
  b.writeUInt32BE(opts.timestamp >>> 0, 4);
  b.writeUInt32BE(opts.ssrc >>> 0, 8);
  payload.copy(b, RTP_HEADER_BYTES);
  return b;
}

export function parseRtpHeader(buf: Buffer): RtpHeader | undefined {
  if (buf.length < RTP_HEADER_BYTES || buf[0]! >> 6 !== 2) return undefined;
  return {
    version: 2,
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
  };
}

export interface SendRtpOptions {
  /** Packet interval (default 20 ms, paced against the wall clock so it does not drift). */
  ptimeMs?: number;
  /** Payload type (default 0 = PCMU). */
  payloadType?: number;
  /** Default: random. */
  ssrc?: number;
  /** First sequence number (default random). */
  firstSequence?: number;
  /** Payload bytes per packet (default 160 = 20 ms PCMU), filled with PCMU silence. */
  payloadBytes?: number;
  host?: string;
}

export class UdpCounter {
  /** Every datagram received, in order (capped at `keep`, the count is not). */
  readonly packets: ReceivedPacket[] = [];
  private received = 0;
  private waiters: Array<{ n: number; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }> = [];
  private closed = false;

  private constructor(
    private readonly sock: dgram.Socket,
    readonly host: string,
    readonly port: number,
    private readonly keep: number,
  ) {
    sock.on('message', (msg, rinfo) => {
      this.received++;
      if (this.packets.length < this.keep) {
        this.packets.push({ fromHost: rinfo.address, fromPort: rinfo.port, size: msg.length, rtp: parseRtpHeader(msg), at: Date.now() });
      }
      this.waiters = this.waiters.filter((w) => {
        if (this.received < w.n) return true;
        clearTimeout(w.timer);
        w.resolve(true);
        return false;
      });
    });
  }

  /** Bind a UDP socket on 127.0.0.1 (`port` 0 / omitted = any free port). */
  static async open(opts: { port?: number; host?: string; keep?: number } = {}): Promise<UdpCounter> {
    const host = opts.host ?? LOOPBACK;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port ?? 0, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', () => {
      // a send to a closed port can surface ICMP errors; the counter keeps going
    });
    return new UdpCounter(sock, host, sock.address().port, opts.keep ?? 10_000);
  }

  /** Datagrams received so far. */
  get count(): number {
    return this.received;
  }

  /** Received datagrams that parsed as RTP (from the kept ones). */
  get rtpCount(): number {
    return this.packets.filter((p) => p.rtp !== undefined).length;
  }

  /** Kept datagrams from a given source port (and host). */
  countFrom(port: number, host = LOOPBACK): number {
    return this.packets.filter((p) => p.fromPort === port && p.fromHost === host).length;
  }

  /** Kept RTP packets with a given SSRC. */
  countSsrc(ssrc: number): number {
    return this.packets.filter((p) => p.rtp?.ssrc === ssrc >>> 0).length;
  }

  /** Resolves true once `n` datagrams in total have arrived, false after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 3000): Promise<boolean> {
    if (this.received >= n) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        n,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Send `count` RTP packets to host:port from this socket (so echoes come back here), one per
   * ptime (default 20 ms, PCMU, 160-byte payload). Resolves after the last one is sent.
   * Returns the SSRC used.
   */
  async sendRtp(port: number, count: number, opts: SendRtpOptions = {}): Promise<number> {
    const host = opts.host ?? LOOPBACK;
    const ptime = opts.ptimeMs ?? 20;
    const ssrc = (opts.ssrc ?? randomInt(1, 0xffffffff)) >>> 0;
    const pt = opts.payloadType ?? 0;
    const payloadBytes = opts.payloadBytes ?? PCMU_PAYLOAD_BYTES;
    let seq = opts.firstSequence ?? randomInt(0, 0xffff);
    let ts = randomInt(0, 0x7fffffff);
    const samplesPerPacket = Math.round((ptime * 8000) / 1000);
    const start = Date.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * ptime;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.closed) break;
      const pkt = rtpPacket({ sequence: seq, timestamp: ts, ssrc, payloadType: pt, marker: i === 0, payload: Buffer.alloc(payloadBytes, PCMU_SILENCE) });
      await new Promise<void>((resolve) => this.sock.send(pkt, port, host, () => resolve()));
      seq = (seq + 1) & 0xffff;
      ts = (ts + samplesPerPacket) >>> 0;
    }
    return ssrc;
  }

  /** Send one raw datagram. */
  sendRaw(buf: Buffer, port: number, host = LOOPBACK): Promise<void> {
    return new Promise((resolve) => this.sock.send(buf, port, host, () => resolve()));
  }

  /** Forget what was received so far. */
  reset(): void {
    this.packets.length = 0;
    this.received = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
    this.sock.close();
  }
}
