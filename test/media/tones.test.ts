/** The tone/WAV generator shared by the media services, the IVR prompts and the SNR prompt (no rtpengine needed). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TONE_PEAK, TONES, ensureWavFiles, renderPcm, segmentsMs, segmentsWav, silence, tone, toneWav } from '../../src/media/tones.js';

const sample = (wav: Buffer, i: number): number => wav.readInt16LE(44 + i * 2);

describe('tone / silence / segmentsMs', () => {
  it('build segments and add up their length', () => {
    expect(tone(250, 480, 620)).toEqual({ ms: 250, freqs: [480, 620] });
    expect(silence(100)).toEqual({ ms: 100, freqs: [] });
    expect(segmentsMs([tone(250, 480), silence(100), tone(50, 1000)])).toBe(400);
    expect(segmentsMs([])).toBe(0);
  });
});

describe('renderPcm peak', () => {
  it('defaults to TONE_PEAK and scales to the given peak, shared between a segment\'s frequencies', () => {
    const max = (pcm: Int16Array): number => pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max(renderPcm([tone(100, 1000)]))).toBe(TONE_PEAK); // 1000 Hz at 8 kHz hits the crest exactly
    expect(max(renderPcm([tone(100, 1000)], 8000, 8000))).toBe(8000);
    expect(max(renderPcm([tone(100, 1000, 2000)]))).toBeLessThanOrEqual(TONE_PEAK);
    expect(max(renderPcm([silence(100)], 8000, 8000))).toBe(0);
  });
});

describe('segmentsWav', () => {
  it('is an 8 kHz mono 16-bit WAV of the segments: silence silent, tones not', () => {
    const w = segmentsWav([silence(10), tone(10, 1000)]);
    expect(w.toString('ascii', 0, 4)).toBe('RIFF');
    expect(w.toString('ascii', 8, 12)).toBe('WAVE');
    expect(w.readUInt16LE(22)).toBe(1);
    expect(w.readUInt32LE(24)).toBe(8000);
    expect(w.readUInt16LE(34)).toBe(16);
    expect(w.readUInt32LE(40)).toBe(20 * 16);
    expect(w.length).toBe(44 + 20 * 16);
    expect([...Array(80).keys()].every((i) => sample(w, i) === 0)).toBe(true);
    expect([...Array(80).keys()].some((i) => Math.abs(sample(w, 80 + i)) > 1000)).toBe(true);
  });
  it('takes a peak amplitude, and renders a named tone the same as its segments', () => {
    const loud = segmentsWav([tone(10, 1000)], 8000);
    expect(Math.max(...[...Array(80).keys()].map((i) => Math.abs(sample(loud, i))))).toBe(8000);
    expect(segmentsWav(TONES.busy).equals(toneWav('busy'))).toBe(true);
  });
});

describe('ensureWavFiles', () => {
  it('writes <dir>/<name>.wav for each entry, creating dir, and never overwrites an existing file', () => {
    const root = mkdtempSync(join(tmpdir(), 'ma-tones-'));
    try {
      const dir = join(root, 'a', 'b');
      const audio = { one: [tone(20, 440)], two: [silence(10), tone(10, 880)] };
      const files = ensureWavFiles(dir, audio);
      expect(files).toEqual({ one: join(dir, 'one.wav'), two: join(dir, 'two.wav') });
      expect(readFileSync(files.one).equals(segmentsWav(audio.one))).toBe(true);
      expect(readFileSync(files.two).equals(segmentsWav(audio.two))).toBe(true);
      writeFileSync(files.one, 'recording');
      expect(ensureWavFiles(dir, audio)).toEqual(files);
      expect(readFileSync(files.one, 'utf8')).toBe('recording');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
