/**
 * Loads the torture messages of RFC 4475 and RFC 5118 from the text files next to
 * this module. The files are written in the RFC's own notation (RFC 4475 §2):
 *
 * - every line break in the file is a CRLF on the wire (§2: messages use CRLF);
 * - `<hex>…</hex>` stands for the bytes given in hex (§2.2), whitespace inside is
 *   ignored; it is also used for trailing spaces, which editors would strip;
 * - `<repeat count=N>text</repeat>` stands for `text` repeated N times (§2.3).
 *
 * Files are read as bytes (latin1 keeps them 1:1), so UTF-8 text in a file stays
 * the same bytes in the message.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Expand the RFC 4475 §2 notation into wire bytes. */
export function expandTortureNotation(text: string): Buffer {
  let s = text.replace(/<repeat count=(\d+)>([\s\S]*?)<\/repeat>/g, (_m, n: string, t: string) => t.repeat(Number(n)));
  s = s.replace(/\r?\n/g, '\r\n');
  s = s.replace(/<hex>([\s\S]*?)<\/hex>/g, (_m, hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex').toString('latin1'));
  return Buffer.from(s, 'latin1');
}

function loadDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const full = join(here, dir);
  for (const f of readdirSync(full).sort()) {
    if (!f.endsWith('.txt')) continue;
    out.set(f.slice(0, -4), expandTortureNotation(readFileSync(join(full, f)).toString('latin1')));
  }
  return out;
}

let cache4475: Map<string, Buffer> | undefined;
let cache5118: Map<string, Buffer> | undefined;

export function rfc4475Messages(): Map<string, Buffer> {
  return (cache4475 ??= loadDir('rfc4475'));
}

export function rfc5118Messages(): Map<string, Buffer> {
  return (cache5118 ??= loadDir('rfc5118'));
}

export function rfc4475(name: string): Buffer {
  const b = rfc4475Messages().get(name);
  if (b === undefined) throw new Error(`no RFC 4475 message ${name}`);
  return b;
}

export function rfc5118(name: string): Buffer {
  const b = rfc5118Messages().get(name);
  if (b === undefined) throw new Error(`no RFC 5118 message ${name}`);
  return b;
}
