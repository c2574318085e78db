// Top self-time functions of a V8 CPU profile of the bench server (node --cpu-prof, see
// `run.ts --profile`), with bundle positions mapped back to src/ file:line through the esbuild
// source map (bench/cps/.build/server-main.mjs.map).
//
//   npx tsx bench/cps/prof-top.ts bench/results/prof/ours.cpuprofile [top=30]
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVER_BUNDLE } from './server-proc.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

type Mapper = (line: number, column: number) => string | undefined;

async function loadMapper(): Promise<Mapper> {
  const mapFile = `${SERVER_BUNDLE}.map`;
  if (!existsSync(mapFile)) return () => undefined;
  try {
    // source-map-js is in node_modules (a dependency of the build tools); without it, bundle positions are shown.
    const mod = (await import('source-map-js')) as unknown as { SourceMapConsumer: new (raw: unknown) => { originalPositionFor(p: { line: number; column: number }): { source: string | null; line: number | null } } };
    const consumer = new mod.SourceMapConsumer(JSON.parse(readFileSync(mapFile, 'utf8')));
    const root = path.resolve(path.dirname(SERVER_BUNDLE), '../../..');
    return (line, column) => {
      const p = consumer.originalPositionFor({ line: line + 1, column });
      if (p.source === null || p.line === null) return undefined;
      const abs = path.resolve(path.dirname(SERVER_BUNDLE), p.source);
      return `${path.relative(root, abs)}:${p.line}`;
    };
  } catch {
    return () => undefined;
  }
}

export async function topFunctions(file: string, top = 30): Promise<{ totalMs: number; rows: { selfMs: number; pct: number; fn: string; where: string }[] }> {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const map = await loadMapper();
  const agg = new Map<string, { us: number; fn: string; where: string }>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const cf = n.callFrame;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
      if (cf.functionName === '(program)') total += us;
      else continue;
    } else total += us;
    let where = cf.url === '' ? '' : `${cf.url.replace(/^file:\/\//, '')}:${cf.lineNumber + 1}`;
    if (cf.url.endsWith('server-main.mjs')) where = map(cf.lineNumber, cf.columnNumber) ?? where;
    where = where.replace(/^.*\/node_modules\//, 'node_modules/');
    const key = `${cf.functionName}@${where}`;
    const e = agg.get(key) ?? { us: 0, fn: cf.functionName || '(anonymous)', where };
    e.us += us;
    agg.set(key, e);
  }
  const rows = [...agg.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ selfMs: Math.round(e.us / 100) / 10, pct: Math.round((e.us / total) * 1000) / 10, fn: e.fn, where: e.where }));
  return { totalMs: Math.round(total / 1000), rows };
}

/**
 * The longest stretches of the profile without an idle sample (the event loop never got back to
 * polling), with the functions that took their time: what a latency spike was spent on.
 */
export async function longestBusy(file: string, count = 3, top = 12): Promise<{ ms: number; atMs: number; rows: { selfMs: number; fn: string; where: string }[] }[]> {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const map = await loadMapper();
  const streaks: { start: number; end: number; ms: number }[] = [];
  let t = 0;
  let start = -1;
  let startT = 0;
  prof.samples.forEach((id, i) => {
    t += prof.timeDeltas[i] ?? 0;
    const idle = byId.get(id)!.callFrame.functionName === '(idle)';
    if (!idle && start < 0) {
      start = i;
      startT = t;
    } else if (idle && start >= 0) {
      streaks.push({ start, end: i, ms: (t - startT) / 1000 });
      start = -1;
    }
  });
  streaks.sort((a, b) => b.ms - a.ms);
  let acc = 0;
  const at: number[] = prof.timeDeltas.map((d) => (acc += d) / 1000);
  return streaks.slice(0, count).map((st) => {
    const agg = new Map<string, { us: number; fn: string; where: string }>();
    for (let i = st.start; i < st.end; i++) {
      const cf = byId.get(prof.samples[i]!)!.callFrame;
      let where = cf.url === '' ? '' : `${cf.url.replace(/^file:\/\//, '')}:${cf.lineNumber + 1}`;
      if (cf.url.endsWith('server-main.mjs')) where = map(cf.lineNumber, cf.columnNumber) ?? where;
      where = where.replace(/^.*\/node_modules\//, 'node_modules/');
      const key = `${cf.functionName}@${where}`;
      const e = agg.get(key) ?? { us: 0, fn: cf.functionName || '(anonymous)', where };
      e.us += prof.timeDeltas[i + 1] ?? 0;
      agg.set(key, e);
    }
    const rows = [...agg.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({ selfMs: Math.round(e.us / 100) / 10, fn: e.fn, where: e.where }));
    return { ms: Math.round(st.ms), atMs: Math.round(at[st.start]!), rows };
  });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('prof-top.ts')) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: npx tsx bench/cps/prof-top.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const { totalMs, rows } = await topFunctions(file, Number(process.argv[3] ?? 30));
  console.log(`busy (non-idle) samples: ${totalMs} ms`);
  for (const r of rows) console.log(`${String(r.selfMs).padStart(8)} ms ${String(r.pct).padStart(5)}%  ${r.fn.padEnd(40)} ${r.where}`);
  if (process.argv.includes('--stalls')) {
    for (const st of await longestBusy(file)) {
      console.log(`\nbusy without a break for ${st.ms} ms at +${st.atMs} ms:`);
      for (const r of st.rows) console.log(`${String(r.selfMs).padStart(8)} ms  ${r.fn.padEnd(40)} ${r.where}`);
    }
  }
}
