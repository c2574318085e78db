/**
 * The few audio files the DVO and session-resumption features play through rtpengine
 * (`play media`): music on hold for a held far end (SR-02), ringback and busy tone on a
 * DVO-R callback leg (DVO-R-05, DVO-R-07), and the user-control prompt (VMA-03, DVO-R-04).
 * Generated as 8 kHz 16-bit mono WAV into the data directory at start, so no media
 * files have to be shipped; a real deployment can replace them with recordings.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RATE = 8000;

export interface ToneFiles {
  moh: string;
  ringback: string;
  busy: string;
  prompt: string;
  /** Length of the prompt (the user-control DTMF wait starts when it ends). */
  promptMs: number;
}

/** Length of the generated "press any key" prompt. */
export const PROMPT_MS = 1500;

type Segment = { ms: number; freqs: readonly number[] };

function render(segments: readonly Segment[]): Buffer {
  const total = segments.reduce((n, s) => n + (s.ms * RATE) / 1000, 0);
  const data = Buffer.alloc(total * 2);
  let i = 0;
  for (const s of segments) {
    const n = (s.ms * RATE) / 1000;
    for (let k = 0; k < n; k++, i++) {
      let v = 0;
      for (const f of s.freqs) v += Math.sin((2 * Math.PI * f * k) / RATE);
      const amp = s.freqs.length === 0 ? 0 : 6000 / s.freqs.length;
      data.writeInt16LE(Math.round(v * amp), i * 2);
    }
  }
  return wav(data);
}

function wav(pcm: Buffer): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

const on = (ms: number, ...freqs: number[]): Segment => ({ ms, freqs });
const off = (ms: number): Segment => ({ ms, freqs: [] });

const TONES: Record<'moh' | 'ringback' | 'busy' | 'prompt', readonly Segment[]> = {
  // A slow two-note figure: recognisable as "on hold", never silent for long.
  moh: [on(500, 440), on(500, 554), on(500, 659), on(500, 554)],
  ringback: [on(1000, 440, 480), off(3000)],
  busy: [on(500, 480, 620), off(500)],
  prompt: [on(300, 697, 1209), off(300), on(300, 697, 1209), off(300), on(300, 697, 1209)],
};

/** Writes the files into `<dataDir>/media/` when missing; returns their paths. */
export function ensureTones(dataDir: string): ToneFiles {
  const dir = join(dataDir, 'media');
  mkdirSync(dir, { recursive: true });
  const path = (name: keyof typeof TONES): string => {
    const file = join(dir, `${name}.wav`);
    if (!existsSync(file)) writeFileSync(file, render(TONES[name]));
    return file;
  };
  return { moh: path('moh'), ringback: path('ringback'), busy: path('busy'), prompt: path('prompt'), promptMs: PROMPT_MS };
}
