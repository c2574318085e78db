// Shared helpers for the media tests: fake RTP endpoints on 127.0.0.1, SDP bodies, WAV files.
import dgram from 'node:dgram';

export interface RtpPacketInfo {
  readonly pt: number;
  readonly seq: number;
  readonly ssrc: number;
  readonly from: number;
  readonly size: number;
}

/** A UDP socket playing one SIP endpoint's media side; records every RTP packet it receives. */
export class RtpEndpoint {
  readonly received: RtpPacketInfo[] = [];
  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (m, rinfo) => {
      if (m.length < 12) return;
      this.received.push({ pt: m[1]! & 0x7f, seq: m.readUInt16BE(2), ssrc: m.readUInt32BE(8), from: rinfo.port, size: m.length });
    });
  }

  static async open(): Promise<RtpEndpoint> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    return new RtpEndpoint(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Send `count` RTP packets (PCMU, 160 bytes payload) to 127.0.0.1:port, `gapMs` apart. */
  async sendRtp(port: number, count: number, ssrc: number, opts: { gapMs?: number; firstSeq?: number } = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.sock.send(rtpPacket((opts.firstSeq ?? 1) + i, ssrc), port, '127.0.0.1');
      await sleep(opts.gapMs ?? 5);
    }
  }

  sendRaw(buf: Buffer, port: number): void {
    this.sock.send(buf, port, '127.0.0.1');
  }

  countFrom(ssrc: number): number {
    return this.received.filter((p) => p.ssrc === ssrc).length;
  }

  clear(): void {
    this.received.length = 0;
  }

  close(): void {
    this.sock.close();
  }
}

export function rtpPacket(seq: number, ssrc: number, pt = 0): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff); // 0xff = PCMU silence
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(pred: () => boolean, timeoutMs = 2000, stepMs = 10): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(stepMs);
  }
  return pred();
}

export function audioSdp(port: number, opts: { addr?: string; origin?: string; direction?: string; version?: number } = {}): string {
  const addr = opts.addr ?? '127.0.0.1';
  return [
    'v=0',
    `o=- 1001 ${opts.version ?? 1} IN IP4 ${opts.origin ?? addr}`,
    's=-',
    `c=IN IP4 ${addr}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    `a=${opts.direction ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}

export function mediaPort(sdp: string): number {
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!m) throw new Error(`no m=audio in ${sdp}`);
  return Number(m[1]);
}

/** A mono 16-bit PCM WAV at 8 kHz with a 440 Hz tone, built in pure JS. */
export function toneWav(ms: number): Buffer {
  const n = 8 * ms;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), 44 + i * 2);
  return b;
}
