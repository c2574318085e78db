// Start and stop a local userspace rtpengine daemon (server in dev mode, and tests).
//
// The Debian build has no kernel module here, so it runs with --table=-1 (userspace only) and
// --config-file=none (the packaged config sets table=0, interface=any, listen-ng=localhost:2223).
// --delete-delay=0 so deleted calls free their ports at once instead of after 30 s.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { access, constants as fsConstants } from 'node:fs/promises';
import { NgClient, type NgEndpoint } from './ng-client.js';

export interface RtpengineOptions {
  readonly ngPort: number;
  readonly cliPort?: number;
  readonly portMin: number;
  readonly portMax: number;
  /** `--interface` value(s): an address, or `name/address` for named interfaces. Default 127.0.0.1. */
  readonly interface?: string | readonly string[];
  /** syslog level 0..7 (default 4 = warnings), written to stderr. */
  readonly logLevel?: number;
  /** Default /usr/bin/rtpengine. */
  readonly binary?: string;
  /** Extra command line arguments, appended last. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the first `pong` (default 5000 ms). */
  readonly startTimeoutMs?: number;
  /** Receives every stderr line (for the server's logger). */
  readonly onLog?: (line: string) => void;
}

export interface RtpengineHandle {
  readonly pid: number;
  readonly endpoint: NgEndpoint;
  readonly ngPort: number;
  readonly cliPort: number | undefined;
  readonly portMin: number;
  readonly portMax: number;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** The last stderr lines, for error messages. */
  logTail(): string;
  /** SIGTERM, then SIGKILL after 3 s. Resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export class RtpengineStartError extends Error {
  constructor(message: string, readonly log: string) {
    super(log ? `${message}\n--- rtpengine stderr ---\n${log}` : message);
    this.name = 'RtpengineStartError';
  }
}

export const DEFAULT_RTPENGINE_BINARY = '/usr/bin/rtpengine';
const LOG_TAIL_LINES = 40;

// Children still running when this process exits are killed, so a crashed test run does not
// leave daemons holding ports.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

export function rtpengineArgs(opts: RtpengineOptions): string[] {
  const ifaces = opts.interface === undefined ? ['127.0.0.1'] : typeof opts.interface === 'string' ? [opts.interface] : opts.interface;
  const args = ['--config-file=none'];
  for (const i of ifaces) args.push(`--interface=${i}`);
  args.push(`--listen-ng=127.0.0.1:${opts.ngPort}`);
  if (opts.cliPort !== undefined) args.push(`--listen-cli=127.0.0.1:${opts.cliPort}`);
  args.push(
    `--port-min=${opts.portMin}`,
    `--port-max=${opts.portMax}`,
    '--delete-delay=0',
    '--foreground',
    '--log-stderr',
    '--table=-1',
    `--log-level=${opts.logLevel ?? 4}`,
  );
  if (opts.extraArgs) args.push(...opts.extraArgs);
  return args;
}

export async function startRtpengine(opts: RtpengineOptions): Promise<RtpengineHandle> {
  const binary = opts.binary ?? DEFAULT_RTPENGINE_BINARY;
  try {
    await access(binary, fsConstants.X_OK);
  } catch {
    throw new RtpengineStartError(`rtpengine binary not found or not executable: ${binary}`, '');
  }
  if (opts.portMin > opts.portMax || opts.portMin < 1024 || opts.portMax > 65535) {
    throw new RtpengineStartError(`bad rtpengine port range ${opts.portMin}-${opts.portMax}`, '');
  }
  // A daemon already on the ng port would answer our ping and hide the failure of this one.
  if (!(await udpPortFree(opts.ngPort))) {
    throw new RtpengineStartError(`ng port 127.0.0.1:${opts.ngPort} is already in use`, '');
  }
  installExitHook();

  const child = spawn(binary, rtpengineArgs(opts), { stdio: ['ignore', 'ignore', 'pipe'] });
  liveChildren.add(child);
  const tail: string[] = [];
  let partial = '';
  // stderr must be drained continuously, or the daemon blocks once the pipe buffer fills.
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      opts.onLog?.(line);
    }
  });
  const logTail = (): string => [...tail, partial].filter((l) => l !== '').join('\n');

  let exited = false;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      exited = true;
      liveChildren.delete(child);
      resolve();
    });
    // 'close', not 'exit': it fires after stderr is drained, so the log tail is complete.
    child.once('close', () => {
      exited = true;
      liveChildren.delete(child);
      resolve();
    });
  });

  const endpoint: NgEndpoint = { host: '127.0.0.1', port: opts.ngPort };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(killTimer);
    }
  };

  const ng = await NgClient.create({ timeoutMs: 200, retransmitAfterMs: 1000 });
  try {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 5000);
    for (;;) {
      if (exited) {
        throw new RtpengineStartError(
          spawnError ? `rtpengine failed to start: ${spawnError.message}` : `rtpengine exited during startup (code ${child.exitCode}, signal ${child.signalCode})`,
          logTail(),
        );
      }
      try {
        const reply = await ng.request(endpoint, { command: 'ping' });
        if (reply['result'] === 'pong') break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stop();
        throw new RtpengineStartError(`rtpengine on ng port ${opts.ngPort} did not answer ping within ${opts.startTimeoutMs ?? 5000} ms`, logTail());
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await ng.close();
  }

  return {
    pid: child.pid!,
    endpoint,
    ngPort: opts.ngPort,
    cliPort: opts.cliPort,
    portMin: opts.portMin,
    portMax: opts.portMax,
    get exited() {
      return exited;
    },
    logTail,
    stop,
  };
}

// ---- free port selection for tests and dev runs -------------------------------------------

export interface PortPlan {
  readonly ngPort: number;
  readonly cliPort: number;
  readonly portMin: number;
  readonly portMax: number;
}

/**
 * Slots: ng/cli ports 22300 + 2*slot (+1), media range 30000 + 400*slot .. +399, 50 slots
 * (30000..49999). A call takes 4 ports (RTP+RTCP per side), so a slot holds ~100 calls. Parallel test files (vitest forks, other sessions' runs) start from different
 * slots (VITEST_POOL_ID, pid, a random offset) and probe that the ng, cli and a sample of media
 * ports can be bound before using a slot.
 */
const SLOT_COUNT = 50;
const SLOT_MEDIA_PORTS = 400;

export function portPlanForSlot(slot: number): PortPlan {
  const s = ((slot % SLOT_COUNT) + SLOT_COUNT) % SLOT_COUNT;
  return {
    ngPort: 22300 + 2 * s,
    cliPort: 22301 + 2 * s,
    portMin: 30000 + SLOT_MEDIA_PORTS * s,
    portMax: 30000 + SLOT_MEDIA_PORTS * s + SLOT_MEDIA_PORTS - 1,
  };
}

async function udpPortFree(port: number): Promise<boolean> {
  const sock = dgram.createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '127.0.0.1', () => {
      sock.close(() => resolve(true));
    });
  });
}

async function planLooksFree(plan: PortPlan): Promise<boolean> {
  const sample = [plan.ngPort, plan.cliPort, plan.portMin, plan.portMin + 1, plan.portMax - 1, plan.portMax];
  for (const p of sample) if (!(await udpPortFree(p))) return false;
  return true;
}

export async function findFreePortPlan(): Promise<PortPlan> {
  const poolId = Number(process.env['VITEST_POOL_ID'] ?? 0);
  const start = (poolId * 17 + process.pid + Math.floor(Math.random() * SLOT_COUNT)) % SLOT_COUNT;
  for (let i = 0; i < SLOT_COUNT; i++) {
    const plan = portPlanForSlot(start + i * 7); // 7 is coprime with 50: every slot is visited
    if (await planLooksFree(plan)) return plan;
  }
  throw new Error('no free rtpengine port slot in 22300-22399 / 30000-49999');
}

/** Start an rtpengine on a free slot; retries on another slot when a race takes the ports. */
export async function startRtpengineOnFreePorts(
  opts: Omit<RtpengineOptions, 'ngPort' | 'cliPort' | 'portMin' | 'portMax'> = {},
  attempts = 5,
): Promise<RtpengineHandle> {
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const plan = await findFreePortPlan();
    try {
      return await startRtpengine({ ...opts, ...plan });
    } catch (err) {
      lastErr = err;
      if (err instanceof RtpengineStartError && /not found or not executable/.test(err.message)) throw err;
    }
  }
  throw lastErr;
}
