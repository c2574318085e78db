// Run SIPp (/usr/bin/sipp, 3.6.1) as a test peer: runSipp() for a bounded run that the test
// awaits (usually the caller side), startSippServer() for a peer that listens in the
// background (usually the far end) and is stopped at teardown.
//
// SIPp exit codes (3.6.1; the ones marked * were seen on this machine):
//    0 * every call succeeded (also: a UAS stopped with SIGUSR1/SIGTERM, even with no call)
//    1 * at least one call failed, OR SIPp refused to start (bad option, scenario error such as
//        an unknown label, a [fieldN] without -inf, a variable used only once): then `stats`
//        is undefined and stderr / describe() say why
//   97   stopped by an internal command (<exec int_cmd="stop_now"/>)
//   99   normal exit without any call processed
//  255 * -timeout reached with -timeout_error (calls still open), other fatal runtime errors
//  254 * a socket could not be bound (SIP port, control port, or the -mp media ports)
// Always look at stats too: a UAS started without -m exits 0 when stopped even if no call came.
//
// Every run is bounded: -timeout (default 15 s) with -timeout_error, -m. SIPp is spawned
// through `setpriv --pdeathsig KILL` so it dies with the test process even when that process is
// SIGKILLed; live children are also killed on process exit/SIGINT/SIGTERM and in an afterAll
// hook registered when this module is imported by a vitest file. Traffic stays on 127.0.0.1:
// SIP (-i), media (-mi) and the control socket (-ci) are all bound there.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSippMessages, type SippMessage } from './messages.js';
import { LOOPBACK, freePort, releasePort } from './ports.js';

export const SIPP_BINARY = '/usr/bin/sipp';
const SETPRIV = '/usr/bin/setpriv';

/** Absolute path of the repository's sipp-scenarios/ folder. */
export const SCENARIO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../sipp-scenarios');

/** 'uac-basic', 'uac-basic.xml' or a path → absolute path of the scenario file. */
export function scenarioPath(name: string): string {
  if (path.isAbsolute(name)) return name;
  if (name.includes('/')) return path.resolve(name);
  return path.join(SCENARIO_DIR, name.endsWith('.xml') ? name : `${name}.xml`);
}

export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

export interface SippOptions {
  /** Scenario in sipp-scenarios/ ('uac-basic' / 'uac-basic.xml') or a path: -sf. */
  scenario?: string;
  /** A built-in scenario instead (-sn uac / uas / ...). */
  builtin?: string;
  /** Where a UAC sends ("127.0.0.1:5060"). Omit for UAS scenarios. */
  remote?: string;
  /** Local SIP port (-p). Allocated with freePort() when omitted. */
  port?: number;
  /** -t: u1 (UDP, default), un, t1 (TCP), tn. */
  transport?: SippTransport;
  /** -m: stop after this many calls. runSipp default 1; startSippServer default: no limit. */
  calls?: number;
  /** -r: new calls per second (default 10). */
  rate?: number;
  /** -rp: rate period in ms (calls are `rate` per `ratePeriodMs`). */
  ratePeriodMs?: number;
  /** -l: maximum simultaneous calls. */
  limit?: number;
  /** -timeout in seconds, with -timeout_error. runSipp default 15, startSippServer default 60. */
  timeoutS?: number;
  /** -d: duration of <pause/> elements without their own length, ms. */
  durationMs?: number;
  /** -s: the service (our UAC scenarios: the called number / user). */
  service?: string;
  /**
   * -inf: an injection CSV path, or rows written to a temp CSV (first line SEQUENTIAL, fields
   * joined with ';'). For our scenarios declaring a `csv` global this also sets -set csv 1
   * (use the file's numbers) unless `set.csv` is given.
   */
  inf?: string | ReadonlyArray<ReadonlyArray<string | number>>;
  /** Order line for generated CSVs: SEQUENTIAL (default), RANDOM, USER. */
  infOrder?: 'SEQUENTIAL' | 'RANDOM' | 'USER';
  /** -key k v ([k] keywords). */
  keys?: Readonly<Record<string, string | number>>;
  /** -set var val (globals declared in <Global variables=".."/>). */
  set?: Readonly<Record<string, string | number>>;
  /** -au / -ap / -auth_uri for digest challenges. */
  authUser?: string;
  authPassword?: string;
  authUri?: string;
  /** -rtp_echo: echo RTP received on -mp (and -mp+2) back to its sender. */
  rtpEcho?: boolean;
  /** -mp: the media port ([media_port] in SDP; SIPp binds it and +2). Allocated when omitted. */
  mediaPort?: number;
  /** -deadcall_wait in ms (SIPp default 33000: messages for a finished Call-ID are dropped). */
  deadcallWaitMs?: number;
  /** Appended last. */
  extraArgs?: readonly string[];
  /** Folder for the trace/stat/error files. Default: this process's folder under $TMPDIR/mobility-anchor-e2e-sipp/. */
  workDir?: string;
  /** Label used in file names (default: the scenario name). */
  name?: string;
}

export interface SippStats {
  /** SuccessfulCall(C) */
  readonly successful: number;
  /** FailedCall(C) */
  readonly failed: number;
  /** Retransmissions(C) */
  readonly retransmissions: number;
  /** TotalCallCreated */
  readonly created: number;
  /** CurrentCall: calls still open at the time of the line. */
  readonly current: number;
  readonly incoming: number;
  readonly outgoing: number;
  readonly failedUnexpected: number;
  readonly failedMaxUdpRetrans: number;
  readonly failedTimeoutOnRecv: number;
  readonly failedCallRejected: number;
  readonly failedRegexpDoesntMatch: number;
  readonly failedRegexpShouldntMatch: number;
  readonly failedRegexpHdrNotFound: number;
  readonly deadCallMsgs: number;
  readonly outOfCallMsgs: number;
  readonly fatalErrors: number;
  readonly warnings: number;
  /** Every column of the final line, by header name. */
  readonly raw: Readonly<Record<string, string>>;
}

export interface SippResult {
  /** Exit code (see the table at the top), null if killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Parsed from the last line of the -stf CSV; undefined if SIPp never wrote one. */
  readonly stats: SippStats | undefined;
  /** The -message_file content: every message sent and received. */
  readonly messages: string;
  /** `messages` parsed (see messages.ts). */
  readonly parsed: SippMessage[];
  /** The -error_file content (unexpected messages, aborted calls, warnings). */
  readonly errors: string;
  /** <log> action output (-log_file). */
  readonly logs: string;
  readonly stderr: string;
  /** The last part of SIPp's screen output (it redraws it every second). */
  readonly stdoutTail: string;
  readonly args: readonly string[];
  readonly port: number;
  readonly mediaPort: number;
  readonly workDir: string;
  /** A one-paragraph description for assertion messages. */
  describe(): string;
}

interface Prepared {
  readonly args: string[];
  readonly port: number;
  readonly mediaPort: number;
  readonly workDir: string;
  readonly transport: SippTransport;
  readonly files: { stat: string; messages: string; errors: string; logs: string };
  /** Ports this module allocated (not the caller's): given back when SIPp has exited. */
  readonly owned: ReadonlyArray<readonly [port: number, span: number]>;
}

const TRACE_ROOT = path.join(os.tmpdir(), 'mobility-anchor-e2e-sipp');
const TRACE_KEEP_MS = 60 * 60 * 1000;
let processWorkDir: Promise<string> | undefined;

/**
 * One folder per test process under $TMPDIR/mobility-anchor-e2e-sipp/ (file names are unique
 * within it). Folders of processes that are gone are pruned after an hour, so traces of a failed
 * run stay around long enough to be read.
 */
function newWorkDir(): Promise<string> {
  processWorkDir ??= (async () => {
    await mkdir(TRACE_ROOT, { recursive: true });
    for (const entry of await readdir(TRACE_ROOT).catch(() => [] as string[])) {
      const pid = Number(entry.split('-')[0]);
      if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue;
      const dir = path.join(TRACE_ROOT, entry);
      const age = Date.now() - (await stat(dir).then((st) => st.mtimeMs).catch(() => Date.now()));
      if (age > TRACE_KEEP_MS) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    return mkdtemp(path.join(TRACE_ROOT, `${process.pid}-`));
  })();
  return processWorkDir;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function globalsOf(file: string): Promise<Set<string>> {
  try {
    const xml = await readFile(file, 'utf8');
    const out = new Set<string>();
    for (const m of xml.matchAll(/<Global\s+variables\s*=\s*"([^"]*)"/g)) {
      for (const v of m[1]!.split(',')) if (v.trim()) out.add(v.trim());
    }
    return out;
  } catch {
    return new Set();
  }
}

let fileSeq = 0;

async function prepare(opts: SippOptions, defaults: { calls: number | undefined; timeoutS: number }): Promise<Prepared> {
  if (!opts.scenario === !opts.builtin) throw new Error('SIPp: give exactly one of scenario or builtin');
  const workDir = opts.workDir ?? (await newWorkDir());
  const transport = opts.transport ?? 'u1';
  const owned: Array<readonly [number, number]> = [];
  const port = opts.port ?? (await freePort());
  if (opts.port === undefined) owned.push([port, 1]);
  const mediaPort = opts.mediaPort ?? (await freePort({ span: 4, tcp: false }));
  if (opts.mediaPort === undefined) owned.push([mediaPort, 4]);
  const controlPort = await freePort({ tcp: false });
  owned.push([controlPort, 1]);
  const scenarioFile = opts.scenario ? scenarioPath(opts.scenario) : undefined;
  if (scenarioFile && !existsSync(scenarioFile)) throw new Error(`SIPp scenario not found: ${scenarioFile}`);
  const label = (opts.name ?? (scenarioFile ? path.basename(scenarioFile, '.xml') : opts.builtin!)).replace(/[^\w.-]/g, '_');
  const base = path.join(workDir, `${label}-${++fileSeq}`);
  const files = { stat: `${base}.stat.csv`, messages: `${base}.msg`, errors: `${base}.err`, logs: `${base}.log` };

  const args: string[] = [];
  if (scenarioFile) args.push('-sf', scenarioFile);
  else args.push('-sn', opts.builtin!);
  if (opts.remote) args.push(opts.remote);
  args.push(
    '-nostdin',
    '-i', LOOPBACK,
    '-p', String(port),
    '-t', transport,
    '-mi', LOOPBACK,
    '-mp', String(mediaPort),
    '-ci', LOOPBACK,
    '-cp', String(controlPort),
    '-timeout', `${opts.timeoutS ?? defaults.timeoutS}s`,
    '-timeout_error',
    '-trace_stat', '-stf', files.stat, '-fd', '1',
    '-trace_err', '-error_file', files.errors,
    '-trace_msg', '-message_file', files.messages,
    '-trace_logs', '-log_file', files.logs,
    '-buff_size', '4194304',
  );
  const calls = opts.calls ?? defaults.calls;
  if (calls !== undefined) args.push('-m', String(calls));
  if (opts.rate !== undefined || opts.remote) args.push('-r', String(opts.rate ?? 10));
  if (opts.ratePeriodMs !== undefined) args.push('-rp', String(opts.ratePeriodMs));
  if (opts.limit !== undefined) args.push('-l', String(opts.limit));
  if (opts.durationMs !== undefined) args.push('-d', String(opts.durationMs));
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.authUser !== undefined) args.push('-au', opts.authUser);
  if (opts.authPassword !== undefined) args.push('-ap', opts.authPassword);
  if (opts.authUri !== undefined) args.push('-auth_uri', opts.authUri);
  if (opts.rtpEcho) args.push('-rtp_echo');
  if (opts.deadcallWaitMs !== undefined) args.push('-deadcall_wait', String(opts.deadcallWaitMs));

  const set: Record<string, string | number> = { ...(opts.set ?? {}) };
  const globals = scenarioFile ? await globalsOf(scenarioFile) : new Set<string>();
  const needsInf = scenarioFile ? /\[field\d+/.test(await readFile(scenarioFile, 'utf8')) : false;
  if (opts.inf !== undefined) {
    let infFile: string;
    if (typeof opts.inf === 'string') infFile = path.resolve(opts.inf);
    else {
      infFile = `${base}.inf.csv`;
      const lines = [opts.infOrder ?? 'SEQUENTIAL', ...opts.inf.map((row) => `${row.map(String).join(';')};`)];
      await writeFile(infFile, `${lines.join('\n')}\n`);
    }
    args.push('-inf', infFile);
    if (globals.has('csv') && set['csv'] === undefined) set['csv'] = '1';
  } else if (needsInf) {
    // SIPp refuses to load a scenario that mentions [fieldN] without -inf, even when the csv
    // branch is never taken; give it a one-line placeholder (csv stays off).
    const infFile = `${base}.placeholder.csv`;
    await writeFile(infFile, 'SEQUENTIAL\nunused;unused;\n');
    args.push('-inf', infFile);
  }
  for (const [k, v] of Object.entries(opts.keys ?? {})) args.push('-key', k, String(v));
  for (const [k, v] of Object.entries(set)) args.push('-set', k, String(v));
  if (opts.extraArgs) args.push(...opts.extraArgs);
  return { args, port, mediaPort, workDir, transport, files, owned };
}

// ---- scenario variants -------------------------------------------------------------------------

/**
 * Write a copy of a scenario with text replacements applied (every occurrence of each string /
 * each regexp match) to a temp folder, and return its path, for one-off variants in a test
 * (e.g. a hold that offers sendrecv). `name` also becomes the <scenario name>.
 */
export async function writeScenarioVariant(
  base: string,
  edits: ReadonlyArray<readonly [string | RegExp, string]>,
  name = `${path.basename(scenarioPath(base), '.xml')}-variant`,
): Promise<string> {
  let xml = await readFile(scenarioPath(base), 'utf8');
  for (const [from, to] of edits) {
    const next = typeof from === 'string' ? xml.split(from).join(to) : xml.replace(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`), to);
    if (next === xml) throw new Error(`writeScenarioVariant: ${String(from)} not found in ${base}`);
    xml = next;
  }
  xml = xml.replace(/<scenario name="[^"]*">/, `<scenario name="${name}">`);
  const file = path.join(await newWorkDir(), `${name}.xml`);
  await writeFile(file, xml);
  return file;
}

/**
 * uas-busy.xml with another final response (SIPp reads the status line's code when it loads
 * the scenario, so it cannot come from a -key). E.g. uasRejectScenario(480, 'Temporarily Unavailable').
 */
export function uasRejectScenario(code: number, reason: string): Promise<string> {
  if (!Number.isInteger(code) || code < 300 || code > 699) throw new RangeError(`final error code expected, got ${code}`);
  return writeScenarioVariant('uas-busy', [['486 Busy Here', `${code} ${reason}`]], `uas-reject-${code}`);
}

// ---- process tracking / cleanup ----------------------------------------------------------------

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      killAllNow();
      // Keep the default behaviour (terminate) when nobody else handles the signal.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function spawnSipp(args: readonly string[]): ChildProcess {
  installHooks();
  const useSetpriv = existsSync(SETPRIV);
  const child = useSetpriv
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', SIPP_BINARY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(SIPP_BINARY, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('close', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdoutTail: string; spawnError?: Error }>;
}

const STDOUT_TAIL = 16 * 1024;

function run(args: readonly string[]): Running {
  const child = spawnSipp(args);
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  // Drain both pipes continuously: SIPp redraws its screen every second.
  child.stdout!.on('data', (d: string) => {
    stdout += d;
    if (stdout.length > 2 * STDOUT_TAIL) stdout = stdout.slice(-STDOUT_TAIL);
  });
  child.stderr!.on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 256 * 1024) stderr = stderr.slice(-128 * 1024);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdoutTail: string; spawnError?: Error }>((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, stderr, stdoutTail: stdout.slice(-STDOUT_TAIL), spawnError: err }));
    child.once('close', (code, signal) => resolve({ code, signal, stderr, stdoutTail: stdout.slice(-STDOUT_TAIL) }));
  });
  return { child, done };
}

// ---- results ---------------------------------------------------------------------------------

async function readOr(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** Parse a SIPp -trace_stat CSV: header line, then one line per dump; the last one wins. */
export function parseSippStats(csv: string): SippStats | undefined {
  const lines = csv.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length < 2) return undefined;
  const names = lines[0]!.split(';');
  const values = lines[lines.length - 1]!.split(';');
  const raw: Record<string, string> = {};
  names.forEach((n, i) => {
    if (n !== '') raw[n] = values[i] ?? '';
  });
  const num = (k: string): number => {
    const v = Number.parseInt(raw[k] ?? '', 10);
    return Number.isFinite(v) ? v : 0;
  };
  return {
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    retransmissions: num('Retransmissions(C)'),
    created: num('TotalCallCreated'),
    current: num('CurrentCall'),
    incoming: num('IncomingCall(C)'),
    outgoing: num('OutgoingCall(C)'),
    failedUnexpected: num('FailedUnexpectedMessage(C)'),
    failedMaxUdpRetrans: num('FailedMaxUDPRetrans(C)'),
    failedTimeoutOnRecv: num('FailedTimeoutOnRecv(C)'),
    failedCallRejected: num('FailedCallRejected(C)'),
    failedRegexpDoesntMatch: num('FailedRegexpDoesntMatch(C)'),
    failedRegexpShouldntMatch: num('FailedRegexpShouldntMatch(C)'),
    failedRegexpHdrNotFound: num('FailedRegexpHdrNotFound(C)'),
    deadCallMsgs: num('DeadCallMsgs(C)'),
    outOfCallMsgs: num('OutOfCallMsgs(C)'),
    fatalErrors: num('FatalErrors(C)'),
    warnings: num('Warnings(C)'),
    raw,
  };
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}

async function collect(prep: Prepared, exit: Awaited<Running['done']>): Promise<SippResult> {
  for (const [port, span] of prep.owned) releasePort(port, span);
  const [statCsv, messages, errors, logs] = await Promise.all([
    readOr(prep.files.stat),
    readOr(prep.files.messages),
    readOr(prep.files.errors),
    readOr(prep.files.logs),
  ]);
  const stats = parseSippStats(statCsv);
  const stderr = exit.spawnError ? `${exit.stderr}\nspawn error: ${exit.spawnError.message}` : exit.stderr;
  let parsedCache: SippMessage[] | undefined;
  const result: SippResult = {
    code: exit.code,
    signal: exit.signal,
    stats,
    messages,
    get parsed() {
      parsedCache ??= parseSippMessages(messages);
      return parsedCache;
    },
    errors,
    logs,
    stderr,
    stdoutTail: exit.stdoutTail,
    args: prep.args,
    port: prep.port,
    mediaPort: prep.mediaPort,
    workDir: prep.workDir,
    describe() {
      const s = stats ? `successful=${stats.successful} failed=${stats.failed} retrans=${stats.retransmissions} created=${stats.created} current=${stats.current}` : 'no stats';
      return [
        `sipp exit code=${exit.code} signal=${exit.signal} ${s}`,
        `args: sipp ${prep.args.join(' ')}`,
        errors ? `errors:\n${lastLines(errors, 30)}` : '',
        stderr.trim() ? `stderr:\n${lastLines(stderr, 20)}` : '',
        !stats ? `screen:\n${lastLines(exit.stdoutTail, 25)}` : '',
      ]
        .filter((x) => x !== '')
        .join('\n');
    },
  };
  return result;
}

// ---- public API ------------------------------------------------------------------------------

/**
 * Run SIPp to completion (bounded by -m and -timeout) and return its exit code, the final stats
 * line, the message trace and the error log. Never rejects because SIPp failed: assert on
 * `code` / `stats` (use `result.describe()` in the assertion message).
 */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const prep = await prepare(opts, { calls: 1, timeoutS: 15 });
  const running = run(prep.args);
  const exit = await running.done;
  return collect(prep, exit);
}

export interface SippServer {
  /** SIP port SIPp listens on (127.0.0.1). */
  readonly port: number;
  /** "127.0.0.1:<port>" */
  readonly address: string;
  readonly mediaPort: number;
  readonly pid: number;
  readonly args: readonly string[];
  readonly workDir: string;
  readonly exited: boolean;
  /** Resolves when SIPp exits by itself (after -m calls, or -timeout) or after stop(). */
  readonly done: Promise<SippResult>;
  /** The message trace so far. */
  messages(): Promise<SippMessage[]>;
  /** The latest stats line so far (SIPp dumps one every second). */
  stats(): Promise<SippStats | undefined>;
  /**
   * Stop SIPp: SIGUSR1 (graceful quit: no new calls, let open ones finish), SIGTERM after
   * `graceMs` (quits at once and still writes the stats line), SIGKILL after another `graceMs`.
   * Idempotent. An idle SIPp exits on the SIGUSR1 within a few ms.
   */
  stop(graceMs?: number): Promise<SippResult>;
}

const servers = new Set<SippServer>();

/** True once something is bound to 127.0.0.1:port (UDP) / listening (TCP), from /proc/net. */
async function portBound(port: number, tcp: boolean): Promise<boolean> {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const file = tcp ? '/proc/net/tcp' : '/proc/net/udp';
  const text = await readOr(file);
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === want && (!tcp || cols[3] === '0A')) return true;
  }
  return false;
}

/**
 * Start a SIPp peer in the background (typically a UAS: uas-basic, uas-busy...). Resolves once
 * its SIP port is bound. Without `calls` it runs until stop() or -timeout (default 60 s).
 * Stopped automatically at the end of the test file (afterAll) and when the process exits.
 */
export async function startSippServer(opts: SippOptions): Promise<SippServer> {
  const prep = await prepare(opts, { calls: undefined, timeoutS: 60 });
  const running = run(prep.args);
  let exited = false;
  const done = running.done.then(async (exit) => {
    exited = true;
    return collect(prep, exit);
  });
  const tcp = prep.transport === 't1' || prep.transport === 'tn';
  const deadline = Date.now() + 5000;
  while (!exited && !(await portBound(prep.port, tcp))) {
    if (Date.now() > deadline) {
      running.child.kill('SIGKILL');
      const r = await done;
      throw new Error(`SIPp did not bind 127.0.0.1:${prep.port} within 5 s\n${r.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (exited) {
    const r = await done;
    throw new Error(`SIPp exited during startup\n${r.describe()}`);
  }

  let stopping: Promise<SippResult> | undefined;
  const server: SippServer = {
    port: prep.port,
    address: `${LOOPBACK}:${prep.port}`,
    mediaPort: prep.mediaPort,
    pid: running.child.pid!,
    args: prep.args,
    workDir: prep.workDir,
    get exited() {
      return exited;
    },
    done,
    async messages() {
      return parseSippMessages(await readOr(prep.files.messages));
    },
    async stats() {
      return parseSippStats(await readOr(prep.files.stat));
    },
    stop(graceMs = 1000) {
      stopping ??= (async () => {
        const child = running.child;
        const step = async (sig: NodeJS.Signals): Promise<boolean> => {
          if (exited) return true;
          try {
            child.kill(sig);
          } catch {
            // already gone
          }
          return Promise.race([done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
        };
        if (!(await step('SIGUSR1')) && !(await step('SIGTERM'))) await step('SIGKILL');
        const r = await done;
        servers.delete(server);
        return r;
      })();
      return stopping;
    },
  };
  servers.add(server);
  void done.then(() => servers.delete(server));
  return server;
}

/** Stop every SIPp server started by this process, and kill any other SIPp child still running. */
export async function stopAllSipp(): Promise<void> {
  await Promise.all([...servers].map((s) => s.stop(500)));
  killAllNow();
}

// Vitest: make every test file that imports the harness clean up its SIPp peers even when a
// test fails before its own teardown.
if (process.env['VITEST']) {
  try {
    const { afterAll } = await import('vitest');
    afterAll(async () => {
      await stopAllSipp();
    });
  } catch {
    // imported outside a collecting test file: the exit hooks still apply
  }
}

/**
 * After a failed test with SIPp peers and a running server: the server hangs up first, while
 * the peers can still answer its BYEs; then the peers go, and this waits until BYEs to peers
 * that were gone anyway stopped being retransmitted (64*T1 = 6.4 s): a new SIPp on the same
 * port would take them for a new call.
 */
export async function cleanUpAfterFailure(calls: Iterable<{ hangup(by: 'server', why: string): void }>, idle: (ms: number) => Promise<void>): Promise<void> {
  for (const call of calls) call.hangup('server', 'test cleanup');
  await new Promise((r) => setTimeout(r, 500));
  await stopAllSipp();
  await idle(15_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 7000));
}
