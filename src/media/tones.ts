/**
 * The audio files the server plays through rtpengine `play media` (spec GEN-03, SR-02,
 * DVO-R-05/07, VMA-03, MID-03): music on hold, ringback, busy, reorder (fast busy),
 * confirmation and the "press any key" prompt. Generated as 8 kHz 16-bit mono PCM WAV into
 * `<dataDir>/media/` at start, so no media files have to be shipped; a deployment replaces
 * them with recordings by putting its own files there (existing files are never overwritten).
 * rtpengine (built with ffmpeg) reads such WAVs and encodes them to the leg's codec.
 *
 * This is the one tone/WAV generator of the server: the IVR prompts (features/ivr/prompts.ts)
 * and the SNR prompt and tones (features/snr/prompt.ts) are segment lists rendered here too.
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

/** Default peak amplitude of generated audio (of 32767). */
export const TONE_PEAK = 6000;

/** A segment of `ms` with the frequencies summed (one or more, Hz). */
export function tone(ms: number, ...freqs: number[]): ToneSegment {
  return { ms, freqs };
}

/** A silent segment of `ms`. */
export function silence(ms: number): ToneSegment {
  return { ms, freqs: [] };
}

/** One cadence of each tone (North American values; rtpengine repeats them with repeat-times). */
export const TONES: Readonly<Record<ToneName, readonly ToneSegment[]>> = {
  // A slow four-note figure: recognisable as "on hold", never silent for long.
  moh: [tone(500, 440), tone(500, 554), tone(500, 659), tone(500, 554)],
  ringback: [tone(1000, 440, 480), silence(3000)],
  busy: [tone(500, 480, 620), silence(500)],
  reorder: [tone(250, 480, 620), silence(250)],
  confirmation: [tone(100, 350, 440), silence(100), tone(100, 350, 440), silence(100), tone(100, 350, 440)],
  prompt: [tone(300, 697, 1209), silence(300), tone(300, 697, 1209), silence(300), tone(300, 697, 1209)],
};

/** Total length of segments in ms. */
export function segmentsMs(segments: readonly { readonly ms: number }[]): number {
  return segments.reduce((n, s) => n + s.ms, 0);
}

/** Length of one cadence of a tone in ms. */
export function toneMs(name: ToneName): number {
  return segmentsMs(TONES[name]);
}

/**
 * 16-bit PCM samples of the segments. `peak` is the amplitude of the sum (default 6000 of
 * 32767): each of a segment's n frequencies gets peak / n.
 */
export function renderPcm(segments: readonly ToneSegment[], rate = TONE_RATE, peak = TONE_PEAK): Int16Array {
  const total = segments.reduce((n, s) => n + Math.round((s.ms * rate) / 1000), 0);
  const out = new Int16Array(total);
  let i = 0;
  for (const s of segments) {
    const n = Math.round((s.ms * rate) / 1000);
    const amp = s.freqs.length === 0 ? 0 : peak / s.freqs.length;
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

/** An 8 kHz mono 16-bit WAV of the segments in sequence (`peak` as in renderPcm). */
export function segmentsWav(segments: readonly ToneSegment[], peak = TONE_PEAK): Buffer {
  return wavFromPcm16(renderPcm(segments, TONE_RATE, peak));
}

/** The WAV bytes of a named tone (one cadence). */
export function toneWav(name: ToneName): Buffer {
  return segmentsWav(TONES[name]);
}

/**
 * Writes `<dir>/<name>.wav` for each entry whose file is missing (an existing file, e.g. a
 * recording, is never overwritten; `dir` is created); returns the path of each.
 */
export function ensureWavFiles<N extends string>(dir: string, audio: Readonly<Record<N, readonly ToneSegment[]>>): Record<N, string> {
  mkdirSync(dir, { recursive: true });
  const files = {} as Record<N, string>;
  for (const name of Object.keys(audio) as N[]) {
    const file = join(dir, `${name}.wav`);
    if (!existsSync(file)) writeFileSync(file, segmentsWav(audio[name]));
    files[name] = file;
  }
  return files;
}

/** Writes the files into `<dataDir>/media/` when missing; returns their paths. */
export function ensureTones(dataDir: string): ToneFiles {
  const path = ensureWavFiles(join(dataDir, 'media'), TONES);
  return {
    moh: path.moh,
    ringback: path.ringback,
    busy: path.busy,
    prompt: path.prompt,
    promptMs: PROMPT_MS,
    reorder: path.reorder,
    confirmation: path.confirmation,
  };
}
