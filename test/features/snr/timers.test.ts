/** TMR-01..05, VMA-01..03, D-11, D-42, D-44: timer and policy selection per fork. */
import { describe, expect, it } from 'vitest';
import { effectivePolicy, forkTimers, timerWarnings } from '../../../src/features/snr/timers.js';

const rd = { id: 'RD1', snrVoicemailPolicy: 'useSystemDefault' as const, delayBeforeRingingMs: 4000, answerTooSoonMs: 1500, answerTooLateMs: 19000 };

describe('voicemail policy (VMA-01, D-44)', () => {
  it('useSystemDefault follows the system value; an explicit RD policy wins', () => {
    expect(effectivePolicy(rd, 'timerControl')).toBe('timerControl');
    expect(effectivePolicy(rd, 'userControl')).toBe('userControl');
    expect(effectivePolicy({ snrVoicemailPolicy: 'timerControl' }, 'userControl')).toBe('timerControl');
    expect(effectivePolicy({ snrVoicemailPolicy: 'userControl' }, 'timerControl')).toBe('userControl');
  });
});

describe('fork timers', () => {
  it('timer control: the defaults 4000 / 1500 / 19000', () => {
    expect(forkTimers(rd, 'timerControl')).toEqual({ policy: 'timerControl', delayMs: 4000, answerTooSoonMs: 1500, answerTooLateMs: 19000 });
  });
  it('user control: no Answer Too Soon (D-42); Delay Before Ringing and Answer Too Late stay', () => {
    expect(forkTimers(rd, 'userControl')).toEqual({ policy: 'userControl', delayMs: 4000, answerTooSoonMs: 0, answerTooLateMs: 19000 });
  });
  it('Delay Before Ringing runs from when the call reached the DN (TMR-05, D-11)', () => {
    expect(forkTimers(rd, 'timerControl', 250).delayMs).toBe(3750);
    expect(forkTimers(rd, 'timerControl', 9000).delayMs).toBe(0);
    expect(forkTimers(rd, 'timerControl', -5).delayMs).toBe(4000);
  });
  it('0 keeps a timer off (TMR-05)', () => {
    expect(forkTimers({ ...rd, answerTooSoonMs: 0, answerTooLateMs: 0, delayBeforeRingingMs: 0 }, 'timerControl')).toEqual({
      policy: 'timerControl',
      delayMs: 0,
      answerTooSoonMs: 0,
      answerTooLateMs: 0,
    });
  });
});

describe('TMR-04 warnings', () => {
  it('none for a no-answer time between the two bounds', () => {
    expect(timerWarnings(12_000, rd)).toEqual([]);
  });
  it('no-answer time not shorter than delay + ring time (fixture F: 30 s)', () => {
    const w = timerWarnings(30_000, rd);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/not shorter than/);
  });
  it('too little time to answer on the RD: at most delay + Answer Too Soon + 5000 ms', () => {
    expect(timerWarnings(10_500, rd)).toHaveLength(1);
    expect(timerWarnings(10_500, rd)[0]).toMatch(/too little time/);
    expect(timerWarnings(10_501, rd)).toEqual([]);
  });
});
