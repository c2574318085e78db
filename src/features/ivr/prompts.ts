/**
 * The IVR's audio (spec MVA-03..MVA-08, EFA-02, EFA-05, MVA-10): no recorded prompts ship with
 * the server, so each prompt is a distinct tone pattern ("tone-coded"), generated at start as
 * 8 kHz 16-bit mono WAV into `<dataDir>/media/ivr/` and played through rtpengine
 * (`play media` with a file). A deployment replaces a file with a recording of the same name
 * (existing files are never overwritten). EFA plays tones only (no prompts, EFA-02).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RATE = 8000;

type Segment = { ms: number; freqs: readonly number[] };
const on = (ms: number, ...freqs: number[]): Segment => ({ ms, freqs });
const off = (ms: number): Segment => ({ ms, freqs: [] });

export const PROMPTS = {
  /** "Enter your PIN, then #" (MVA-03). */
  enterPin: [on(150, 1209, 697), off(100), on(150, 1209, 697), off(100), on(400, 1336, 770)],
  /** "Enter your user ID or remote destination number, then #" (MVA-03, D-47). */
  enterId: [on(150, 1477, 852), off(100), on(150, 1477, 852), off(100), on(150, 1477, 852), off(100), on(400, 1336, 770)],
  /** "1 to place a call, 2 to turn SNR on, 3 to turn it off" (MVA-04). */
  menu: [on(200, 523), off(80), on(200, 659), off(80), on(400, 784)],
  /** "Enter the number to call, then #" (MVA-05). */
  enterNumber: [on(250, 784), off(80), on(600, 1047)],
  /** "Enter the remote destination number, or 0 for all, then #" (MVA-06). */
  whichRd: [on(150, 659), off(80), on(150, 659), off(80), on(150, 659), off(80), on(400, 880)],
  /** "That entry is not valid" (MVA-08). */
  invalid: [on(250, 350, 440), off(120), on(250, 350, 440)],
  /** Refusal announcement: blocked number, calls not allowed (MVA-07, MVA-02): special information tone. */
  refused: [on(330, 950), on(330, 1400), on(330, 1800), off(300)],
  /** "Goodbye" (MVA-08). */
  goodbye: [on(300, 784), off(60), on(300, 523), off(60), on(500, 392)],
  /** SNR turned on / off (MVA-06, EFA-05). */
  snrOn: [on(200, 600), off(100), on(300, 900)],
  snrOff: [on(200, 900), off(100), on(300, 600)],
  /** EFA wrong PIN: error tone (EFA-02). */
  error: [on(200, 480, 620), off(100), on(200, 480, 620)],
  /** Ringback while the outbound leg rings (played repeatedly). */
  ringback: [on(1000, 440, 480), off(3000)],
  /** Busy (played repeatedly). */
  busy: [on(500, 480, 620), off(500)],
  /** Reorder (played repeatedly; MID-05, EFA failures). */
  reorder: [on(250, 480, 620), off(250)],
} as const satisfies Record<string, readonly Segment[]>;

export type PromptName = keyof typeof PROMPTS;

export interface PromptSet {
  /** Absolute path of each prompt file (readable by a local rtpengine). */
  file: Record<PromptName, string>;
  /** Length of each prompt, ms (when rtpengine does not report it). */
  ms: Record<PromptName, number>;
}

export function render(segments: readonly Segment[]): Buffer {
  const total = segments.reduce((n, s) => n + (s.ms * RATE) / 1000, 0);
  const pcm = Buffer.alloc(total * 2);
  let i = 0;
  for (const s of segments) {
    const n = (s.ms * RATE) / 1000;
    const amp = s.freqs.length === 0 ? 0 : 6000 / s.freqs.length;
    for (let k = 0; k < n; k++, i++) {
      let v = 0;
      for (const f of s.freqs) v += Math.sin((2 * Math.PI * f * k) / RATE);
      pcm.writeInt16LE(Math.round(v * amp), i * 2);
    }
  }
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

/** Writes the missing prompt files into `<dataDir>/media/ivr/` and returns them. */
export function ensurePrompts(dataDir: string): PromptSet {
  const dir = join(dataDir, 'media', 'ivr');
  mkdirSync(dir, { recursive: true });
  const file = {} as Record<PromptName, string>;
  const ms = {} as Record<PromptName, number>;
  for (const name of Object.keys(PROMPTS) as PromptName[]) {
    const path = join(dir, `${name}.wav`);
    if (!existsSync(path)) writeFileSync(path, render(PROMPTS[name]));
    file[name] = path;
    ms[name] = PROMPTS[name].reduce((n, s) => n + s.ms, 0);
  }
  return { file, ms };
}
