// One bench step: a fresh SIPp far end, a SIPp caller at a fixed rate for a fixed number of
// calls through the system under test, and the verdict "clean" or not (machine-probe.md,
// stricter method): every call ok at the caller, 0 failed, 0 retransmissions on either side,
// no call left open at the far end, 0 new kernel UDP receive-buffer drops, the rate held.
import os from 'node:os';
import path from 'node:path';
import { type LatencyStats, setupLatency, startCapture } from './capture.js';
import { diffUdp, machineBusyMs, waitQuiet, rssBytes, selfAndReapedCpuMs, treeCpuMs, udpCounters, waitUdpBound } from './procs.js';
import { creationSeconds, errorSample, finalStats, startUac, startUas, stopSipp, waitExit } from './sipp-load.js';

export interface Ports {
  uac: number;
  uas: number;
  uacMedia: number;
  uasMedia: number;
  uacControl: number;
  uasControl: number;
}

/** What a step needs to know about the system under test. */
export interface SystemUnderTest {
  id: string;
  label: string;
  /** Where the caller sends ("127.0.0.1:port"). */
  target: string;
  /** Pids whose CPU is the system's (a process tree each), by role. */
  cpuPids(): { server?: number; media?: number };
  /** False once the system (server process, kamailio) has died. */
  alive(): boolean;
  /** Ours: event-loop delay and GC since the previous call (called before and after each step). */
  loopStats?(): Promise<unknown>;
  /** Wait until the state left by earlier (overload) steps has expired, before a latency step. */
  settle?(): Promise<void>;
}

export interface SippSide {
  code: number | null;
  successful: number;
  failed: number;
  retransmissions: number;
  created: number;
  current: number;
  failedDetail: Record<string, number>;
  errors?: string;
}

export interface StepResult {
  system: string;
  rate: number;
  calls: number;
  seconds: number;
  clean: boolean;
  reasons: string[];
  /** Calls per second the caller actually offered (calls / time to create the last one). */
  heldRate: number | undefined;
  wallSeconds: number;
  uac: SippSide;
  uas: SippSide & { exitedByItself: boolean };
  udp: { RcvbufErrors: number; InErrors: number; SndbufErrors: number };
  cpu: {
    /** CPU-ms of the SIP server process tree (kamailio: all workers; ours: the node process). */
    serverMs: number | undefined;
    /** CPU-ms of rtpengine (media anchored systems). */
    mediaMs: number | undefined;
    serverMsPerCall: number | undefined;
    mediaMsPerCall: number | undefined;
    /** Busy CPU-ms on the machine not accounted for by the bench, SIPp and the system: other load. */
    otherMs: number;
    /** The same as a share of the machine's capacity over the step (0..1). */
    otherShare: number;
  };
  /** Waiting for the machine to be quiet before the step: how long, and the other load then (cores). */
  quiet: { waitedMs: number; otherCores: number };
  serverRssBytes: number | undefined;
  /** Ours: the server's event-loop delay and GC pauses during the step. */
  serverLoop?: unknown;
  latency?: LatencyStats & { captureDropped: number | undefined };
}

function side(stats: ReturnType<typeof finalStats>, code: number | null): SippSide {
  const s = stats;
  return {
    code,
    successful: s?.successful ?? 0,
    failed: s?.failed ?? 0,
    retransmissions: s?.retransmissions ?? 0,
    created: s?.created ?? 0,
    current: s?.current ?? 0,
    failedDetail: s
      ? Object.fromEntries(
          Object.entries({
            unexpected: s.failedUnexpected,
            maxUdpRetrans: s.failedMaxUdpRetrans,
            timeoutOnRecv: s.failedTimeoutOnRecv,
            callRejected: s.failedCallRejected,
            deadCallMsgs: s.deadCallMsgs,
            outOfCallMsgs: s.outOfCallMsgs,
          }).filter(([, v]) => v > 0),
        )
      : {},
  };
}

export interface StepOptions {
  workDir: string;
  ports: Ports;
  rate: number;
  seconds: number;
  capture?: boolean;
  label?: string;
  /** Wait up to this long for the rest of the machine to be quiet (< quietCores) first. */
  quietWaitMs?: number;
  quietCores?: number;
}

let seq = 0;
const cores = (): number => os.cpus().length || 1;

export async function runStep(sys: SystemUnderTest, o: StepOptions): Promise<StepResult> {
  const calls = Math.max(1, Math.round(o.rate * o.seconds));
  const label = `${String(++seq).padStart(3, '0')}-${sys.id}-${o.rate}${o.capture ? '-cap' : ''}`;
  const timeoutS = Math.ceil(o.seconds * 3 + 30);
  const pids = sys.cpuPids();
  const pidList = [pids.server, pids.media].filter((p): p is number => p !== undefined);
  const quiet = await waitQuiet(pidList, o.quietCores ?? 0.25, o.quietWaitMs ?? 0);
  const uas = startUas({ workDir: o.workDir, label, port: o.ports.uas, mediaPort: o.ports.uasMedia, controlPort: o.ports.uasControl, calls, timeoutS });
  if (!(await waitUdpBound(o.ports.uas, 5000, () => !uas.exited))) throw new Error(`SIPp far end did not start: ${(await uas.done).stderr}`);

  const cpuOf = (pid: number | undefined): number | undefined => (pid === undefined ? undefined : treeCpuMs(pid));
  await sys.loopStats?.().catch(() => undefined);
  const tBefore = Date.now();
  const before = { udp: udpCounters(), server: cpuOf(pids.server), media: cpuOf(pids.media), busy: machineBusyMs(), self: selfAndReapedCpuMs() };
  const capture = o.capture ? await startCapture(path.join(o.workDir, `${label}.pcap`), o.ports.uac) : undefined;

  const t0 = Date.now();
  const uac = startUac({
    workDir: o.workDir,
    label,
    port: o.ports.uac,
    mediaPort: o.ports.uacMedia,
    controlPort: o.ports.uacControl,
    calls,
    timeoutS,
    remote: sys.target,
    rate: o.rate,
    limit: Math.min(10_000, Math.max(1000, o.rate * 5)),
  });
  // Hard bound on top of SIPp's own -timeout.
  const hard = setTimeout(() => void stopSipp(uac, 500), (timeoutS + 10) * 1000);
  const uacExit = await uac.done;
  clearTimeout(hard);
  const wallSeconds = (Date.now() - t0) / 1000;
  // The far end exits by itself once it has seen `calls` calls through (plus its 0.5 s timewait).
  const exitedByItself = await waitExit(uas, 2500);
  if (!exitedByItself) await stopSipp(uas, 1000);
  const uasExit = await uas.done;
  const cap = capture ? await capture.stop() : undefined;

  const stepMs = Date.now() - tBefore;
  const serverLoop = sys.alive() ? await sys.loopStats?.().catch(() => undefined) : undefined;
  const after = { udp: udpCounters(), server: cpuOf(pids.server), media: cpuOf(pids.media), busy: machineBusyMs(), self: selfAndReapedCpuMs() };
  const udp = diffUdp(before.udp, after.udp);
  const d = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.round(b - a));
  const serverMs = d(before.server, after.server);
  const mediaMs = d(before.media, after.media);
  const otherMs = Math.round(after.busy - before.busy - (after.self - before.self) - (serverMs ?? 0) - (mediaMs ?? 0));

  const uacSide = side(finalStats(uac), uacExit.code);
  const uasSide = { ...side(finalStats(uas), uasExit.code), exitedByItself };
  const creation = creationSeconds(uac, calls);
  const heldRate = creation === undefined || creation <= 0 ? undefined : Math.round(calls / creation);

  const reasons: string[] = [];
  if (!sys.alive()) reasons.push('system under test died');
  if (uacSide.code !== 0) reasons.push(`caller exit code ${uacSide.code}`);
  if (uacSide.successful !== calls) reasons.push(`caller ok ${uacSide.successful}/${calls}`);
  if (uacSide.failed > 0) reasons.push(`caller failed ${uacSide.failed} ${JSON.stringify(uacSide.failedDetail)}`);
  if (uacSide.retransmissions > 0) reasons.push(`caller retransmissions ${uacSide.retransmissions}`);
  if (uasSide.failed > 0) reasons.push(`far end failed ${uasSide.failed} ${JSON.stringify(uasSide.failedDetail)}`);
  if (uasSide.retransmissions > 0) reasons.push(`far end retransmissions ${uasSide.retransmissions}`);
  if (!exitedByItself || uasSide.current > 0 || uasSide.successful !== calls) reasons.push(`far end: ${uasSide.successful}/${calls} ok, ${uasSide.current} open${exitedByItself ? '' : ', had to be stopped'}`);
  if (udp.RcvbufErrors > 0) reasons.push(`kernel UDP RcvbufErrors +${udp.RcvbufErrors}`);
  if (heldRate === undefined || heldRate < o.rate * 0.95) reasons.push(`rate not held (${heldRate ?? '?'} of ${o.rate}/s)`);
  if (reasons.length > 0) {
    const e1 = errorSample(uac);
    const e2 = errorSample(uas);
    if (e1) uacSide.errors = e1;
    if (e2) uasSide.errors = e2;
  }

  const perCall = (ms: number | undefined): number | undefined => (ms === undefined || uacSide.successful === 0 ? undefined : Math.round((ms / uacSide.successful) * 1000) / 1000);
  const result: StepResult = {
    system: sys.id,
    rate: o.rate,
    calls,
    seconds: o.seconds,
    clean: reasons.length === 0,
    reasons,
    heldRate,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    uac: uacSide,
    uas: uasSide,
    udp: { RcvbufErrors: udp.RcvbufErrors, InErrors: udp.InErrors, SndbufErrors: udp.SndbufErrors },
    cpu: { serverMs, mediaMs, serverMsPerCall: perCall(serverMs), mediaMsPerCall: perCall(mediaMs), otherMs, otherShare: Math.round((otherMs / (stepMs * cores())) * 1000) / 1000 },
    quiet,
    serverRssBytes: pids.server === undefined ? undefined : rssBytes(pids.server),
    ...(serverLoop !== undefined ? { serverLoop } : {}),
  };
  if (capture && cap) result.latency = { ...setupLatency(capture.file, o.ports.uac), captureDropped: cap.dropped };
  return result;
}

export function describeStep(r: StepResult): string {
  const cpu = r.cpu.serverMsPerCall === undefined ? '' : ` cpu ${r.cpu.serverMsPerCall} ms/call${r.cpu.mediaMsPerCall === undefined ? '' : ` + rtpengine ${r.cpu.mediaMsPerCall}`}`;
  const lat = r.latency ? ` setup p50 ${r.latency.p50Ms} p99 ${r.latency.p99Ms} ms (n=${r.latency.calls})` : '';
  const sl = r.serverLoop as { delayMs: { p99: number; max: number }; gc: { totalMs: number; maxMs: number } } | undefined;
  const loop = sl ? ` loop-delay p99 ${sl.delayMs.p99} max ${sl.delayMs.max} ms, gc ${sl.gc.totalMs} ms (max ${sl.gc.maxMs})` : '';
  return `${r.system.padEnd(18)} ${String(r.rate).padStart(5)}/s held ${String(r.heldRate ?? '?').padStart(5)} ok ${r.uac.successful}/${r.calls} ${r.clean ? 'CLEAN' : `NOT CLEAN: ${r.reasons.join('; ')}`}${cpu}${lat}${loop} other-load ${Math.round(r.cpu.otherShare * 100)}% (before: waited ${r.quiet.waitedMs} ms, ${r.quiet.otherCores} cores busy elsewhere)`;
}
