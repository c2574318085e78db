/** Generated IVR prompts (MVA-10): 8 kHz mono 16-bit WAV files, written once, never overwritten. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrompts, PROMPTS } from '../../../src/features/ivr/prompts.js';

describe('ensurePrompts', () => {
  it('writes one WAV per prompt with the declared length, and keeps a replaced recording', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ma-ivr-prompts-'));
    try {
      const p = ensurePrompts(dir);
      for (const name of Object.keys(PROMPTS) as (keyof typeof PROMPTS)[]) {
        const wav = readFileSync(p.file[name]);
        expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
        expect(wav.readUInt16LE(22)).toBe(1); // mono
        expect(wav.readUInt32LE(24)).toBe(8000);
        expect(wav.readUInt16LE(34)).toBe(16);
        expect(wav.readUInt32LE(40)).toBe((p.ms[name] * 8000 * 2) / 1000);
      }
      writeFileSync(p.file.menu, 'recorded');
      ensurePrompts(dir);
      expect(readFileSync(p.file.menu, 'utf8')).toBe('recorded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
