// /proc readings for the CPS bench: CPU time of a process tree, the whole machine's busy time,
// the kernel's UDP counters, a process's RSS, and "is this UDP port bound".
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck: number | undefined;
/** Clock ticks per second (USER_HZ), usually 100. */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface StatFields {
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function readStat(pid: number | 'self'): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]), cutime: Number(rest[13]), cstime: Number(rest[14]) };
}

/** Every pid whose parent chain reaches `root` (root included). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined) parents.set(Number(name), s.ppid);
  }
  const out = [root];
  const seen = new Set(out);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!seen.has(pid) && seen.has(ppid)) {
        seen.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

/** CPU milliseconds (user + system) used so far by `pid` and its live descendants. */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const s = readStat(p);
    if (s !== undefined) ticks += s.utime + s.stime;
  }
  return (ticks * 1000) / ticksPerSecond();
}

/** CPU milliseconds of one process (without children). */
export function cpuMs(pid: number): number {
  const s = readStat(pid);
  return s === undefined ? 0 : ((s.utime + s.stime) * 1000) / ticksPerSecond();
}

/** This process plus its children that have exited and been waited for (SIPp, tcpdump). */
export function selfAndReapedCpuMs(): number {
  const s = readStat('self');
  return s === undefined ? 0 : ((s.utime + s.stime + s.cutime + s.cstime) * 1000) / ticksPerSecond();
}

/** Busy CPU milliseconds of the whole machine (all cores) since boot, from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + (v[7] ?? 0);
  return (busy * 1000) / ticksPerSecond();
}

export interface UdpCounters {
  InDatagrams: number;
  InErrors: number;
  RcvbufErrors: number;
  SndbufErrors: number;
}

/** The `Udp:` line of /proc/net/snmp. */
export function udpCounters(): UdpCounters {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  const get = (k: string): number => values[names.indexOf(k)] ?? 0;
  return { InDatagrams: get('InDatagrams'), InErrors: get('InErrors'), RcvbufErrors: get('RcvbufErrors'), SndbufErrors: get('SndbufErrors') };
}

export function diffUdp(a: UdpCounters, b: UdpCounters): UdpCounters {
  return { InDatagrams: b.InDatagrams - a.InDatagrams, InErrors: b.InErrors - a.InErrors, RcvbufErrors: b.RcvbufErrors - a.RcvbufErrors, SndbufErrors: b.SndbufErrors - a.SndbufErrors };
}

/** Resident set size in bytes (0 if the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** True once something is bound to 127.0.0.1:port over UDP (from /proc/net/udp). */
export function udpPortBound(port: number): boolean {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      if (line.trim().split(/\s+/)[1] === want) return true;
    }
  } catch {
    // fall through
  }
  return false;
}

export async function waitUdpBound(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (udpPortBound(port)) return true;
    if (!alive()) return false;
    await sleep(20);
  }
  return udpPortBound(port);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Busy CPU of everything else on the machine, in cores, over `sampleMs`: machine busy time minus
 * this process (and its reaped children) and the given live process trees.
 */
export async function otherLoadCores(sampleMs: number, pids: readonly number[]): Promise<number> {
  const mine = (): number => selfAndReapedCpuMs() + pids.reduce((a, p) => a + treeCpuMs(p), 0);
  const b0 = machineBusyMs();
  const m0 = mine();
  await sleep(sampleMs);
  const other = machineBusyMs() - b0 - (mine() - m0);
  return Math.max(0, other / sampleMs);
}

/**
 * Wait (up to `maxWaitMs`) until the rest of the machine uses less than `maxCores` for one
 * sample: other sessions share this VM, and a step measured under their load says little.
 * Returns how long it waited and the last reading.
 */
export async function waitQuiet(pids: readonly number[], maxCores: number, maxWaitMs: number): Promise<{ waitedMs: number; otherCores: number }> {
  const start = Date.now();
  for (;;) {
    const otherCores = await otherLoadCores(500, pids);
    if (otherCores <= maxCores || Date.now() - start >= maxWaitMs) return { waitedMs: Date.now() - start, otherCores: Math.round(otherCores * 100) / 100 };
  }
}
