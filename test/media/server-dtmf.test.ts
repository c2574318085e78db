/**
 * DTMF events as a server media service (config media.dtmfEvents): the server listens, passes
 * --dtmf-log-dest to the rtpengine it launches, and hands the listener to features as
 * FeatureContext.dtmf; with an external rtpengine and no fixed port it does not listen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.js';
import type { Feature, FeatureContext } from '../../src/features/feature.js';
import { findFreePortPlan } from '../../src/media/rtpengine-process.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { RtpEndpoint, audioSdp, mediaPort, sleep, waitFor } from './helpers.js';

class ProbeFeature implements Feature {
  readonly name = 'probe';
  ctx: FeatureContext | undefined;
  start(ctx: FeatureContext): void {
    this.ctx = ctx;
  }
}

const dirs: string[] = [];
const servers: RunningServer[] = [];
const endpoints: RtpEndpoint[] = [];
afterEach(async () => {
  for (const e of endpoints.splice(0)) e.close();
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function boot(media: Record<string, unknown>): Promise<{ server: RunningServer; probe: ProbeFeature }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ma-media-dtmf-'));
  dirs.push(dataDir);
  const config = buildConfig({
    sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] },
    http: { host: '127.0.0.1', port: 0 },
    media,
    dataDir,
    log: { level: 'silent' },
  });
  const probe = new ProbeFeature();
  const server = await startServer(config, { logger: pino({ level: 'silent' }), features: [probe] });
  servers.push(server);
  return { server, probe };
}

function eventPacket(seq: number, event: number, end: boolean, duration: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 0x80;
  b[1] = 101;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(16000, 4);
  b.writeUInt32BE(0xbbbb0003, 8);
  b[12] = event;
  b[13] = (end ? 0x80 : 0) | 10;
  b.writeUInt16BE(duration, 14);
  return b;
}

describe('server media.dtmfEvents', () => {
  it('default config with the launched rtpengine: features get ctx.dtmf and receive RFC 4733 digits', async () => {
    const plan = await findFreePortPlan();
    const { server, probe } = await boot({ rtpengine: { launch: true, ngPort: plan.ngPort, portMin: plan.portMin, portMax: plan.portMax } });
    const dtmf = probe.ctx?.dtmf;
    expect(dtmf).toBeDefined();
    expect(dtmf!.port).toBeGreaterThan(0);
    expect(probe.ctx?.mediaServices).toBeDefined();
    expect(probe.ctx?.dtmfLegs).toBeDefined();

    const a = await RtpEndpoint.open();
    const b = await RtpEndpoint.open();
    endpoints.push(a, b);
    const callId = `srv-dtmf-${process.pid}`;
    const offer = await server.media.offer({ callId, fromTag: 'tagA', sdp: audioSdp(a.port) });
    await server.media.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(b.port) });
    const got: string[] = [];
    const off = dtmf!.subscribe(callId, 'tagB', (d) => got.push(d));
    const to = mediaPort(offer.sdp);
    await b.sendRtp(to, 3, 0xbbbb0003, { firstSeq: 10, gapMs: 20 });
    let seq = 13;
    for (let i = 1; i <= 4; i++) {
      b.sendRaw(eventPacket(seq++, 8, false, 160 * i), to);
      await sleep(20);
    }
    for (let i = 0; i < 3; i++) b.sendRaw(eventPacket(seq++, 8, true, 800), to);
    await b.sendRtp(to, 2, 0xbbbb0003, { firstSeq: seq, gapMs: 20 });
    expect(await waitFor(() => got.length > 0, 2000)).toBe(true);
    expect(got).toEqual(['8']);
    off();
    await server.media.delete({ callId });
  });

  it('disabled, or an external rtpengine with port 0: no listener, ctx.dtmf is absent', async () => {
    const plan = await findFreePortPlan();
    const off = await boot({ rtpengine: { launch: true, ngPort: plan.ngPort, portMin: plan.portMin, portMax: plan.portMax }, dtmfEvents: { enabled: false } });
    expect(off.probe.ctx).toBeDefined();
    expect(off.probe.ctx!.dtmf).toBeUndefined();
    await off.server.close();
    const ext = await boot({ rtpengines: [{ host: '127.0.0.1', port: 9 }], anchor: false });
    expect(ext.probe.ctx!.dtmf).toBeUndefined();
    expect(ext.probe.ctx!.mediaServices).toBeUndefined(); // anchoring off
    // SIP INFO digits still work without rtpengine events.
    const got: string[] = [];
    const unsub = ext.probe.ctx!.dtmfLegs!.subscribe('c1', 't1', (d) => got.push(`${d.digit}/${d.via}`));
    ext.probe.ctx!.dtmfLegs!.feedInfo({ callId: 'c1', contentType: 'application/dtmf', body: '9', from: { tag: 't1' } });
    unsub();
    expect(got).toEqual(['9/info']);
  });
});
