/**
 * Small pieces of the RFC 3261 §25 grammar shared by the header parsers:
 * list splitting, generic parameters, quoted strings.
 */

export class SipSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipSyntaxError';
  }
}

/** Parameters keep their order and are safe against `__proto__` and friends. */
export type Params = Map<string, string | null>;

/**
 * Split a header value on commas that separate list elements: commas inside
 * quoted strings or `<...>` do not count (RFC 3261 §7.3.1).
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') === -1) {
    const t = value.trim();
    return t === '' ? [] : [t];
  }
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inQuote = false;
    } else if (ch === 34) inQuote = true;
    else if (ch === 60 /* < */) inAngle = true;
    else if (ch === 62 /* > */) inAngle = false;
    else if (ch === 44 /* , */ && !inAngle) {
      const part = value.slice(start, i).trim();
      if (part !== '') out.push(part);
      start = i + 1;
    }
  }
  if (inQuote) throw new SipSyntaxError('unterminated quoted string');
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

/**
 * Parse `;name=value;flag` parameters. `text` starts at the first `;` (or is empty).
 * Values may be quoted strings (kept with their quotes removed and escapes resolved).
 */
export function parseParams(text: string, lowerValues = false): Params {
  const params: Params = new Map();
  let i = 0;
  const n = text.length;
  while (i < n) {
    // skip whitespace and the separator
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    if (text[i] !== ';') throw new SipSyntaxError(`expected ';' in parameters near "${text.slice(i, i + 16)}"`);
    i++;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    let j = i;
    while (j < n && text[j] !== '=' && text[j] !== ';' && text[j] !== ' ' && text[j] !== '\t') j++;
    const name = text.slice(i, j).toLowerCase();
    if (name === '') throw new SipSyntaxError('empty parameter name');
    if (!isToken(name)) throw new SipSyntaxError(`invalid parameter name "${name}"`);
    i = j;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i < n && text[i] === '=') {
      i++;
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (text[i] === '"') {
        const q = readQuoted(text, i);
        params.set(name, q.value);
        i = q.end;
      } else {
        let k = i;
        while (k < n && text[k] !== ';' && text[k] !== ' ' && text[k] !== '\t') k++;
        const raw = text.slice(i, k);
        if (raw === '') throw new SipSyntaxError(`empty value for parameter "${name}"`);
        params.set(name, lowerValues ? raw.toLowerCase() : raw);
        i = k;
      }
    } else {
      params.set(name, null);
    }
  }
  return params;
}

export function serializeParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) {
    out += v === null ? `;${k}` : `;${k}=${needsQuoting(v) ? quote(v) : v}`;
  }
  return out;
}

/** Read a quoted string starting at `text[start] === '"'`; returns the unescaped value. */
export function readQuoted(text: string, start: number): { value: string; end: number } {
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\') {
      if (i + 1 >= text.length) break;
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '"') return { value: out, end: i + 1 };
    out += ch;
    i++;
  }
  throw new SipSyntaxError('unterminated quoted string');
}

export function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

const PARAM_VALUE_RE = /^[A-Za-z0-9\-.!%*_+`'~:[\]/&$@?=]+$/;
function needsQuoting(v: string): boolean {
  return v === '' || !PARAM_VALUE_RE.test(v);
}
