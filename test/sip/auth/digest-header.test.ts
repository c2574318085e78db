import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DigestHeaderError,
  MAX_DIGEST_HEADER_LENGTH,
  NO_PARAMS,
  parseChallenge,
  parseCredentials,
  serializeChallenge,
  serializeCredentials,
  type AuthParam,
  type DigestChallenge,
  type DigestCredentials,
} from '../../../src/sip/auth/digest-header.js';

function ok<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

// RFC 2617 §3.5, with the line folding of the RFC text kept.
const RFC2617_CHALLENGE =
  'Digest\r\n' +
  '                 realm="testrealm@host.com",\r\n' +
  '                 qop="auth,auth-int",\r\n' +
  '                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n' +
  '                 opaque="5ccc069c403ebaf9f0171e9517f40e41"';
const RFC2617_CREDENTIALS =
  'Digest username="Mufasa",\r\n' +
  '                 realm="testrealm@host.com",\r\n' +
  '                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n' +
  '                 uri="/dir/index.html",\r\n' +
  '                 qop=auth,\r\n' +
  '                 nc=00000001,\r\n' +
  '                 cnonce="0a4f113b",\r\n' +
  '                 response="6629fae49393a05397450978507c4ef1",\r\n' +
  '                 opaque="5ccc069c403ebaf9f0171e9517f40e41"';

describe('parseChallenge', () => {
  it('parses the RFC 2617 example (folded)', () => {
    const c = ok(parseChallenge(RFC2617_CHALLENGE));
    expect(c.realm).toBe('testrealm@host.com');
    expect(c.nonce).toBe('dcd98b7102dd2f0e8b11d0f600bfb0c093');
    expect(c.opaque).toBe('5ccc069c403ebaf9f0171e9517f40e41');
    expect(c.qop).toEqual(['auth', 'auth-int']);
    expect(c.algorithm).toBeUndefined();
    expect(c.stale).toBeUndefined();
    expect(c.params.size).toBe(0);
  });

  it('is case-insensitive for scheme and param names, keeps unknown params', () => {
    const c = ok(
      parseChallenge('DIGEST REALM="a.example", Nonce=abc, STALE=TRUE, Algorithm=sha-256, charset=UTF-8, x-foo="b\\"c"'),
    );
    expect(c.realm).toBe('a.example');
    expect(c.nonce).toBe('abc');
    expect(c.stale).toBe(true);
    expect(c.algorithm).toBe('sha-256');
    expect([...c.params.keys()]).toEqual(['charset', 'x-foo']);
    expect(c.params.get('x-foo')).toEqual({ name: 'x-foo', value: 'b"c', quoted: true });
  });

  it('stale other than "true" is false (RFC 2617 §3.2.1), quoted stale accepted', () => {
    expect(ok(parseChallenge('Digest realm="r", nonce="n", stale=FALSE')).stale).toBe(false);
    expect(ok(parseChallenge('Digest realm="r", nonce="n", stale=maybe')).stale).toBe(false);
    expect(ok(parseChallenge('Digest realm="r", nonce="n", stale="true"')).stale).toBe(true);
  });

  it('tolerates empty list elements and odd whitespace', () => {
    const c = ok(parseChallenge('  Digest\trealm = "r" ,, nonce\t=\t"n",  '));
    expect(c.realm).toBe('r');
    expect(c.nonce).toBe('n');
  });

  it('unescapes quoted-pairs and keeps UTF-8', () => {
    const c = ok(parseChallenge('Digest realm="a\\\\b\\"c ü", nonce="n"'));
    expect(c.realm).toBe('a\\b"c ü');
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['Basic realm="r"', 'scheme'],
    ['Digestrealm="r", nonce="n"', 'scheme'],
    ['Digest', 'missing-param'],
    ['Digest nonce="n"', 'missing-param'],
    ['Digest realm="r"', 'missing-param'],
    ['Digest realm="r, nonce="n"', 'syntax'],
    ['Digest realm="r" nonce="n"', 'syntax'],
    ['Digest realm=, nonce="n"', 'syntax'],
    ['Digest realm="r", nonce="n", realm="x"', 'duplicate-param'],
    ['Digest realm="r", REALM="x", nonce="n"', 'duplicate-param'],
    ['Digest realm="r", nonce="n"\r\nX-Injected: 1', 'syntax'],
    ['Digest realm="r\r\nX: y", nonce="n"', 'syntax'],
    ['Digest realm="r\u0000", nonce="n"', 'syntax'],
    ['Digest realm="r\\\r", nonce="n"', 'syntax'],
    ['Digest realm="r", nonce="n", algorithm="a b"', 'invalid-param'],
    ['Digest realm="r", nonce="n", qop=""', 'invalid-param'],
    ['Digest realm="r", nonce="n", qop="auth,a b"', 'invalid-param'],
  ])('rejects %j as %s', (input, code) => {
    const r = parseChallenge(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('rejects oversized input and too many params without scanning forever', () => {
    const big = `Digest realm="${'a'.repeat(MAX_DIGEST_HEADER_LENGTH)}", nonce="n"`;
    const r1 = parseChallenge(big);
    expect(!r1.ok && r1.error.code).toBe('too-long');
    const many = `Digest realm="r", nonce="n", ${Array.from({ length: 100 }, (_, i) => `p${i}=1`).join(', ')}`;
    const r2 = parseChallenge(many);
    expect(!r2.ok && r2.error.code).toBe('too-many-params');
  });

  it('rejects non-string input without throwing', () => {
    expect(parseChallenge(undefined as unknown as string).ok).toBe(false);
    expect(parseCredentials(42 as unknown as string).ok).toBe(false);
  });

  it('"__proto__" and "constructor" params do not pollute anything', () => {
    const c = ok(parseChallenge('Digest realm="r", nonce="n", __proto__="polluted", constructor=x, toString=y'));
    expect(c.params.get('__proto__')?.value).toBe('polluted');
    expect(c.params.get('constructor')?.value).toBe('x');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(typeof c.toString).toBe('function');
    // And they survive a round trip as ordinary params.
    const again = ok(parseChallenge(serializeChallenge(c)));
    expect(again.params.get('__proto__')?.value).toBe('polluted');
  });
});

describe('parseCredentials', () => {
  it('parses the RFC 2617 example (folded)', () => {
    const c = ok(parseCredentials(RFC2617_CREDENTIALS));
    expect(c).toMatchObject({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    });
  });

  it('accepts a quoted qop (common in the wild) and SIP URIs', () => {
    const c = ok(
      parseCredentials(
        'Digest username="bob", realm="atlanta.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", ' +
          'uri="sips:ss2.biloxi.example.com", response="dfe56131d1958046689d83306477ecc", ' +
          'qop="auth", nc=0000000A, cnonce="x", algorithm=MD5',
      ),
    );
    expect(c.qop).toBe('auth');
    expect(c.nc).toBe('0000000A');
    expect(c.uri).toBe('sips:ss2.biloxi.example.com');
    expect(c.algorithm).toBe('MD5');
  });

  it.each([
    ['Digest realm="r", nonce="n", uri="u", response="x"', 'missing-param'],
    ['Digest username="a", realm="r", nonce="n", response="x"', 'missing-param'],
    ['Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, nc=00000001', 'missing-param'],
    ['Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, cnonce="c"', 'missing-param'],
    ['Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, cnonce="c", nc=1', 'invalid-param'],
    ['Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, cnonce="c", nc=0000000z', 'invalid-param'],
    ['Digest username="a", realm="r", nonce="n", uri=sip:x, response="x"', 'syntax'],
  ])('rejects %j as %s', (input, code) => {
    const r = parseCredentials(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });
});

describe('serialize', () => {
  it('quotes exactly the RFC 3261 §25.1 quoted params', () => {
    const s = serializeCredentials({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'n1',
      uri: 'sip:a@b',
      response: 'abc',
      algorithm: 'SHA-256',
      cnonce: 'c1',
      opaque: 'o1',
      qop: 'auth',
      nc: '00000001',
      params: NO_PARAMS,
    });
    expect(s).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="n1", uri="sip:a@b", response="abc", ' +
        'algorithm=SHA-256, cnonce="c1", opaque="o1", qop=auth, nc=00000001',
    );
    const c = serializeChallenge({
      realm: 'r',
      domain: 'sip:a sip:b',
      nonce: 'n',
      opaque: 'o',
      stale: true,
      algorithm: 'MD5',
      qop: ['auth', 'auth-int'],
      params: NO_PARAMS,
    });
    expect(c).toBe('Digest realm="r", domain="sip:a sip:b", nonce="n", opaque="o", stale=true, algorithm=MD5, qop="auth,auth-int"');
  });

  it('escapes quotes and backslashes', () => {
    const s = serializeChallenge({ realm: 'a"b\\c', nonce: 'n', params: NO_PARAMS });
    expect(s).toBe('Digest realm="a\\"b\\\\c", nonce="n"');
    expect(ok(parseChallenge(s)).realm).toBe('a"b\\c');
  });

  it('refuses header injection and invalid tokens with a typed error', () => {
    const base: DigestCredentials = { username: 'a', realm: 'r', nonce: 'n', uri: 'u', response: 'x', params: NO_PARAMS };
    const bad: DigestCredentials[] = [
      { ...base, username: 'a\r\nVia: evil' },
      { ...base, uri: 'u\u0000' },
      { ...base, algorithm: 'MD5, evil=1' },
      { ...base, nc: '1' },
      { ...base, params: new Map([['x y', { name: 'x y', value: '1', quoted: false }]]) },
      { ...base, params: new Map([['realm', { name: 'realm', value: 'other', quoted: true }]]) },
    ];
    for (const c of bad) {
      expect(() => serializeCredentials(c)).toThrow(DigestHeaderError);
    }
    expect(() => serializeChallenge({ realm: 'r', nonce: 'n', qop: [], params: NO_PARAMS })).toThrow(DigestHeaderError);
    expect(() => serializeChallenge({ realm: 'r', nonce: 'n', qop: ['auth,evil'], params: NO_PARAMS })).toThrow(
      DigestHeaderError,
    );
    expect(() => (NO_PARAMS as Map<string, AuthParam>).set('x', { name: 'x', value: '1', quoted: false })).toThrow(TypeError);
    expect(NO_PARAMS.size).toBe(0);
  });

  it('round-trips unknown params, preserving quoting and name case', () => {
    const input = 'Digest realm="r", nonce="n", X-Token=abc, X-Quoted="abc", x-space="a b"';
    const c = ok(parseChallenge(input));
    expect(serializeChallenge(c)).toBe(input);
  });

  it('round-trips the RFC 2617 examples', () => {
    const ch = ok(parseChallenge(RFC2617_CHALLENGE));
    expect(ok(parseChallenge(serializeChallenge(ch)))).toEqual(ch);
    const cr = ok(parseCredentials(RFC2617_CREDENTIALS));
    expect(ok(parseCredentials(serializeCredentials(cr)))).toEqual(cr);
  });
});

// --- properties --------------------------------------------------------------

/** Text that can be carried in a quoted-string: no C0 controls except HT, no DEL. */
const safeText = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .map((s) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ''));
const tokenArb = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
const ncArb = fc.integer({ min: 1, max: 0xffffffff }).map((n) => n.toString(16).padStart(8, '0'));
const extrasArb = fc
  .uniqueArray(
    fc.record({
      name: tokenArb.map((t) => `x-${t}`),
      value: safeText,
      quoted: fc.boolean(),
    }),
    { selector: (p) => p.name.toLowerCase(), maxLength: 4 },
  )
  .map((list) => {
    const m = new Map<string, AuthParam>();
    for (const p of list) {
      // A bare value must be a token, otherwise the serializer quotes it; normalise so equality holds.
      const quoted = p.quoted || !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(p.value);
      m.set(p.name.toLowerCase(), { ...p, quoted });
    }
    return m;
  });

const credentialsArb: fc.Arbitrary<DigestCredentials> = fc
  .record({
    username: safeText,
    realm: safeText,
    nonce: safeText,
    uri: safeText,
    response: safeText,
    algorithm: fc.option(tokenArb, { nil: undefined }),
    opaque: fc.option(safeText, { nil: undefined }),
    withQop: fc.option(fc.record({ qop: tokenArb.map((t) => t.toLowerCase()), nc: ncArb, cnonce: safeText }), {
      nil: undefined,
    }),
    params: extrasArb,
  })
  .map(({ withQop, algorithm, opaque, ...rest }) => ({
    ...rest,
    ...(algorithm !== undefined ? { algorithm } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
    ...(withQop ?? {}),
  }));

const challengeArb: fc.Arbitrary<DigestChallenge> = fc
  .record({
    realm: safeText,
    nonce: safeText,
    domain: fc.option(safeText, { nil: undefined }),
    opaque: fc.option(safeText, { nil: undefined }),
    stale: fc.option(fc.boolean(), { nil: undefined }),
    algorithm: fc.option(tokenArb, { nil: undefined }),
    qop: fc.option(fc.array(tokenArb.map((t) => t.toLowerCase()), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    params: extrasArb,
  })
  .map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
    return out as unknown as DigestChallenge;
  });

/** Fragments of digest syntax, to reach deep parser states more often than random text would. */
const syntaxSoup = fc
  .array(
    fc.constantFrom(
      'Digest ', 'digest', ' ', '\t', ',', '=', '"', '\\', '\r\n ', '\r', '\n', 'realm', 'nonce', 'qop',
      'nc', 'uri', 'username', 'response', 'cnonce', 'stale', 'algorithm', '__proto__', 'auth', '00000001',
      'true', 'a', 'é', '\u0000', '\u007f', '\ud800',
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('properties', () => {
  it('parsers never throw on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), syntaxSoup), (s) => {
        for (const input of [s, `Digest ${s}`, `Digest realm="r", nonce="n", ${s}`]) {
          const a = parseChallenge(input);
          const b = parseCredentials(input);
          expect(typeof a.ok).toBe('boolean');
          expect(typeof b.ok).toBe('boolean');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('whatever parses re-serializes and re-parses to the same value', () => {
    fc.assert(
      fc.property(syntaxSoup, (s) => {
        const input = `Digest realm="r", nonce="n", username="u", uri="x", response="y", ${s}`;
        const c = parseChallenge(input);
        if (c.ok) expect(ok(parseChallenge(serializeChallenge(c.value)))).toEqual(c.value);
        const d = parseCredentials(input);
        if (d.ok) expect(ok(parseCredentials(serializeCredentials(d.value)))).toEqual(d.value);
      }),
      { numRuns: 3000 },
    );
  });

  it('serialize → parse is the identity for credentials', () => {
    fc.assert(
      fc.property(credentialsArb, (c) => {
        expect(ok(parseCredentials(serializeCredentials(c)))).toEqual(c);
      }),
      { numRuns: 1000 },
    );
  });

  it('serialize → parse is the identity for challenges', () => {
    fc.assert(
      fc.property(challengeArb, (c) => {
        expect(ok(parseChallenge(serializeChallenge(c)))).toEqual(c);
      }),
      { numRuns: 1000 },
    );
  });
});
