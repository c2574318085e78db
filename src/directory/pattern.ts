/**
 * Cisco-style dial patterns (spec GEN-06), compiled once and cached:
 *   0-9 * # A-D   literal
 *   \+            literal "+" (a bare "+" is refused: in Cisco syntax it is a repetition operator)
 *   X             any one digit 0-9
 *   [1-5] [135]   one digit from a set; [^…] negates
 *   !             one or more digits
 *   .             separator: not matched; marks where a prefix may be stripped (PreDot)
 * Pure functions, no I/O.
 */

export class PatternError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`invalid pattern "${pattern}": ${reason}`);
    this.name = 'PatternError';
  }
}

export interface CompiledPattern {
  readonly source: string;
  /** Anchored; group 1 = the PreDot part. */
  readonly regex: RegExp;
  /** The literal string when the pattern has no wildcard (exact numbers are looked up by map). */
  readonly exact: string | null;
  /** Number of "!" elements. */
  readonly bangs: number;
  /** Elements that consume exactly one character. */
  readonly fixedElements: number;
  /** Product of the alternatives of the fixed-width elements (1 for a literal, 10 for X, n for [...]). */
  readonly fixedAlternatives: bigint;
}

export interface PatternMatch {
  /** How many strings of the dialled length this pattern matches: fewer = more specific. */
  readonly alternatives: bigint;
  /** True if the pattern has "!" (variable length). */
  readonly variable: boolean;
  readonly preDot: string;
  readonly postDot: string;
}

const cache = new Map<string, CompiledPattern>();

function esc(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|#]/g, '\\$&');
}

function parseClass(p: string, start: number): { re: string; size: number; end: number } {
  const close = p.indexOf(']', start);
  if (close < 0) throw new PatternError(p, `unclosed "[" at position ${start + 1}`);
  let body = p.slice(start + 1, close);
  const negate = body.startsWith('^');
  if (negate) body = body.slice(1);
  if (body === '') throw new PatternError(p, 'empty [] class');
  const set = new Set<string>();
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (!/[0-9]/.test(c)) throw new PatternError(p, `"[${body}]" may contain only digits and ranges`);
    if (body[i + 1] === '-') {
      const to = body[i + 2];
      if (to === undefined || !/[0-9]/.test(to) || to < c) throw new PatternError(p, `bad range in "[${body}]"`);
      for (let d = c.charCodeAt(0); d <= to.charCodeAt(0); d++) set.add(String.fromCharCode(d));
      i += 2;
    } else set.add(c);
  }
  const digits = negate ? [...'0123456789'].filter((d) => !set.has(d)) : [...set].sort();
  if (digits.length === 0) throw new PatternError(p, `"[${body}]" matches nothing`);
  return { re: `[${digits.join('')}]`, size: digits.length, end: close };
}

export function compilePattern(p: string): CompiledPattern {
  const hit = cache.get(p);
  if (hit) return hit;
  if (p === '') throw new PatternError(p, 'empty');
  let pre = '';
  let post = '';
  let dotSeen = false;
  let literal = '';
  let wildcard = false;
  let bangs = 0;
  let fixed = 0;
  let alts = 1n;
  const emit = (re: string) => {
    if (dotSeen) post += re;
    else pre += re;
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      if (p[i + 1] !== '+') throw new PatternError(p, '"\\" may only escape "+"');
      emit('\\+');
      literal += '+';
      fixed++;
      i++;
    } else if (c === '.') {
      if (dotSeen) throw new PatternError(p, 'more than one "."');
      dotSeen = true;
    } else if (c === 'X' || c === 'x') {
      emit('[0-9]');
      wildcard = true;
      fixed++;
      alts *= 10n;
    } else if (c === '!') {
      emit('[0-9]+');
      wildcard = true;
      bangs++;
    } else if (c === '[') {
      const cls = parseClass(p, i);
      emit(cls.re);
      wildcard = true;
      fixed++;
      alts *= BigInt(cls.size);
      i = cls.end;
    } else if (/[0-9*#A-D]/.test(c)) {
      emit(esc(c));
      literal += c;
      fixed++;
    } else if (c === '+') {
      throw new PatternError(p, 'write a literal "+" as "\\+"');
    } else {
      throw new PatternError(p, `unsupported character "${c}"`);
    }
  }
  if (fixed === 0 && bangs === 0) throw new PatternError(p, 'matches nothing');
  const compiled: CompiledPattern = {
    source: p,
    regex: new RegExp(`^(${pre})${post}$`),
    exact: wildcard ? null : literal,
    bangs,
    fixedElements: fixed,
    fixedAlternatives: alts,
  };
  cache.set(p, compiled);
  return compiled;
}

/** Returns the reason a pattern is invalid, or undefined. */
export function validatePattern(p: string): string | undefined {
  try {
    compilePattern(p);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function matchPattern(c: CompiledPattern, dialed: string): PatternMatch | null {
  const m = c.regex.exec(dialed);
  if (!m) return null;
  const preDot = m[1]!;
  // Every "!" together consumes what the fixed-width elements leave; each of those digits has 10 alternatives.
  const bangDigits = dialed.length - c.fixedElements;
  const alternatives = c.bangs > 0 ? c.fixedAlternatives * 10n ** BigInt(bangDigits) : c.fixedAlternatives;
  return { alternatives, variable: c.bangs > 0, preDot, postDot: dialed.slice(preDot.length) };
}

/** Escapes a literal number for use as a pattern (`+` → `\+`). */
export function literalPattern(number: string): string {
  return number.replace(/\+/g, '\\+');
}
