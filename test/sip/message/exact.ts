/**
 * test/sip/fixtures.ts's INVITE declares Content-Length: 142 for a 149-byte body.
 * Tests that need a self-consistent message (stream framing, byte-exact
 * round trips) use this, which rewrites Content-Length to the body's length.
 */
import { INVITE } from '../fixtures.js';

export function withExactContentLength(text: string): string {
  const i = text.indexOf('\r\n\r\n');
  const body = Buffer.byteLength(text.slice(i + 4));
  return text.slice(0, i).replace(/^(Content-Length|l)[ \t]*:[ \t]*\d+$/im, `$1: ${body}`) + text.slice(i);
}

export const INVITE_EXACT = withExactContentLength(INVITE);
