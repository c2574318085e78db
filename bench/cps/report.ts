// Result types of the CPS bench and the "Call throughput" section of docs/performance.md.
// Only that section is written: the file's other sections (e.g. "Parser") are left as they are.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { StepResult } from './step.js';

export interface SystemResult {
  id: string;
  label: string;
  maxCleanCps: number | undefined;
  firstUncleanRate: number | undefined;
  steps: StepResult[];
  /** The capture step at half the max clean rate. */
  latency: StepResult | undefined;
  /** Ours only: a capture step at the Kamailio reference's half rate (the "same rate" comparison). */
  latencyAtReferenceRate?: StepResult;
  cpuAtMaxClean: { serverMsPerCall: number | undefined; mediaMsPerCall: number | undefined } | undefined;
  crashed?: string;
  /** Ours: ma_internal_map_size right after the ramp and latency steps (overload leaves calls ringing until Timer C). */
  mapsRightAfterRamp?: Record<string, number>;
  warmup?: StepResult;
  /** With --profile: the top self-time functions of the server's CPU profile. */
  profileTop?: { file: string; busyMs: number; rows: { selfMs: number; pct: number; fn: string; where: string }[] };
  serverLog?: { lines: number; tail: string } | undefined;
}

interface MemReading {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  sizes: Record<string, number>;
}

export interface MemoryResult {
  system: string;
  calls: number;
  established: number;
  holdSeconds: number;
  callerOk: number;
  callerFailed: number;
  before: MemReading;
  withSetupTransactions: MemReading;
  steady: MemReading;
  idleAfter: MemReading;
  heapPerCallBytes: number;
  heapPerCallWithSetupBytes: number;
  externalPerCallBytes: number;
  waitedForTransactions: boolean;
}

export interface MapsResult {
  idle: Record<string, number>;
  atLoadEnd: Record<string, number>;
  final: Record<string, number>;
  backToIdle: boolean;
  secondsAfterLoad: number;
  notIdle: string[];
}

export interface BenchReport {
  date: string;
  mode: 'quick' | 'full';
  machine: {
    nproc: number;
    cpuModel: string;
    memGiB: number;
    kernel: string;
    node: string;
    sipp: string;
    kamailio: string;
    rtpengine: string;
    loadavgAtStart: number[];
  };
  method: Record<string, string | number>;
  systems: Partial<Record<string, SystemResult>>;
  memory: Record<string, MemoryResult>;
  maps: Record<string, MapsResult>;
  targets: { target: string; met: boolean; detail: string }[];
  durationSeconds?: number;
}

const HEADING = '## Call throughput';

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const fmt = (x: number | undefined, digits = 2): string => (x === undefined || Number.isNaN(x) ? '—' : String(Math.round(x * 10 ** digits) / 10 ** digits));

export function renderSection(r: BenchReport, analysis?: string): string {
  const m = r.machine;
  const rows: string[] = [];
  for (const s of Object.values(r.systems)) {
    if (!s) continue;
    const l = s.latency?.latency;
    const lat = l && s.latency ? `${fmt(l.p50Ms)} / ${fmt(l.p99Ms)} ms at ${s.latency.rate}/s${s.latency.clean ? '' : ' (step not clean)'}` : '—';
    const cpu = s.cpuAtMaxClean;
    const cpuText = cpu?.serverMsPerCall === undefined ? '—' : `${fmt(cpu.serverMsPerCall)}${cpu.mediaMsPerCall !== undefined ? ` + rtpengine ${fmt(cpu.mediaMsPerCall)}` : ''}`;
    const heap = r.memory[s.id] ? `${r.memory[s.id]!.heapPerCallBytes.toLocaleString('en-US')} B` : '—';
    const max = s.maxCleanCps === undefined ? 'none clean' : s.maxCleanCps.toLocaleString('en-US');
    const next = s.firstUncleanRate === undefined ? '' : ` (${s.firstUncleanRate.toLocaleString('en-US')} not clean)`;
    rows.push(`| ${s.label} | ${max}${next} | ${lat} | ${cpuText} | ${heap} |`);
  }
  const sameRate: string[] = [];
  for (const id of ['ours', 'ours-anchored']) {
    const s = r.systems[id];
    const ref = s?.latencyAtReferenceRate;
    if (ref?.latency) sameRate.push(`- ${s!.label} at ${ref.rate}/s (the reference's half rate): setup p50 ${fmt(ref.latency.p50Ms)} ms, p99 ${fmt(ref.latency.p99Ms)} ms${ref.clean ? '' : ` — step not clean: ${ref.reasons.join('; ')}`}`);
  }
  const targets = r.targets.map((t) => `| ${t.target} | ${t.met ? '**met**' : '**not met**'} | ${t.detail} |`);
  const whyNot: string[] = [];
  for (const s of Object.values(r.systems)) {
    if (!s) continue;
    const bad = [...s.steps].reverse().find((x) => !x.clean);
    if (bad) whyNot.push(`- ${s.label}, ${bad.rate}/s: ${bad.reasons.join('; ')}`);
    if (s.crashed) whyNot.push(`- ${s.label}: server process exited (${s.crashed})`);
  }
  const memText = Object.values(r.memory)
    .map(
      (mem) =>
        `- ${r.systems[mem.system]?.label ?? mem.system}: ${mem.established.toLocaleString('en-US')} of ${mem.calls.toLocaleString('en-US')} calls established and held ${mem.holdSeconds} s. heapUsed (after two full GCs) ${mib(mem.steady.heapUsed)} MiB with the calls up${mem.waitedForTransactions ? ' once their setup transactions had expired' : ''}, ${mib(mem.idleAfter.heapUsed)} MiB idle after they ended: **${mem.heapPerCallBytes.toLocaleString('en-US')} B per call** (${mem.heapPerCallWithSetupBytes.toLocaleString('en-US')} B per call while the setup transactions are still held; Buffers outside the V8 heap ${mem.externalPerCallBytes} B per call).`,
    )
    .join('\n');
  const maps = Object.entries(r.maps)
    .map(([k, v]) => `${k}: ${v.backToIdle ? `back to idle ${v.secondsAfterLoad} s after the load` : `**not idle** after ${v.secondsAfterLoad} s (${v.notIdle.map((x) => `${x}=${v.final[x]}`).join(', ')})`}`)
    .join('; ');

  return `${HEADING}

Measured by \`npx tsx bench/cps/run.ts\` on ${r.date.slice(0, 10)} (${r.mode} run, ${r.durationSeconds ?? '?'} s); every step's numbers are in
\`bench/results/cps-latest.json\`. All systems ran in the same run, one after the other, on the same machine:
${m.nproc} vCPU (${m.cpuModel}), ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.sipp}, Kamailio ${m.kamailio}, ${m.rtpengine}
(userspace, \`--table=-1\`). SIPp caller, SIPp far end and the system under test share the ${m.nproc} cores; the machine is shared
with other work (load average at start ${m.loadavgAtStart.join(' / ')}; each step records the busy CPU not accounted for by the bench
as \`cpu.otherMs\`).

Method (machine-probe.md "stricter method"): SIPp with 4 MB socket buffers; caller \`bench/cps/uac-load.xml\` (responses matched to
their transaction, a 180 arriving after the 200 absorbed), far end \`bench/cps/uas-load.xml\` (180, then 200 with SDP); calls hang up
at once after the ACK. The rate is ramped, ${r.method['stepSeconds']} s per step; a step is **clean** when every call is ok at the caller, 0 failed,
0 retransmissions on either side, no call left open at the far end, 0 new kernel UDP RcvbufErrors, and the offered rate held
(≥ 95 %). A step that is not clean is run once more before the ramp stops. Setup latency: tcpdump on lo at the caller's port,
first 200 (CSeq INVITE) minus first INVITE per Call-ID, at half the max clean rate. CPU per call: utime+stime from /proc of the
server's process tree (Kamailio: all workers) over the step at the max clean rate, divided by the calls. Our server runs as its own
process (\`bench/cps/server-main.ts\`, bundled with esbuild, plain \`node\`), UDP, log level warn, overload limits out of the way,
default SIP timers; Kamailio: 2 workers (proxy), 4 workers (+ rtpengine), \`-m 1024 -M 16\`. After a step that is not clean the
bench answers whatever the system still sends (stray INVITEs 500, finals ACKed) until it is quiet, so the next step's far end
does not take old INVITEs for new calls; a latency step after overload first waits for the left-over state to expire (ours:
until only ringing calls hold transactions, at most 40 s; Kamailio 6 s). Scheduling: ${r.method['nice'] ?? 'default'}
(the kernel shares the CPU per session autogroup; without this the other sessions' load decided the result).

| system | max clean CPS | setup p50 / p99 at half rate | server CPU-ms per call (at max clean) | heap per established call |
|---|---|---|---|---|
${rows.join('\n')}

${sameRate.length > 0 ? `Same-rate latency comparison:\n${sameRate.join('\n')}\n\n` : ''}Heap per established call (our server, a fresh process after a 2 s warm-up):
${memText || '- not measured'}

Internal maps (\`ma_internal_map_size\` from /metrics) after the held calls ended: ${maps || '—'}.

Where each ramp stopped:
${whyNot.join('\n') || '- (every rate clean)'}

Targets (project brief):

| target | result | figures |
|---|---|---|
${targets.join('\n')}
${analysis === undefined ? '' : `\n${analysis.trim()}\n`}`;
}

/** Replace the "## Call throughput" section of `file` (up to the next "## " heading), or append it. */
export function writePerformanceSection(file: string, r: BenchReport, analysis?: string): void {
  const section = renderSection(r, analysis);
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const start = text.indexOf(`${HEADING}\n`);
  if (start >= 0) {
    const rest = text.slice(start + HEADING.length + 1);
    const next = rest.search(/^## /m);
    const end = next < 0 ? text.length : start + HEADING.length + 1 + next;
    text = `${text.slice(0, start)}${section}${next < 0 ? '' : '\n'}${text.slice(end)}`;
  } else {
    text = `${text.replace(/\n*$/, '\n\n')}${section}`;
  }
  writeFileSync(file, text);
}
