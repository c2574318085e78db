// The server under test for bench/cps/run.ts, in its own process (so the bench's own work does
// not share its event loop). Built by run.ts with esbuild into bench/cps/.build/ and run with
// plain `node --expose-gc` (tsx's on-the-fly transform would be measured too otherwise).
//
//   node --expose-gc bench/cps/.build/server-main.mjs '<json options>'
//
// Options (JSON, argv[2]): { uacPort, uasPort, anchor, ngPort?, sipPort?, dataDir, logLevel? }.
// It provisions one routing path: calls from 127.0.0.1:<uacPort> are trunk traffic (trunk IN,
// whose alternate gateway is that address; trunks are matched on source host AND port), and
// every number (pattern X!) routes to trunk OUT, whose peer is the SIPp far end at <uasPort>.
//
// IPC (process.send / 'message', the bench talks to it over the fork channel):
//   → {type:'ready', sipPort, httpPort, pid}
//   ← {cmd:'mem'}    → {type:'mem', usage: process.memoryUsage() after two full GCs}
//   ← {cmd:'sizes'}  → {type:'sizes', sizes: server.sizes()}
//   ← {cmd:'loop'}   → {type:'loop', ...}: event-loop delay percentiles and GC pauses since the
//                      last 'loop' (then reset): is a step's latency the server's own stalls?
//   ← {cmd:'heap'}   → {type:'heap', file}: a V8 heap snapshot written to the data dir (diagnosis)
//   ← {cmd:'calls'}  → {type:'calls', count, sample}: the state of up to 5 live calls (diagnosis)
//   ← {cmd:'stop'}   → closes the server and exits 0 (so --cpu-prof writes its profile)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { buildConfig } from '../../src/config/index.js';
import type { Directory } from '../../src/directory/index.js';
import { startServer } from '../../src/server.js';

interface Options {
  uacPort: number;
  uasPort: number;
  anchor: boolean;
  ngPort?: number;
  sipPort?: number;
  dataDir: string;
  logLevel?: 'warn' | 'silent' | 'error' | 'info';
}

type Reply = { type: 'ready'; sipPort: number; httpPort: number; pid: number } | { type: 'mem'; usage: NodeJS.MemoryUsage } | { type: 'sizes'; sizes: Record<string, number> } | { type: 'calls'; count: number; sample: unknown[] }
  | { type: 'loop'; delayMs: { p50: number; p99: number; max: number; mean: number }; gc: { count: number; totalMs: number; maxMs: number; majorCount: number } }
  | { type: 'heap'; file: string } | { type: 'error'; message: string };

const send = (m: Reply): void => {
  process.send?.(m);
};

function provision(dir: Directory, o: Options): void {
  dir.transaction(() => {
    dir.partitions.create({ name: 'PT-bench', description: 'bench/cps: every number' });
    dir.css.create({ name: 'CSS-bench', partitions: ['PT-bench'] });
    // The caller side: SIPp UAC at 127.0.0.1:<uacPort>, an alternate gateway of trunk IN
    // (its nominal peer is the discard port, never used: calls only come in on this trunk).
    dir.trunks.create({
      id: 'IN',
      name: 'bench caller (SIPp UAC)',
      peerHost: '127.0.0.1',
      port: 9,
      transport: 'udp',
      trusted: true,
      inboundCss: 'CSS-bench',
      alternates: [{ peerHost: '127.0.0.1', port: o.uacPort, transport: 'udp' }],
    });
    // The far end: SIPp UAS at 127.0.0.1:<uasPort>.
    dir.trunks.create({ id: 'OUT', name: 'bench far end (SIPp UAS)', peerHost: '127.0.0.1', port: o.uasPort, transport: 'udp', trusted: true });
    dir.routePatterns.create({ id: 'RP-bench', partition: 'PT-bench', pattern: 'X!', target: { kind: 'trunk', id: 'OUT' } });
  });
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as Options;
  mkdirSync(o.dataDir, { recursive: true });
  const config = buildConfig({
    sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: o.sipPort ?? 0 }] },
    http: { host: '127.0.0.1', port: 0 },
    media: o.anchor
      ? { rtpengines: [{ host: '127.0.0.1', port: o.ngPort! }], anchor: true }
      : // Signalling only: no rtpengine command is ever sent (the discard port is never asked).
        { rtpengines: [{ host: '127.0.0.1', port: 9 }], anchor: false },
    dataDir: o.dataDir,
    log: { level: o.logLevel ?? 'warn' },
    overload: { maxCps: 100000, maxCallsInSetup: 100000 },
  });
  const server = await startServer(config);
  provision(server.directory, o);

  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.majorCount++;
    }
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (raw) => {
    const m = raw as { cmd?: string };
    switch (m.cmd) {
      case 'mem': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (gc !== undefined) {
          gc();
          gc();
        }
        send({ type: 'mem', usage: process.memoryUsage() });
        return;
      }
      case 'sizes':
        send({ type: 'sizes', sizes: server.sizes() });
        return;
      case 'loop': {
        const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
        send({
          type: 'loop',
          delayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean) },
          gc: { count: gc.count, totalMs: Math.round(gc.totalMs), maxMs: Math.round(gc.maxMs), majorCount: gc.majorCount },
        });
        loopDelay.reset();
        Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, majorCount: 0 });
        return;
      }
      case 'heap':
        send({ type: 'heap', file: writeHeapSnapshot(join(o.dataDir, `heap-${Date.now()}.heapsnapshot`)) });
        return;
      case 'calls': {
        // Read-only look at live calls (private fields through a cast): where a call is stuck.
        const now = Date.now();
        const sample = [...server.calls.values()].slice(0, 5).map((c) => {
          const x = c as unknown as Record<string, unknown> & { a: { finalStatus?: number; tx: { state?: string } } };
          const branches = (x['branches'] as { status?: number; invite?: { finalStatus?: number; tx?: { state?: string } } }[]) ?? [];
          return {
            id: c.id,
            state: c.state,
            ended: x['ended'],
            ageMs: now - c.startedAt,
            aFinal: x.a.finalStatus,
            aTxState: x.a.tx.state,
            groupsLeft: (x['groups'] as unknown[]).length,
            statuses: x['statuses'],
            branches: branches.map((b) => ({ status: b.status, inviteFinal: b.invite?.finalStatus, txState: b.invite?.tx?.state })),
          };
        });
        send({ type: 'calls', count: server.calls.size, sample });
        return;
      }
      case 'stop':
        void server.close().finally(() => process.exit(0));
        return;
      default:
        send({ type: 'error', message: `unknown command ${JSON.stringify(raw)}` });
    }
  });
  // The bench going away (its IPC channel closing) stops us too.
  process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
  send({ type: 'ready', sipPort: server.sipPort('udp'), httpPort: server.httpPort, pid: process.pid });
}

main().catch((e: Error) => {
  send({ type: 'error', message: e.stack ?? e.message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
