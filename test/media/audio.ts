// Audio helpers for media tests: G.711 RTP senders/receivers that keep the decoded audio, and
// Goertzel tone detection (is frequency f present in these samples?).
import dgram from 'node:dgram';
import { type G711Law, decode, encode } from '../../src/media/mixer/g711.js';

export const PT_OF: Record<G711Law, number> = { pcmu: 0, pcma: 8 };

/** Relative power of frequency `f` in `samples` (8 kHz), normalised to the signal power. */
export function toneLevel(samples: ArrayLike<number>, f: number, rate = 8000): number {
  const n = samples.length;
  if (n === 0) return 0;
  const k = (2 * Math.PI * f) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : power / (energy * n / 2);
}

export function rms(samples: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < samples.length; i++) e += samples[i]! * samples[i]!;
  return samples.length === 0 ? 0 : Math.sqrt(e / samples.length);
}

export interface AudioPacket {
  readonly pt: number;
  readonly seq: number;
  readonly ssrc: number;
  readonly fromPort: number;
  readonly samples: Int16Array;
  readonly at: number;
}

/** A UDP RTP endpoint that records decoded G.711 audio and can send a sine tone. */
export class AudioEndpoint {
  readonly packets: AudioPacket[] = [];
  private seq = Math.floor(Math.random() * 60000);
  private ts = 0;
  private phase = 0;
  readonly ssrc = (Math.random() * 0xffffffff) >>> 0;

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (m, rinfo) => {
      if (m.length < 12) return;
      const pt = m[1]! & 0x7f;
      if (pt !== 0 && pt !== 8) return;
      this.packets.push({
        pt,
        seq: m.readUInt16BE(2),
        ssrc: m.readUInt32BE(8),
        fromPort: rinfo.port,
        samples: decode(pt === 8 ? 'pcma' : 'pcmu', m.subarray(12)),
        at: Date.now(),
      });
    });
  }

  static async open(): Promise<AudioEndpoint> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    return new AudioEndpoint(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** One 20 ms frame of a sine at `freq` Hz (amplitude `amp`) as an RTP packet. */
  sineFrame(law: G711Law, freq: number, amp = 6000): Buffer {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) {
      pcm[i] = Math.round(amp * Math.sin(this.phase));
      this.phase += (2 * Math.PI * freq) / 8000;
    }
    const b = Buffer.alloc(172);
    b[0] = 0x80;
    b[1] = PT_OF[law];
    b.writeUInt16BE(this.seq, 2);
    b.writeUInt32BE(this.ts >>> 0, 4);
    b.writeUInt32BE(this.ssrc, 8);
    encode(law, pcm, b.subarray(12));
    this.seq = (this.seq + 1) & 0xffff;
    this.ts += 160;
    return b;
  }

  send(buf: Buffer, port: number): void {
    this.sock.send(buf, port, '127.0.0.1');
  }

  /** Decoded samples of the packets received since `since` (ms timestamp), in arrival order. */
  audioSince(since: number, filter?: (p: AudioPacket) => boolean): Int16Array {
    const ps = this.packets.filter((p) => p.at >= since && (filter === undefined || filter(p)));
    const out = new Int16Array(ps.reduce((n, p) => n + p.samples.length, 0));
    let o = 0;
    for (const p of ps) {
      out.set(p.samples, o);
      o += p.samples.length;
    }
    return out;
  }

  clear(): void {
    this.packets.length = 0;
  }

  close(): void {
    this.sock.close();
  }
}

/** Runs `fn` every 20 ms (drift-corrected) `count` times. */
export async function every20ms(count: number, fn: (i: number) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    fn(i);
    const wait = start + (i + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

export function g711Sdp(port: number, law: G711Law = 'pcmu', extra: string[] = []): string {
  const pt = PT_OF[law];
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${law === 'pcmu' ? 'PCMU' : 'PCMA'}/8000`, ...extra, 'a=sendrecv', ''].join('\r\n');
}
