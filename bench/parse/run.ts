// Parser micro-benchmark: parse, parse + typed access, and serialise for the fixture
// messages (a typical INVITE, a 200 OK with three Vias, a Via-heavy BYE).
//
//   npx tsx bench/parse/run.ts [seconds-per-case=1] [rounds=5]
//
// Runs on one core (the main thread; nothing here is asynchronous). Each case runs
// `rounds` timed rounds of about `seconds` after a warm-up. Reported: the median round
// as operations per second of process CPU time (what one core does; robust when the
// machine is shared, but it includes V8's background GC threads), the best round,
// and the median per second of wall-clock time. Writes bench/results/parse.json and
// prints a table. See docs/performance.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SipMessageAny } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/parser/parse-message.js';
import { INVITE, OK200, VIA_HEAVY } from '../../test/sip/fixtures.js';

const seconds = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 5);

const MESSAGES: Record<string, Buffer> = {
  invite: Buffer.from(INVITE, 'latin1'),
  ok200: Buffer.from(OK200, 'latin1'),
  'via-heavy': Buffer.from(VIA_HEAVY, 'latin1'),
};

/** The fields a transaction layer reads from every message it receives. */
function access(m: SipMessageAny): number {
  const branch = m.topVia.branch;
  const cseq = m.cseq;
  const callId = m.callId;
  const fromTag = m.from.tag;
  const toTag = m.to.tag;
  return (branch?.length ?? 0) + cseq.seq + callId.length + (fromTag?.length ?? 0) + (toTag?.length ?? 0);
}

type Case = { name: string; message: string; op: (buf: Buffer) => number };

const CASES: Case[] = [];
for (const [message, buf] of Object.entries(MESSAGES)) {
  void buf;
  CASES.push({ name: 'parse', message, op: (b) => (parseMessage(b, { datagram: true }).parseError === undefined ? 1 : 0) });
  CASES.push({ name: 'parse+access', message, op: (b) => access(parseMessage(b, { datagram: true })) });
  CASES.push({
    // Proxy/B2BUA-like: parse, read the transaction fields, stamp received/rport, write out.
    name: 'parse+access+serialize',
    message,
    op: (b) => {
      const m = parseMessage(b, { datagram: true });
      access(m);
      m.topVia.params.set('received', '192.0.2.77');
      return m.toBuffer().length;
    },
  });
}

// Serialise only: the same parsed message written again and again (typed values live).
const parsedForSerialize = new Map<string, SipMessageAny>();
for (const [message, buf] of Object.entries(MESSAGES)) {
  const m = parseMessage(buf, { datagram: true });
  access(m);
  parsedForSerialize.set(message, m);
  CASES.push({ name: 'serialize', message, op: () => parsedForSerialize.get(message)!.toBuffer().length });
}

let sink = 0;

interface Round {
  /** operations per second of wall-clock time */
  wall: number;
  /** operations per second of process CPU time (user + system) */
  cpu: number;
}

function timeRound(c: Case, buf: Buffer, budgetMs: number): Round {
  // Batches amortise the clock reads; the batch count adapts to the budget.
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budgetMs) {
    for (let i = 0; i < 2000; i++) sink += c.op(buf);
    ops += 2000;
    t = performance.now();
  }
  const cpu = process.cpuUsage(c0);
  return { wall: (ops * 1000) / (t - t0), cpu: (ops * 1e6) / Math.max(1, cpu.user + cpu.system) };
}

interface Row {
  case: string;
  message: string;
  bytes: number;
  /** median over rounds, per second of CPU time: what one core does (robust on a shared machine) */
  opsPerCpuSec: number;
  /** median over rounds, per second of wall-clock time */
  opsPerWallSec: number;
  /** best round (CPU time) */
  bestOpsPerCpuSec: number;
  nsPerOp: number;
  rounds: Round[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: Row[] = [];
for (const c of CASES) {
  const buf = MESSAGES[c.message]!;
  timeRound(c, buf, 300); // warm-up: let the JIT settle
  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) results.push(timeRound(c, buf, seconds * 1000));
  const cpu = median(results.map((r) => r.cpu));
  rows.push({
    case: c.name,
    message: c.message,
    bytes: buf.length,
    opsPerCpuSec: Math.round(cpu),
    opsPerWallSec: Math.round(median(results.map((r) => r.wall))),
    bestOpsPerCpuSec: Math.round(Math.max(...results.map((r) => r.cpu))),
    nsPerOp: Math.round(1e9 / cpu),
    rounds: results.map((r) => ({ wall: Math.round(r.wall), cpu: Math.round(r.cpu) })),
  });
}

const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
const num = (n: number): string => n.toLocaleString('en-US');
console.log(`${pad('case', 24)}${pad('message', 11)}${lpad('bytes', 6)}${lpad('ops/cpu-s', 12)}${lpad('best', 11)}${lpad('ops/wall-s', 12)}${lpad('ns/op', 8)}`);
for (const r of rows) {
  console.log(
    `${pad(r.case, 24)}${pad(r.message, 11)}${lpad(String(r.bytes), 6)}${lpad(num(r.opsPerCpuSec), 12)}${lpad(num(r.bestOpsPerCpuSec), 11)}${lpad(num(r.opsPerWallSec), 12)}${lpad(String(r.nsPerOp), 8)}`,
  );
}
if (sink === 0.5) console.log('');

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'results', 'parse.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      secondsPerRound: seconds,
      rounds,
      results: rows,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwritten ${out}`);
