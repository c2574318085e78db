// Where the heap of an established call goes: our server (a separate process, as in run.ts)
// holds N established calls from SIPp; a V8 heap snapshot is taken with the calls up (after their
// setup transactions expired) and another once they ended and the server is idle again; the
// difference is listed per constructor / object kind, per call.
//
//   npx tsx bench/cps/heap-diff.ts [calls=1000] [--anchored] [--keep (keep the two .heapsnapshot files)]
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRtpengine } from '../../src/media/rtpengine-process.js';
import { freePort } from '../../test/e2e/harness/ports.js';
import { sleep, waitUdpBound } from './procs.js';
import { buildServer, startServerProcess } from './server-proc.js';
import { killAllChildren, startUac, startUas, stopSipp, waitExit } from './sipp-load.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Who holds objects of the given constructors: for each, count "retainer.edge" over all its
 * instances (weak edges left out). E.g. SipRequest ← B2BCall... via IncomingInvite.request.
 */
export function retainers(file: string, names: readonly string[], top = 8): Record<string, [string, number][]> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const n = f.length;
  const types = s.snapshot.meta.node_types[0];
  const ef = s.snapshot.meta.edge_fields;
  const en = ef.length;
  const etypes = s.snapshot.meta.edge_types[0];
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iEdges = f.indexOf('edge_count');
  const eType = ef.indexOf('type');
  const eName = ef.indexOf('name_or_index');
  const eTo = ef.indexOf('to_node');
  const nameOf = (node: number): string => {
    const t = types[s.nodes[node + iType]!]!;
    return t === 'object' || t === 'closure' || t === 'native' ? s.strings[s.nodes[node + iName]!]! : `(${t})`;
  };
  const wanted = new Set(names);
  const out: Record<string, Map<string, number>> = {};
  let edge = 0;
  for (let node = 0; node < s.nodes.length; node += n) {
    const count = s.nodes[node + iEdges]!;
    for (let k = 0; k < count; k++, edge += en) {
      const to = s.edges[edge + eTo]!;
      const target = nameOf(to);
      if (!wanted.has(target)) continue;
      const et = etypes[s.edges[edge + eType]!]!;
      if (et === 'weak' || et === 'shortcut') continue;
      const label = et === 'element' || et === 'hidden' ? `[${et}]` : s.strings[s.edges[edge + eName]!]!;
      const key = `${nameOf(node)}.${label}`;
      const m = (out[target] ??= new Map());
      m.set(key, (m.get(key) ?? 0) + 1);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, m]) => [k, [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)]));
}

/** self size and count per "type:name" (objects by constructor name). */
export function aggregate(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const n = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += n) {
    const type = types[s.nodes[i + iType]!]!;
    let name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[i + iName]!]! : '';
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  const calls = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
  const anchored = process.argv.includes('--anchored');
  const work = mkdtempSync(path.join(os.tmpdir(), 'ma-heap-diff-'));
  process.on('exit', killAllChildren);
  await buildServer();
  const rtp = anchored ? await startRtpengine({ ngPort: await freePort({ tcp: false }), portMin: 50000, portMax: 59999, logLevel: 3 }) : undefined;
  const ports = { uac: await freePort(), uas: await freePort(), uacMedia: await freePort({ span: 4 }), uasMedia: await freePort({ span: 4 }), uacControl: await freePort({ tcp: false }), uasControl: await freePort({ tcp: false }) };
  const srv = await startServerProcess({ uacPort: ports.uac, uasPort: ports.uas, sipPort: await freePort(), anchor: anchored, ngPort: rtp?.ngPort, dataDir: path.join(work, 'data'), logFile: openSync(path.join(work, 'server.log'), 'a') });
  const rate = 400;
  const holdMs = Math.round((calls / rate + 40) * 1000);
  const common = { workDir: work, label: 'heap', calls, timeoutS: Math.ceil(holdMs / 1000 + 90), recvTimeoutMs: holdMs + 20_000 };
  const uas = startUas({ ...common, port: ports.uas, mediaPort: ports.uasMedia, controlPort: ports.uasControl });
  await waitUdpBound(ports.uas, 5000);
  const uac = startUac({ ...common, port: ports.uac, mediaPort: ports.uacMedia, controlPort: ports.uacControl, remote: `127.0.0.1:${srv.sipPort}`, rate, limit: calls + 100, holdMs });
  const t0 = Date.now();
  for (;;) {
    const s = await srv.sizes();
    if ((s['calls'] === calls && s['clientTransactions'] === 0 && s['serverTransactions'] === 0) || Date.now() - t0 > holdMs - 3000) break;
    await sleep(1000);
  }
  const up = await srv.sizes();
  const memUp = await srv.memory();
  const snapUp = (await srv.request<{ type: string; file: string }>('heap', 'heap', 120_000)).file;
  console.log(`calls up: ${JSON.stringify(up)} heapUsed ${(memUp.heapUsed / 2 ** 20).toFixed(1)} MiB`);
  await waitExit(uac, holdMs + 60_000);
  if (!(await waitExit(uas, 3000))) await stopSipp(uas);
  for (let i = 0; i < 50; i++) {
    const s = await srv.sizes();
    if (s['calls'] === 0 && s['clientTransactions'] === 0 && s['serverTransactions'] === 0 && s['dialogs'] === 0) break;
    await sleep(1000);
  }
  const memIdle = await srv.memory();
  const snapIdle = (await srv.request<{ type: string; file: string }>('heap', 'heap', 120_000)).file;
  console.log(`idle: ${JSON.stringify(await srv.sizes())} heapUsed ${(memIdle.heapUsed / 2 ** 20).toFixed(1)} MiB → ${Math.round((memUp.heapUsed - memIdle.heapUsed) / calls)} B per call`);
  await srv.stop();
  await rtp?.stop();
  const a = aggregate(snapUp);
  const b = aggregate(snapIdle);
  const rows = [...a.entries()]
    .map(([k, v]) => ({ k, count: v.count - (b.get(k)?.count ?? 0), bytes: v.bytes - (b.get(k)?.bytes ?? 0) }))
    .filter((r) => r.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((t, r) => t + r.bytes, 0);
  console.log(`\nsnapshot difference: ${Math.round(total / calls)} B per call (self sizes), top entries per call:`);
  for (const r of rows.slice(0, 40)) console.log(`${String(Math.round(r.bytes / calls)).padStart(7)} B ${(r.count / calls).toFixed(2).padStart(7)} objs  ${r.k}`);
  console.log('\nretainers (in the snapshot with the calls up; counts over all instances):');
  const r = retainers(snapUp, ['SipRequest', 'SipResponse', 'InviteClientTransaction', 'InviteServerTransaction', 'OutgoingInvite', 'IncomingInvite', 'system / JSArrayBufferData', 'Timeout', 'Pino', '(array)', '(string)', '(concatenated string)', 'Object', 'Map', 'system / Context', 'Array']);
  for (const [k, v] of Object.entries(r)) console.log(`  ${k}: ${v.map(([w, c]) => `${w}×${c}`).join(', ')}`);
  if (process.argv.includes('--keep')) console.log(`\nsnapshots kept: ${snapUp} ${snapIdle}`);
  else rmSync(work, { recursive: true, force: true });
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  killAllChildren();
  process.exit(1);
});
