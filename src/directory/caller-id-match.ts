/**
 * Caller-ID matching against remote destinations and mobility identities (spec §2 CID-02..06,
 * D-04, LIM-02). Pure functions plus an index keyed by the full normalised number and by the
 * last N digits, so a lookup is O(1) per call.
 */

export type MatchMode = 'complete' | 'partial';

export interface MatchOptions {
  mode: MatchMode;
  /** N = callerIdPartialMatchDigits. */
  digits: number;
}

/**
 * The form compared under complete matching: visual separators removed, `+` kept.
 * Returns null for a number that is not a phone number (an off-net SIP URI RD, S0:147).
 */
export function normaliseNumber(n: string): string | null {
  const s = n.trim().replace(/[\s\-.()]/g, '');
  if (s === '' || /[@:]/.test(s) || !/^\+?[0-9*#]+$/.test(s) || !/[0-9]/.test(s)) return null;
  return s;
}

/** Digits only (`+` and every other non-digit removed): the form compared under partial matching. */
export function digitsOnly(n: string): string {
  return n.replace(/[^0-9]/g, '');
}

/** CID-02/CID-03 with the D-04 fallback: does `calling` match the stored number? */
export function numbersMatch(calling: string, stored: string, opts: MatchOptions): boolean {
  const a = normaliseNumber(calling);
  const b = normaliseNumber(stored);
  if (a === null || b === null) return false;
  if (opts.mode === 'partial') {
    const da = digitsOnly(a);
    const db = digitsOnly(b);
    if (da.length >= opts.digits && db.length >= opts.digits) return da.slice(-opts.digits) === db.slice(-opts.digits);
  }
  return a === b;
}

export type LookupResult<T> =
  | { kind: 'unique'; value: T }
  | { kind: 'none' }
  | { kind: 'ambiguous'; values: T[] };

/** CID-04 on a candidate list: exactly one match succeeds; zero or several is "no match". */
export function uniqueMatch<T>(calling: string, candidates: Iterable<{ number: string; value: T }>, opts: MatchOptions): LookupResult<T> {
  const hits: T[] = [];
  for (const c of candidates) if (numbersMatch(calling, c.number, opts)) hits.push(c.value);
  return toResult(hits);
}

function toResult<T>(hits: readonly T[]): LookupResult<T> {
  if (hits.length === 1) return { kind: 'unique', value: hits[0]! };
  if (hits.length === 0) return { kind: 'none' };
  return { kind: 'ambiguous', values: [...hits] };
}

/**
 * Index of stored RD/MI numbers (LIM-02). Rebuild it (or call `reindex`) when
 * `callerIdPartialMatchDigits` changes.
 */
export class CallerIdIndex<T> {
  private readonly full = new Map<string, T[]>();
  private readonly lastN = new Map<string, T[]>();
  private readonly entries: { number: string; value: T }[] = [];

  constructor(private opts: MatchOptions) {}

  static build<T>(entries: Iterable<{ number: string; value: T }>, opts: MatchOptions): CallerIdIndex<T> {
    const idx = new CallerIdIndex<T>(opts);
    for (const e of entries) idx.add(e.number, e.value);
    return idx;
  }

  get options(): MatchOptions {
    return this.opts;
  }

  add(number: string, value: T): void {
    const n = normaliseNumber(number);
    if (n === null) return;
    this.entries.push({ number, value });
    push(this.full, n, value);
    const d = digitsOnly(n);
    if (d.length >= this.opts.digits) push(this.lastN, d.slice(-this.opts.digits), value);
  }

  reindex(opts: MatchOptions): void {
    const entries = this.entries.splice(0);
    this.full.clear();
    this.lastN.clear();
    this.opts = opts;
    for (const e of entries) this.add(e.number, e.value);
  }

  /** All stored values whose number matches `calling` (CID-02/03, D-04). */
  matches(calling: string, mode: MatchMode = this.opts.mode): T[] {
    const n = normaliseNumber(calling);
    if (n === null) return [];
    if (mode === 'partial') {
      const d = digitsOnly(n);
      // Stored numbers shorter than N cannot equal a calling number of N or more digits, so the
      // last-N index alone is complete here; shorter calling numbers fall back to complete match.
      if (d.length >= this.opts.digits) return this.lastN.get(d.slice(-this.opts.digits)) ?? [];
    }
    return this.full.get(n) ?? [];
  }

  /** CID-04: exactly one match. */
  lookup(calling: string, mode: MatchMode = this.opts.mode): LookupResult<T> {
    return toResult(this.matches(calling, mode));
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

export interface NumberCheck {
  /** Provisioning must refuse the number. */
  errors: string[];
  /** Provisioning should show these (CID-05). */
  warnings: string[];
}

/**
 * CID-05 provisioning check of a new or changed RD/MI number against the others
 * (`existing` must not contain the record being changed).
 */
export function checkRemoteDestinationNumber(
  number: string,
  existing: Iterable<{ id: string; number: string }>,
  opts: MatchOptions,
): NumberCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const n = normaliseNumber(number);
  if (n === null) {
    // An off-net SIP URI RD (S0:147) is allowed but never matched by caller ID.
    if (!/^sips?:[^@\s]+@[^@\s]+$/i.test(number.trim())) errors.push(`"${number}" is neither a dialable number nor a SIP URI`);
    else warnings.push(`"${number}" is a SIP URI: calls from it can never be matched by caller ID`);
    return { errors, warnings };
  }
  const d = digitsOnly(n);
  for (const e of existing) {
    const en = normaliseNumber(e.number);
    if (en === null) continue;
    if (en === n) errors.push(`number ${n} already exists (${e.id})`);
    else if (opts.mode === 'partial') {
      const ed = digitsOnly(en);
      if (d.length >= opts.digits && ed.length >= opts.digits && d.slice(-opts.digits) === ed.slice(-opts.digits)) {
        warnings.push(`the last ${opts.digits} digits of ${n} equal those of ${e.id} (${e.number}): partial matching cannot tell them apart`);
      }
    }
  }
  if (opts.mode === 'complete' && !n.startsWith('+')) {
    warnings.push(
      `${n} is not in +E.164 form and may contain steering digits: with complete matching, inbound calls (globalised to +E.164) can never match it`,
    );
  }
  return { errors, warnings };
}

/**
 * CID-05 (a): under partial matching, warn when a trunk delivers calling numbers of varying
 * length (the caller passes the digit counts it has seen on that trunk).
 */
export function varyingLengthWarning(trunkId: string, lengthsSeen: Iterable<number>, opts: MatchOptions): string | undefined {
  if (opts.mode !== 'partial') return undefined;
  const distinct = [...new Set(lengthsSeen)].sort((a, b) => a - b);
  if (distinct.length < 2) return undefined;
  const short = distinct.filter((l) => l < opts.digits);
  return (
    `trunk ${trunkId} delivers calling numbers of varying length (${distinct.join(', ')} digits) while partial matching uses ${opts.digits} digits` +
    (short.length ? `; numbers of ${short.join(', ')} digits fall back to complete matching` : '')
  );
}
