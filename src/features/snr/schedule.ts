/**
 * Ring schedules of remote destinations (spec ACL-03, D-13), evaluated in the owner's
 * IANA time zone. Pure functions: the caller passes the instant.
 */
import type { RingSchedule, Weekday } from '../../directory/types.js';

const DAYS: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  return f;
}

/** Weekday and wall-clock `HH:MM` of `at` in `timeZone` (throws RangeError for an unknown zone). */
export function localTime(at: Date, timeZone: string): { day: Weekday; hhmm: string } {
  let day: Weekday | undefined;
  let hour = '00';
  let minute = '00';
  for (const part of formatFor(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') day = DAYS[part.value];
    else if (part.type === 'hour') hour = part.value === '24' ? '00' : part.value;
    else if (part.type === 'minute') minute = part.value;
  }
  if (day === undefined) throw new RangeError(`no weekday for ${at.toISOString()} in ${timeZone}`);
  return { day, hhmm: `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}` };
}

/**
 * Is `at` inside the schedule? `null` means "all the time". Entries are [start, end)
 * on the listed days (end may be 24:00); a schedule without entries is never open.
 */
export function inSchedule(schedule: RingSchedule | null, at: Date, timeZone: string): boolean {
  if (schedule === null) return true;
  const { day, hhmm } = localTime(at, timeZone);
  return schedule.entries.some((e) => e.days.includes(day) && e.start <= hhmm && hhmm < e.end);
}
