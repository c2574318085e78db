/**
 * Music on hold, tones and prompts through a real rtpengine `play media` (spec GEN-03, SR-02,
 * MID-03): the audio must really arrive at the participant's RTP socket, be the right tone,
 * reach only that participant, and stop on stopMoh/stop.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTones as ensureDvoTones, PROMPT_MS as DVO_PROMPT_MS } from '../../src/features/dvo/tones.js';
import { MediaAnchor } from '../../src/media/media-anchor.js';
import { MediaServices } from '../../src/media/media-services.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import { PROMPT_MS, TONE_NAMES, ensureTones, toneMs } from '../../src/media/tones.js';
import { AudioEndpoint, g711Sdp, rms, toneLevel } from './audio.js';
import { mediaPort, sleep, waitFor } from './helpers.js';

let rtp: RtpengineHandle;
let anchor: MediaAnchor;
let services: MediaServices;
let dataDir: string;
const eps: AudioEndpoint[] = [];
let n = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ma-media-services-'));
  rtp = await startRtpengineOnFreePorts();
  anchor = await MediaAnchor.create({ instances: [{ host: '127.0.0.1', port: rtp.ngPort }] });
  services = new MediaServices({ anchor, dataDir });
});
afterAll(async () => {
  for (const e of eps) e.close();
  await anchor?.close();
  await rtp?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** An anchored A↔B call; A's tag 'a', B's tag 'b'. */
async function call(): Promise<{ callId: string; a: AudioEndpoint; b: AudioEndpoint; bSendsTo: number }> {
  const a = await AudioEndpoint.open();
  const b = await AudioEndpoint.open();
  eps.push(a, b);
  const callId = `ms-${process.pid}-${++n}`;
  const offer = await anchor.offer({ callId, fromTag: 'a', sdp: g711Sdp(a.port) });
  await anchor.answer({ callId, fromTag: 'a', toTag: 'b', sdp: g711Sdp(b.port) });
  return { callId, a, b, bSendsTo: mediaPort(offer.sdp) };
}

describe('generated audio files', () => {
  it('are WAVs of the right length in <dataDir>/media; the DVO re-export still works; recordings are not overwritten', () => {
    const files = services.files;
    for (const name of TONE_NAMES) {
      const wav = readFileSync(files[name]);
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(24)).toBe(8000);
      expect(wav.readUInt32LE(40) / 16).toBe(toneMs(name)); // 16 bytes per ms at 8 kHz 16-bit
    }
    expect(toneMs('prompt')).toBe(PROMPT_MS);
    const viaDvo = ensureDvoTones(dataDir);
    expect(viaDvo.moh).toBe(files.moh);
    expect(DVO_PROMPT_MS).toBe(PROMPT_MS);
    const custom = mkdtempSync(join(tmpdir(), 'ma-media-rec-'));
    try {
      const first = ensureTones(custom);
      writeFileSync(first.busy, 'recording');
      expect(readFileSync(ensureTones(custom).busy, 'utf8')).toBe('recording');
    } finally {
      rmSync(custom, { recursive: true, force: true });
    }
  });
});

describe('MediaServices over rtpengine play media', () => {
  it('holdWithMoh: A receives music (the MoH notes, not silence), B nothing; stopMoh stops it', async () => {
    const { callId, a, b } = await call();
    const t0 = Date.now();
    await services.holdWithMoh({ callId, tag: 'a' });
    expect(services.playingTo({ callId, tag: 'a' })).toBe('moh');
    expect(await waitFor(() => a.packets.length >= 40, 3000)).toBe(true);
    const heard = a.audioSince(t0);
    expect(rms(heard)).toBeGreaterThan(1000);
    // First cadence: 440 Hz for 500 ms, then 554 Hz.
    expect(toneLevel(heard.subarray(0, 3200), 440)).toBeGreaterThan(0.3);
    expect(b.packets).toHaveLength(0);
    expect(a.packets.every((p) => p.pt === 0)).toBe(true);

    await services.stopMoh({ callId, tag: 'a' });
    expect(services.size).toBe(0);
    await sleep(100);
    const after = a.packets.length;
    await sleep(300);
    expect(a.packets.length).toBe(after);
    await anchor.delete({ callId });
  });

  it('MoH keeps looping past one cadence (repeat-times)', async () => {
    const { callId, a } = await call();
    const t0 = Date.now();
    await services.holdWithMoh({ callId, tag: 'a' });
    await sleep(toneMs('moh') + 600);
    const late = a.audioSince(t0 + toneMs('moh') + 100);
    expect(late.length).toBeGreaterThan(160 * 10);
    expect(rms(late)).toBeGreaterThan(1000);
    await services.stop({ callId, tag: 'a' });
    await anchor.delete({ callId });
  });

  it('playTone busy reaches B with 480+620 Hz; stopMoh does not stop a tone; stop does', async () => {
    const { callId, a, b } = await call();
    const t0 = Date.now();
    const r = await services.playTone({ callId, tag: 'b' }, 'busy', 2);
    expect(r.durationMs).toBe(toneMs('busy'));
    expect(await waitFor(() => b.packets.length >= 20, 3000)).toBe(true);
    const heard = b.audioSince(t0).subarray(0, 3200); // the 500 ms "on" part
    expect(toneLevel(heard, 480)).toBeGreaterThan(0.15);
    expect(toneLevel(heard, 620)).toBeGreaterThan(0.15);
    expect(toneLevel(heard, 440)).toBeLessThan(0.05);
    expect(a.packets).toHaveLength(0);
    await services.stopMoh({ callId, tag: 'b' }); // no-op: a tone plays, not MoH
    expect(services.playingTo({ callId, tag: 'b' })).toBe('tone');
    await services.stop({ callId, tag: 'b' });
    await sleep(100);
    const after = b.packets.length;
    await sleep(200);
    expect(b.packets.length).toBe(after);
    await anchor.delete({ callId });
  });

  it('playPrompt plays the built-in prompt (rtpengine reports its length); reorder and confirmation play too', async () => {
    const { callId, a } = await call();
    const r = await services.playPrompt({ callId, tag: 'a' });
    expect(r.durationMs).toBe(PROMPT_MS);
    expect(await waitFor(() => a.packets.length >= 10, 3000)).toBe(true);
    expect(toneLevel(a.audioSince(0).subarray(0, 2400), 697)).toBeGreaterThan(0.1);
    expect((await services.playTone({ callId, tag: 'a' }, 'reorder', 1)).durationMs).toBe(toneMs('reorder'));
    expect((await services.playTone({ callId, tag: 'a' }, 'confirmation')).durationMs).toBe(toneMs('confirmation'));
    services.forgetCall(callId);
    expect(services.size).toBe(0);
    await anchor.delete({ callId });
  });

  it('rtpengine sends MoH next to what B sends (two SSRCs); with holderTag B is blocked while MoH plays and heard again after stopMoh', async () => {
    const { callId, a, b, bSendsTo } = await call();
    const bTalks = async (): Promise<number> => {
      const t = Date.now();
      for (let i = 0; i < 20; i++) {
        b.send(b.sineFrame('pcmu', 1500), bSendsTo);
        await sleep(20);
      }
      await sleep(60);
      return t;
    };
    // Finding (10.5.3.5): play media does not replace the relayed stream.
    await services.holdWithMoh({ callId, tag: 'a' });
    let t = await bTalks();
    expect(a.packets.filter((p) => p.at >= t && p.ssrc === b.ssrc).length).toBeGreaterThan(15);
    expect(a.packets.filter((p) => p.at >= t && p.ssrc !== b.ssrc).length).toBeGreaterThan(15);
    await services.stopMoh({ callId, tag: 'a' });

    await services.holdWithMoh({ callId, tag: 'a' }, { holderTag: 'b' });
    t = await bTalks();
    expect(a.packets.filter((p) => p.at >= t && p.ssrc === b.ssrc)).toHaveLength(0);
    expect(a.packets.filter((p) => p.at >= t).length).toBeGreaterThan(15); // the music
    expect(toneLevel(a.audioSince(t), 1500)).toBeLessThan(0.02);
    await services.stopMoh({ callId, tag: 'a' });
    await sleep(50);
    t = await bTalks();
    expect(a.packets.filter((p) => p.at >= t && p.ssrc === b.ssrc).length).toBeGreaterThan(15);
    expect(toneLevel(a.audioSince(t), 1500)).toBeGreaterThan(0.5);

    // A tone replacing MoH also gives B back its voice.
    await services.holdWithMoh({ callId, tag: 'a' }, { holderTag: 'b' });
    await services.playTone({ callId, tag: 'a' }, 'confirmation');
    await sleep(toneMs('confirmation') + 100);
    t = await bTalks();
    expect(a.packets.filter((p) => p.at >= t && p.ssrc === b.ssrc).length).toBeGreaterThan(15);
    await services.stop({ callId, tag: 'a' });
    expect(services.size).toBe(0);
    await anchor.delete({ callId });
  });

  it('createConference: bridges are tracked; close() of the service closes the open ones', async () => {
    const c1 = await services.createConference();
    const c2 = await services.createConference();
    const added = await c1.addParticipant(g711Sdp(9002));
    expect(added.localSdp).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
    expect(services.openConferences).toBe(2);
    await c2.close();
    expect(services.openConferences).toBe(1);
    await services.close();
    expect(services.openConferences).toBe(0);
    expect(c1.participants()).toHaveLength(0);
  });
});
