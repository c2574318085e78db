/**
 * The IVR's audio (spec MVA-03..MVA-08, EFA-02, EFA-05, MVA-10): no recorded prompts ship with
 * the server, so each prompt is a distinct tone pattern ("tone-coded"), generated at start as
 * 8 kHz 16-bit mono WAV into `<dataDir>/media/ivr/` and played through rtpengine
 * (`play media` with a file). A deployment replaces a file with a recording of the same name
 * (existing files are never overwritten). EFA plays tones only (no prompts, EFA-02).
 */
import { join } from 'node:path';
import { TONES, ensureWavFiles, segmentsMs, silence, tone, type ToneSegment } from '../../media/tones.js';
import { SNR_OFF_TONE, SNR_ON_TONE } from '../snr/prompt.js';

export const PROMPTS = {
  /** "Enter your PIN, then #" (MVA-03). */
  enterPin: [tone(150, 1209, 697), silence(100), tone(150, 1209, 697), silence(100), tone(400, 1336, 770)],
  /** "Enter your user ID or remote destination number, then #" (MVA-03, D-47). */
  enterId: [tone(150, 1477, 852), silence(100), tone(150, 1477, 852), silence(100), tone(150, 1477, 852), silence(100), tone(400, 1336, 770)],
  /** "1 to place a call, 2 to turn SNR on, 3 to turn it off" (MVA-04). */
  menu: [tone(200, 523), silence(80), tone(200, 659), silence(80), tone(400, 784)],
  /** "Enter the number to call, then #" (MVA-05). */
  enterNumber: [tone(250, 784), silence(80), tone(600, 1047)],
  /** "Enter the remote destination number, or 0 for all, then #" (MVA-06). */
  whichRd: [tone(150, 659), silence(80), tone(150, 659), silence(80), tone(150, 659), silence(80), tone(400, 880)],
  /** "That entry is not valid" (MVA-08). */
  invalid: [tone(250, 350, 440), silence(120), tone(250, 350, 440)],
  /** Refusal announcement: blocked number, calls not allowed (MVA-07, MVA-02): special information tone. */
  refused: [tone(330, 950), tone(330, 1400), tone(330, 1800), silence(300)],
  /** "Goodbye" (MVA-08). */
  goodbye: [tone(300, 784), silence(60), tone(300, 523), silence(60), tone(500, 392)],
  /** SNR turned on / off (MVA-06, EFA-05). */
  snrOn: SNR_ON_TONE,
  snrOff: SNR_OFF_TONE,
  /** EFA wrong PIN: error tone (EFA-02). */
  error: [tone(200, 480, 620), silence(100), tone(200, 480, 620)],
  /** Ringback while the outbound leg rings (played repeatedly). */
  ringback: TONES.ringback,
  /** Busy (played repeatedly). */
  busy: TONES.busy,
  /** Reorder (played repeatedly; MID-05, EFA failures). */
  reorder: TONES.reorder,
} as const satisfies Record<string, readonly ToneSegment[]>;

export type PromptName = keyof typeof PROMPTS;

export interface PromptSet {
  /** Absolute path of each prompt file (readable by a local rtpengine). */
  file: Record<PromptName, string>;
  /** Length of each prompt, ms (when rtpengine does not report it). */
  ms: Record<PromptName, number>;
}

/** Writes the missing prompt files into `<dataDir>/media/ivr/` and returns them. */
export function ensurePrompts(dataDir: string): PromptSet {
  const file = ensureWavFiles(join(dataDir, 'media', 'ivr'), PROMPTS);
  const ms = {} as Record<PromptName, number>;
  for (const name of Object.keys(PROMPTS) as PromptName[]) ms[name] = segmentsMs(PROMPTS[name]);
  return { file, ms };
}
