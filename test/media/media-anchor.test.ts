// MediaAnchor against two real rtpengine daemons started here (userspace, own port slots).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRtpengineOnFreePorts, type RtpengineHandle } from '../../src/media/rtpengine-process.js';
import {
  MediaAnchor,
  MediaCallUnknownError,
  MediaCommandError,
  type MediaCommandEvent,
} from '../../src/media/media-anchor.js';
import { NgClient, NgCommandError } from '../../src/media/ng-client.js';
import { buildPstnSdp, getDirection } from '../../src/media/sdp.js';
import { RtpEndpoint, audioSdp, mediaPort, sleep, toneWav, waitFor } from './helpers.js';

let r1: RtpengineHandle;
let r2: RtpengineHandle;
let anchor: MediaAnchor;
let raw: NgClient;
const events: MediaCommandEvent[] = [];
const endpoints: RtpEndpoint[] = [];
let tmp: string;
let callSeq = 0;
const newCallId = (): string => `anchor-test-${process.pid}-${++callSeq}`;

async function endpoint(): Promise<RtpEndpoint> {
  const e = await RtpEndpoint.open();
  endpoints.push(e);
  return e;
}

/** Offer from A, answer from B; returns the ports each side must send to. */
async function establish(callId: string, a: RtpEndpoint, b: RtpEndpoint, flags?: string[]) {
  const offer = await anchor.offer({ callId, fromTag: 'tagA', sdp: audioSdp(a.port), ...(flags ? { flags } : {}) });
  const answer = await anchor.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(b.port), ...(flags ? { flags } : {}) });
  // B sends to the port in the offer it received; A to the port in the answer it received.
  return { offer, answer, bSendsTo: mediaPort(offer.sdp), aSendsTo: mediaPort(answer.sdp) };
}

beforeAll(async () => {
  [r1, r2] = await Promise.all([startRtpengineOnFreePorts(), startRtpengineOnFreePorts()]);
  anchor = await MediaAnchor.create({
    instances: [
      { name: 'r1', host: '127.0.0.1', port: r1.ngPort },
      { name: 'r2', host: '127.0.0.1', port: r2.ngPort },
    ],
    timeoutMs: 1000,
    observer: { onCommand: (e) => events.push(e) },
  });
  raw = await NgClient.create();
  tmp = mkdtempSync(join(tmpdir(), 'media-test-'));
});

afterEach(() => {
  for (const e of endpoints.splice(0)) e.close();
});

afterAll(async () => {
  await anchor?.close();
  await raw?.close();
  await Promise.all([r1?.stop(), r2?.stop()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function handleOf(name: string | undefined): RtpengineHandle {
  if (name === 'r1') return r1;
  if (name === 'r2') return r2;
  throw new Error(`unknown instance ${String(name)}`);
}

describe('MediaAnchor against real rtpengine', () => {
  it('offer/answer rewrite c= and o= to 127.0.0.1 and ports into the configured range', async () => {
    const callId = newCallId();
    const offer = await anchor.offer({ callId, fromTag: 'tagA', sdp: audioSdp(4000, { addr: '192.0.2.10', origin: '198.51.100.7' }) });
    const h = handleOf(offer.instance);
    expect(offer.sdp).toMatch(/^c=IN IP4 127\.0\.0\.1\r?$/m);
    expect(offer.sdp).toMatch(/^o=- 1001 \d+ IN IP4 127\.0\.0\.1\r?$/m);
    expect(offer.sdp).not.toContain('192.0.2.10');
    expect(offer.sdp).not.toContain('a=candidate');
    const p1 = mediaPort(offer.sdp);
    expect(p1).toBeGreaterThanOrEqual(h.portMin);
    expect(p1).toBeLessThanOrEqual(h.portMax);

    const answer = await anchor.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(4002, { addr: '192.0.2.20' }) });
    expect(answer.instance).toBe(offer.instance);
    expect(answer.sdp).toMatch(/^c=IN IP4 127\.0\.0\.1\r?$/m);
    expect(answer.sdp).not.toContain('192.0.2.20');
    const p2 = mediaPort(answer.sdp);
    expect(p2).toBeGreaterThanOrEqual(h.portMin);
    expect(p2).toBeLessThanOrEqual(h.portMax);
    expect(p2).not.toBe(p1);
    expect(await anchor.delete({ callId })).toBe(true);
  });

  it('ICE candidates are removed by default', async () => {
    const callId = newCallId();
    const sdp = audioSdp(4000).replace(
      'a=sendrecv',
      'a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=candidate:1 1 UDP 2130706431 127.0.0.1 4000 typ host\r\na=sendrecv',
    );
    const offer = await anchor.offer({ callId, fromTag: 'tagA', sdp });
    expect(offer.sdp).not.toMatch(/a=(candidate|ice-ufrag|ice-pwd)/);
    await anchor.delete({ callId });
  });

  it('relays RTP both ways, query counts packets per leg, delete frees the ports', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const callId = newCallId();
    const { aSendsTo, bSendsTo, offer } = await establish(callId, a, b);

    await a.sendRtp(aSendsTo, 10, 0xaaaa0001);
    await b.sendRtp(bSendsTo, 10, 0xbbbb0001);
    expect(await waitFor(() => b.countFrom(0xaaaa0001) === 10 && a.countFrom(0xbbbb0001) === 10)).toBe(true);
    // symmetric: each side hears from the port it sends to
    expect(b.received.every((p) => p.from === bSendsTo)).toBe(true);
    expect(a.received.every((p) => p.from === aSendsTo)).toBe(true);
    expect(b.received.every((p) => p.size === 172 && p.pt === 0)).toBe(true);

    const stats = await anchor.query(callId);
    expect(stats.instance).toBe(offer.instance);
    const legA = stats.legs.find((l) => l.tag === 'tagA')!;
    const legB = stats.legs.find((l) => l.tag === 'tagB')!;
    expect(legA.rtp.packets).toBe(10);
    expect(legA.rtp.bytes).toBe(1720);
    expect(legB.rtp.packets).toBe(10);
    expect(stats.totals.rtp.packets).toBe(20);
    expect(legA.medias[0]!.streams.find((s) => !s.rtcp)!.localPort).toBe(aSendsTo);

    expect(anchor.activeCalls).toBe(1);
    expect(await anchor.delete({ callId })).toBe(true);
    expect(anchor.activeCalls).toBe(0);
    await expect(anchor.query(callId)).rejects.toBeInstanceOf(MediaCallUnknownError);
    // and rtpengine itself forgot the call: query fails, the port relays nothing any more
    const h = handleOf(offer.instance);
    await expect(raw.request(h.endpoint, { command: 'query', 'call-id': callId })).rejects.toBeInstanceOf(NgCommandError);
    b.clear();
    await a.sendRtp(aSendsTo, 5, 0xaaaa0002);
    await sleep(100);
    expect(b.received.length).toBe(0);
  });

  it('new calls go round-robin and stick to their instance', async () => {
    const ids = [newCallId(), newCallId(), newCallId(), newCallId()];
    const placed: string[] = [];
    for (const callId of ids) placed.push((await anchor.offer({ callId, fromTag: 'x', sdp: audioSdp(4000) })).instance);
    expect(new Set(placed)).toEqual(new Set(['r1', 'r2']));
    expect(placed[0]).not.toBe(placed[1]);
    expect(placed[2]).toBe(placed[0]);
    for (const [i, callId] of ids.entries()) {
      const ans = await anchor.answer({ callId, fromTag: 'x', toTag: 'y', sdp: audioSdp(4002) });
      expect(ans.instance).toBe(placed[i]);
      const other = placed[i] === 'r1' ? r2 : r1;
      await expect(raw.request(other.endpoint, { command: 'query', 'call-id': callId })).rejects.toThrow(/Unknown call-id/);
      await raw.request(handleOf(placed[i]).endpoint, { command: 'query', 'call-id': callId });
    }
    for (const callId of ids) await anchor.delete({ callId });
    expect(anchor.activeCalls).toBe(0);
  });

  it('concurrent forked offers (via-branch) of one new call land on the same instance', async () => {
    const callId = newCallId();
    const results = await Promise.all(
      ['z9hG4bK-b1', 'z9hG4bK-b2', 'z9hG4bK-b3'].map((viaBranch) =>
        anchor.offer({ callId, fromTag: 'caller', viaBranch, sdp: audioSdp(4000) }),
      ),
    );
    expect(new Set(results.map((r) => r.instance)).size).toBe(1);
    expect(anchor.activeCalls).toBe(1);
    // answer one branch, delete another branch's to-tag: call stays known
    await anchor.answer({ callId, fromTag: 'caller', toTag: 'callee2', viaBranch: 'z9hG4bK-b2', sdp: audioSdp(4002) });
    expect(await anchor.delete({ callId, fromTag: 'caller', toTag: 'callee1', viaBranch: 'z9hG4bK-b1' })).toBe(true);
    expect(anchor.activeCalls).toBe(1);
    await anchor.query(callId);
    await anchor.delete({ callId });
    expect(anchor.activeCalls).toBe(0);
  });

  it('hold re-offer (a=sendonly) from the caller and a re-offer from the callee keep the call', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const callId = newCallId();
    const { aSendsTo, bSendsTo } = await establish(callId, a, b);

    // caller puts the call on hold
    const hold = await anchor.offer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(a.port, { direction: 'sendonly', version: 2 }) });
    expect(getDirection(hold.sdp)).toBe('sendonly');
    expect(mediaPort(hold.sdp)).toBe(bSendsTo);
    const holdAns = await anchor.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(b.port, { direction: 'recvonly', version: 2 }) });
    expect(getDirection(holdAns.sdp)).toBe('recvonly');
    expect(mediaPort(holdAns.sdp)).toBe(aSendsTo);
    await a.sendRtp(aSendsTo, 5, 0xaaaa0003); // music on hold still flows A→B
    expect(await waitFor(() => b.countFrom(0xaaaa0003) === 5)).toBe(true);

    // callee re-INVITEs to resume: From is B now, so fromTag=tagB, toTag=tagA
    const resume = await anchor.offer({ callId, fromTag: 'tagB', toTag: 'tagA', sdp: audioSdp(b.port, { version: 3 }) });
    expect(getDirection(resume.sdp)).toBe('sendrecv');
    expect(mediaPort(resume.sdp)).toBe(aSendsTo);
    const resumeAns = await anchor.answer({ callId, fromTag: 'tagB', toTag: 'tagA', sdp: audioSdp(a.port, { version: 3 }) });
    expect(mediaPort(resumeAns.sdp)).toBe(bSendsTo);
    await a.sendRtp(aSendsTo, 5, 0xaaaa0004);
    await b.sendRtp(bSendsTo, 5, 0xbbbb0004);
    expect(await waitFor(() => b.countFrom(0xaaaa0004) === 5 && a.countFrom(0xbbbb0004) === 5)).toBe(true);
    await anchor.delete({ callId });
  });

  it('block/unblock media drops and restores the media from one participant', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const callId = newCallId();
    const { aSendsTo } = await establish(callId, a, b);
    await anchor.blockMedia({ callId, fromTag: 'tagA' });
    await a.sendRtp(aSendsTo, 5, 0xaaaa0005);
    await sleep(80);
    expect(b.countFrom(0xaaaa0005)).toBe(0);
    await anchor.unblockMedia({ callId, fromTag: 'tagA' });
    await a.sendRtp(aSendsTo, 5, 0xaaaa0006, { firstSeq: 10 });
    expect(await waitFor(() => b.countFrom(0xaaaa0006) === 5)).toBe(true);
    await anchor.delete({ callId });
  });

  // Finding (rtpengine 10.5.3.5 Debian): play media works, from a file path and from a blob,
  // also before the answer (early media / ringback). It plays *to* the from-tag participant.
  it('playMedia: a WAV file plays as early media to the caller before any answer', async () => {
    const a = await endpoint();
    const callId = newCallId();
    await anchor.offer({ callId, fromTag: 'tagA', sdp: audioSdp(a.port) });
    const file = join(tmp, 'ringback.wav');
    writeFileSync(file, toneWav(400));
    const res = await anchor.playMedia({ callId, fromTag: 'tagA', file });
    expect(res.durationMs).toBe(400);
    // 400 ms at 20 ms ptime = 20 packets of PCMU
    expect(await waitFor(() => a.received.length >= 18, 3000)).toBe(true);
    expect(a.received.every((p) => p.pt === 0)).toBe(true);
    await anchor.delete({ callId });
  });

  it('playMedia blob with repeat, stopMedia stops it; bad file is a MediaCommandError', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const callId = newCallId();
    await establish(callId, a, b);
    const res = await anchor.playMedia({ callId, fromTag: 'tagB', blob: toneWav(200), repeatTimes: 50 });
    expect(res.durationMs).toBe(200);
    expect(await waitFor(() => b.received.length >= 5, 2000)).toBe(true);
    expect(a.received.length).toBe(0); // played to B only
    await anchor.stopMedia({ callId, fromTag: 'tagB' });
    await sleep(60);
    const n = b.received.length;
    await sleep(200);
    expect(b.received.length - n).toBeLessThanOrEqual(1);
    await expect(anchor.playMedia({ callId, fromTag: 'tagA', file: join(tmp, 'missing.wav') })).rejects.toBeInstanceOf(MediaCommandError);
    await anchor.delete({ callId });
  });

  // Finding: play DTMF needs the inject-DTMF flag on offer and answer, and only replaces
  // packets of a stream that is flowing (to the *other* party of the from-tag).
  it('playDtmf with inject-DTMF sends RFC 4733 events to the other party', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const callId = newCallId();
    const { aSendsTo } = await establish(callId, a, b, ['inject-DTMF']);
    const flowing = a.sendRtp(aSendsTo, 40, 0xaaaa0007, { gapMs: 20 });
    await sleep(200);
    await anchor.playDtmf({ callId, fromTag: 'tagA', code: '5', durationMs: 200 });
    await flowing;
    await sleep(50);
    expect(b.received.filter((p) => p.pt === 101).length).toBeGreaterThan(0);
    await anchor.delete({ callId });
  });

  it('rejects PSTN-bearer SDP before rtpengine, and rtpengine parse errors without failover', async () => {
    const before = anchor.stats();
    const callId = newCallId();
    await expect(
      anchor.offer({ callId, fromTag: 't', sdp: buildPstnSdp({ number: '+14085551234', setup: 'active', sessionVersion: 1 }) }),
    ).rejects.toBeInstanceOf(MediaCommandError);
    expect(anchor.stats().commands).toBe(before.commands);
    await expect(anchor.offer({ callId, fromTag: 't', sdp: 'v=0\r\nthis is not sdp\r\n' })).rejects.toThrow(/Failed to parse SDP/);
    const after = anchor.stats();
    expect(after.failovers).toBe(before.failovers);
    expect(after.commands).toBe(before.commands + 1);
    expect(after.errors).toBe(before.errors + 1);
    expect(anchor.activeCalls).toBe(0);
  });

  it('answer/query of an unknown call throw MediaCallUnknownError; delete is idempotent', async () => {
    await expect(anchor.answer({ callId: 'nope', fromTag: 'a', toTag: 'b', sdp: audioSdp(4000) })).rejects.toBeInstanceOf(MediaCallUnknownError);
    await expect(anchor.query('nope')).rejects.toBeInstanceOf(MediaCallUnknownError);
    expect(await anchor.delete({ callId: 'nope' })).toBe(false);
  });

  it('a throwing observer does not fail commands', async () => {
    let calls = 0;
    const a2 = await MediaAnchor.create({
      instances: [{ name: 'r1', host: '127.0.0.1', port: r1.ngPort }],
      observer: {
        onCommand: () => {
          calls++;
          throw new Error('metrics bug');
        },
      },
    });
    try {
      const callId = newCallId();
      await a2.offer({ callId, fromTag: 'a', sdp: audioSdp(4000) });
      expect(await a2.delete({ callId })).toBe(true);
      expect(calls).toBe(2);
    } finally {
      await a2.close();
    }
  });

  it('reports every command to the observer with latency, and counters add up', async () => {
    events.length = 0;
    const before = anchor.stats();
    const callId = newCallId();
    await anchor.offer({ callId, fromTag: 'a', sdp: audioSdp(4000) });
    await anchor.answer({ callId, fromTag: 'a', toTag: 'b', sdp: audioSdp(4002) });
    await anchor.delete({ callId });
    expect(events.map((e) => e.command)).toEqual(['offer', 'answer', 'delete']);
    expect(events.every((e) => e.outcome === 'ok' && e.latencyMs > 0 && e.callId === callId)).toBe(true);
    expect(anchor.stats().commands - before.commands).toBe(3);
    const s = anchor.stats();
    expect(s.instances.reduce((n, i) => n + i.calls, 0)).toBe(0);
    expect(s.pendingRequests).toBe(0);
  });
});
