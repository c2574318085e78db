// Shared helpers for the media tests: fake RTP endpoints on 127.0.0.1, SDP bodies, WAV files.
import dgram from 'node:dgram';
import { segmentsWav, tone } from '../../src/media/tones.js';
import { sleep, waitFor as pollFor } from '../e2e/harness/wait.js';

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

export { sleep };

/** Poll `pred` (every 10 ms, for 2 s by default); resolves with its last value. */
export function waitFor(pred: () => boolean, timeoutMs = 2000, stepMs = 10): Promise<boolean> {
  return pollFor(pred, timeoutMs, stepMs);
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

/** A mono 16-bit PCM WAV at 8 kHz with a 440 Hz tone (peak 8000). */
export function toneWav(ms: number): Buffer {
  return segmentsWav([tone(ms, 440)], 8000);
}
