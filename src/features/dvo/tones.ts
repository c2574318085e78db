/**
 * The audio files DVO and session resumption play (MoH, ringback, busy, prompt). The generator
 * moved to src/media/tones.ts (a media service shared by every feature, see
 * src/media/media-services.ts); re-exported here so existing imports keep working.
 */
export { ensureTones, PROMPT_MS, type ToneFiles } from '../../media/tones.js';
