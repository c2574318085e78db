/** Config errors: one line per problem, `config error: <key path>: <why>`. */
import type { z } from 'zod';
import { show } from './fields.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.map((p) => `config error: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  const parts = prefix ? [prefix] : [];
  for (const k of path) parts.push(String(k));
  return parts.length ? parts.join('.') : '(root)';
}

/** Turns zod issues into messages naming the key path; `input` supplies the offending value. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix = ''): string[] {
  const out: string[] = [];
  for (const iss of issues) {
    const got = valueAt(input, iss.path);
    switch (iss.code) {
      case 'unrecognized_keys':
        for (const k of iss.keys) out.push(`${formatPath([...iss.path, k], prefix)}: unknown key`);
        break;
      case 'invalid_type':
        // Custom messages from fields.ts already say what is expected; zod's default ones do not show the value.
        if (iss.message.startsWith('must')) out.push(`${formatPath(iss.path, prefix)}: ${iss.message}`);
        else out.push(`${formatPath(iss.path, prefix)}: must be ${iss.expected === 'object' ? 'a mapping' : `a ${iss.expected}`} (got ${show(got)})`);
        break;
      default:
        out.push(`${formatPath(iss.path, prefix)}: ${iss.message}`);
    }
  }
  return out;
}
