// Tests of the end-to-end harness itself: port allocation, trace/stat parsing, the private
// rtpengine, the RTP counter, SIPp exit codes and the no-orphan guarantees.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cseqMethod, expectMessage, header, headers, parseSippMessages, tagOf, topViaBranch } from './messages.js';
import { PORT_LOCK_DIR, allocateRtpRange, freePort, freePorts, isPortFree, releasePort, rtpRangeForSlot } from './ports.js';
import { NgClient, pingRtpengine, startTestRtpengine } from './rtpengine.js';
import { parseSippStats, runSipp, startSippServer, writeScenarioVariant } from './sipp.js';
import { UdpCounter, parseRtpHeader } from './udp-counter.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return pred();
}

describe('ports', () => {
  it("hands out distinct, bindable ports from this process's locked block", async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(12000);
      expect(p).toBeLessThan(22000);
      expect(await isPortFree(p)).toBe(true);
    }
    const block = Math.floor((ports[0]! - 12000) / 250);
    expect(readFileSync(path.join(PORT_LOCK_DIR, `block-${block}.lock`), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
  });

  it('span gives consecutive free ports (for SIPp -mp and its +2 echo port)', async () => {
    const base = await freePort({ span: 4 });
    for (let p = base; p < base + 4; p++) expect(await isPortFree(p)).toBe(true);
    const next = await freePort();
    expect(next).toBeGreaterThanOrEqual(base + 4);
  });

  it('released ports come back only after the reuse delay', async () => {
    const [a, b] = await freePorts(2);
    releasePort(a!, 1); // default delay: not handed out again now
    releasePort(b!, 1, 0); // no delay
    const next = await freePort();
    expect(next).toBe(b);
    expect(await freePort()).not.toBe(a);
  });

  it('rtpengine slots: 200-port ranges, distinct ng ports, locked, skipped while a live process holds them', async () => {
    const a = await allocateRtpRange();
    const b = await allocateRtpRange();
    try {
      expect(a.portMax - a.portMin + 1).toBe(200);
      expect(b.slot).not.toBe(a.slot);
      expect(a.ngPort).not.toBe(b.ngPort);
      expect(a.portMax < b.portMin || b.portMax < a.portMin).toBe(true);
      expect(rtpRangeForSlot(a.slot)).toEqual({ ngPort: a.ngPort, portMin: a.portMin, portMax: a.portMax });
      const lock = path.join(PORT_LOCK_DIR, `rtp-${a.slot}.lock`);
      expect(existsSync(lock)).toBe(true);
      a.release();
      expect(existsSync(lock)).toBe(false);

      // Held by another live process (pid 1, its real start time): skipped.
      writeFileSync(lock, `1 ${readFileSync('/proc/1/stat', 'utf8').split(') ')[1]!.split(' ')[19]}`);
      const c = await allocateRtpRange();
      expect(c.slot).not.toBe(a.slot);
      c.release();
      // Held by a dead process: taken over.
      const dead = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => dead.once('close', r));
      writeFileSync(lock, String(dead.pid));
      const d = await allocateRtpRange();
      expect(d.slot).toBe(a.slot);
      expect(readFileSync(lock, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
      d.release();
      // pid reuse: a live pid whose start time does not match is not the owner.
      writeFileSync(lock, `${process.pid} 1`);
      const e = await allocateRtpRange();
      expect(e.slot).toBe(a.slot);
      e.release();
    } finally {
      a.release();
      b.release();
      try {
        const lock = path.join(PORT_LOCK_DIR, `rtp-${a.slot}.lock`);
        if (readFileSync(lock, 'utf8').startsWith('1 ')) unlinkSync(lock);
      } catch {
        // not there
      }
    }
  });
});

const TRACE = [
  '----------------------------------------------- 2026-12-01 00:54:56.516453',
  'UDP message sent (215 bytes):',
  '',
  'INVITE sip:0611@127.0.0.1:5060 SIP/2.0\r',
  'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-1-0\r',
  'f: <sip:1000@127.0.0.1>;tag=abc\r',
  'To: <sip:0611@127.0.0.1>\r',
  'Call-ID: 1-1@127.0.0.1\r',
  'CSeq: 1 INVITE\r',
  'P-Asserted-Identity: <sip:+14085552001@127.0.0.1>\r',
  'Subject: a folded\r',
  ' header\r',
  'Content-Type: application/sdp\r',
  'Content-Length: 10\r',
  '\r',
  'v=0\r',
  's=-\r',
  '',
  '',
  '-----------------------------------------------',
  'Unexpected UDP message received:',
  '',
  'SIP/2.0 486 Busy Here\r',
  '\r',
  '',
  '----------------------------------------------- 2026-12-01 00:54:56.517064',
  'TCP message received [120] bytes :',
  '',
  'SIP/2.0 486 Busy Here\r',
  'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-1-0\r',
  'To: <sip:0611@127.0.0.1>;tag=xyz\r',
  'CSeq: 1 INVITE\r',
  'Content-Length: 0\r',
  '\r',
  '',
  '',
].join('\n');

describe('messages', () => {
  it('parses sent and received entries, skips the unexpected-message echo', () => {
    const list = parseSippMessages(TRACE);
    expect(list).toHaveLength(2);
    const [inv, busy] = list as [ReturnType<typeof parseSippMessages>[0], ReturnType<typeof parseSippMessages>[0]];
    expect(inv.direction).toBe('sent');
    expect(inv.transport).toBe('UDP');
    expect(inv.timestamp).toBe('2026-12-01 00:54:56.516453');
    expect(inv.method).toBe('INVITE');
    expect(inv.status).toBeUndefined();
    expect(header(inv, 'From')).toBe('<sip:1000@127.0.0.1>;tag=abc'); // compact f:
    expect(header(inv, 'p-asserted-identity')).toBe('<sip:+14085552001@127.0.0.1>');
    expect(header(inv, 'Subject')).toBe('a folded header');
    expect(inv.body).toBe('v=0\ns=-\n');
    expect(inv.raw.endsWith('\r\n\r\nv=0\r\ns=-\r\n')).toBe(true);
    expect(cseqMethod(inv)).toBe('INVITE');
    expect(topViaBranch(inv)).toBe('z9hG4bK-1-1-0');
    expect(busy.direction).toBe('received');
    expect(busy.transport).toBe('TCP');
    expect(busy.status).toBe(486);
    expect(busy.reason).toBe('Busy Here');
    expect(busy.body).toBe('');
    expect(tagOf(header(busy, 'To'))).toBe('xyz');
    expect(headers(busy, 'Via')).toHaveLength(1);
    expect(() => expectMessage(list, { status: 180 })).toThrow(/<- SIP\/2.0 486 Busy Here/);
  });

  it('parses the -trace_stat CSV (header line, last line wins)', () => {
    const csv = 'StartTime;SuccessfulCall(C);FailedCall(C);Retransmissions(C);TotalCallCreated;CurrentCall;\n' + 'x;1;0;0;1;0;\n' + 'y;4;1;3;5;0;\n';
    const s = parseSippStats(csv)!;
    expect(s.successful).toBe(4);
    expect(s.failed).toBe(1);
    expect(s.retransmissions).toBe(3);
    expect(s.created).toBe(5);
    expect(s.raw['StartTime']).toBe('y');
    expect(parseSippStats('')).toBeUndefined();
  });
});

describe('sipp runner', () => {
  it('reports a scenario SIPp refuses to load: exit 1, no stats, the reason in describe()', async () => {
    const broken = await writeScenarioVariant('uac-basic', [['next="dial"', 'next="nowhere"']], 'uac-broken');
    const t0 = Date.now();
    const r = await runSipp({ scenario: broken, remote: '127.0.0.1:9', timeoutS: 5 });
    expect(Date.now() - t0).toBeLessThan(2000); // refused at load, not at the timeout
    expect(r.code).toBe(1);
    expect(r.stats).toBeUndefined();
    expect(r.describe()).toMatch(/exit code=1[\s\S]*nowhere/);
  });

  it('stop() ends an idle server at once, and a busy one within the grace steps', async () => {
    const idle = await startSippServer({ scenario: 'uas-basic' });
    const t0 = Date.now();
    const r = await idle.stop(1000);
    expect(Date.now() - t0).toBeLessThan(800);
    expect(r.code).toBe(0);
    expect(alive(idle.pid)).toBe(false);

    const busy = await startSippServer({ scenario: 'uas-basic' });
    const caller = runSipp({ scenario: 'uac-wait-bye', remote: busy.address, timeoutS: 2 });
    await waitUntil(() => false, 300);
    const t1 = Date.now();
    await busy.stop(300);
    expect(Date.now() - t1).toBeLessThan(1500);
    expect(alive(busy.pid)).toBe(false);
    expect((await caller).code).toBe(255); // its call never got the BYE: -timeout_error
  });

  it('no SIPp survives its test process, even a SIGKILLed one (pdeathsig) or one that just exits', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'harness-orphan-'));
    const script = path.join(dir, 'child.mts');
    const sippModule = path.join(HERE, 'sipp.ts');
    await writeFile(
      script,
      `import { startSippServer } from ${JSON.stringify(sippModule)};\n` +
        `const s = await startSippServer({ scenario: 'uas-basic', timeoutS: 30 });\n` +
        `console.log('PID ' + s.pid);\n` +
        `if (process.argv[2] === 'exit') process.exit(0);\n` +
        `setTimeout(() => process.exit(0), 15000);\n`, // never outlives a broken test for long
    );
    for (const mode of ['kill', 'exit'] as const) {
      // node --import tsx, not the tsx wrapper: the wrapper runs the script in a grandchild.
      const child = spawn(process.execPath, ['--import', 'tsx', script, mode], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      expect(await waitUntil(() => /PID \d+/.test(out), 15_000), out).toBe(true);
      const pid = Number(/PID (\d+)/.exec(out)![1]);
      expect(alive(pid)).toBe(true);
      if (mode === 'kill') child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      expect(await waitUntil(() => !alive(pid), 2000), `sipp ${pid} survived (${mode})`).toBe(true);
    }
  }, 40_000); // two node+tsx start-ups: a few seconds each on a loaded machine
});

describe('rtpengine + udp-counter', () => {
  it('UdpCounter sends paced RTP (12-byte header, 160-byte PCMU) and counts what arrives', async () => {
    const a = await UdpCounter.open();
    const b = await UdpCounter.open();
    try {
      const t0 = Date.now();
      const ssrc = await a.sendRtp(b.port, 10, { ssrc: 0x1234 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(170); // 9 gaps of 20 ms
      expect(await b.waitFor(10, 1000)).toBe(true);
      expect(ssrc).toBe(0x1234);
      expect(b.countSsrc(0x1234)).toBe(10);
      expect(b.countFrom(a.port)).toBe(10);
      const first = b.packets[0]!;
      expect(first.size).toBe(172);
      expect(first.rtp?.payloadType).toBe(0);
      expect(first.rtp?.marker).toBe(true);
      expect(b.packets[1]!.rtp!.sequence).toBe((first.rtp!.sequence + 1) & 0xffff);
      expect(b.packets[1]!.rtp!.timestamp - first.rtp!.timestamp).toBe(160);
      expect(parseRtpHeader(Buffer.from('hello world!!'))).toBeUndefined();
      expect(await b.waitFor(11, 50)).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('starts a private rtpengine on its own slot, answers ping, relays RTP both ways, stops', async () => {
    const rtp = await startTestRtpengine();
    const a = await UdpCounter.open();
    const b = await UdpCounter.open();
    const ng = await NgClient.create({ timeoutMs: 1000 });
    try {
      expect(await pingRtpengine(rtp.ngPort)).toBe(true);
      expect(rtp.portMax - rtp.portMin).toBe(199);
      const sdp = (port: number): string =>
        ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
      const callId = `harness-${process.pid}`;
      const offer = await ng.request(rtp.endpoint, { command: 'offer', 'call-id': callId, 'from-tag': 'a', sdp: sdp(a.port) });
      const answer = await ng.request(rtp.endpoint, { command: 'answer', 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b', sdp: sdp(b.port) });
      const portIn = (s: unknown): number => Number(/m=audio (\d+)/.exec(String(s))![1]);
      const towardsB = portIn(offer['sdp']); // B sends here, A receives
      const towardsA = portIn(answer['sdp']); // A sends here, B receives
      for (const p of [towardsA, towardsB]) {
        expect(p).toBeGreaterThanOrEqual(rtp.portMin);
        expect(p).toBeLessThanOrEqual(rtp.portMax);
      }
      await Promise.all([a.sendRtp(towardsA, 25), b.sendRtp(towardsB, 25)]);
      expect(await b.waitFor(20, 2000), `B got ${b.count}`).toBe(true);
      expect(await a.waitFor(20, 2000), `A got ${a.count}`).toBe(true);
      await ng.request(rtp.endpoint, { command: 'delete', 'call-id': callId, 'from-tag': 'a' });
    } finally {
      await ng.close();
      a.close();
      b.close();
      await rtp.stop();
    }
    expect(rtp.exited).toBe(true);
    expect(await pingRtpengine(rtp.ngPort, 200)).toBe(false);
    expect(existsSync(path.join(PORT_LOCK_DIR, `rtp-${rtp.range.slot}.lock`))).toBe(false);
  });
});
