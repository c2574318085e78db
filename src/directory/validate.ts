/** Field checks for directory writes; each throws DirectoryError('invalid') naming the field. */
import type { DirectoryContext } from './context.js';
import { invalid } from './errors.js';

export function requireRef(ctx: DirectoryContext, table: string, col: string, value: string | null | undefined, field: string): void {
  if (value === null || value === undefined) return;
  if (!ctx.exists(table, col, value)) throw invalid(`${field}: "${value}" does not exist`);
}

export function checkInt(field: string, v: unknown, min: number, max: number): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${field}: must be an integer between ${min} and ${max} (got ${JSON.stringify(v)})`);
  }
}

export function checkNonEmpty(field: string, v: unknown): void {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${field}: must be a non-empty string`);
}

/** Directory numbers, DIDs, forward targets: dial strings with an optional leading "+". */
export function checkDialString(field: string, v: string | null | undefined): void {
  if (v === null || v === undefined) return;
  if (!/^\+?[0-9*#]{1,32}$/.test(v)) throw invalid(`${field}: "${v}" is not a dial string (digits, * and #, optional leading +)`);
}

export function checkOneOf<T extends string>(field: string, v: unknown, values: readonly T[]): void {
  if (v === undefined) return;
  if (!values.includes(v as T)) throw invalid(`${field}: must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
}

/** Drops keys whose value is undefined, so a patch does not erase fields it does not mention. */
export function defined<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
