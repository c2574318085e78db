/**
 * Syntax rules for dialable strings in configuration (spec DVO-F-04, DTMF-06, MVA-07).
 * Pure functions; shared by the config schema and the directory's service parameters.
 */

/** Maximum dialable characters in an EFA number / DVO-F service access number (DVO-F-04). */
export const MAX_DIALABLE_CHARS = 24;

export type DialableResult = { ok: true; value: string } | { ok: false; reason: string };

export interface DialableOptions {
  /** Accept a bare `+` as well as `\+` (used for MVA / handoff numbers, which the spec writes `+…`). */
  allowBarePlus?: boolean;
  /** Accept the empty string (parameter "not configured"). */
  allowEmpty?: boolean;
  maxChars?: number;
}

/**
 * Parses a configured dialable string: characters `0-9 * # A-D` and `+` written as `\+`.
 * The backslash does not count towards the limit (DVO-F-04). Returns the unescaped value,
 * which is what is sent in SDP (DVO-F-03) and compared with translated called numbers.
 */
export function parseDialable(raw: string, opts: DialableOptions = {}): DialableResult {
  const max = opts.maxChars ?? MAX_DIALABLE_CHARS;
  if (raw === '') return opts.allowEmpty ? { ok: true, value: '' } : { ok: false, reason: 'must not be empty' };
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      if (raw[i + 1] !== '+') return { ok: false, reason: `"\\" may only escape "+" (at position ${i + 1})` };
      out += '+';
      i++;
      continue;
    }
    if (c === '+') {
      if (!opts.allowBarePlus) return { ok: false, reason: 'a "+" must be written "\\+"' };
      out += '+';
      continue;
    }
    if (!/[0-9*#A-D]/.test(c)) return { ok: false, reason: `invalid character "${c}" (allowed: 0-9 * # A-D \\+)` };
    out += c;
  }
  if (out.length > max) return { ok: false, reason: `at most ${max} dialable characters (got ${out.length})` };
  return { ok: true, value: out };
}

/** Removes the `\` escape: `\+14081239876` → `+14081239876` (DVO-F-03). Assumes a valid value. */
export function unescapeDialable(raw: string): string {
  return raw.replace(/\\\+/g, '+');
}

/** A feature code / access code: dialable characters without `+`, 1..24 long. */
export function isDialCode(s: string): boolean {
  return /^[0-9*#A-D]{1,24}$/.test(s);
}

/**
 * DTMF-06: every mid-call code starts with `*`, all differ and none is a prefix of another.
 * Returns one message per problem, naming the offending code keys.
 */
export function checkFeatureCodes(codes: Readonly<Record<string, string>>): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const entries = Object.entries(codes);
  for (const [key, code] of entries) {
    if (!code.startsWith('*')) problems.push({ key, message: `must start with "*" (got "${code}")` });
    else if (!/^\*[0-9*#A-D]+$/.test(code)) {
      problems.push({ key, message: `must be "*" followed by dialable characters 0-9 * # A-D (got "${code}")` });
    }
  }
  for (let i = 0; i < entries.length; i++) {
    for (let j = 0; j < entries.length; j++) {
      if (i === j) continue;
      const [ka, a] = entries[i]!;
      const [kb, b] = entries[j]!;
      if (a === b && i < j) problems.push({ key: kb, message: `duplicates ${ka} ("${b}")` });
      else if (a !== b && b.startsWith(a)) problems.push({ key: kb, message: `"${b}" starts with ${ka} "${a}" (no code may be a prefix of another)` });
    }
  }
  return problems;
}

/** MVA-07: `systemRemoteAccessBlockedNumbers` is a comma-separated list of digit strings as users dial them. */
export function parseBlockedNumbers(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}
