/**
 * Interop of our UA core with SIPp (issue #2): our UAS answers `sipp -sn uac`,
 * our UAC calls `sipp -sn uas`, over UDP and TCP, and with 10 % packet loss.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SipStack, createSipStack } from '../../../src/sip/stack.js';
import { createResponse } from '../../../src/sip/message/response.js';
import type { TransportProtocol } from '../../../src/sip/transport/types.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const timers = { t1Ms: 100, t2Ms: 400, t4Ms: 500 };

interface SippResult {
  code: number | null;
  stats: Record<string, string>;
}

function runSipp(args: string[], dir: string): Promise<SippResult> {
  return new Promise((resolve) => {
    const stf = join(dir, `stat-${Math.random().toString(36).slice(2)}.csv`);
    const p = spawn('sipp', [...args, '-nostdin', '-timeout', '40', '-timeout_error', '-trace_stat', '-stf', stf, '-fd', '1'], { stdio: 'ignore' });
    p.on('exit', (code) => {
      let stats: Record<string, string> = {};
      try {
        const lines = readFileSync(stf, 'utf8').trim().split('\n');
        const head = lines[0]!.split(';');
        const last = lines[lines.length - 1]!.split(';');
        stats = Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
      } catch {
        // no stats file: the code tells
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

async function uasStack(protocol: TransportProtocol): Promise<SipStack> {
  const stack: SipStack = await createSipStack({
    listen: [{ protocol, host: '127.0.0.1', port: 0 }],
    timers,
    handlers: {
      onInvite(inv) {
        inv.progress(180);
        const d = inv.accept({ body: SDP });
        d.onTerminated = () => undefined;
      },
      onRequest(req, tx) {
        tx.respond(createResponse(req, 200));
      },
    },
  });
  stacks.push(stack);
  return stack;
}

describe('UA core vs SIPp', () => {
  for (const protocol of ['udp', 'tcp'] as const) {
    it(`our UAS answers sipp -sn uac over ${protocol}`, async () => {
      const stack = await uasStack(protocol);
      const port = stack.transport.listeningPoint(protocol)!.port;
      const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
      const r = await runSipp(['-sn', 'uac', `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', '0', '-t', protocol === 'udp' ? 'u1' : 't1', '-m', '20', '-r', '20'], dir);
      expect(r.stats['FailedCall(C)']).toBe('0');
      expect(r.stats['SuccessfulCall(C)']).toBe('20');
      expect(r.code).toBe(0);
      expect(stack.ua.sizes.dialogs).toBe(0);
    });
  }

  it('our UAS survives 10 % packet loss (retransmissions)', async () => {
    const stack = await uasStack('udp');
    const port = stack.transport.listeningPoint('udp')!.port;
    const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
    const r = await runSipp(['-sn', 'uac', `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', '0', '-m', '20', '-r', '20', '-lost', '10', '-T2', '400'], dir);
    expect(Number(r.stats['SuccessfulCall(C)'])).toBe(20);
    expect(Number(r.stats['Retransmissions(C)'])).toBeGreaterThan(0);
  }, 60_000);

  for (const protocol of ['udp', 'tcp'] as const) {
    it(`our UAC calls sipp -sn uas over ${protocol}`, async () => {
      const sippPort = 20000 + Math.floor(Math.random() * 5000);
      const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
      const uas = runSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(sippPort), '-t', protocol === 'udp' ? 'u1' : 't1', '-m', '10'], dir);
      await new Promise((r) => setTimeout(r, 500));
      const stack = await uasStack(protocol);
      const results: number[] = [];
      for (let i = 0; i < 10; i++) {
        const status = await new Promise<number>((resolve) => {
          const req = stack.ua.createRequest({
            method: 'INVITE',
            uri: `sip:service@127.0.0.1:${sippPort}`,
            from: '<sip:caller@127.0.0.1>',
            to: `<sip:service@127.0.0.1:${sippPort}>`,
            options: { body: SDP },
          });
          stack.ua.invite(req, { protocol, address: '127.0.0.1', port: sippPort }, {
            onAnswer: (res, dialog) => {
              setTimeout(() => void stack.ua.bye(dialog).then((b) => resolve(b.status === 200 ? res.status : b.status)), 50);
            },
            onFailure: (res) => resolve(res.status),
          });
        });
        results.push(status);
      }
      expect(results).toEqual(Array(10).fill(200));
      const r = await uas;
      expect(r.stats['SuccessfulCall(C)']).toBe('10');
      expect(r.code).toBe(0);
    });
  }
});
