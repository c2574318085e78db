/** ACL-03, D-13: ring schedules in the owner's time zone. */
import { describe, expect, it } from 'vitest';
import type { RingSchedule } from '../../../src/directory/types.js';
import { inSchedule, localTime } from '../../../src/features/snr/schedule.js';

const officeHours: RingSchedule = { id: 'S', name: 'office', ownerUser: 'U1', entries: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] };
const LA = 'America/Los_Angeles';

describe('ring schedules', () => {
  it('all the time (null) is always open', () => {
    expect(inSchedule(null, new Date('2026-01-03T12:00:00Z'), LA)).toBe(true);
  });

  it('TS-06 (d): Mon–Fri 08:00–18:00, a call on Saturday does not ring the RD', () => {
    // Saturday 2026-01-03 10:00 in Los Angeles (18:00 UTC).
    expect(localTime(new Date('2026-01-03T18:00:00Z'), LA)).toEqual({ day: 'sat', hhmm: '10:00' });
    expect(inSchedule(officeHours, new Date('2026-01-03T18:00:00Z'), LA)).toBe(false);
    // Friday 2026-01-02 10:00 in Los Angeles: inside.
    expect(inSchedule(officeHours, new Date('2026-01-02T18:00:00Z'), LA)).toBe(true);
  });

  it('evaluates in the user time zone, not UTC: Monday 01:00 UTC is still Sunday evening in LA', () => {
    const at = new Date('2026-01-05T01:00:00Z'); // Mon 01:00 UTC = Sun 17:00 PST
    expect(localTime(at, 'UTC')).toEqual({ day: 'mon', hhmm: '01:00' });
    expect(localTime(at, LA)).toEqual({ day: 'sun', hhmm: '17:00' });
    expect(inSchedule(officeHours, at, LA)).toBe(false);
    const evening: RingSchedule = { ...officeHours, entries: [{ days: ['sun'], start: '16:00', end: '18:00' }] };
    expect(inSchedule(evening, at, LA)).toBe(true);
    expect(inSchedule(evening, at, 'UTC')).toBe(false);
  });

  it('follows daylight saving time (PDT in July, UTC-7)', () => {
    expect(localTime(new Date('2026-07-06T15:00:00Z'), LA)).toEqual({ day: 'mon', hhmm: '08:00' });
    expect(inSchedule(officeHours, new Date('2026-07-06T15:00:00Z'), LA)).toBe(true);
    expect(inSchedule(officeHours, new Date('2026-07-06T14:59:00Z'), LA)).toBe(false);
  });

  it('start is inclusive, end exclusive; 24:00 closes at midnight', () => {
    const s: RingSchedule = { ...officeHours, entries: [{ days: ['sat'], start: '22:00', end: '24:00' }] };
    expect(inSchedule(s, new Date('2026-01-03T22:00:00Z'), 'UTC')).toBe(true);
    expect(inSchedule(s, new Date('2026-01-03T23:59:00Z'), 'UTC')).toBe(true);
    expect(inSchedule(s, new Date('2026-01-04T00:00:00Z'), 'UTC')).toBe(false);
    expect(inSchedule(officeHours, new Date('2026-01-02T18:00:00Z'), 'UTC')).toBe(false); // Fri 18:00 UTC
    expect(inSchedule(officeHours, new Date('2026-01-02T17:59:00Z'), 'UTC')).toBe(true);
  });

  it('a schedule without entries is never open; several entries are OR-ed', () => {
    expect(inSchedule({ ...officeHours, entries: [] }, new Date('2026-01-02T18:00:00Z'), LA)).toBe(false);
    const split: RingSchedule = {
      ...officeHours,
      entries: [
        { days: ['mon'], start: '08:00', end: '12:00' },
        { days: ['mon'], start: '13:00', end: '17:00' },
      ],
    };
    expect(inSchedule(split, new Date('2026-01-05T12:30:00Z'), 'UTC')).toBe(false);
    expect(inSchedule(split, new Date('2026-01-05T13:30:00Z'), 'UTC')).toBe(true);
  });

  it('an unknown time zone is an error (provisioning refuses it)', () => {
    expect(() => localTime(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });
});
