/**
 * Small pieces of the RFC 3261 §25 grammar shared by the header parsers:
 * list splitting, generic parameters, quoted strings. Written as charCode scans
 * (no regular expressions): these run for every header of every message.
 */

export class SipSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipSyntaxError';
  }
}

/** Parameters keep their order and are safe against `__proto__` and friends. */
export type Params = Map<string, string | null>;

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN_CHARS: Uint8Array = charTable("-.!%*_+`'~");

/** Characters a parameter value may carry without quotes when we serialise it. */
const PARAM_VALUE_CHARS = charTable("-.!%*_+`'~:[]/&$@?=");

/** A 128-entry table: 1 for alphanumerics and the given extra characters. */
export function charTable(extra: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  for (let i = 0; i < extra.length; i++) t[extra.charCodeAt(i)] = 1;
  return t;
}

export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}

/**
 * Split a header value on commas that separate list elements: commas inside
 * quoted strings or `<...>` do not count (RFC 3261 §7.3.1).
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') === -1) {
    if (value.indexOf('"') !== -1) checkQuotes(value);
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

/** The first element of a list value (what splitList(value)[0] would be), without splitting the rest. */
export function firstListElement(value: string): string | undefined {
  if (value.indexOf(',') !== -1) return splitList(value)[0];
  if (value.indexOf('"') !== -1) checkQuotes(value);
  const t = value.trim();
  return t === '' ? undefined : t;
}

function checkQuotes(value: string): void {
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 92) i++;
      else if (ch === 34) inQuote = false;
    } else if (ch === 34) inQuote = true;
  }
  if (inQuote) throw new SipSyntaxError('unterminated quoted string');
}

/**
 * Parse `;name=value;flag` parameters. `text` starts at the first `;` (or is empty;
 * leading whitespace is allowed: SEMI = SWS ";" SWS). Names are lower-cased; values
 * may be quoted strings (returned unquoted, escapes resolved). With `skipEmpty`,
 * empty parameters (`;;`) are ignored instead of rejected.
 */
export function parseParams(text: string, lowerValues = false, skipEmpty = false): Params {
  const params: Params = new Map();
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (c !== 59 /* ; */) throw new SipSyntaxError(`expected ';' in parameters near "${clip(text.slice(i, i + 16))}"`);
    i++;
    while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
    const start = i;
    let upper = false;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
      if (c >= 65 && c <= 90) upper = true;
      i++;
    }
    if (i === start) {
      if (i >= n || c === 59) {
        if (skipEmpty) continue;
        throw new SipSyntaxError('empty parameter name');
      }
      if (c === 61 /* = */) throw new SipSyntaxError('empty parameter name');
      throw new SipSyntaxError(`invalid parameter name near "${clip(text.slice(i, i + 16))}"`);
    }
    const raw = text.slice(start, i);
    const name = upper ? raw.toLowerCase() : raw;
    while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
    if (i >= n || c === 59) {
      params.set(name, null);
      continue;
    }
    if (c !== 61) throw new SipSyntaxError(`invalid parameter name "${clip(raw + text.slice(i, i + 8))}"`);
    i++;
    while (i < n && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
    if (i < n && c === 34) {
      const q = readQuoted(text, i);
      params.set(name, q.value);
      i = q.end;
      continue;
    }
    const vs = i;
    while (i < n && (c = text.charCodeAt(i)) !== 59 && c !== 32 && c !== 9) i++;
    if (i === vs) throw new SipSyntaxError(`empty value for parameter "${clip(name)}"`);
    const value = text.slice(vs, i);
    params.set(name, lowerValues ? value.toLowerCase() : value);
  }
  return params;
}

export function serializeParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) {
    if (v === null) out += `;${k}`;
    else out += `;${k}=${needsQuoting(v) ? quote(v) : v}`;
  }
  return out;
}

/** Read a quoted string starting at `text[start] === '"'`; returns the unescaped value. */
export function readQuoted(text: string, start: number): { value: string; end: number } {
  const n = text.length;
  let out: string | undefined;
  let i = start + 1;
  let seg = i;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const tail = text.slice(seg, i);
      return { value: out === undefined ? tail : out + tail, end: i + 1 };
    }
    if (c === 92) {
      if (i + 1 >= n) break;
      out = (out ?? '') + text.slice(seg, i) + text[i + 1]!;
      i += 2;
      seg = i;
      continue;
    }
    i++;
  }
  throw new SipSyntaxError('unterminated quoted string');
}

export function quote(value: string): string {
  if (value.indexOf('"') === -1 && value.indexOf('\\') === -1) return `"${value}"`;
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function needsQuoting(v: string): boolean {
  const n = v.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || PARAM_VALUE_CHARS[c] !== 1) return true;
  }
  return false;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
