/**
 * What the installed rtpengine (Debian 10.5.3.5, userspace) can and cannot do for media
 * services, measured rather than assumed (docs/media.md records the results):
 * - no `connect` ng command and no audio mixing: `subscribe request` with several from-tags
 *   gives one m= section per source (an SFU-style fan-out), so a conference needs our mixer;
 * - no audio-player / mixing options on the command line; --dtmf-log-dest exists;
 * - transcoding works (ffmpeg build): PCMU in, PCMA out, the tone survives.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaAnchor, MediaCommandError } from '../../src/media/media-anchor.js';
import { NgClient, NgCommandError } from '../../src/media/ng-client.js';
import { DEFAULT_RTPENGINE_BINARY, type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import { AudioEndpoint, g711Sdp, toneLevel } from './audio.js';
import { mediaPort, sleep, waitFor } from './helpers.js';

let rtp: RtpengineHandle;
let anchor: MediaAnchor;
let ng: NgClient;
const eps: AudioEndpoint[] = [];

beforeAll(async () => {
  rtp = await startRtpengineOnFreePorts();
  anchor = await MediaAnchor.create({ instances: [{ host: '127.0.0.1', port: rtp.ngPort }] });
  ng = await NgClient.create();
});
afterAll(async () => {
  for (const e of eps) e.close();
  await ng?.close();
  await anchor?.close();
  await rtp?.stop();
});

async function twoPartyCall(callId: string): Promise<{ a: AudioEndpoint; b: AudioEndpoint; offerSdp: string; answerSdp: string }> {
  const a = await AudioEndpoint.open();
  const b = await AudioEndpoint.open();
  eps.push(a, b);
  const offer = await anchor.offer({ callId, fromTag: 'a', sdp: g711Sdp(a.port) });
  const answer = await anchor.answer({ callId, fromTag: 'a', toTag: 'b', sdp: g711Sdp(b.port) });
  return { a, b, offerSdp: offer.sdp, answerSdp: answer.sdp };
}

describe('installed rtpengine capabilities', () => {
  it('command line: --dtmf-log-dest exists; no audio-player or mixing options; G.711/G.722/opus fully supported codecs', () => {
    const help = execFileSync(DEFAULT_RTPENGINE_BINARY, ['--help'], { encoding: 'utf8' });
    expect(help).toContain('--dtmf-log-dest');
    expect(help).not.toMatch(/--audio-player|--mix/);
    const codecs = execFileSync(DEFAULT_RTPENGINE_BINARY, ['--codecs'], { encoding: 'utf8' });
    for (const c of ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event']) expect(codecs).toMatch(new RegExp(`\\b${c}: fully supported`));
    const version = spawnSync(DEFAULT_RTPENGINE_BINARY, ['--version'], { encoding: 'utf8' });
    expect(`${version.stdout}${version.stderr}`).toMatch(/10\.5\./);
  });

  it('ng `connect` (joining calls) is not implemented', async () => {
    const callId = `cap-connect-${process.pid}`;
    await twoPartyCall(callId);
    const err = await ng.request(rtp.endpoint, { command: 'connect', 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NgCommandError);
    expect((err as NgCommandError).reason).toMatch(/Unrecognized command/);
    await anchor.delete({ callId });
  });

  it('`subscribe request` with two sources gives one m= section per source (no mix)', async () => {
    const callId = `cap-sub-${process.pid}`;
    await twoPartyCall(callId);
    const r = await ng.request(rtp.endpoint, { command: 'subscribe request', 'call-id': callId, 'from-tags': ['a', 'b'] });
    const sdp = r['sdp'] as string;
    expect(sdp.match(/^m=audio /gm)).toHaveLength(2);
    expect(sdp).toContain('a=sendonly');
    await anchor.delete({ callId });
  });

  it('transcoding works: A sends PCMU, B accepted only PCMA and hears the same tone in PCMA', async () => {
    const callId = `cap-tc-${process.pid}`;
    const a = await AudioEndpoint.open();
    const b = await AudioEndpoint.open();
    eps.push(a, b);
    const offer = await anchor.offer({ callId, fromTag: 'a', sdp: g711Sdp(a.port, 'pcmu'), extra: { codec: { transcode: ['PCMA'] } } });
    expect(offer.sdp).toMatch(/^m=audio \d+ RTP\/AVP 0 8/m);
    const answer = await anchor.answer({ callId, fromTag: 'a', toTag: 'b', sdp: g711Sdp(b.port, 'pcma') });
    expect(answer.sdp).toMatch(/^m=audio \d+ RTP\/AVP 0\r?$/m); // A keeps PCMU
    const t0 = Date.now();
    for (let i = 0; i < 25; i++) {
      a.send(a.sineFrame('pcmu', 1000), mediaPort(answer.sdp));
      await sleep(20);
    }
    expect(await waitFor(() => b.packets.length >= 20, 2000)).toBe(true);
    expect(b.packets.every((p) => p.pt === 8)).toBe(true);
    expect(toneLevel(b.audioSince(t0).subarray(400), 1000)).toBeGreaterThan(0.8);
    await anchor.delete({ callId });
  });

  it('play media to an unknown call is an error (MediaCommandError), not a silent ok', async () => {
    await anchor.offer({ callId: `cap-pm-${process.pid}`, fromTag: 'a', sdp: g711Sdp(9000) });
    const err = await anchor.playMedia({ callId: `cap-pm-${process.pid}`, fromTag: 'nobody', file: '/nonexistent.wav' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaCommandError);
    await anchor.delete({ callId: `cap-pm-${process.pid}` });
  });
});
