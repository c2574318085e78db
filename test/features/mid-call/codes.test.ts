import { afterEach, describe, expect, it, vi } from 'vitest';
import { FeatureCodeCollector, type FeatureCodes, type MidCallCode } from '../../../src/features/mid-call/codes.js';

const CODES: FeatureCodes = { hold: '*81', exclusiveHold: '*82', resume: '*83', transfer: '*84', conference: '*85', sessionHandoff: '*74' };

function collector(interDigitMs = 3000): { c: FeatureCodeCollector; fired: MidCallCode[] } {
  const fired: MidCallCode[] = [];
  return { c: new FeatureCodeCollector(() => CODES, () => interDigitMs, (x) => fired.push(x)), fired };
}
const press = (c: FeatureCodeCollector, s: string) => [...s].forEach((d) => c.push(d));

afterEach(() => vi.useRealTimers());

describe('mid-call feature codes (DTMF-03)', () => {
  it('fires each configured code once, from the * on', () => {
    const { c, fired } = collector();
    press(c, '*81');
    press(c, '12*83');
    press(c, '*74');
    expect(fired).toEqual(['hold', 'resume', 'sessionHandoff']);
    c.stop();
  });

  it('ignores digits that are not a sequence (pass-through digits for a remote IVR)', () => {
    const { c, fired } = collector();
    press(c, '8112345#');
    expect(fired).toEqual([]);
    expect(c.pending).toBe('');
  });

  it('a * restarts the sequence; a non-code sequence is dropped', () => {
    const { c, fired } = collector();
    press(c, '*8*81');
    press(c, '*99');
    expect(fired).toEqual(['hold']);
    expect(c.pending).toBe('');
  });

  it('the buffer resets after the inter-digit timeout (D-08)', () => {
    vi.useFakeTimers();
    const { c, fired } = collector(3000);
    press(c, '*8');
    vi.advanceTimersByTime(3001);
    press(c, '1');
    expect(fired).toEqual([]);
    press(c, '*8');
    vi.advanceTimersByTime(2000);
    press(c, '3');
    expect(fired).toEqual(['resume']);
  });
});
