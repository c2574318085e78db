/** The built-in prompt and tones are valid 8 kHz 16-bit mono WAVs of the stated length. */
import { describe, expect, it } from 'vitest';
import { ACCEPT_PROMPT, durationMs, toneSequenceWav } from '../../../src/features/snr/prompt.js';
import { silence, tone } from '../../../src/media/tones.js';

describe('prompt audio', () => {
  it('WAV header and length', () => {
    const w = toneSequenceWav(ACCEPT_PROMPT);
    expect(w.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(w.subarray(8, 12).toString('ascii')).toBe('WAVE');
    expect(w.readUInt32LE(24)).toBe(8000);
    expect(w.readUInt16LE(34)).toBe(16);
    expect(w.readUInt32LE(40)).toBe(durationMs(ACCEPT_PROMPT) * 16);
    expect(w.length).toBe(44 + durationMs(ACCEPT_PROMPT) * 16);
    expect(durationMs(ACCEPT_PROMPT)).toBe(1200);
  });
  it('silence is silent, tones are not', () => {
    const w = toneSequenceWav([silence(10), tone(10, 1000)]);
    const s = (i: number) => w.readInt16LE(44 + i * 2);
    expect([...Array(80).keys()].every((i) => s(i) === 0)).toBe(true);
    expect([...Array(80).keys()].some((i) => Math.abs(s(80 + i)) > 1000)).toBe(true);
  });
});
