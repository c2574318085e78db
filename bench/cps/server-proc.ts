// Our server as a separate process: bench/cps/server-main.ts bundled by esbuild into
// bench/cps/.build/server-main.mjs (node_modules stay external) and run with plain node.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { HERE, spawnTracked } from './sipp-load.js';

export const BUILD_DIR = path.join(HERE, '.build');
export const SERVER_BUNDLE = path.join(BUILD_DIR, 'server-main.mjs');

/** Bundle server-main.ts (and the src/ tree it imports, as it is on disk now). */
export async function buildServer(): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(HERE, 'server-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: SERVER_BUNDLE,
    sourcemap: true,
    logLevel: 'warning',
  });
}

export interface ServerOptions {
  uacPort: number;
  uasPort: number;
  sipPort: number;
  anchor: boolean;
  ngPort?: number;
  dataDir: string;
  logFile: number;
  /** Directory for a --cpu-prof profile (written when the server stops). */
  cpuProfDir?: string;
  cpuProfName?: string;
}

type Msg = { type: string; [k: string]: unknown };
export interface LoopStats {
  delayMs: { p50: number; p99: number; max: number; mean: number };
  gc: { count: number; totalMs: number; maxMs: number; majorCount: number };
}

export interface ServerHandle {
  readonly pid: number;
  readonly sipPort: number;
  readonly httpPort: number;
  readonly exited: boolean;
  readonly exitInfo: string | undefined;
  request<T extends Msg>(cmd: string, type: string, timeoutMs?: number): Promise<T>;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** Event-loop delay and GC pauses since the previous call (the first call just resets). */
  loopStats(): Promise<LoopStats>;
  sizes(): Promise<Record<string, number>>;
  /** ma_internal_map_size from GET /metrics. */
  metricsMapSizes(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startServerProcess(o: ServerOptions): Promise<ServerHandle> {
  const nodeArgs = ['--expose-gc'];
  if (o.cpuProfDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${o.cpuProfName ?? 'server.cpuprofile'}`);
  const opts = { uacPort: o.uacPort, uasPort: o.uasPort, sipPort: o.sipPort, anchor: o.anchor, ngPort: o.ngPort, dataDir: o.dataDir, logLevel: 'warn' };
  const child: ChildProcess = spawnTracked(process.execPath, [...nodeArgs, SERVER_BUNDLE, JSON.stringify(opts)], ['ignore', o.logFile, o.logFile, 'ipc']);
  let exited = false;
  let exitInfo: string | undefined;
  const closed = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = `code=${code} signal=${signal}`;
      r();
    }),
  );
  const waiters: { type: string; resolve: (m: Msg) => void }[] = [];
  child.on('message', (raw) => {
    const m = raw as Msg;
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  const next = <T extends Msg>(type: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const w = { type, resolve: resolve as (m: Msg) => void };
      waiters.push(w);
      const t = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`server: no '${type}' reply within ${timeoutMs} ms${exited ? ` (exited ${exitInfo})` : ''}`));
      }, timeoutMs);
      void closed.then(() => {
        clearTimeout(t);
        reject(new Error(`server exited (${exitInfo}) while waiting for '${type}'`));
      });
      const origResolve = w.resolve;
      w.resolve = (m) => {
        clearTimeout(t);
        origResolve(m);
      };
    });
  const ready = await Promise.race([next<Msg & { sipPort: number; httpPort: number }>('ready', 20_000), next<Msg & { message: string }>('error', 20_000).then((e) => Promise.reject(new Error(e.message)))]);
  const handle: ServerHandle = {
    pid: child.pid!,
    sipPort: ready.sipPort,
    httpPort: ready.httpPort,
    get exited() {
      return exited;
    },
    get exitInfo() {
      return exitInfo;
    },
    request<T extends Msg>(cmd: string, type: string, timeoutMs = 10_000): Promise<T> {
      const p = next<T>(type, timeoutMs);
      child.send({ cmd });
      return p;
    },
    async memory() {
      return (await handle.request<Msg & { usage: NodeJS.MemoryUsage }>('mem', 'mem', 30_000)).usage;
    },
    async loopStats() {
      const m = await handle.request<Msg & LoopStats>('loop', 'loop');
      return { delayMs: m.delayMs, gc: m.gc };
    },
    async sizes() {
      return (await handle.request<Msg & { sizes: Record<string, number> }>('sizes', 'sizes')).sizes;
    },
    async metricsMapSizes() {
      const res = await fetch(`http://127.0.0.1:${ready.httpPort}/metrics`);
      const text = await res.text();
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^ma_internal_map_size\{map="([^"]+)"\}\s+(\S+)$/gm)) out[m[1]!] = Number(m[2]);
      return out;
    },
    async stop() {
      if (exited) return;
      try {
        child.send({ cmd: 'stop' });
      } catch {
        child.kill('SIGTERM');
      }
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await closed;
      clearTimeout(t);
    },
  };
  return handle;
}
