// Call throughput bench (calls per second), every system measured in the same run on this
// machine, only 127.0.0.1 traffic, every run bounded:
//   1. SIPp → SIPp directly (the ceiling)
//   2. Kamailio stateful proxy (signalling only)       3. Kamailio + rtpengine (media anchored)
//   4. our server, signalling only (media.anchor false) 5. our server + its own rtpengine
// Method: /work/shared/notes/machine-probe.md "stricter method" (see step.ts for "clean").
//
//   npx tsx bench/cps/run.ts            full run (< 15 min), writes bench/results/cps-<date>.json,
//                                       bench/results/cps-latest.json and the "Call throughput"
//                                       section of docs/performance.md
//   npx tsx bench/cps/run.ts --quick    smoke run (short steps, few rates): bench/results/cps-quick.json
//   options: --only=direct,kamailio,kamailio-rtpengine,ours,ours-anchored   --profile (server
//            runs with node --cpu-prof; profiles in bench/results/prof/)   --keep (keep the work dir)
//            --nice=N (the session's autogroup nice, default -15; 0 leaves it)   --report-only
//            (re-render the docs section from cps-latest.json and bench/cps/analysis.md)
// Related tools: profile.ts (CPU profile or soak of our server at one rate), heap-diff.ts (what
// an established call keeps on the heap), prof-top.ts (top functions of a .cpuprofile).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRtpengine, type RtpengineHandle } from '../../src/media/rtpengine-process.js';
import { freePort } from '../../test/e2e/harness/ports.js';
import { drainPorts } from './drain.js';
import { ensureKamailio, kamailioVersion, proxyConfig, rtpengineConfig, startKamailio, type KamailioHandle } from './kamailio.js';
import { sleep, udpPortBound, waitUdpBound } from './procs.js';
import { writePerformanceSection, type BenchReport, type MemoryResult, type MapsResult, type SystemResult } from './report.js';
import { buildServer, startServerProcess, type ServerHandle } from './server-proc.js';
import { HERE, finalStats, killAllChildren, startUac, startUas, stopSipp, waitExit } from './sipp-load.js';
import { describeStep, runStep, type Ports, type StepResult, type SystemUnderTest } from './step.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PROFILE = argv.includes('--profile');
const KEEP = argv.includes('--keep');
const ONLY = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
/**
 * Scheduling priority of the bench's session, i.e. of everything it starts (SIPp, Kamailio,
 * rtpengine, our server), all alike. The machine is shared with other sessions (compilers, test
 * suites) and the kernel schedules by autogroup (one per session, sched_autogroup_enabled=1):
 * per-process nice does not count against them, the autogroup's nice does. At nice 0 their load
 * decides the result. Restored when the bench exits. --nice=0 to leave it alone.
 */
const NICE = Number(argv.find((a) => a.startsWith('--nice='))?.slice('--nice='.length) ?? -15);
const AUTOGROUP = '/proc/self/autogroup';
let autogroupRestore: number | undefined;
function setAutogroupNice(n: number): number | undefined {
  try {
    const before = Number(/nice\s+(-?\d+)/.exec(readFileSync(AUTOGROUP, 'utf8'))?.[1] ?? 0);
    writeFileSync(AUTOGROUP, String(n));
    autogroupRestore ??= before;
    return Number(/nice\s+(-?\d+)/.exec(readFileSync(AUTOGROUP, 'utf8'))?.[1] ?? NaN);
  } catch {
    return undefined;
  }
}
function restoreAutogroupNice(): void {
  if (autogroupRestore === undefined) return;
  try {
    writeFileSync(AUTOGROUP, String(autogroupRestore));
  } catch {
    // the session is gone with us
  }
}

type SystemId = 'direct' | 'kamailio' | 'kamailio-rtpengine' | 'ours' | 'ours-anchored';

interface Plan {
  stepSeconds: number;
  rates: Record<SystemId, number[]>;
  /** Established calls held open for the heap measurement, and the rate they are set up at. */
  memCalls: number;
  memRate: number;
  /** Wait for the setup transactions to expire (64·T1 = 32 s) before the steady-state heap reading. */
  memWaitForTransactions: boolean;
  idleTimeoutS: number;
  /** Before each step, wait up to this long for the other sessions' load to drop below quietCores. */
  quietWaitMs: number;
  quietBudgetMs: number;
  /** Longest wait for the system to stop sending after a step that was not clean. */
  drainMaxMs: number;
}
const QUIET_CORES = 0.3;

const FULL: Plan = {
  stepSeconds: 6,
  rates: {
    direct: [2000, 4000, 6000, 8000, 10000],
    kamailio: [500, 800, 1000, 1250, 1500, 2000, 2500, 3000],
    'kamailio-rtpengine': [300, 400, 500, 600, 700, 800, 1000, 1250, 1500],
    ours: [300, 500, 600, 700, 800, 900, 1000, 1250, 1500, 2000, 2500],
    'ours-anchored': [300, 400, 500, 600, 700, 800, 900, 1000, 1250, 1500, 2000],
  },
  memCalls: 2000,
  memRate: 400,
  memWaitForTransactions: true,
  idleTimeoutS: 50,
  quietWaitMs: 0,
  quietBudgetMs: 0,
  drainMaxMs: 40_000,
};

const QUICK_PLAN: Plan = {
  stepSeconds: 2,
  rates: { direct: [1000, 4000], kamailio: [500, 1000], 'kamailio-rtpengine': [300, 600], ours: [300, 600, 1000], 'ours-anchored': [300, 600] },
  memCalls: 300,
  memRate: 300,
  memWaitForTransactions: false,
  idleTimeoutS: 45,
  quietWaitMs: 0,
  quietBudgetMs: 0,
  drainMaxMs: 10_000,
};

const plan = QUICK ? QUICK_PLAN : FULL;
const wanted = (id: SystemId): boolean => ONLY === undefined || ONLY.includes(id);
const ROOT = path.resolve(HERE, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const PROF_DIR = path.join(RESULTS, 'prof');
/** rtpengine media ports: outside the test harness ranges (22600-29999, 30000-49999); 2,500 calls' worth. */
const RTP_PORT_MIN = 50000;
const RTP_PORT_MAX = 59999;

const t0 = Date.now();
const elapsed = (): string => `${Math.round((Date.now() - t0) / 1000)}s`;
const log = (s: string): void => console.log(`[${elapsed().padStart(5)}] ${s}`);

process.on('exit', () => {
  killAllChildren();
  restoreAutogroupNice();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
}

function machine(): BenchReport['machine'] {
  // stdout and stderr, whatever the exit code (sipp -v exits 1, rtpengine --version writes to stderr).
  const sh = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || 'unknown';
  };
  const lscpu = sh('lscpu', []);
  return {
    nproc: Number(sh('nproc', [])),
    cpuModel: /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    sipp: sh('/usr/bin/sipp', ['-v']).match(/SIPp v[^\s]+/)?.[0]?.replace(/\.$/, '') ?? 'unknown',
    kamailio: kamailioVersion(),
    rtpengine: `rtpengine ${sh('/usr/bin/rtpengine', ['--version']).replace(/^Version:\s*/i, '').split('\n')[0]}`,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function ensureTcpdump(): void {
  if (existsSync('/usr/bin/tcpdump') || existsSync('/usr/sbin/tcpdump')) return;
  log('tcpdump missing: apt-get install -y tcpdump');
  execFileSync('apt-get', ['install', '-y', 'tcpdump'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function benchRtpengine(): Promise<RtpengineHandle> {
  for (let p = RTP_PORT_MIN; p < RTP_PORT_MIN + 50; p++) if (udpPortBound(p)) throw new Error(`rtpengine media range ${RTP_PORT_MIN}-${RTP_PORT_MAX} looks busy (port ${p} bound)`);
  return startRtpengine({ ngPort: await freePort({ tcp: false }), portMin: RTP_PORT_MIN, portMax: RTP_PORT_MAX, logLevel: 3 });
}

/** Kamailio's tm keeps finished transactions for its wait timer (5 s by default). */
const KAMAILIO_SETTLE_MS = 6000;

/**
 * Ours keeps finished transactions 64·T1 = 32 s (Timers J, H, D, M, L): wait until only the calls
 * still ringing (an overloaded far end that gave up leaves B-legs in Proceeding until Timer C,
 * 180 s) hold transactions, at most 40 s.
 */
async function settleServer(srv: ServerHandle): Promise<void> {
  const until = Date.now() + 40_000;
  while (Date.now() < until && !srv.exited) {
    const s = await srv.sizes();
    if (s['clientTransactions']! + s['serverTransactions']! <= 2 * s['calls']! + 10) return;
    await sleep(1000);
  }
}

const halfOf = (max: number | undefined, lowest: number): number => Math.max(50, Math.round((max ?? lowest) / 2 / 50) * 50);

let quietSpentMs = 0;
/** Run one step; the waits for a quiet machine are capped in total (quietBudgetMs) so the run stays bounded. */
async function doStep(sys: SystemUnderTest, workDir: string, ports: Ports, rate: number, capture = false, seconds = plan.stepSeconds): Promise<StepResult> {
  const quietWaitMs = Math.max(0, Math.min(plan.quietWaitMs, plan.quietBudgetMs - quietSpentMs));
  const r = await runStep(sys, { workDir, ports, rate, seconds, capture, quietWaitMs, quietCores: QUIET_CORES });
  quietSpentMs += r.quiet.waitedMs;
  lastStepClean = r.clean;
  return r;
}
let lastStepClean = true;

/** Hold the SIPp ports until the system under test has stopped sending (see drain.ts). */
async function drain(ports: Ports): Promise<void> {
  const d = await drainPorts([ports.uac, ports.uas], 4000, plan.drainMaxMs);
  log(`drained ${d.messages} late messages (${d.answered} answered) in ${(d.ms / 1000).toFixed(1)} s${d.quiet ? '' : ' (still sending: gave up)'}`);
}

/**
 * Ramp the rate until a step is not clean. The machine is shared with other sessions: a step
 * that is not clean is run once more (after the system has stopped sending) before the ramp stops.
 */
async function ramp(sys: SystemUnderTest, rates: number[], workDir: string, ports: Ports): Promise<{ steps: StepResult[]; maxClean: number | undefined }> {
  const steps: StepResult[] = [];
  let maxClean: number | undefined;
  for (const rate of rates) {
    let r = await doStep(sys, workDir, ports, rate);
    steps.push(r);
    log(describeStep(r));
    if (!r.clean && sys.alive()) {
      await drain(ports);
      r = await doStep(sys, workDir, ports, rate);
      steps.push(r);
      log(`${describeStep(r)} (retry)`);
    }
    if (!r.clean) {
      await drain(ports);
      break;
    }
    maxClean = rate;
    await sleep(1000);
  }
  return { steps, maxClean };
}

async function latencyAt(sys: SystemUnderTest, rate: number, workDir: string, ports: Ports): Promise<StepResult> {
  await sleep(1000);
  // After overload (the ramp's last step), let the system's leftover state expire first.
  if (!lastStepClean) {
    const t = Date.now();
    await sys.settle?.();
    if (Date.now() - t > 1000) log(`settled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const r = await doStep(sys, workDir, ports, rate, true);
  if (!r.clean) await drain(ports);
  log(`${describeStep(r)} [latency]`);
  return r;
}

const IDLE_KEYS = ['calls', 'clientTransactions', 'serverTransactions', 'dialogs', 'pendingInvites', 'awaitingAck', 'mediaCalls', 'callsInSetup'];

/** Poll GET /metrics until every ma_internal_map_size is back at its idle value. */
async function waitMapsIdle(server: ServerHandle, idle: Record<string, number>, timeoutS: number, loadEndedAt: number): Promise<MapsResult> {
  const until = Date.now() + timeoutS * 1000;
  let last: Record<string, number> = {};
  const atLoadEnd = await server.metricsMapSizes();
  for (;;) {
    last = await server.metricsMapSizes();
    const differs = Object.keys({ ...idle, ...last }).filter((k) => (last[k] ?? 0) !== (idle[k] ?? 0));
    if (differs.length === 0) return { idle, atLoadEnd, final: last, backToIdle: true, secondsAfterLoad: Math.round((Date.now() - loadEndedAt) / 100) / 10, notIdle: [] };
    if (Date.now() > until || server.exited) {
      return { idle, atLoadEnd, final: last, backToIdle: false, secondsAfterLoad: Math.round((Date.now() - loadEndedAt) / 100) / 10, notIdle: differs };
    }
    await sleep(1000);
  }
}

/**
 * Hold `plan.memCalls` established calls and read the server's heap (process.memoryUsage() after
 * two full GCs): with the calls up (once their setup transactions have expired, 64·T1), and idle
 * again after they ended and every internal map is back at its idle value. Bytes per call =
 * (heap with the calls up − heap idle afterwards) / calls.
 */
async function memoryTest(server: ServerHandle, sys: SystemUnderTest, idle: Record<string, number>, workDir: string, ports: Ports): Promise<{ memory: MemoryResult; maps: MapsResult }> {
  const n = plan.memCalls;
  const setupS = n / plan.memRate;
  const holdMs = Math.round((plan.memWaitForTransactions ? setupS + 40 : setupS + 3) * 1000);
  const before = await server.memory();
  const beforeSizes = await server.sizes();
  const common = { workDir, label: `mem-${sys.id}`, calls: n, timeoutS: Math.ceil(holdMs / 1000 + setupS + 60), recvTimeoutMs: holdMs + 20_000 };
  const uas = startUas({ ...common, port: ports.uas, mediaPort: ports.uasMedia, controlPort: ports.uasControl });
  await waitUdpBound(ports.uas, 5000, () => !uas.exited);
  const uac = startUac({ ...common, port: ports.uac, mediaPort: ports.uacMedia, controlPort: ports.uacControl, remote: sys.target, rate: plan.memRate, limit: n + 100, holdMs });
  const setupStart = Date.now();
  let sizes = await server.sizes();
  while (sizes['calls']! < n && Date.now() - setupStart < (setupS + 15) * 1000 && !uac.exited) {
    await sleep(250);
    sizes = await server.sizes();
  }
  const established = sizes['calls']!;
  const withSetup = await server.memory();
  const withSetupSizes = await server.sizes();
  let steady = withSetup;
  let steadySizes = withSetupSizes;
  if (plan.memWaitForTransactions) {
    // The setup transactions (INVITE server and client, "Accepted") live 64·T1 = 32 s.
    const deadline = setupStart + holdMs - 3000;
    while (Date.now() < deadline) {
      const s = await server.sizes();
      if (s['clientTransactions'] === idle['clientTransactions'] && s['serverTransactions'] === idle['serverTransactions']) break;
      await sleep(1000);
    }
    steady = await server.memory();
    steadySizes = await server.sizes();
  }
  log(`memory: ${established} calls up; heapUsed ${mib(before.heapUsed)} MiB before → ${mib(withSetup.heapUsed)} MiB (with setup transactions) → ${mib(steady.heapUsed)} MiB (${JSON.stringify(steadySizes)})`);
  await waitExit(uac, holdMs + setupS * 1000 + 30_000);
  if (!uac.exited) await stopSipp(uac);
  if (!(await waitExit(uas, 3000))) await stopSipp(uas);
  const loadEnd = Date.now();
  const uacStats = finalStats(uac);
  const maps = await waitMapsIdle(server, idle, plan.idleTimeoutS, loadEnd);
  const after = await server.memory();
  const afterSizes = await server.sizes();
  log(`memory: calls ended (caller ok ${uacStats?.successful}/${n}); maps ${maps.backToIdle ? `back to idle after ${maps.secondsAfterLoad}s` : `NOT idle: ${JSON.stringify(maps.final)}`}; heapUsed idle ${mib(after.heapUsed)} MiB`);
  const per = (a: number, b: number): number => Math.round((b - a) / Math.max(1, established));
  const reading = (u: NodeJS.MemoryUsage, sz: Record<string, number>) => ({ heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, rss: u.rss, sizes: sz });
  return {
    memory: {
      system: sys.id,
      calls: n,
      established,
      holdSeconds: holdMs / 1000,
      callerOk: uacStats?.successful ?? 0,
      callerFailed: uacStats?.failed ?? 0,
      before: reading(before, beforeSizes),
      withSetupTransactions: reading(withSetup, withSetupSizes),
      steady: reading(steady, steadySizes),
      idleAfter: reading(after, afterSizes),
      heapPerCallBytes: per(after.heapUsed, steady.heapUsed),
      heapPerCallWithSetupBytes: per(after.heapUsed, withSetup.heapUsed),
      externalPerCallBytes: per(after.external, steady.external),
      waitedForTransactions: plan.memWaitForTransactions,
    },
    maps,
  };
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const nice = NICE === 0 ? 0 : setAutogroupNice(NICE);
  if (nice === undefined) log(`could not set the session's autogroup nice to ${NICE}; running at the default`);
  else if (nice !== 0) log(`session autogroup nice ${nice} (restored at exit)`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'ma-bench-cps-'));
  log(`${QUICK ? 'quick' : 'full'} run, work dir ${workDir}`);
  ensureKamailio();
  ensureTcpdump();
  log('building the server bundle (esbuild)');
  await buildServer();
  const report: BenchReport = {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    machine: machine(),
    method: {
      stepSeconds: plan.stepSeconds,
      sippBuffSize: 4194304,
      caller: 'bench/cps/uac-load.xml (transaction-matched, late 180 absorbed)',
      farEnd: 'bench/cps/uas-load.xml (180, then 200 with SDP)',
      clean: 'caller: all calls ok, 0 failed, 0 retransmissions; far end: all ok, 0 failed, 0 retransmissions, 0 open; 0 new UDP RcvbufErrors; offered rate >= 95% of target',
      latency: 'tcpdump on lo, caller port: first 200 (CSeq INVITE) minus first INVITE per Call-ID, at half the max clean rate',
      retry: 'a step that is not clean is run once more before the ramp stops (the machine is shared)',
      nice: `bench, SIPp, Kamailio, rtpengine and our server all in the bench's scheduler autogroup, autogroup nice ${nice ?? 'unchanged'}`,
    },
    systems: {},
    memory: {},
    maps: {},
    targets: [],
  };

  const [uac, uas, uacMedia, uasMedia, uacControl, uasControl] = [
    await freePort(),
    await freePort(),
    await freePort({ span: 4 }),
    await freePort({ span: 4 }),
    await freePort({ tcp: false }),
    await freePort({ tcp: false }),
  ];
  const ports: Ports = { uac: uac!, uas: uas!, uacMedia: uacMedia!, uasMedia: uasMedia!, uacControl: uacControl!, uasControl: uasControl! };
  log(`ports: ${JSON.stringify(ports)}`);

  const finishSystem = (id: SystemId, label: string, r: { steps: StepResult[]; maxClean: number | undefined }, latency: StepResult | undefined, extra: Partial<SystemResult> = {}): SystemResult => {
    const clean = r.steps.filter((s) => s.clean && s.rate === r.maxClean);
    const atMax = clean[clean.length - 1];
    const res: SystemResult = {
      id,
      label,
      maxCleanCps: r.maxClean,
      firstUncleanRate: r.steps.find((s) => !s.clean && !r.steps.some((t) => t.clean && t.rate === s.rate))?.rate,
      steps: r.steps,
      latency,
      cpuAtMaxClean: atMax ? { serverMsPerCall: atMax.cpu.serverMsPerCall, mediaMsPerCall: atMax.cpu.mediaMsPerCall } : undefined,
      ...extra,
    };
    report.systems[id] = res;
    return res;
  };

  // 1. SIPp → SIPp directly.
  if (wanted('direct')) {
    const sys: SystemUnderTest = { id: 'direct', label: 'SIPp → SIPp directly (the ceiling)', target: `127.0.0.1:${ports.uas}`, cpuPids: () => ({}), alive: () => true };
    log(`== ${sys.label}`);
    const r = await ramp(sys, plan.rates.direct, workDir, ports);
    const lat = await latencyAt(sys, halfOf(r.maxClean, plan.rates.direct[0]!), workDir, ports);
    finishSystem('direct', sys.label, r, lat);
  }

  // 2. Kamailio stateful proxy, 2 workers.
  if (wanted('kamailio')) {
    const port = await freePort();
    const k = await startKamailio({ dir: workDir, name: 'kamailio-proxy', config: proxyConfig(port, ports.uas, 2), port, workers: 2 });
    const sys: SystemUnderTest = {
      id: 'kamailio',
      label: 'Kamailio stateful proxy (2 workers)',
      target: `127.0.0.1:${port}`,
      cpuPids: () => ({ server: k.pid }),
      alive: () => !k.exited,
      settle: () => sleep(KAMAILIO_SETTLE_MS),
    };
    log(`== ${sys.label}`);
    try {
      const r = await ramp(sys, plan.rates.kamailio, workDir, ports);
      const lat = await latencyAt(sys, halfOf(r.maxClean, plan.rates.kamailio[0]!), workDir, ports);
      finishSystem('kamailio', sys.label, r, lat);
    } finally {
      await k.stop();
    }
  }

  // 3. Kamailio + rtpengine, 4 workers.
  if (wanted('kamailio-rtpengine')) {
    const rtp = await benchRtpengine();
    let k: KamailioHandle | undefined;
    try {
      const port = await freePort();
      k = await startKamailio({ dir: workDir, name: 'kamailio-rtpengine', config: rtpengineConfig(port, ports.uas, rtp.ngPort, 4), port, workers: 4 });
      const kk = k;
      const sys: SystemUnderTest = {
        id: 'kamailio-rtpengine',
        label: 'Kamailio + rtpengine (4 workers)',
        target: `127.0.0.1:${port}`,
        cpuPids: () => ({ server: kk.pid, media: rtp.pid }),
        alive: () => !kk.exited && !rtp.exited,
        settle: () => sleep(KAMAILIO_SETTLE_MS),
      };
      log(`== ${sys.label}`);
      const r = await ramp(sys, plan.rates['kamailio-rtpengine'], workDir, ports);
      const lat = await latencyAt(sys, halfOf(r.maxClean, plan.rates['kamailio-rtpengine'][0]!), workDir, ports);
      finishSystem('kamailio-rtpengine', sys.label, r, lat);
    } finally {
      await k?.stop();
      await rtp.stop();
    }
  }

  // 4./5. Our server, signalling only, then media anchored.
  for (const anchored of [false, true]) {
    const id: SystemId = anchored ? 'ours-anchored' : 'ours';
    if (!wanted(id)) continue;
    const rtp = anchored ? await benchRtpengine() : undefined;
    const logPath = path.join(workDir, `${id}.server.log`);
    const logFd = openSync(logPath, 'a');
    let server: ServerHandle | undefined;
    try {
      if (PROFILE) mkdirSync(PROF_DIR, { recursive: true });
      const sipPort = await freePort();
      server = await startServerProcess({
        uacPort: ports.uac,
        uasPort: ports.uas,
        sipPort,
        anchor: anchored,
        ngPort: rtp?.ngPort,
        dataDir: path.join(workDir, `${id}-data`),
        logFile: logFd,
        ...(PROFILE ? { cpuProfDir: PROF_DIR, cpuProfName: `${id}.cpuprofile` } : {}),
      });
      const srv = server;
      const sys: SystemUnderTest = {
        id,
        label: anchored ? 'our server, media anchored (+ its own rtpengine)' : 'our server, signalling only',
        target: `127.0.0.1:${srv.sipPort}`,
        cpuPids: () => ({ server: srv.pid, ...(rtp ? { media: rtp.pid } : {}) }),
        alive: () => !srv.exited && (rtp === undefined || !rtp.exited),
        loopStats: () => srv.loopStats(),
        settle: () => settleServer(srv),
      };
      log(`== ${sys.label} (pid ${srv.pid}, sip ${srv.sipPort}, http ${srv.httpPort})`);
      const idle = await srv.metricsMapSizes();
      // Warm-up (JIT, lazy allocations), then the heap / idle-maps test on the fresh server, so
      // the ramp's overload steps (which leave calls ringing until Timer C) do not enter it.
      const warm = await doStep(sys, workDir, ports, 200, false, 2);
      log(`${describeStep(warm)} [warm-up]`);
      if (!QUICK || anchored) {
        const m = await memoryTest(srv, sys, idle, workDir, ports);
        report.memory[id] = m.memory;
        report.maps[id] = m.maps;
      }
      const r = await ramp(sys, plan.rates[id], workDir, ports);
      const lat = srv.exited ? undefined : await latencyAt(sys, halfOf(r.maxClean, plan.rates[id][0]!), workDir, ports);
      // The target compares setup latency with Kamailio's at the same rate: Kamailio's half rate.
      const ref = report.systems[anchored ? 'kamailio-rtpengine' : 'kamailio'];
      const refRate = ref?.latency?.rate;
      const latAtRef = refRate !== undefined && lat !== undefined && refRate !== lat.rate && !srv.exited ? await latencyAt(sys, refRate, workDir, ports) : undefined;
      const afterRamp = srv.exited ? undefined : await srv.metricsMapSizes();
      finishSystem(id, sys.label, r, lat, {
        ...(latAtRef ? { latencyAtReferenceRate: latAtRef } : {}),
        ...(srv.exited ? { crashed: srv.exitInfo } : {}),
        ...(afterRamp ? { mapsRightAfterRamp: afterRamp } : {}),
        warmup: warm,
      });
    } finally {
      await server?.stop();
      closeSync(logFd);
      await rtp?.stop();
      const text = readFileSync(logPath, 'utf8');
      const sysRes = report.systems[id];
      if (sysRes && PROFILE) {
        const file = path.join(PROF_DIR, `${id}.cpuprofile`);
        if (existsSync(file)) {
          const { topFunctions } = await import('./prof-top.js');
          const top = await topFunctions(file, 25);
          sysRes.profileTop = { file: path.relative(ROOT, file), busyMs: top.totalMs, rows: top.rows };
          log(`profile ${path.relative(ROOT, file)}: top self time\n${top.rows.slice(0, 15).map((r) => `  ${String(r.pct).padStart(5)}%  ${r.fn} ${r.where}`).join('\n')}`);
        }
      }
      if (sysRes) sysRes.serverLog = { lines: text.split('\n').filter((l) => l.trim() !== '').length, tail: text.split('\n').slice(-5).join('\n').slice(-1500) };
    }
  }

  report.targets = evaluateTargets(report);
  report.durationSeconds = Math.round((Date.now() - t0) / 1000);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (QUICK) {
    writeFileSync(path.join(RESULTS, 'cps-quick.json'), json);
    log(`wrote bench/results/cps-quick.json`);
  } else {
    const stamp = report.date.slice(0, 16).replace(/[:T]/g, '-');
    writeFileSync(path.join(RESULTS, `cps-${stamp}.json`), json);
    writeFileSync(path.join(RESULTS, 'cps-latest.json'), json);
    log(`wrote bench/results/cps-${stamp}.json and cps-latest.json`);
    if (ONLY === undefined) {
      writePerformanceSection(path.join(ROOT, 'docs/performance.md'), report, analysisText());
      log('updated docs/performance.md "Call throughput"');
    }
  }
  printSummary(report);
  if (!KEEP) rmSync(workDir, { recursive: true, force: true });
  else log(`work dir kept: ${workDir}`);
}

/** bench/cps/analysis.md: hand-written findings appended to the generated section (if present). */
function analysisText(): string | undefined {
  const file = path.join(HERE, 'analysis.md');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function evaluateTargets(r: BenchReport): BenchReport['targets'] {
  const s = r.systems;
  const out: BenchReport['targets'] = [];
  const kr = s['kamailio-rtpengine']?.maxCleanCps;
  const oa = s['ours-anchored']?.maxCleanCps;
  if (s['kamailio-rtpengine'] && s['ours-anchored']) {
    out.push({ target: 'media anchored max clean CPS >= 1.25 x Kamailio+rtpengine', met: (oa ?? 0) >= 1.25 * (kr ?? Infinity), detail: `${oa ?? 'none'} vs 1.25 x ${kr ?? 'none'} = ${kr === undefined ? '?' : 1.25 * kr}` });
  }
  const kp = s['kamailio']?.maxCleanCps;
  const os_ = s['ours']?.maxCleanCps;
  if (s['kamailio'] && s['ours']) out.push({ target: "signalling only max clean CPS >= Kamailio proxy's", met: (os_ ?? 0) >= (kp ?? Infinity), detail: `${os_ ?? 'none'} vs ${kp ?? 'none'}` });
  for (const [ours, ref] of [
    ['ours', 'kamailio'],
    ['ours-anchored', 'kamailio-rtpengine'],
  ] as const) {
    const o = s[ours];
    const k = s[ref];
    if (!o || !k || !k.latency?.latency) continue;
    const same = o.latencyAtReferenceRate ?? (o.latency?.rate === k.latency.rate ? o.latency : undefined);
    const op50 = same?.latency?.p50Ms;
    const cleanNote = same && !same.clean ? ' (our step at that rate was not clean)' : '';
    out.push({
      target: `setup p50 below ${k.label}'s at the same rate (${k.latency.rate}/s)`,
      met: op50 !== undefined && op50 < k.latency.latency.p50Ms && same?.clean === true,
      detail: `${op50 ?? '?'} ms vs ${k.latency.latency.p50Ms} ms${cleanNote}`,
    });
  }
  const mems = Object.values(r.memory);
  if (mems.length > 0) {
    out.push({
      target: '<= 8 KiB heap per established call',
      met: mems.every((m) => m.heapPerCallBytes <= 8192 && m.established === m.calls),
      detail: mems.map((m) => `${m.system}: ${m.heapPerCallBytes} B/call (${m.established}/${m.calls} calls up)`).join('; '),
    });
  }
  const maps = Object.entries(r.maps);
  if (maps.length > 0) out.push({ target: 'internal maps back to idle after load', met: maps.every(([, m]) => m.backToIdle), detail: maps.map(([k, m]) => `${k}: ${m.backToIdle ? `idle after ${m.secondsAfterLoad}s` : `not idle (${m.notIdle.map((x) => `${x}=${m.final[x]}`).join(', ')})`}`).join('; ') });
  return out;
}

function printSummary(r: BenchReport): void {
  console.log('\nsystem                                   max clean CPS  setup p50/p99 @ half   CPU-ms/call (server + rtpengine)');
  for (const s of Object.values(r.systems)) {
    if (!s) continue;
    const l = s.latency?.latency;
    const cpu = s.cpuAtMaxClean;
    console.log(
      `${s.label.padEnd(42)} ${String(s.maxCleanCps ?? 'none').padStart(12)}  ${l ? `${l.p50Ms}/${l.p99Ms} ms @${s.latency!.rate}` : '—'}`.padEnd(80) +
        `${cpu?.serverMsPerCall ?? '—'}${cpu?.mediaMsPerCall !== undefined ? ` + ${cpu.mediaMsPerCall}` : ''}`,
    );
  }
  for (const m of Object.values(r.memory)) {
    console.log(`heap per established call, ${m.system}: ${m.heapPerCallBytes} B (${m.established} calls${m.waitedForTransactions ? `; with setup transactions ${m.heapPerCallWithSetupBytes} B` : '; quick run: setup transactions included'})`);
  }
  console.log(r.mode === 'quick' ? '\ntargets (QUICK RUN: 2 s steps and coarse rates, a smoke test of the bench, not a measurement):' : '\ntargets:');
  for (const t of r.targets) console.log(`  ${t.met ? 'MET    ' : 'NOT MET'} ${t.target}: ${t.detail}`);
  console.log(`\ntotal ${r.durationSeconds}s`);
}

if (argv.includes('--report-only')) {
  // Re-render docs/performance.md "Call throughput" from bench/results/cps-latest.json (e.g. after
  // editing bench/cps/analysis.md), without measuring anything.
  const report = JSON.parse(readFileSync(path.join(RESULTS, 'cps-latest.json'), 'utf8')) as BenchReport;
  writePerformanceSection(path.join(ROOT, 'docs/performance.md'), report, analysisText());
  console.log('updated docs/performance.md "Call throughput" from bench/results/cps-latest.json');
  process.exit(0);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  killAllChildren();
  process.exit(1);
});
