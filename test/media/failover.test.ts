// Instance failover: dead ng ports are UDP sockets that swallow every datagram (a host whose
// rtpengine hangs), the live instance is a real rtpengine started here.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePortPlan, startRtpengine, startRtpengineOnFreePorts, type RtpengineHandle } from '../../src/media/rtpengine-process.js';
import {
  MediaAnchor,
  MediaUnavailableError,
  type MediaFailoverEvent,
} from '../../src/media/media-anchor.js';
import { audioSdp } from './helpers.js';

let live: RtpengineHandle;
const blackholes: dgram.Socket[] = [];
const anchors: MediaAnchor[] = [];

async function blackhole(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  blackholes.push(s);
  return s.address().port;
}

async function makeAnchor(...args: Parameters<typeof MediaAnchor.create>): Promise<MediaAnchor> {
  const a = await MediaAnchor.create(...args);
  anchors.push(a);
  return a;
}

beforeAll(async () => {
  live = await startRtpengineOnFreePorts();
});

afterAll(async () => {
  for (const a of anchors) await a.close();
  for (const s of blackholes) s.close();
  await live?.stop();
});

describe('MediaAnchor failover', () => {
  it('a dead first instance fails over to the live one, then stays in cooldown', async () => {
    const dead = await blackhole();
    const failovers: MediaFailoverEvent[] = [];
    const states: { instance: string; up: boolean }[] = [];
    const anchor = await makeAnchor({
      instances: [
        { name: 'dead', host: '127.0.0.1', port: dead },
        { name: 'live', host: '127.0.0.1', port: live.ngPort },
      ],
      timeoutMs: 200,
      instanceCooldownMs: 10_000,
      observer: { onFailover: (e) => failovers.push(e), onInstanceState: (e) => states.push(e) },
    });

    const t0 = Date.now();
    const offer = await anchor.offer({ callId: 'fo-1', fromTag: 'a', sdp: audioSdp(4000) });
    expect(offer.instance).toBe('live');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(anchor.instanceOf('fo-1')).toBe('live');
    expect(failovers).toEqual([{ callId: 'fo-1', from: 'dead', reason: expect.stringMatching(/did not answer/) }]);
    expect(states).toEqual([{ instance: 'dead', up: false }]);
    const s = anchor.stats();
    expect(s.timeouts).toBe(1);
    expect(s.retransmits).toBe(1); // one retransmission at timeout/2 before giving up
    expect(s.failovers).toBe(1);

    // The call sticks to the live instance.
    const ans = await anchor.answer({ callId: 'fo-1', fromTag: 'a', toTag: 'b', sdp: audioSdp(4002) });
    expect(ans.instance).toBe('live');

    // Round-robin would pick 'dead' next, but it is cooling down: no timeout paid.
    const t1 = Date.now();
    const offer2 = await anchor.offer({ callId: 'fo-2', fromTag: 'a', sdp: audioSdp(4000) });
    expect(offer2.instance).toBe('live');
    expect(Date.now() - t1).toBeLessThan(150);
    expect(anchor.stats().timeouts).toBe(1);

    await anchor.delete({ callId: 'fo-1' });
    await anchor.delete({ callId: 'fo-2' });
    expect(anchor.activeCalls).toBe(0);
  });

  it('all instances dead → MediaUnavailableError naming them, quickly, and no call left behind', async () => {
    const anchor = await makeAnchor({
      instances: [
        { name: 'dead-1', host: '127.0.0.1', port: await blackhole() },
        { name: 'dead-2', host: '127.0.0.1', port: await blackhole() },
      ],
      timeoutMs: 150,
    });
    const t0 = Date.now();
    const err = await anchor.offer({ callId: 'fo-3', fromTag: 'a', sdp: audioSdp(4000) }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(MediaUnavailableError);
    const mue = err as MediaUnavailableError;
    expect([...mue.tried].sort()).toEqual(['dead-1', 'dead-2']);
    expect(mue.message).toMatch(/dead-1.*dead-2|dead-2.*dead-1/);
    expect(elapsed).toBeLessThan(700);
    expect(anchor.activeCalls).toBe(0);
    expect(anchor.stats().instances.every((i) => !i.up && i.calls === 0)).toBe(true);
  });

  it('an established call whose instance dies: MediaUnavailableError on answer, delete still frees the map', async () => {
    const own = await startRtpengineOnFreePorts();
    try {
      const anchor = await makeAnchor({ instances: [{ name: 'own', host: '127.0.0.1', port: own.ngPort }], timeoutMs: 150 });
      await anchor.offer({ callId: 'fo-4', fromTag: 'a', sdp: audioSdp(4000) });
      await own.stop();
      expect(own.exited).toBe(true);
      const err = await anchor.answer({ callId: 'fo-4', fromTag: 'a', toTag: 'b', sdp: audioSdp(4002) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MediaUnavailableError);
      expect((err as MediaUnavailableError).tried).toEqual(['own']);
      expect(await anchor.delete({ callId: 'fo-4' })).toBe(false);
      expect(anchor.activeCalls).toBe(0);
      expect(anchor.stats().pendingRequests).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('an instance out of ports fails over (resource error), a bad SDP does not', async () => {
    const plan = await findFreePortPlan();
    const tiny = await startRtpengine({ ...plan, portMax: plan.portMin + 3 }); // room for one call
    try {
      const failovers: MediaFailoverEvent[] = [];
      const anchor = await makeAnchor({
        instances: [
          { name: 'tiny', host: '127.0.0.1', port: tiny.ngPort },
          { name: 'live', host: '127.0.0.1', port: live.ngPort },
        ],
        timeoutMs: 500,
        observer: { onFailover: (e) => failovers.push(e) },
      });
      expect((await anchor.offer({ callId: 'fo-5', fromTag: 'a', sdp: audioSdp(4000) })).instance).toBe('tiny');
      await anchor.answer({ callId: 'fo-5', fromTag: 'a', toTag: 'b', sdp: audioSdp(4002) });
      expect((await anchor.offer({ callId: 'fo-6', fromTag: 'a', sdp: audioSdp(4000) })).instance).toBe('live');
      // round-robin now starts at 'tiny' again, which is full
      expect((await anchor.offer({ callId: 'fo-7', fromTag: 'a', sdp: audioSdp(4000) })).instance).toBe('live');
      expect(failovers.map((f) => f.from)).toEqual(['tiny']);
      expect(failovers[0]!.reason).toMatch(/Ran out of ports/);
      await expect(anchor.offer({ callId: 'fo-8', fromTag: 'a', sdp: 'v=0\r\nnonsense\r\n' })).rejects.toThrow(/Failed to parse SDP/);
      expect(failovers.length).toBe(1);
      for (const callId of ['fo-5', 'fo-6', 'fo-7', 'fo-8']) await anchor.delete({ callId });
      expect(anchor.activeCalls).toBe(0);
    } finally {
      await tiny.stop();
    }
  });

  it('ping reports which instances answer', async () => {
    const anchor = await makeAnchor({
      instances: [
        { name: 'live', host: '127.0.0.1', port: live.ngPort },
        { name: 'dead', host: '127.0.0.1', port: await blackhole() },
      ],
      timeoutMs: 150,
    });
    expect(await anchor.ping()).toEqual(['live']);
  });
});
