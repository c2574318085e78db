/**
 * Built-in audio for SNR: the user-control "press any key to accept" prompt (VMA-03) and the
 * confirmation tones of the desk SNR codes (SNR-11). No recorded prompts ship with the server,
 * so these are tone patterns rendered by media/tones.ts (8 kHz, 16-bit mono WAV, which
 * rtpengine `play media` takes as a blob); a deployment can give a recorded file instead
 * (SnrOptions.promptFile).
 */
import { segmentsMs, segmentsWav, silence, tone, type ToneSegment } from '../../media/tones.js';

/** A WAV of the segments in sequence (peak amplitude `amplitude`, default 6000). */
export const toneSequenceWav: (tones: readonly ToneSegment[], amplitude?: number) => Buffer = segmentsWav;

/** Total length of the segments, ms. */
export const durationMs: (tones: readonly ToneSegment[]) => number = segmentsMs;

/** "Press any key to accept": three rising beeps, 1.2 s. */
export const ACCEPT_PROMPT: readonly ToneSegment[] = [tone(250, 660), silence(150), tone(250, 880), silence(150), tone(400, 1100)];

/** SNR turned (or is) on: two rising tones (also the IVR's snrOn). */
export const SNR_ON_TONE: readonly ToneSegment[] = [tone(200, 600), silence(100), tone(300, 900)];

/** SNR turned (or is) off: two falling tones (also the IVR's snrOff). */
export const SNR_OFF_TONE: readonly ToneSegment[] = [tone(200, 900), silence(100), tone(300, 600)];

/** The change could not be stored (SNR-14): reorder. */
export const SNR_ERROR_TONE: readonly ToneSegment[] = [tone(250, 480), silence(250), tone(250, 480)];
