/**
 * The audio files the server plays through rtpengine `play media` (spec GEN-03, SR-02,
 * DVO-R-05/07, VMA-03, MID-03): music on hold, ringback, busy, reorder (fast busy),
 * confirmation and the "press any key" prompt. Generated as 8 kHz 16-bit mono PCM WAV into
 * `<dataDir>/media/` at start, so no media files have to be shipped; a deployment replaces
 * them with recordings by putting its own files there (existing files are never overwritten).
 * rtpengine (built with ffmpeg) reads such WAVs and encodes them to the leg's codec.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TONE_RATE = 8000;

export type ToneName = 'moh' | 'ringback' | 'busy' | 'reorder' | 'confirmation' | 'prompt';
export const TONE_NAMES: readonly ToneName[] = ['moh', 'ringback', 'busy', 'reorder', 'confirmation', 'prompt'];

export interface ToneFiles {
  moh: string;
  ringback: string;
  busy: string;
  prompt: string;
  /** Length of the prompt (the user-control DTMF wait starts when it ends). */
  promptMs: number;
  reorder: string;
  confirmation: string;
}

/** Length of the generated "press any key" prompt. */
export const PROMPT_MS = 1500;

export interface ToneSegment {
  readonly ms: number;
  /** Frequencies summed in this segment; none = silence. */
  readonly freqs: readonly number[];
}

const on = (ms: number, ...freqs: number[]): ToneSegment => ({ ms, freqs });
const off = (ms: number): ToneSegment => ({ ms, freqs: [] });

/** One cadence of each tone (North American values; rtpengine repeats them with repeat-times). */
export const TONES: Readonly<Record<ToneName, readonly ToneSegment[]>> = {
  // A slow four-note figure: recognisable as "on hold", never silent for long.
  moh: [on(500, 440), on(500, 554), on(500, 659), on(500, 554)],
  ringback: [on(1000, 440, 480), off(3000)],
  busy: [on(500, 480, 620), off(500)],
  reorder: [on(250, 480, 620), off(250)],
  confirmation: [on(100, 350, 440), off(100), on(100, 350, 440), off(100), on(100, 350, 440)],
  prompt: [on(300, 697, 1209), off(300), on(300, 697, 1209), off(300), on(300, 697, 1209)],
};

/** Length of one cadence of a tone in ms. */
export function toneMs(name: ToneName): number {
  return TONES[name].reduce((n, s) => n + s.ms, 0);
}

/** 16-bit PCM samples of the segments (peak amplitude 6000 of 32767). */
export function renderPcm(segments: readonly ToneSegment[], rate = TONE_RATE): Int16Array {
  const total = segments.reduce((n, s) => n + Math.round((s.ms * rate) / 1000), 0);
  const out = new Int16Array(total);
  let i = 0;
  for (const s of segments) {
    const n = Math.round((s.ms * rate) / 1000);
    const amp = s.freqs.length === 0 ? 0 : 6000 / s.freqs.length;
    for (let k = 0; k < n; k++, i++) {
      let v = 0;
      for (const f of s.freqs) v += Math.sin((2 * Math.PI * f * k) / rate);
      out[i] = Math.round(v * amp);
    }
  }
  return out;
}

/** A mono 16-bit PCM WAV file. */
export function wavFromPcm16(pcm: Int16Array, rate = TONE_RATE): Buffer {
  const data = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) data.writeInt16LE(pcm[i]!, i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** The WAV bytes of a named tone (one cadence). */
export function toneWav(name: ToneName): Buffer {
  return wavFromPcm16(renderPcm(TONES[name]));
}

/** Writes the files into `<dataDir>/media/` when missing; returns their paths. */
export function ensureTones(dataDir: string): ToneFiles {
  const dir = join(dataDir, 'media');
  mkdirSync(dir, { recursive: true });
  const path = (name: ToneName): string => {
    const file = join(dir, `${name}.wav`);
    if (!existsSync(file)) writeFileSync(file, toneWav(name));
    return file;
  };
  return {
    moh: path('moh'),
    ringback: path('ringback'),
    busy: path('busy'),
    prompt: path('prompt'),
    promptMs: PROMPT_MS,
    reorder: path('reorder'),
    confirmation: path('confirmation'),
  };
}
