import { describe, expect, it } from 'vitest';
import {
  NO_PARAMS,
  parseChallenge,
  serializeCredentials,
  type AuthParam,
  type DigestChallenge,
} from '../../../src/sip/auth/digest-header.js';
import {
  computeDigestResponse,
  computeHa1,
  formatNc,
  type DigestAlgorithm,
  type DigestHash,
  type DigestQop,
} from '../../../src/sip/auth/digest.js';
import { DigestServer, type DigestVerifyResult, type LookupHa1 } from '../../../src/sip/auth/digest-server.js';
import { createNonce } from '../../../src/sip/auth/nonce.js';

const REALM = 'anchor.example.com';
const SECRET = 'server-secret-0123456789abcdef';
const T0 = 1_700_000_000_000;
const TTL = 30_000;
const URI = 'sip:anchor.example.com';

const passwords = new Map([['alice', 'wonderland']]);
const lookups: Array<[string, string, DigestHash]> = [];
const lookupHa1: LookupHa1 = (username, realm, hash) => {
  lookups.push([username, realm, hash]);
  const pw = passwords.get(username);
  return pw === undefined ? undefined : computeHa1(hash, username, realm, pw);
};

function makeServer(opts: Partial<ConstructorParameters<typeof DigestServer>[0]> = {}): {
  server: DigestServer;
  clock: { now: number };
} {
  const clock = { now: T0 };
  const server = new DigestServer({ realm: REALM, secret: SECRET, nonceTtlMs: TTL, now: () => clock.now, ...opts });
  return { server, clock };
}

function challengeFor(server: DigestServer, algorithm: DigestAlgorithm): DigestChallenge {
  for (const v of server.challenge()) {
    const r = parseChallenge(v);
    if (r.ok && (r.value.algorithm ?? 'MD5').toUpperCase() === algorithm.toUpperCase()) return r.value;
  }
  throw new Error(`no ${algorithm} challenge`);
}

interface CredOpts {
  username?: string;
  password?: string;
  realm?: string;
  nonce: string;
  algorithm?: DigestAlgorithm;
  method?: string;
  uri?: string;
  nc?: number;
  qop?: DigestQop | null;
  cnonce?: string;
  body?: string;
  extra?: Map<string, AuthParam>;
  omitAlgorithm?: boolean;
}

/** Credentials computed independently of DigestServer (digest.ts + serializer). */
function credentials(o: CredOpts): string {
  const algorithm = o.algorithm ?? 'MD5';
  const qop = o.qop === null ? undefined : (o.qop ?? 'auth');
  const nc = qop === undefined ? undefined : formatNc(o.nc ?? 1);
  const cnonce = qop === undefined ? undefined : (o.cnonce ?? 'c0ffee');
  const username = o.username ?? 'alice';
  const realm = o.realm ?? REALM;
  const uri = o.uri ?? URI;
  const response = computeDigestResponse({
    algorithm,
    username,
    realm,
    secret: { password: o.password ?? 'wonderland' },
    method: o.method ?? 'REGISTER',
    uri,
    nonce: o.nonce,
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(qop !== undefined ? { qop } : {}),
    ...(nc !== undefined ? { nc } : {}),
    ...(cnonce !== undefined ? { cnonce } : {}),
  });
  if (response === null) throw new Error('inconsistent test input');
  return serializeCredentials({
    username,
    realm,
    nonce: o.nonce,
    uri,
    response,
    ...(o.omitAlgorithm === true ? {} : { algorithm }),
    ...(cnonce !== undefined ? { cnonce } : {}),
    ...(qop !== undefined ? { qop } : {}),
    ...(nc !== undefined ? { nc } : {}),
    params: o.extra ?? NO_PARAMS,
  });
}

function reasonOf(r: DigestVerifyResult): string {
  return r.ok ? 'ok' : r.reason;
}

describe('DigestServer.challenge', () => {
  it('offers SHA-256 first, then MD5, with qop="auth" and one fresh nonce', () => {
    const { server } = makeServer();
    const values = server.challenge();
    expect(values).toHaveLength(2);
    const [a, b] = values.map((v) => parseChallenge(v));
    expect(a?.ok && a.value.algorithm).toBe('SHA-256');
    expect(b?.ok && b.value.algorithm).toBe('MD5');
    expect(values[0]).toMatch(/^Digest realm="anchor\.example\.com", nonce="[A-Za-z0-9_-]{48}", algorithm=SHA-256, qop="auth"$/);
    expect(a?.ok && b?.ok && a.value.nonce === b.value.nonce).toBe(true);
    expect(server.challenge()[0]).not.toBe(values[0]);
  });

  it('sets stale=true on request', () => {
    const { server } = makeServer();
    for (const v of server.challenge({ stale: true })) {
      const c = parseChallenge(v);
      expect(c.ok && c.value.stale).toBe(true);
    }
  });

  it('validates configuration', () => {
    expect(() => new DigestServer({ realm: REALM, secret: 'short' })).toThrow(RangeError);
    expect(() => new DigestServer({ realm: 'a\r\nb', secret: SECRET })).toThrow();
    expect(() => new DigestServer({ realm: REALM, secret: SECRET, algorithms: [] })).toThrow(RangeError);
  });
});

describe('DigestServer.verify', () => {
  it.each(['MD5', 'SHA-256'] as const)('accepts correct %s credentials and exposes username/uri', (algorithm) => {
    const { server } = makeServer();
    const nonce = challengeFor(server, algorithm).nonce;
    lookups.length = 0;
    const r = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, algorithm }), lookupHa1 });
    expect(r).toEqual({ ok: true, username: 'alice', realm: REALM, uri: URI, algorithm, qop: 'auth', nc: 1 });
    expect(lookups).toEqual([['alice', REALM, algorithm]]);
  });

  it.each(['MD5', 'SHA-256'] as const)('rejects a wrong %s password as bad-response with a fresh challenge', (algorithm) => {
    const { server } = makeServer();
    const nonce = challengeFor(server, algorithm).nonce;
    const r = server.verify({
      method: 'REGISTER',
      credentialsValue: credentials({ nonce, algorithm, password: 'nope' }),
      lookupHa1,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('bad-response');
    expect(r.stale).toBe(false);
    expect(r.username).toBe('alice');
    expect(r.challenge).toHaveLength(2);
  });

  it('binds the response to the method and the uri', () => {
    const { server } = makeServer();
    const nonce = challengeFor(server, 'MD5').nonce;
    const cred = credentials({ nonce, method: 'REGISTER' });
    expect(reasonOf(server.verify({ method: 'INVITE', credentialsValue: cred, lookupHa1 }))).toBe('bad-response');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: cred, lookupHa1, requestUri: 'sip:other' }))).toBe(
      'uri-mismatch',
    );
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: cred, lookupHa1, requestUri: URI }))).toBe('ok');
  });

  it('treats an absent algorithm as MD5', () => {
    const { server } = makeServer();
    const nonce = challengeFor(server, 'MD5').nonce;
    const r = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, omitAlgorithm: true }), lookupHa1 });
    expect(r.ok && r.algorithm).toBe('MD5');
  });

  it('reports missing / malformed / unknown-realm / algorithm', () => {
    const { server } = makeServer({ algorithms: ['SHA-256'] });
    const nonce = server.issueNonce();
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: undefined, lookupHa1 }))).toBe('missing');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: [], lookupHa1 }))).toBe('missing');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: 'Digest garbage', lookupHa1 }))).toBe('malformed');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', lookupHa1 }))).toBe(
      'malformed',
    );
    expect(
      reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, realm: 'evil.example' }), lookupHa1 })),
    ).toBe('unknown-realm');
    // MD5 not offered by this server.
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce }), lookupHa1 }))).toBe(
      'algorithm',
    );
    const unknownAlg = credentials({ nonce, algorithm: 'SHA-256' }).replace('algorithm=SHA-256', 'algorithm=SHA-512-256');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: unknownAlg, lookupHa1 }))).toBe('algorithm');
  });

  it('picks our realm among several Authorization values', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const r = server.verify({
      method: 'REGISTER',
      credentialsValue: [credentials({ nonce, realm: 'other.example' }), credentials({ nonce })],
      lookupHa1,
    });
    expect(r.ok).toBe(true);
  });

  it('rejects nonces it did not issue (forged, other realm, other secret)', () => {
    const { server } = makeServer();
    const forged = [
      'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      createNonce(SECRET, T0, 'other.realm'),
      createNonce('another-secret-0123456789', T0, REALM),
    ];
    for (const nonce of forged) {
      const r = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce }), lookupHa1 });
      expect(reasonOf(r)).toBe('invalid-nonce');
      expect(!r.ok && r.stale).toBe(false);
    }
  });

  it('answers stale=true for an expired nonce only when the digest is right', () => {
    const { server, clock } = makeServer();
    const nonce = challengeFor(server, 'SHA-256').nonce;
    clock.now += TTL + 1;
    const good = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, algorithm: 'SHA-256' }), lookupHa1 });
    expect(good.ok).toBe(false);
    if (good.ok) return;
    expect(good.reason).toBe('stale');
    expect(good.stale).toBe(true);
    for (const v of good.challenge) {
      const c = parseChallenge(v);
      expect(c.ok && c.value.stale).toBe(true);
      expect(c.ok && c.value.nonce).not.toBe(nonce);
    }
    // Wrong password with an expired nonce must not learn "stale" (that would confirm the password).
    const bad = server.verify({
      method: 'REGISTER',
      credentialsValue: credentials({ nonce, algorithm: 'SHA-256', password: 'x' }),
      lookupHa1,
    });
    expect(reasonOf(bad)).toBe('bad-response');
    expect(!bad.ok && bad.stale).toBe(false);
  });

  it('requires nc to increase (replay → stale), and a fresh nonce works again', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const cred1 = credentials({ nonce, nc: 1 });
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: cred1, lookupHa1 }))).toBe('ok');
    const replay = server.verify({ method: 'REGISTER', credentialsValue: cred1, lookupHa1 });
    expect(reasonOf(replay)).toBe('stale');
    expect(!replay.ok && replay.stale).toBe(true);
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, nc: 2 }), lookupHa1 }))).toBe('ok');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, nc: 2 }), lookupHa1 }))).toBe(
      'stale',
    );
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, nc: 0 }), lookupHa1 }))).toBe(
      'malformed',
    );
    // With tracking disabled, the same nc is accepted (documented trade-off).
    const { server: loose } = makeServer({ nonceCount: false });
    const n2 = loose.issueNonce();
    expect(reasonOf(loose.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce: n2 }), lookupHa1 }))).toBe('ok');
    expect(reasonOf(loose.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce: n2 }), lookupHa1 }))).toBe('ok');
  });

  it('a forged request cannot burn nonce-counts of the real user', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const forged = credentials({ nonce, nc: 5, password: 'guess' });
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: forged, lookupHa1 }))).toBe('bad-response');
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, nc: 1 }), lookupHa1 }))).toBe('ok');
  });

  it('refuses credentials without qop unless allowNoQop', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const legacy = credentials({ nonce, qop: null });
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: legacy, lookupHa1 }))).toBe('malformed');
    const { server: lenient } = makeServer({ allowNoQop: true });
    const n2 = lenient.issueNonce();
    const r = lenient.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce: n2, qop: null }), lookupHa1 });
    expect(r.ok && r.qop).toBeUndefined();
    expect(r.ok).toBe(true);
  });

  it('refuses a qop it did not offer', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const r = server.verify({ method: 'INVITE', credentialsValue: credentials({ nonce, method: 'INVITE', qop: 'auth-int' }), lookupHa1 });
    expect(reasonOf(r)).toBe('malformed');
  });

  it('supports auth-int (body integrity) and -sess when configured', () => {
    const { server } = makeServer({ algorithms: ['SHA-256-sess', 'MD5-sess'], qop: ['auth-int'] });
    const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
    for (const algorithm of ['SHA-256-sess', 'MD5-sess'] as const) {
      const nonce = server.issueNonce();
      const cred = credentials({ nonce, algorithm, method: 'INVITE', qop: 'auth-int', body, cnonce: algorithm });
      expect(reasonOf(server.verify({ method: 'INVITE', credentialsValue: cred, lookupHa1, body }))).toBe('ok');
      const cred2 = credentials({ nonce, algorithm, method: 'INVITE', qop: 'auth-int', body, nc: 2, cnonce: algorithm });
      expect(reasonOf(server.verify({ method: 'INVITE', credentialsValue: cred2, lookupHa1, body: `${body}x` }))).toBe(
        'bad-response',
      );
    }
  });

  it('refuses userhash (never offered) and survives hostile extension params', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const userhash = new Map([['userhash', { name: 'userhash', value: 'true', quoted: false }]]);
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, extra: userhash }), lookupHa1 }))).toBe(
      'malformed',
    );
    const proto = new Map([['__proto__', { name: '__proto__', value: 'x', quoted: true }]]);
    expect(reasonOf(server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, extra: proto }), lookupHa1 }))).toBe('ok');
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('treats a malformed stored HA1 like an unknown user', () => {
    const { server } = makeServer();
    const nonce = server.issueNonce();
    const r = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce }), lookupHa1: () => 'not-hex' });
    expect(reasonOf(r)).toBe('unknown-user');
  });
});

describe('unknown user vs wrong password', () => {
  /** What the peer can observe: the challenge values minus the (random) nonce, and stale. */
  function outside(r: DigestVerifyResult): unknown {
    if (r.ok) return 'ok';
    return {
      stale: r.stale,
      challenge: r.challenge.map((v) => v.replace(/nonce="[^"]*"/, 'nonce="…"')),
      keys: Object.keys(r).sort(),
    };
  }

  it.each(['MD5', 'SHA-256'] as const)('%s: identical from the outside, distinguishable only in reason', (algorithm) => {
    const { server, clock } = makeServer();
    const nonce = server.issueNonce();
    lookups.length = 0;
    const unknown = server.verify({
      method: 'REGISTER',
      credentialsValue: credentials({ nonce, algorithm, username: 'mallory', password: 'x' }),
      lookupHa1,
    });
    const wrong = server.verify({
      method: 'REGISTER',
      credentialsValue: credentials({ nonce, algorithm, username: 'alice', password: 'x' }),
      lookupHa1,
    });
    expect(reasonOf(unknown)).toBe('unknown-user');
    expect(reasonOf(wrong)).toBe('bad-response');
    expect(outside(unknown)).toEqual(outside(wrong));
    // Both went through the lookup (and therefore the same hashing path).
    expect(lookups.map((l) => l[0])).toEqual(['mallory', 'alice']);

    // Also with an expired nonce: neither says stale.
    clock.now += TTL + 1;
    const u2 = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, algorithm, username: 'mallory', nc: 2 }), lookupHa1 });
    const w2 = server.verify({ method: 'REGISTER', credentialsValue: credentials({ nonce, algorithm, password: 'x', nc: 2 }), lookupHa1 });
    expect(outside(u2)).toEqual(outside(w2));
    expect(!u2.ok && u2.stale).toBe(false);
  });
});
