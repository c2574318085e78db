/**
 * Built-in audio for SNR: the user-control "press any key to accept" prompt (VMA-03) and the
 * confirmation tones of the desk SNR codes (SNR-11). No recorded prompts ship with the server,
 * so these are tone patterns (8 kHz, 16-bit mono WAV, which rtpengine `play media` takes as a
 * blob); a deployment can give a recorded file instead (SnrOptions.promptFile).
 */

export interface Tone {
  hz: number;
  ms: number;
}

/** A WAV of the tones in sequence (hz 0 = silence). */
export function toneSequenceWav(tones: readonly Tone[], amplitude = 6000): Buffer {
  const samples = tones.reduce((n, t) => n + 8 * t.ms, 0);
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(samples * 2, 40);
  let i = 0;
  for (const t of tones) {
    for (let k = 0; k < 8 * t.ms; k++, i++) {
      const v = t.hz === 0 ? 0 : Math.round(amplitude * Math.sin((2 * Math.PI * t.hz * k) / 8000));
      b.writeInt16LE(v, 44 + i * 2);
    }
  }
  return b;
}

export function durationMs(tones: readonly Tone[]): number {
  return tones.reduce((n, t) => n + t.ms, 0);
}

/** "Press any key to accept": three rising beeps, 1.2 s. */
export const ACCEPT_PROMPT: readonly Tone[] = [
  { hz: 660, ms: 250 },
  { hz: 0, ms: 150 },
  { hz: 880, ms: 250 },
  { hz: 0, ms: 150 },
  { hz: 1100, ms: 400 },
];

/** SNR turned (or is) on: two rising tones. */
export const SNR_ON_TONE: readonly Tone[] = [
  { hz: 600, ms: 200 },
  { hz: 0, ms: 100 },
  { hz: 900, ms: 300 },
];

/** SNR turned (or is) off: two falling tones. */
export const SNR_OFF_TONE: readonly Tone[] = [
  { hz: 900, ms: 200 },
  { hz: 0, ms: 100 },
  { hz: 600, ms: 300 },
];

/** The change could not be stored (SNR-14): reorder. */
export const SNR_ERROR_TONE: readonly Tone[] = [
  { hz: 480, ms: 250 },
  { hz: 0, ms: 250 },
  { hz: 480, ms: 250 },
];
