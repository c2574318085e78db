// SIPp for load: caller (UAC) and far end (UAS) processes for one bench step.
//
// Not test/e2e/harness/sipp.ts's runSipp(): that one always traces every message
// (-trace_msg/-trace_logs), which at thousands of calls per second measures SIPp's disk
// writes. Here SIPp writes only its stats (-trace_stat every second) and errors.
// Every run is bounded: -m, -timeout (with -timeout_error) and -recv_timeout, and a hard kill
// from this side; SIPp is spawned through `setpriv --pdeathsig KILL` so it dies with the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSippStats, type SippStats } from '../../test/e2e/harness/sipp.js';
import { processTree } from './procs.js';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const UAC_SCENARIO = path.join(HERE, 'uac-load.xml');
export const UAS_SCENARIO = path.join(HERE, 'uas-load.xml');
export const SIPP = '/usr/bin/sipp';
const SETPRIV = '/usr/bin/setpriv';
/** The caller dials this; every system under test routes it to the far end. */
export const CALLED = '4085557000';
export const CALLING = '9725553456';

const live = new Set<ChildProcess>();
/**
 * Children whose own children must go too (kamailio: its workers outlive a SIGKILLed parent).
 * Not a process group of their own: `detached` means setsid(), i.e. a scheduler autogroup of
 * its own, which would give that system a CPU share the others do not get.
 */
const trees = new Set<number>();
export function killAllChildren(): void {
  for (const root of trees) killTree(root);
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

/** SIGKILL `root` and every descendant (children first found, then the root). */
export function killTree(root: number): void {
  for (const pid of processTree(root).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  trees.delete(root);
}

/**
 * Spawn `bin args` so it is SIGKILLed when this process dies; tracked for killAllChildren().
 * `tree`: its descendants are killed too.
 */
export function spawnTracked(bin: string, args: readonly string[], stdio: ('ignore' | 'pipe' | 'ipc' | number)[] = ['ignore', 'ignore', 'pipe'], tree = false): ChildProcess {
  const child = existsSync(SETPRIV) ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio }) : spawn(bin, [...args], { stdio });
  live.add(child);
  if (tree && child.pid !== undefined) trees.add(child.pid);
  child.once('close', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export interface SippProc {
  readonly child: ChildProcess;
  readonly statFile: string;
  readonly errFile: string;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  exited: boolean;
}

export interface SippCommon {
  workDir: string;
  label: string;
  port: number;
  mediaPort: number;
  controlPort: number;
  calls: number;
  timeoutS: number;
  recvTimeoutMs?: number;
}

function commonArgs(o: SippCommon, statFile: string, errFile: string): string[] {
  return [
    '-nostdin',
    '-i', '127.0.0.1',
    '-p', String(o.port),
    '-mi', '127.0.0.1',
    '-mp', String(o.mediaPort),
    '-ci', '127.0.0.1',
    '-cp', String(o.controlPort),
    '-m', String(o.calls),
    '-timeout', `${o.timeoutS}s`,
    '-timeout_error',
    '-recv_timeout', String(o.recvTimeoutMs ?? 5000),
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_err', '-error_file', errFile,
    '-buff_size', '4194304',
  ];
}

function start(args: string[], statFile: string, errFile: string): SippProc {
  const child = spawnTracked(SIPP, args);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-8192);
  });
  const proc: SippProc = {
    child,
    statFile,
    errFile,
    exited: false,
    done: new Promise((resolve) => {
      child.once('error', (e) => {
        proc.exited = true;
        resolve({ code: null, signal: null, stderr: `${stderr}\n${e.message}` });
      });
      child.once('close', (code, signal) => {
        proc.exited = true;
        resolve({ code, signal, stderr });
      });
    }),
  };
  return proc;
}

/** The far end: answers `calls` calls with 180 then 200 + SDP, then exits. */
export function startUas(o: SippCommon): SippProc {
  const base = path.join(o.workDir, o.label);
  const statFile = `${base}.uas.csv`;
  const errFile = `${base}.uas.err`;
  return start(['-sf', UAS_SCENARIO, ...commonArgs(o, statFile, errFile)], statFile, errFile);
}

/** The caller: `calls` calls at `rate` per second to `remote`, each held `holdMs` after the ACK. */
export function startUac(o: SippCommon & { remote: string; rate: number; limit: number; holdMs?: number }): SippProc {
  const base = path.join(o.workDir, o.label);
  const statFile = `${base}.uac.csv`;
  const errFile = `${base}.uac.err`;
  const args = ['-sf', UAC_SCENARIO, o.remote, '-s', CALLED, '-set', 'from', CALLING, ...commonArgs(o, statFile, errFile), '-r', String(o.rate), '-l', String(o.limit)];
  if (o.holdMs !== undefined) args.push('-d', String(o.holdMs));
  return start(args, statFile, errFile);
}

/**
 * Stop a SIPp: SIGUSR1 (no new calls, let open ones finish), then SIGTERM (quit at once, the
 * stats line is still written), then SIGKILL, `graceMs` apart.
 */
export async function stopSipp(p: SippProc, graceMs = 1000): Promise<void> {
  for (const sig of ['SIGUSR1', 'SIGTERM', 'SIGKILL'] as const) {
    if (p.exited) return;
    try {
      p.child.kill(sig);
    } catch {
      return;
    }
    await Promise.race([p.done, new Promise((r) => setTimeout(r, graceMs))]);
  }
}

export async function waitExit(p: SippProc, ms: number): Promise<boolean> {
  if (p.exited) return true;
  await Promise.race([p.done, new Promise((r) => setTimeout(r, ms))]);
  return p.exited;
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function finalStats(p: SippProc): SippStats | undefined {
  return parseSippStats(readText(p.statFile));
}

/**
 * When the caller created its last call, in seconds after SIPp started: interpolated between
 * the per-second stats lines around the moment TotalCallCreated reached `calls`. The offered
 * rate actually held is calls / that. undefined if the stats never got there.
 */
export function creationSeconds(p: SippProc, calls: number): number | undefined {
  const lines = readText(p.statFile)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length < 2) return undefined;
  const names = lines[0]!.split(';');
  const iStart = names.indexOf('StartTime');
  const iNow = names.indexOf('CurrentTime');
  const iCreated = names.indexOf('TotalCallCreated');
  // Time fields look like "2026-12-01\t01:13:14.256506\t1796087594.256506": the epoch is last.
  const epoch = (f: string | undefined): number => Number((f ?? '').split('\t').pop());
  let prev: { t: number; n: number } | undefined;
  let start: number | undefined;
  for (const line of lines.slice(1)) {
    const v = line.split(';');
    start ??= epoch(v[iStart]);
    const cur = { t: epoch(v[iNow]), n: Number(v[iCreated]) };
    if (!Number.isFinite(cur.t) || !Number.isFinite(cur.n)) continue;
    if (cur.n >= calls) {
      const from = prev ?? { t: start, n: 0 };
      const span = cur.n - from.n;
      const t = span > 0 ? from.t + ((calls - from.n) / span) * (cur.t - from.t) : cur.t;
      return t - start;
    }
    prev = cur;
  }
  return undefined;
}

/** The start of SIPp's error file (unexpected messages, aborted calls), at most `chars` characters. */
export function errorSample(p: SippProc, lines = 6, chars = 1500): string {
  return readText(p.errFile)
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^The following events occurred|Maximum number of open sockets/.test(l))
    .slice(0, lines)
    .join('\n')
    .slice(0, chars);
}
