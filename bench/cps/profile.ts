// CPU profile of our server at one fixed call rate: the server process (as in run.ts) runs with
// `node --cpu-prof`, SIPp calls through it for a while, and the top self-time functions are
// printed with src/ file:line (source-mapped, see prof-top.ts).
//
//   npx tsx bench/cps/profile.ts [rate=600] [seconds=10] [--anchored] [--nice=-15] [--no-prof]
// The profile is written to bench/results/prof/profile-<mode>-<rate>.cpuprofile. With --no-prof
// it is a fixed-rate soak instead (no profiler overhead): is this rate clean when sustained?
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRtpengine } from '../../src/media/rtpengine-process.js';
import { freePort } from '../../test/e2e/harness/ports.js';
import { topFunctions } from './prof-top.js';
import { cpuMs, waitUdpBound } from './procs.js';
import { buildServer, startServerProcess } from './server-proc.js';
import { HERE, finalStats, killAllChildren, startUac, startUas, stopSipp, waitExit } from './sipp-load.js';

const args = process.argv.slice(2);
const nums = args.filter((a) => /^\d+$/.test(a)).map(Number);
const rate = nums[0] ?? 600;
const seconds = nums[1] ?? 10;
const anchored = args.includes('--anchored');
const noProf = args.includes('--no-prof');
const nice = Number(args.find((a) => a.startsWith('--nice='))?.slice(7) ?? -15);

async function main(): Promise<void> {
  // Same scheduling as run.ts: the session's autogroup nice (see there), restored at exit.
  let restore: string | undefined;
  if (nice !== 0) {
    try {
      restore = /nice\s+(-?\d+)/.exec(readFileSync('/proc/self/autogroup', 'utf8'))?.[1];
      writeFileSync('/proc/self/autogroup', String(nice));
    } catch {
      restore = undefined;
    }
  }
  process.on('exit', () => {
    killAllChildren();
    if (restore !== undefined) writeFileSync('/proc/self/autogroup', restore);
  });
  const root = path.resolve(HERE, '../..');
  const profDir = path.join(root, 'bench/results/prof');
  mkdirSync(profDir, { recursive: true });
  const name = `profile-${anchored ? 'anchored' : 'signalling'}-${rate}.cpuprofile`;
  const work = mkdtempSync(path.join(os.tmpdir(), 'ma-cps-profile-'));
  await buildServer();
  const rtp = anchored ? await startRtpengine({ ngPort: await freePort({ tcp: false }), portMin: 50000, portMax: 59999, logLevel: 3 }) : undefined;
  const ports = { uac: await freePort(), uas: await freePort(), uacMedia: await freePort({ span: 4 }), uasMedia: await freePort({ span: 4 }), uacControl: await freePort({ tcp: false }), uasControl: await freePort({ tcp: false }) };
  const srv = await startServerProcess({
    uacPort: ports.uac,
    uasPort: ports.uas,
    sipPort: await freePort(),
    anchor: anchored,
    ngPort: rtp?.ngPort,
    dataDir: path.join(work, 'data'),
    logFile: openSync(path.join(work, 'server.log'), 'a'),
    ...(noProf ? {} : { cpuProfDir: profDir, cpuProfName: name }),
  });
  const calls = rate * seconds;
  const common = { workDir: work, label: 'profile', calls, timeoutS: seconds * 3 + 30 };
  const uas = startUas({ ...common, port: ports.uas, mediaPort: ports.uasMedia, controlPort: ports.uasControl });
  await waitUdpBound(ports.uas, 5000);
  const c0 = cpuMs(srv.pid);
  const uac = startUac({ ...common, port: ports.uac, mediaPort: ports.uacMedia, controlPort: ports.uacControl, remote: `127.0.0.1:${srv.sipPort}`, rate, limit: Math.max(1000, rate * 5) });
  await uac.done;
  if (!(await waitExit(uas, 2500))) await stopSipp(uas);
  const used = cpuMs(srv.pid) - c0;
  const loop = await srv.loopStats();
  const st = finalStats(uac);
  const far = finalStats(uas);
  console.log(`${calls} calls at ${rate}/s (${anchored ? 'media anchored' : 'signalling only'}): caller ok ${st?.successful} failed ${st?.failed} retrans ${st?.retransmissions}; far end ok ${far?.successful} failed ${far?.failed} retrans ${far?.retransmissions}; server ${(used / calls).toFixed(3)} CPU-ms per call; event-loop delay p99 ${loop.delayMs.p99} ms max ${loop.delayMs.max} ms; GC ${loop.gc.totalMs} ms (max pause ${loop.gc.maxMs} ms)`);
  await srv.stop();
  await rtp?.stop();
  if (noProf) return;
  const file = path.join(profDir, name);
  const top = await topFunctions(file, 35);
  console.log(`\n${path.relative(root, file)}: ${top.totalMs} ms busy`);
  for (const r of top.rows) console.log(`${String(r.selfMs).padStart(8)} ms ${String(r.pct).padStart(5)}%  ${r.fn.padEnd(36)} ${r.where}`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  killAllChildren();
  process.exit(1);
});
