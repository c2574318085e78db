/**
 * Fuzzing the parser with fast-check: real messages (fixtures, RFC 4475 and RFC 5118
 * torture messages) with random byte flips, insertions, deletions, duplications and
 * truncations, plus hostile inputs. Properties:
 *
 * - parseMessage, validateMessage, the typed accessors and serialising never throw
 *   anything but SipParseError / SipSyntaxError (validateMessage and toBuffer never
 *   throw at all), and each call returns in bounded time;
 * - what we serialise parses back into a message that serialises to the same bytes;
 * - a stream of valid messages split at random points yields exactly the messages
 *   (and keepalives) that the unsplit stream yields;
 * - the StreamParser never throws, whatever it is fed.
 *
 * FUZZ_RUNS scales the number of runs (default 400 per property).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError, parseMessage } from '../../../src/sip/parser/parse-message.js';
import { type StreamEvent, StreamParser } from '../../../src/sip/parser/stream-parser.js';
import { INVITE, OK200, VIA_HEAVY } from '../fixtures.js';
import { INVITE_EXACT } from '../message/exact.js';
import { MAX_MS_PER_MESSAGE, exercise, mutate, mutationArb, parseAndExercise } from './fuzz-support.js';
import { rfc4475Messages, rfc5118Messages } from './torture/load.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 400);

const SEEDS: Buffer[] = [
  Buffer.from(INVITE, 'latin1'),
  Buffer.from(INVITE_EXACT, 'latin1'),
  Buffer.from(OK200, 'latin1'),
  Buffer.from(VIA_HEAVY, 'latin1'),
  ...rfc4475Messages().values(),
  ...rfc5118Messages().values(),
];

/** Messages that frame on a stream (exact Content-Length, header end present). */
const STREAM_SEEDS: Buffer[] = (() => {
  const out: Buffer[] = [];
  for (const s of SEEDS) {
    const p = new StreamParser();
    const ev = p.push(s);
    if (ev.length === 1 && ev[0]!.kind === 'message' && ev[0]!.message.parseError === undefined && p.buffered === 0) out.push(s);
  }
  return out;
})();

const seedArb = fc.integer({ min: 0, max: SEEDS.length - 1 }).map((i) => SEEDS[i]!);

describe('fuzz: parseMessage, validateMessage and accessors', () => {
  it('mutated real messages only ever raise SipParseError / SipSyntaxError', () => {
    fc.assert(
      fc.property(seedArb, fc.array(mutationArb, { minLength: 1, maxLength: 8 }), fc.boolean(), (seed, muts, datagram) => {
        parseAndExercise(mutate(seed, muts), datagram);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('the unmutated seeds parse and survive the exercise', () => {
    for (const s of SEEDS) {
      parseAndExercise(s, true);
      parseAndExercise(s, false);
    }
  });

  it('random bytes and random header soup', () => {
    const line = fc.string({ unit: fc.constantFrom(...'abcXYZ019 \t:;,="<>@[]/\\%\r\n.-_~!*+\'`?&$()#'.split('')), maxLength: 60 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
          fc.array(line, { maxLength: 20 }).map((ls) => Buffer.from(`INVITE sip:a@b SIP/2.0\r\n${ls.join('\r\n')}\r\n\r\n`, 'latin1')),
          fc.array(line, { maxLength: 20 }).map((ls) => Buffer.from(`SIP/2.0 200 OK\r\n${ls.join('\r\n')}\r\n\r\n`, 'latin1')),
        ),
        fc.boolean(),
        (buf, datagram) => parseAndExercise(buf, datagram),
      ),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('fuzz: hostile inputs', () => {
  const base = (extra: string[], startLine = 'INVITE sip:bob@biloxi.example.com SIP/2.0', body = ''): Buffer =>
    Buffer.from(
      [
        startLine,
        'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
        'Max-Forwards: 70',
        'To: <sip:bob@biloxi.example.com>',
        'From: <sip:alice@atlanta.example.com>;tag=1',
        'Call-ID: hostile',
        'CSeq: 1 INVITE',
        ...extra,
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
      'utf8',
    );

  it('__proto__, constructor and toString as parameter and header names stay data', () => {
    const m = parseMessage(
      base(
        ['Via: SIP/2.0/UDP h;__proto__=x;constructor;toString=1', 'Contact: <sip:a@b;__proto__=1?__proto__=2>;__proto__=3', '__proto__: polluted', 'constructor: c', 'hasOwnProperty: h'],
        'INVITE sip:bob@biloxi.example.com;__proto__=p SIP/2.0',
      ),
      { datagram: true },
    );
    expect(m.vias[1]!.params.get('__proto__')).toBe('x');
    expect(m.get('__proto__')).toBe('polluted');
    expect(m.get('constructor')).toBe('c');
    expect(m.get('hasownproperty')).toBe('h');
    const c = m.contacts;
    if (c === '*') throw new Error('unexpected');
    expect(c[0]!.params.get('__proto__')).toBe('3');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('x');
    exercise(m);
    expect(m.toString()).toContain('__proto__: polluted');
  });

  it('a 60 KB header value, a 60 KB Via parameter list and 5000 headers parse quickly', () => {
    const cases = [
      base([`X-Big: ${'a'.repeat(60_000)}`]),
      base([`Via: SIP/2.0/UDP h${';p=v'.repeat(15_000)}`]),
      base([`To2: ${'"'.repeat(30_000)}`]),
      base([`Route: ${'<sip:a@b>,'.repeat(6000)}`]),
      base(Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`)),
      base([`Contact: <sip:a@b>${';q'.repeat(20_000)}`]),
      base([], `INVITE tel:+${'1'.repeat(60_000)}x SIP/2.0`),
      base([], `INVITE sip:[${'1:'.repeat(20_000)}] SIP/2.0`),
      base([`Via: SIP/2.0/UDP [${':'.repeat(50_000)}]`]),
      base([`From: ${'a '.repeat(30_000)}<sip:a@b>`]),
      base([`CSeq: ${'0'.repeat(60_000)}1 INVITE`]),
      base([`Max-Forwards: ${'0'.repeat(60_000)}`]),
      base([`X-Fold: a${'\r\n b'.repeat(15_000)}`]),
    ];
    for (const buf of cases) {
      parseAndExercise(buf, true);
      parseAndExercise(buf, false);
    }
  });

  it('huge and odd Content-Length values', () => {
    for (const cl of ['99999999999999999999999999', '4294967296', '1e3', '0x10', '+5', ' 5 ', '5 5', '-0', String(Number.MAX_SAFE_INTEGER)]) {
      const buf = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: ${cl}\r\n\r\nhello`, 'latin1');
      parseAndExercise(buf, true);
      parseAndExercise(buf, false);
      const ev = new StreamParser().push(buf);
      expect(ev.every((e) => e.kind !== 'message' || e.message.body.length <= 5)).toBe(true);
    }
  });
});

// ------------------------------------------------------------------ streams

function summary(events: StreamEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'message':
        return `message ${e.message.toBuffer().toString('latin1')} ${String(e.message.parseError)}`;
      case 'error':
        return `error ${e.raw.toString('latin1')}`;
      case 'fatal':
        return `fatal ${e.error.message}`;
      default:
        return e.kind;
    }
  });
}

/** Keepalives are only told apart when the run of CRLFs arrives whole; compare without them. */
const withoutKeepalives = (s: string[]): string[] => s.filter((x) => x !== 'ping' && x !== 'pong');

describe('fuzz: StreamParser', () => {
  it('has stream seeds to work with', () => {
    expect(STREAM_SEEDS.length).toBeGreaterThan(40);
  });

  it('a valid stream split at random points yields exactly the same messages', () => {
    const streamArb = fc.array(
      fc.tuple(fc.integer({ min: 0, max: STREAM_SEEDS.length - 1 }), fc.constantFrom('', '', '', '\r\n', '\r\n\r\n')),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 30 }), (parts, cutsRaw) => {
        const data = Buffer.concat(parts.flatMap(([i, ka]) => [Buffer.from(ka, 'latin1'), STREAM_SEEDS[i]!]));
        const whole = new StreamParser().push(data);
        expect(whole.filter((e) => e.kind === 'message')).toHaveLength(parts.length);
        const cuts = [...new Set(cutsRaw.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const p = new StreamParser();
        const split: StreamEvent[] = [];
        let prev = 0;
        for (const c of [...cuts, data.length]) {
          split.push(...p.push(data.subarray(prev, c)));
          prev = c;
        }
        expect(withoutKeepalives(summary(split))).toEqual(withoutKeepalives(summary(whole)));
        expect(p.buffered).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('byte-at-a-time delivery of every stream seed', () => {
    for (const s of STREAM_SEEDS) {
      const p = new StreamParser();
      const ev: StreamEvent[] = [];
      for (let i = 0; i < s.length; i++) ev.push(...p.push(s.subarray(i, i + 1)));
      expect(summary(ev)).toEqual(summary(new StreamParser().push(s)));
    }
  });

  it('mutated streams never throw and stop after a fatal event', () => {
    fc.assert(
      fc.property(
        fc.array(seedArb, { minLength: 1, maxLength: 4 }),
        fc.array(mutationArb, { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 10 }),
        (seeds, muts, sizes) => {
          const data = mutate(Buffer.concat(seeds), muts);
          const feed = (): number => {
            const p = new StreamParser(4096);
            let fatal = false;
            let off = 0;
            let k = 0;
            const t0 = performance.now();
            while (off < data.length) {
              const n = sizes[k++ % sizes.length]!;
              const ev = p.push(data.subarray(off, off + n));
              off += n;
              if (fatal) expect(ev).toEqual([]);
              for (const e of ev) {
                if (e.kind === 'fatal') fatal = true;
                if (e.kind === 'message') exercise(e.message);
                if (e.kind === 'error') expect(e.error).toBeInstanceOf(SipParseError);
              }
            }
            return performance.now() - t0;
          };
          // Bounded time; a stall of the machine does not repeat, slowness of ours does.
          if (feed() > MAX_MS_PER_MESSAGE * 4) expect(feed()).toBeLessThan(MAX_MS_PER_MESSAGE * 4);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
