/**
 * Dial plan resolution over partitions and calling search spaces (spec GEN-06, ANC-02).
 *
 * Best match for a dialled string within a CSS:
 *   1. the pattern that matches the fewest strings of the dialled length wins
 *      (an exact number matches 1, so it beats every pattern);
 *   2. on equal count, a fixed-length pattern beats one with "!";
 *   3. then the partition earlier in the CSS wins;
 *   4. then the entry defined first.
 * Pure data structure; the Directory builds one from its tables and caches it.
 */
import { compilePattern, matchPattern, type CompiledPattern } from './pattern.js';

export type RouteTarget =
  | { kind: 'trunk'; id: string }
  | { kind: 'line'; id: string }
  | { kind: 'feature'; id: string; arg?: string };

export interface DialPlanEntry {
  partition: string;
  pattern: string;
  target: RouteTarget;
  /** Drop the digits before "." from the called number. */
  stripPreDot?: boolean;
  /** Prepended to the called number (after stripPreDot). */
  prefix?: string;
  /** Free text: where the entry came from (route pattern id, line id, feature). */
  source?: string;
}

export interface DialPlanCss {
  name: string;
  partitions: readonly string[];
}

export interface RouteMatch {
  entry: DialPlanEntry;
  partition: string;
  target: RouteTarget;
  dialed: string;
  preDot: string;
  postDot: string;
  /** The called number after the entry's transformation (stripPreDot, prefix). */
  calledNumber: string;
  alternatives: bigint;
  variable: boolean;
}

interface Compiled {
  entry: DialPlanEntry;
  pattern: CompiledPattern;
  order: number;
}

interface PartitionIndex {
  exact: Map<string, Compiled[]>;
  wildcard: Compiled[];
}

export class DialPlan {
  private readonly partitions = new Map<string, PartitionIndex>();
  private readonly css = new Map<string, readonly string[]>();

  /** Throws PatternError for an invalid pattern. */
  constructor(entries: readonly DialPlanEntry[], css: readonly DialPlanCss[]) {
    entries.forEach((entry, order) => {
      const pattern = compilePattern(entry.pattern);
      let idx = this.partitions.get(entry.partition);
      if (!idx) this.partitions.set(entry.partition, (idx = { exact: new Map(), wildcard: [] }));
      const c: Compiled = { entry, pattern, order };
      if (pattern.exact !== null) {
        const list = idx.exact.get(pattern.exact);
        if (list) list.push(c);
        else idx.exact.set(pattern.exact, [c]);
      } else idx.wildcard.push(c);
    });
    for (const c of css) this.css.set(c.name, c.partitions);
  }

  hasCss(name: string): boolean {
    return this.css.has(name);
  }

  partitionsOf(css: string | readonly string[]): string[] {
    const names = typeof css === 'string' ? [css] : css;
    const out: string[] = [];
    for (const n of names) for (const p of this.css.get(n) ?? []) if (!out.includes(p)) out.push(p);
    return out;
  }

  /**
   * Resolves `dialed` through a CSS, or several CSSs searched as one (GEN-06 "profile/device CSS
   * plus line CSS": pass [lineCss, deviceCss]; partitions keep that order, duplicates dropped).
   * Unknown CSS names contribute no partitions.
   */
  resolve(dialed: string, css: string | readonly string[]): RouteMatch | undefined {
    return this.resolveInPartitions(dialed, this.partitionsOf(css));
  }

  resolveInPartitions(dialed: string, partitions: readonly string[]): RouteMatch | undefined {
    if (dialed === '') return undefined;
    let best: { c: Compiled; rank: number; m: NonNullable<ReturnType<typeof matchPattern>> } | undefined;
    const consider = (c: Compiled, rank: number) => {
      const m = matchPattern(c.pattern, dialed);
      if (!m) return;
      if (!best || better(m.alternatives, m.variable, rank, c.order, best.m.alternatives, best.m.variable, best.rank, best.c.order)) {
        best = { c, rank, m };
      }
    };
    partitions.forEach((name, rank) => {
      const idx = this.partitions.get(name);
      if (!idx) return;
      for (const c of idx.exact.get(dialed) ?? []) consider(c, rank);
      for (const c of idx.wildcard) consider(c, rank);
    });
    if (!best) return undefined;
    const { c, m } = best;
    const e = c.entry;
    return {
      entry: e,
      partition: e.partition,
      target: e.target,
      dialed,
      preDot: m.preDot,
      postDot: m.postDot,
      calledNumber: (e.prefix ?? '') + (e.stripPreDot ? m.postDot : dialed),
      alternatives: m.alternatives,
      variable: m.variable,
    };
  }
}

function better(a: bigint, av: boolean, ar: number, ao: number, b: bigint, bv: boolean, br: number, bo: number): boolean {
  if (a !== b) return a < b;
  if (av !== bv) return !av;
  if (ar !== br) return ar < br;
  return ao < bo;
}
