/**
 * Small zod builders whose error messages name the allowed range and the value received,
 * so a config error reads `mobility.callAwaitTimerS: must be between 5 and 120 (got 3)`.
 */
import { z } from 'zod';

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Integer in [min, max] (inclusive). */
export function intRange(min: number, max: number) {
  const range = (iss: { input?: unknown }) => `must be between ${min} and ${max} (got ${show(iss.input)})`;
  return z
    .number({ error: (iss) => `must be an integer between ${min} and ${max} (got ${show(iss.input)})` })
    .int({ error: (iss) => `must be an integer between ${min} and ${max} (got ${show(iss.input)})` })
    .min(min, { error: range })
    .max(max, { error: range });
}

/** Integer ≥ min. */
export function intMin(min: number) {
  return z
    .number({ error: (iss) => `must be an integer ≥ ${min} (got ${show(iss.input)})` })
    .int({ error: (iss) => `must be an integer ≥ ${min} (got ${show(iss.input)})` })
    .min(min, { error: (iss) => `must be ≥ ${min} (got ${show(iss.input)})` });
}

export const port = () => intRange(0, 65535);

export function bool() {
  return z.boolean({ error: (iss) => `must be true or false (got ${show(iss.input)})` });
}

export function str(what = 'a string') {
  return z.string({ error: (iss) => `must be ${what} (got ${show(iss.input)})` });
}

export function nonEmpty(what = 'a non-empty string') {
  return str(what).min(1, { error: `must be ${what}` });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => `must be one of ${values.join(', ')} (got ${show(iss.input)})`,
  });
}

/** A string validated by a function returning an error message or undefined. */
export function checkedString(check: (s: string) => string | undefined, what = 'a string') {
  return str(what).superRefine((s, ctx) => {
    const msg = check(s);
    if (msg) ctx.addIssue({ code: 'custom', message: msg });
  });
}

export function list<T extends z.ZodType>(item: T) {
  return z.array(item, { error: (iss) => `must be a list (got ${show(iss.input)})` });
}
