/**
 * RFC 3262 interop with SIPp (its built-in scenarios have no 100rel, so two
 * small ones live in fixtures/): our UAS answers a SIPp UAC that requires
 * 100rel (reliable 183 with SDP, 200 held until the PRACK), and our UAC calls a
 * SIPp UAS that sends a reliable 180 and waits for our automatic PRACK.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type SipStack, createSipStack } from '../../../src/sip/stack.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const timers = { t1Ms: 100, t2Ms: 400, t4Ms: 500 };

interface SippResult {
  code: number | null;
  stats: Record<string, string>;
}

function runSipp(args: string[], dir: string): Promise<SippResult> {
  return new Promise((resolve) => {
    const stf = join(dir, `stat-${Math.random().toString(36).slice(2)}.csv`);
    const p = spawn('sipp', [...args, '-nostdin', '-timeout', '30', '-timeout_error', '-trace_stat', '-stf', stf, '-fd', '1'], { stdio: 'ignore' });
    p.on('exit', (code) => {
      let stats: Record<string, string> = {};
      try {
        const lines = readFileSync(stf, 'utf8').trim().split('\n');
        const head = lines[0]!.split(';');
        const last = lines[lines.length - 1]!.split(';');
        stats = Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
      } catch {
        // no stats file: the exit code tells
      }
      resolve({ code, stats });
    });
  });
}

let stacks: SipStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  stacks = [];
});

describe('100rel / PRACK vs SIPp', () => {
  it('our UAS: reliable 183 with SDP, PRACK answered, 200 only after it (sipp uac-100rel.xml)', async () => {
    let pracks = 0;
    const stack = await createSipStack({
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      timers,
      handlers: {
        onInvite(inv) {
          inv.onPrack = () => {
            pracks++;
          };
          inv.progress(183, { reliable: true, body: SDP });
          const d = inv.accept({ body: SDP });
          d.onTerminated = () => undefined;
        },
      },
    });
    stacks.push(stack);
    const port = stack.transport.listeningPoint('udp')!.port;
    const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
    const r = await runSipp(['-sf', join(FIXTURES, 'uac-100rel.xml'), `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', '0', '-m', '10', '-r', '10'], dir);
    expect(r.stats['FailedCall(C)']).toBe('0');
    expect(r.stats['SuccessfulCall(C)']).toBe('10');
    expect(r.code).toBe(0);
    expect(pracks).toBe(10);
    expect(stack.ua.sizes).toMatchObject({ dialogs: 0, awaitingPrack: 0 });
  }, 40_000);

  it('our UAC: SIPp sends a reliable 180, we PRACK it automatically (sipp uas-100rel.xml)', async () => {
    const sippPort = 25000 + Math.floor(Math.random() * 5000);
    const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
    const uas = runSipp(['-sf', join(FIXTURES, 'uas-100rel.xml'), '-i', '127.0.0.1', '-p', String(sippPort), '-m', '5'], dir);
    await new Promise((r) => setTimeout(r, 500));
    const stack = await createSipStack({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers, handlers: { onInvite: (inv) => inv.reject(486) } });
    stacks.push(stack);
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = await new Promise<string>((resolve) => {
        const provisionals: number[] = [];
        const req = stack.ua.createRequest({
          method: 'INVITE',
          uri: `sip:service@127.0.0.1:${sippPort}`,
          from: '<sip:caller@127.0.0.1>',
          to: `<sip:service@127.0.0.1:${sippPort}>`,
          options: { body: SDP, headers: { supported: '100rel' } },
        });
        stack.ua.invite(req, { protocol: 'udp', address: '127.0.0.1', port: sippPort }, {
          onProvisional: (res) => provisionals.push(res.status),
          // No onReliableProvisional: the UA core sends the PRACK (SIPp holds its 200 until then).
          onAnswer: (res, dialog) => {
            setTimeout(() => void stack.ua.bye(dialog).then((b) => resolve(`${provisionals.join(',')} ${res.status} bye=${b.status}`)), 50);
          },
          onFailure: (res) => resolve(`failed ${res.status}`),
        });
      });
      results.push(outcome);
    }
    expect(results).toEqual(Array(5).fill('180 200 bye=200'));
    expect(stack.transactions.stats.clientTransactions).toBeGreaterThanOrEqual(15); // INVITE, PRACK, BYE per call
    const r = await uas;
    expect(r.stats['SuccessfulCall(C)']).toBe('5');
    expect(r.code).toBe(0);
  }, 40_000);
});
