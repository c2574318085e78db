import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import {
  RtpengineStartError,
  findFreePortPlan,
  portPlanForSlot,
  rtpengineArgs,
  startRtpengine,
  startRtpengineOnFreePorts,
} from '../../src/media/rtpengine-process.js';
import { NgClient } from '../../src/media/ng-client.js';

async function udpBindable(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('rtpengine process', () => {
  it('builds the documented command line', () => {
    expect(rtpengineArgs({ ngPort: 22222, cliPort: 22223, portMin: 40000, portMax: 40099 })).toEqual([
      '--config-file=none',
      '--interface=127.0.0.1',
      '--listen-ng=127.0.0.1:22222',
      '--listen-cli=127.0.0.1:22223',
      '--port-min=40000',
      '--port-max=40099',
      '--delete-delay=0',
      '--foreground',
      '--log-stderr',
      '--table=-1',
      '--log-level=4',
    ]);
  });

  it('port slots do not overlap', () => {
    const a = portPlanForSlot(3);
    const b = portPlanForSlot(4);
    expect(a.portMax).toBeLessThan(b.portMin);
    expect(new Set([a.ngPort, a.cliPort, b.ngPort, b.cliPort]).size).toBe(4);
    expect(portPlanForSlot(53)).toEqual(a);
  });

  it('starts, answers ping, and stop() ends the process and frees the ng port', async () => {
    const h = await startRtpengineOnFreePorts({ logLevel: 6 });
    expect(alive(h.pid)).toBe(true);
    const ng = await NgClient.create({ timeoutMs: 500 });
    try {
      expect((await ng.request(h.endpoint, { command: 'ping' }))['result']).toBe('pong');
    } finally {
      await ng.close();
    }
    expect(h.logTail()).toMatch(/Startup complete/);
    await h.stop();
    expect(h.exited).toBe(true);
    expect(alive(h.pid)).toBe(false);
    expect(await udpBindable(h.ngPort)).toBe(true);
    await h.stop(); // idempotent
  });

  it('rejects clearly when the binary is missing', async () => {
    const plan = await findFreePortPlan();
    await expect(startRtpengine({ ...plan, binary: '/nonexistent/rtpengine' })).rejects.toThrow(/binary not found/);
  });

  it('rejects with the daemon log when it exits during startup', async () => {
    const plan = await findFreePortPlan();
    // A CLI listener on an address this host does not have is fatal after logging starts.
    const err = await startRtpengine({ ...plan, extraArgs: ['--listen-cli=203.0.113.99:1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpengineStartError);
    expect((err as Error).message).toMatch(/exited during startup \(code 255/);
    expect((err as RtpengineStartError).log).toMatch(/Failed to open CLI connection port/);
    // An unknown option makes rtpengine exit 255 without printing anything: the code is all we get.
    const err2 = await startRtpengine({ ...plan, extraArgs: ['--no-such-option'] }).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/exited during startup \(code 255/);
  });

  it('rejects when the ng port is already taken (a foreign daemon would answer the ping)', async () => {
    const plan = await findFreePortPlan();
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(plan.ngPort, '127.0.0.1', () => r()));
    try {
      await expect(startRtpengine(plan)).rejects.toThrow(/already in use/);
    } finally {
      squatter.close();
    }
  });
});
