/**
 * Per-trunk number rules (spec GEN-09): inbound globalisation (to +E.164, DID → DN, …) and
 * outbound localisation, stored as JSON data. Pure functions.
 *
 * A rule: { match, strip?, prefix?, replace?, applyTo?, continue? }
 *   match    a dial pattern (pattern.ts syntax, e.g. "0[1-9]!", "00!", "[2-9]XX[2-9]XXXXXX", "\+14085552999")
 *            or a regular expression written "/…/" (matched with RegExp.test; anchor it yourself)
 *   strip    number of leading characters removed (≥ length removes all)
 *   prefix   string prepended after stripping
 *   replace  instead of strip/prefix: the whole result (pattern rules), or a String.replace
 *            template with $1… (regex rules)
 *   applyTo  'calling' | 'called' | 'both' (default 'both')
 *   continue false (default): the first matching rule ends processing; true: later rules see the result
 */
import { compilePattern, type CompiledPattern } from './pattern.js';

export type NumberField = 'calling' | 'called';

export interface NumberRule {
  match: string;
  strip?: number;
  prefix?: string;
  replace?: string;
  applyTo?: NumberField | 'both';
  continue?: boolean;
  description?: string;
}

interface CompiledRule {
  rule: NumberRule;
  test: (n: string) => boolean;
  regex?: RegExp;
}

const ruleCache = new WeakMap<readonly NumberRule[], CompiledRule[]>();

function compileMatch(match: string): { test: (n: string) => boolean; regex?: RegExp } {
  if (match.length >= 2 && match.startsWith('/') && match.endsWith('/')) {
    const regex = new RegExp(match.slice(1, -1));
    return { test: (n) => regex.test(n), regex };
  }
  const p: CompiledPattern = compilePattern(match);
  return { test: (n) => p.regex.test(n) };
}

function compileRules(rules: readonly NumberRule[]): CompiledRule[] {
  let c = ruleCache.get(rules);
  if (!c) {
    c = rules.map((rule) => ({ rule, ...compileMatch(rule.match) }));
    ruleCache.set(rules, c);
  }
  return c;
}

function applyOne(c: CompiledRule, n: string): string {
  const r = c.rule;
  if (r.replace !== undefined) return c.regex ? n.replace(c.regex, r.replace) : r.replace;
  return (r.prefix ?? '') + n.slice(Math.max(0, r.strip ?? 0));
}

/** Applies `rules` in order to a number of the given field. */
export function applyNumberRules(number: string, rules: readonly NumberRule[], field: NumberField): string {
  let n = number;
  for (const c of compileRules(rules)) {
    const applies = c.rule.applyTo ?? 'both';
    if (applies !== 'both' && applies !== field) continue;
    if (!c.test(n)) continue;
    n = applyOne(c, n);
    if (!c.rule.continue) break;
  }
  return n;
}

/** Inbound: the trunk's calling or called number → +E.164 / internal DN (GEN-09). */
export function globalise(number: string, rules: readonly NumberRule[], field: NumberField = 'calling'): string {
  return applyNumberRules(number, rules, field);
}

/** Outbound: +E.164 / DN → the form the trunk wants (GEN-09, CLI-05). */
export function localise(number: string, rules: readonly NumberRule[], field: NumberField = 'called'): string {
  return applyNumberRules(number, rules, field);
}

/** Checks rules as provisioned data; returns one message per problem (empty = valid). */
export function validateNumberRules(rules: unknown, what = 'rules'): string[] {
  if (!Array.isArray(rules)) return [`${what}: must be a list`];
  const problems: string[] = [];
  rules.forEach((r: unknown, i) => {
    const at = `${what}[${i}]`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const rule = r as Record<string, unknown>;
    for (const k of Object.keys(rule)) {
      if (!['match', 'strip', 'prefix', 'replace', 'applyTo', 'continue', 'description'].includes(k)) problems.push(`${at}.${k}: unknown key`);
    }
    if (typeof rule.match !== 'string' || rule.match === '') problems.push(`${at}.match: must be a non-empty string`);
    else {
      try {
        compileMatch(rule.match);
      } catch (e) {
        problems.push(`${at}.match: ${(e as Error).message}`);
      }
    }
    if (rule.strip !== undefined && !(Number.isInteger(rule.strip) && (rule.strip as number) >= 0)) problems.push(`${at}.strip: must be an integer ≥ 0`);
    for (const k of ['prefix', 'replace', 'description'] as const) {
      if (rule[k] !== undefined && typeof rule[k] !== 'string') problems.push(`${at}.${k}: must be a string`);
    }
    if (rule.applyTo !== undefined && !['calling', 'called', 'both'].includes(rule.applyTo as string)) {
      problems.push(`${at}.applyTo: must be calling, called or both`);
    }
    if (rule.continue !== undefined && typeof rule.continue !== 'boolean') problems.push(`${at}.continue: must be true or false`);
  });
  return problems;
}
