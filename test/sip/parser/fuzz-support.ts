/**
 * Shared by fuzz.test.ts (and handy for replaying a counterexample by hand):
 * mutations of real messages and the "use it like a consumer would" exercise.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';
import type { SipMessageAny } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { validateMessage } from '../../../src/sip/message/validate.js';
import { SipParseError, parseMessage } from '../../../src/sip/parser/parse-message.js';

/** Generous: one parse of a 64 KB message takes well under a millisecond. */
export const MAX_MS_PER_MESSAGE = 250;

export function isSipError(e: unknown): boolean {
  return e instanceof SipParseError || e instanceof SipSyntaxError;
}

/** Run fn; a thrown error must be one of ours. */
export function guarded<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!isSipError(e)) throw new Error(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    return undefined;
  }
}

/** Every typed accessor and the serialiser, as a consumer would use them. */
export function exercise(m: SipMessageAny): void {
  const problem = validateMessage(m); // must never throw
  if (problem !== undefined) {
    expect(typeof problem.status).toBe('number');
    expect(typeof problem.reason).toBe('string');
  }
  guarded('callId', () => m.callId);
  guarded('cseq', () => m.cseq.toString());
  guarded('from', () => m.from.tag);
  guarded('to', () => m.to.toString());
  guarded('topVia', () => m.topVia.branch);
  guarded('vias', () => m.vias.map((v) => v.toString()));
  guarded('contacts', () => {
    const c = m.contacts;
    return c === '*' ? c : c.map((x) => x.toString());
  });
  guarded('routes', () => m.routes.length);
  guarded('recordRoutes', () => m.recordRoutes.length);
  guarded('maxForwards', () => m.maxForwards);
  guarded('contentType', () => m.contentType);
  guarded('optionTags', () => m.optionTags('supported'));
  guarded('get', () => [m.get('via'), m.getAll('contact'), m.has('__proto__'), m.getAll('constructor'), m.get('www-authenticate')]);
  if (m.isRequest()) {
    guarded('uri', () => m.uri.toString());
    guarded('createResponse', () => createResponse(m, 400, undefined, 'tag1').toBuffer());
  }
  // Serialising never throws, and what we write parses again (or is cleanly refused)
  // into a message that serialises to the same bytes: one round normalises.
  const out = m.toBuffer();
  const again = guarded('reparse', () => parseMessage(out, { datagram: true }));
  if (again !== undefined) {
    guarded('reparse accessors', () => validateMessage(again));
    const out2 = again.toBuffer();
    if (!out2.equals(out)) throw new Error(`not a fixed point:\n${JSON.stringify(out.toString('latin1'))}\n${JSON.stringify(out2.toString('latin1'))}`);
  }
  // Edits on a damaged message do not throw either.
  guarded('edit', () => {
    m.prepend('via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz');
    m.topVia.params.set('received', '192.0.2.2');
    m.remove('route');
    m.set('max-forwards', '69');
    return m.toBuffer();
  });
}

export function parseAndExercise(buf: Buffer, datagram: boolean): void {
  const once = (): number => {
    const t0 = performance.now();
    const m = guarded('parseMessage', () => parseMessage(buf, { datagram }));
    if (m !== undefined) exercise(m);
    return performance.now() - t0;
  };
  // A GC pause or a busy machine can stall one run; slowness that is ours repeats.
  if (once() > MAX_MS_PER_MESSAGE) {
    const ms = once();
    if (ms > MAX_MS_PER_MESSAGE) throw new Error(`took ${ms.toFixed(0)} ms for ${buf.length} bytes`);
  }
}

// ------------------------------------------------------------------ mutations

const INTERESTING = [0, 9, 10, 13, 32, 34, 37, 44, 47, 58, 59, 60, 61, 62, 63, 64, 91, 92, 93, 0x7f, 0x80, 0xc3, 0xff];
const FRAGMENTS = [
  '\r\n', '\r\n ', '\n', '\r', ';', ',', '"', '\\', '<', '>', ':', '%', '%0', '[', ']', '[::1]', '=', ';;', ',,', 'SIP/2.0',
  ';__proto__=1', ';constructor', '__proto__: x\r\n', 'Content-Length: 99999999999\r\n', 'l: -1\r\n', 'Via: \r\n', 'v: ,\r\n',
  'To: "\r\n', 'Contact: *\r\n', '\r\n\r\n', '\u00e9', '\ud83d\ude00', 'sip:', 'tel:+', ';tag=', ';branch=z9hG4bK', ';received=[',
];

export type Mutation =
  | { op: 'flip'; pos: number; bit: number }
  | { op: 'set'; pos: number; byte: number }
  | { op: 'insert'; pos: number; bytes: Buffer }
  | { op: 'delete'; pos: number; len: number }
  | { op: 'dup'; pos: number; len: number }
  | { op: 'truncate'; pos: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), pos: fc.nat(), byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })) }),
  fc.record({
    op: fc.constant('insert' as const),
    pos: fc.nat(),
    bytes: fc.oneof(
      fc.constantFrom(...FRAGMENTS).map((s) => Buffer.from(s, 'utf8')),
      fc.uint8Array({ minLength: 1, maxLength: 24 }).map((a) => Buffer.from(a)),
    ),
  }),
  fc.record({ op: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('dup' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ op: fc.constant('truncate' as const), pos: fc.nat() }),
);

export function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of mutations) {
    const n = b.length;
    const at = n === 0 ? 0 : m.pos % (n + 1);
    switch (m.op) {
      case 'flip':
        if (n > 0) b[at % n] = b[at % n]! ^ (1 << m.bit);
        break;
      case 'set':
        if (n > 0) b[at % n] = m.byte;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      case 'dup':
        b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at, at + m.len), b.subarray(at + m.len)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

