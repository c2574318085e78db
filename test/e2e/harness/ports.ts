// Port allocation for end-to-end tests that run in parallel (vitest forks, other sessions' runs).
//
// Two kinds of ports:
//  - single ports (SIP listeners, SIPp control/media ports, ng ports...): freePort().
//    Each process claims a BLOCK of 250 ports in 12000-21999 through a lock file, then hands
//    out ports from it after probe-binding UDP and TCP on 127.0.0.1. The block a process tries
//    first is keyed by VITEST_POOL_ID and the pid, so parallel workers rarely even contend.
//  - rtpengine slots (an ng port + a 200-port media range): allocateRtpRange().
//    ng 22400+s, media 22600+200*s .. +199, s = 0..36 (ends at 29999), also lock-file claimed.
// Both areas stay below 32768 (Linux's ephemeral range starts there, so port-0 sockets of other
// tests never land in them) and away from src/media/rtpengine-process.ts's own slots
// (ng 22300-22399, media 30000-49999).
//
// Lock files live in $TMPDIR/mobility-anchor-e2e-ports/, hold the owner's pid and start time,
// are removed when the process exits normally, and are taken over when their owner is gone
// (vitest ends its fork workers with a signal, so stale files are normal; pid reuse is caught
// by the start time).
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const LOOPBACK = '127.0.0.1';

const BLOCK_BASE = 12000;
const BLOCK_SIZE = 250;
const BLOCK_COUNT = 40; // 12000..21999

const RTP_NG_BASE = 22400;
const RTP_MEDIA_BASE = 22600;
const RTP_RANGE_SIZE = 200;
const RTP_SLOT_COUNT = 37; // media 22600..29999

export const PORT_LOCK_DIR = path.join(os.tmpdir(), 'mobility-anchor-e2e-ports');

// ---- lock files ------------------------------------------------------------------------------

const heldLocks = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const file of heldLocks) {
      try {
        fs.unlinkSync(file);
      } catch {
        // already gone
      }
    }
  });
}

/** Start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot). */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const MY_IDENTITY = `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim();

/** Is the lock owner "pid starttime" still the same running process (pid reuse safe)? */
function ownerAlive(owner: string): boolean {
  const [pidText, start] = owner.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return start === undefined || start === startTimeOf(pid);
}

/** Claims `name` for this process. False if a live process holds it. */
function tryLock(name: string): boolean {
  fs.mkdirSync(PORT_LOCK_DIR, { recursive: true });
  installExitHook();
  const file = path.join(PORT_LOCK_DIR, `${name}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, MY_IDENTITY, { flag: 'wx' });
      heldLocks.add(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: string;
    try {
      owner = fs.readFileSync(file, 'utf8').trim();
    } catch {
      continue; // removed meanwhile: try to create it again
    }
    if (owner === MY_IDENTITY) return false; // ours already (not handed out twice)
    if (ownerAlive(owner)) return false;
    try {
      fs.unlinkSync(file); // stale: its owner died without cleaning up (e.g. a killed worker)
    } catch {
      // someone else took it over first
    }
  }
  return false;
}

function unlock(name: string): void {
  const file = path.join(PORT_LOCK_DIR, `${name}.lock`);
  if (!heldLocks.delete(file)) return;
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

// ---- probing -----------------------------------------------------------------------------------

/** True if `port` can be bound on 127.0.0.1 right now (UDP and/or TCP). Binds and releases. */
export async function isPortFree(port: number, opts: { udp?: boolean; tcp?: boolean } = {}): Promise<boolean> {
  const udp = opts.udp ?? true;
  const tcp = opts.tcp ?? true;
  if (udp && !(await udpFree(port))) return false;
  if (tcp && !(await tcpFree(port))) return false;
  return true;
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, LOOPBACK, () => sock.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: LOOPBACK, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

// ---- single ports ------------------------------------------------------------------------------

/** A number that differs between parallel vitest workers (and between plain processes). */
export function workerKey(): number {
  const pool = Number(process.env['VITEST_POOL_ID'] ?? process.env['VITEST_WORKER_ID'] ?? 0);
  return (Number.isFinite(pool) ? pool : 0) * 7 + process.pid;
}

interface Block {
  readonly index: number;
  next: number; // next candidate port
  readonly end: number; // exclusive
}

let currentBlock: Block | undefined;
const triedBlocks = new Set<number>();

function claimBlock(): Block {
  const start = workerKey() % BLOCK_COUNT;
  for (let i = 0; i < BLOCK_COUNT; i++) {
    const index = (start + i) % BLOCK_COUNT;
    if (triedBlocks.has(index)) continue;
    if (tryLock(`block-${index}`)) {
      triedBlocks.add(index);
      const base = BLOCK_BASE + index * BLOCK_SIZE;
      return { index, next: base, end: base + BLOCK_SIZE };
    }
  }
  throw new Error(`no free port block left in ${BLOCK_BASE}-${BLOCK_BASE + BLOCK_COUNT * BLOCK_SIZE - 1} (lock dir ${PORT_LOCK_DIR})`);
}

export interface FreePortOptions {
  /** How many consecutive ports must be free (returned: the first). Default 1. */
  span?: number;
  /** Probe UDP (default true) and TCP (default true). */
  udp?: boolean;
  tcp?: boolean;
}

/**
 * A port on 127.0.0.1 that is bindable now (UDP and TCP by default) and that no other test
 * process will be handed. With `span`, the `span` consecutive ports starting there are all free
 * (SIPp's -mp needs mp and mp+2 for its RTP echo sockets, so use span 4 for it).
 */
export async function freePort(opts: FreePortOptions = {}): Promise<number> {
  const span = Math.max(1, opts.span ?? 1);
  // Ports given back with releasePort() first, so long test files do not eat block after block.
  const now = Date.now();
  for (let i = 0; i < released.length; i++) {
    const r = released[i]!;
    if (r.span < span || now < r.at) continue;
    let ok = true;
    for (let p = r.port; p < r.port + span && ok; p++) ok = await isPortFree(p, opts);
    if (!ok) continue;
    released.splice(i, 1);
    if (r.span > span) released.push({ port: r.port + span, span: r.span - span, at: r.at });
    return r.port;
  }
  for (let guard = 0; guard < BLOCK_COUNT + 1; guard++) {
    currentBlock ??= claimBlock();
    const block = currentBlock;
    while (block.next + span <= block.end) {
      const first = block.next;
      block.next += span;
      let ok = true;
      for (let p = first; p < first + span && ok; p++) ok = await isPortFree(p, opts);
      if (ok) return first;
    }
    currentBlock = undefined; // exhausted: claim another block (the old lock stays ours)
  }
  throw new Error('freePort: no free port found');
}

/**
 * A released port is handed out again only after this long: the server under test may still
 * retransmit to it (Timer F/H run up to 32 s), and a new peer there would get those strays.
 */
export const PORT_REUSE_DELAY_MS = 35_000;

const released: Array<{ port: number; span: number; at: number }> = []; // at = when reusable

/**
 * Give a port from freePort() back once nothing uses it any more (the SIPp runner does this when
 * SIPp exits). It is handed out again after PORT_REUSE_DELAY_MS and a new probe-bind.
 */
export function releasePort(port: number, span = 1, reuseAfterMs = PORT_REUSE_DELAY_MS): void {
  if (released.some((r) => port < r.port + r.span && r.port < port + span)) return; // already back
  released.push({ port, span, at: Date.now() + reuseAfterMs });
}

/** `n` distinct free ports (see freePort). */
export async function freePorts(n: number, opts: FreePortOptions = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(opts));
  return out;
}

// ---- rtpengine slots ---------------------------------------------------------------------------

export interface RtpPortRange {
  readonly slot: number;
  /** The ng control port (UDP, 127.0.0.1). */
  readonly ngPort: number;
  /** The media range for --port-min/--port-max (200 ports). */
  readonly portMin: number;
  readonly portMax: number;
  /** Give the slot back (idempotent). Also happens when the process exits. */
  release(): void;
}

export function rtpRangeForSlot(slot: number): { ngPort: number; portMin: number; portMax: number } {
  if (!Number.isInteger(slot) || slot < 0 || slot >= RTP_SLOT_COUNT) throw new RangeError(`rtp slot ${slot} out of 0..${RTP_SLOT_COUNT - 1}`);
  const portMin = RTP_MEDIA_BASE + slot * RTP_RANGE_SIZE;
  return { ngPort: RTP_NG_BASE + slot, portMin, portMax: portMin + RTP_RANGE_SIZE - 1 };
}

/**
 * A distinct ng port and 200-port media range for one rtpengine (one per test file is the
 * intended use). The slot is locked for this process until release() or exit; the ng port and
 * a sample of the media ports are probed before it is handed out.
 */
export async function allocateRtpRange(): Promise<RtpPortRange> {
  const start = workerKey() % RTP_SLOT_COUNT;
  for (let i = 0; i < RTP_SLOT_COUNT; i++) {
    const slot = (start + i) % RTP_SLOT_COUNT;
    const name = `rtp-${slot}`;
    if (!tryLock(name)) continue;
    const r = rtpRangeForSlot(slot);
    const sample = [r.ngPort, r.portMin, r.portMin + 1, r.portMin + 100, r.portMax - 1, r.portMax];
    let ok = true;
    for (const p of sample) if (ok) ok = await isPortFree(p, { udp: true, tcp: false });
    if (!ok) {
      unlock(name); // something outside our locking sits there; try the next slot
      continue;
    }
    let released = false;
    return {
      slot,
      ...r,
      release() {
        if (released) return;
        released = true;
        unlock(name);
      },
    };
  }
  throw new Error(`allocateRtpRange: all ${RTP_SLOT_COUNT} rtpengine slots are taken (lock dir ${PORT_LOCK_DIR})`);
}
