// Call setup latency from a packet capture of the caller's side (machine-probe.md: SIPp's own
// clock moves in 4 ms steps here, tcpdump's timestamps are in microseconds):
// setup = first 200 (CSeq INVITE) to the caller − first INVITE from the caller, per Call-ID.
import { existsSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked } from './sipp-load.js';

export const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => existsSync(p)) ?? '/usr/bin/tcpdump';

export interface Capture {
  readonly file: string;
  stop(): Promise<{ stderr: string; dropped: number | undefined }>;
}

/** Capture UDP to/from 127.0.0.1:`port` on lo into `file`. Resolves once tcpdump listens. */
export async function startCapture(file: string, port: number): Promise<Capture> {
  const child: ChildProcess = spawnTracked(TCPDUMP, ['-i', 'lo', '-n', '-s', '2048', '-B', '16384', '-w', file, `udp port ${port}`], ['ignore', 'ignore', 'pipe']);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 5000);
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited: ${stderr}`));
    });
  });
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  await listening;
  return {
    file,
    async stop() {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(killer);
      const m = /(\d+) packets dropped by kernel/.exec(stderr);
      return { stderr, dropped: m === null ? undefined : Number(m[1]) };
    },
  };
}

export interface LatencyStats {
  calls: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** INVITEs seen without a 200 in the capture. */
  unanswered: number;
}

interface Udp {
  ts: number; // seconds
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

function* udpPackets(buf: Buffer): Generator<Udp> {
  if (buf.length < 24) return;
  const magic = buf.readUInt32LE(0);
  let le = true;
  let nano = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xa1b23c4d) nano = true;
  else if (buf.readUInt32BE(0) === 0xa1b2c3d4) le = false;
  else if (buf.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = true;
  } else throw new Error('not a pcap file');
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20);
  const linkLen = linktype === 1 ? 14 : linktype === 113 ? 16 : linktype === 276 ? 20 : linktype === 0 ? 4 : linktype === 101 ? 0 : -1;
  if (linkLen < 0) throw new Error(`unsupported pcap link type ${linktype}`);
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const start = off + 16;
    off = start + incl;
    if (off > buf.length) break;
    const ip = start + linkLen;
    if ((buf[ip]! >> 4) !== 4) continue;
    const ihl = (buf[ip]! & 0x0f) * 4;
    if (buf[ip + 9] !== 17) continue;
    const udp = ip + ihl;
    const udpLen = buf.readUInt16BE(udp + 4);
    const end = Math.min(udp + udpLen, off);
    yield {
      ts: sec + frac / (nano ? 1e9 : 1e6),
      srcPort: buf.readUInt16BE(udp),
      dstPort: buf.readUInt16BE(udp + 2),
      payload: buf.subarray(udp + 8, end),
    };
  }
}

const CALL_ID = /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im;
const CSEQ = /^cseq[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)/im;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Setup latency per Call-ID of calls placed by the SIPp caller on `callerPort`. */
export function setupLatency(file: string, callerPort: number): LatencyStats {
  const invites = new Map<string, number>();
  const answers = new Map<string, number>();
  for (const p of udpPackets(readFileSync(file))) {
    const head = p.payload.subarray(0, 1200).toString('latin1');
    if (p.srcPort === callerPort && head.startsWith('INVITE ')) {
      const id = CALL_ID.exec(head)?.[1];
      if (id !== undefined && !invites.has(id)) invites.set(id, p.ts);
    } else if (p.dstPort === callerPort && head.startsWith('SIP/2.0 200')) {
      if (CSEQ.exec(head)?.[1]?.toUpperCase() !== 'INVITE') continue;
      const id = CALL_ID.exec(head)?.[1];
      if (id !== undefined && !answers.has(id)) answers.set(id, p.ts);
    }
  }
  const ms: number[] = [];
  let unanswered = 0;
  for (const [id, t0] of invites) {
    const t1 = answers.get(id);
    if (t1 === undefined) unanswered++;
    else ms.push((t1 - t0) * 1000);
  }
  ms.sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    calls: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p90Ms: round(percentile(ms, 90)),
    p99Ms: round(percentile(ms, 99)),
    maxMs: round(ms.length > 0 ? ms[ms.length - 1]! : NaN),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length)),
    unanswered,
  };
}
