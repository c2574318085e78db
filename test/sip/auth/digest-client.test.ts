import { describe, expect, it } from 'vitest';
import { DigestClient } from '../../../src/sip/auth/digest-client.js';
import { parseCredentials, type DigestCredentials } from '../../../src/sip/auth/digest-header.js';
import { computeDigestResponse, computeHa1, type DigestAlgorithm } from '../../../src/sip/auth/digest.js';
import { DigestServer, type LookupHa1 } from '../../../src/sip/auth/digest-server.js';

const REALM = 'trunk.example.net';
const URI = 'sip:+15551234567@trunk.example.net';

function creds(value: string): DigestCredentials {
  const r = parseCredentials(value);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('DigestClient', () => {
  it('answers the RFC 2617 challenge with the published response', () => {
    const client = new DigestClient({ cnonce: () => '0a4f113b' });
    const r = client.authorize({
      challenge:
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", cnonce="0a4f113b", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001',
    );
  });

  it('answers the RFC 7616 SHA-256 challenge with the published response', () => {
    const client = new DigestClient({ cnonce: () => 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' });
    const r = client.authorize({
      challenge: [
        'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
        'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
      ],
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
    });
    expect(r.ok && r.algorithm).toBe('SHA-256');
    if (!r.ok) return;
    const c = creds(r.value);
    expect(c.response).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(c.algorithm).toBe('SHA-256');
    expect(c.opaque).toBe('FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  });

  it('prefers SHA-256 whatever the order, falls back to MD5, skips unknown algorithms', () => {
    const client = new DigestClient();
    const md5 = 'Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"';
    const sha = 'Digest realm="r", nonce="n1", algorithm=SHA-256, qop="auth"';
    const exotic = 'Digest realm="r", nonce="n1", algorithm=SHA-512-256, qop="auth"';
    const base = { username: 'u', password: 'p', method: 'INVITE', uri: 'sip:x@r' };
    const r1 = client.authorize({ ...base, challenge: [md5, sha] });
    expect(r1.ok && r1.algorithm).toBe('SHA-256');
    const r2 = client.authorize({ ...base, challenge: [exotic, md5] });
    expect(r2.ok && r2.algorithm).toBe('MD5');
    const r3 = client.authorize({ ...base, challenge: [exotic] });
    expect(r3).toEqual({ ok: false, reason: 'unsupported' });
    expect(client.authorize({ ...base, challenge: 'Basic realm="r"' })).toEqual({ ok: false, reason: 'malformed' });
    expect(client.authorize({ ...base, challenge: [] })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('increments nc per nonce with a fresh cnonce each time', () => {
    const client = new DigestClient();
    const base = { username: 'u', password: 'p', method: 'INVITE', uri: 'sip:x@r' };
    const a1 = client.authorize({ ...base, challenge: 'Digest realm="r", nonce="A", qop="auth"' });
    const a2 = client.authorize({ ...base, challenge: 'Digest realm="r", nonce="A", qop="auth"' });
    const b1 = client.authorize({ ...base, challenge: 'Digest realm="r", nonce="B", qop="auth"' });
    if (!a1.ok || !a2.ok || !b1.ok) throw new Error('expected ok');
    expect([creds(a1.value).nc, creds(a2.value).nc, creds(b1.value).nc]).toEqual(['00000001', '00000002', '00000001']);
    expect(creds(a1.value).cnonce).not.toBe(creds(a2.value).cnonce);
    expect(creds(a1.value).cnonce).toMatch(/^[0-9a-f]{32}$/);
  });

  it('uses no qop (RFC 2069) when the challenge has none, and auth-int when that is all that is offered', () => {
    const client = new DigestClient();
    const base = { username: 'u', password: 'p', method: 'INVITE', uri: 'sip:x@r' };
    const legacy = client.authorize({ ...base, challenge: 'Digest realm="r", nonce="n"' });
    if (!legacy.ok) throw new Error(legacy.reason);
    const lc = creds(legacy.value);
    expect(lc.qop).toBeUndefined();
    expect(lc.nc).toBeUndefined();
    expect(lc.cnonce).toBeUndefined();
    expect(lc.algorithm).toBeUndefined(); // not named by the server, not echoed
    expect(lc.response).toBe(
      computeDigestResponse({ algorithm: 'MD5', username: 'u', realm: 'r', secret: { password: 'p' }, method: 'INVITE', uri: 'sip:x@r', nonce: 'n' }),
    );
    const int = client.authorize({ ...base, body: 'v=0\r\n', challenge: 'Digest realm="r", nonce="n", qop="auth-int"' });
    expect(int.ok && int.qop).toBe('auth-int');
    // -sess without qop is ill-defined: refused.
    expect(client.authorize({ ...base, challenge: 'Digest realm="r", nonce="n", algorithm=MD5-sess' })).toEqual({
      ok: false,
      reason: 'unsupported',
    });
    expect(client.authorize({ ...base, challenge: 'Digest realm="r", nonce="n", qop="auth-conf"' })).toEqual({
      ok: false,
      reason: 'unsupported',
    });
  });

  it('only answers the expected realm when told to', () => {
    const client = new DigestClient();
    const r = client.authorize({
      challenge: 'Digest realm="phisher.example", nonce="n", qop="auth"',
      realm: REALM,
      username: 'u',
      password: 'p',
      method: 'INVITE',
      uri: URI,
    });
    expect(r).toEqual({ ok: false, reason: 'unsupported' });
  });

  it('refuses to build a header from values with CR/LF', () => {
    const client = new DigestClient();
    const r = client.authorize({
      challenge: 'Digest realm="r", nonce="n", qop="auth"',
      username: 'u\r\nX-Evil: 1',
      password: 'p',
      method: 'INVITE',
      uri: 'sip:x@r',
    });
    expect(r).toEqual({ ok: false, reason: 'invalid-input' });
  });
});

describe('client ↔ server interop', () => {
  const password = 's3cret"\\pw';
  const lookupHa1: LookupHa1 = (u, realm, hash) => (u === 'trunk-user' ? computeHa1(hash, u, realm, password) : undefined);

  it.each([
    [['SHA-256', 'MD5'], 'SHA-256'],
    [['MD5'], 'MD5'],
    [['MD5-sess'], 'MD5-sess'],
    [['SHA-256-sess', 'MD5'], 'SHA-256-sess'],
  ] as const)('server offering %j: client answers with %s and is accepted', (algorithms, expected) => {
    const server = new DigestServer({ realm: REALM, secret: 'interop-secret-0123456789', algorithms: algorithms as readonly DigestAlgorithm[] });
    const client = new DigestClient();
    const answer = client.authorize({ challenge: server.challenge(), username: 'trunk-user', password, method: 'INVITE', uri: URI });
    if (!answer.ok) throw new Error(answer.reason);
    expect(answer.algorithm).toBe(expected);
    const v = server.verify({ method: 'INVITE', credentialsValue: answer.value, lookupHa1, requestUri: URI });
    expect(v).toMatchObject({ ok: true, username: 'trunk-user', uri: URI, algorithm: expected });

    const wrong = client.authorize({ challenge: server.challenge(), username: 'trunk-user', password: 'nope', method: 'INVITE', uri: URI });
    if (!wrong.ok) throw new Error(wrong.reason);
    expect(server.verify({ method: 'INVITE', credentialsValue: wrong.value, lookupHa1 }).ok).toBe(false);
  });

  it('auth-int with a body', () => {
    const server = new DigestServer({ realm: REALM, secret: 'interop-secret-0123456789', qop: ['auth-int'] });
    const client = new DigestClient();
    const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
    const answer = client.authorize({ challenge: server.challenge(), username: 'trunk-user', password, method: 'INVITE', uri: URI, body });
    if (!answer.ok) throw new Error(answer.reason);
    expect(server.verify({ method: 'INVITE', credentialsValue: answer.value, lookupHa1, body }).ok).toBe(true);
  });

  it('stale=true: credentials are reused with the new nonce; a plain re-challenge means rejected', () => {
    const clock = { now: 1_700_000_000_000 };
    const server = new DigestServer({ realm: REALM, secret: 'interop-secret-0123456789', nonceTtlMs: 1000, now: () => clock.now });
    const client = new DigestClient();
    const req = { username: 'trunk-user', password, method: 'REGISTER', uri: `sip:${REALM}` };

    const first = client.authorize({ ...req, challenge: server.challenge() });
    if (!first.ok) throw new Error(first.reason);
    expect(server.verify({ method: 'REGISTER', credentialsValue: first.value, lookupHa1 }).ok).toBe(true);

    // Later, pre-emptive authorization with the cached nonce: stale now.
    clock.now += 5000;
    const cached = client.authorizeCached({ ...req, realm: REALM });
    if (!cached.ok) throw new Error(cached.reason);
    expect(cached.nc).toBe(2);
    const staleResult = server.verify({ method: 'REGISTER', credentialsValue: cached.value, lookupHa1 });
    if (staleResult.ok) throw new Error('expected stale');
    expect(staleResult.reason).toBe('stale');

    const retry = client.authorize({ ...req, challenge: staleResult.challenge, previous: cached });
    if (!retry.ok) throw new Error(retry.reason);
    expect(retry.staleRetry).toBe(true);
    expect(retry.nonce).not.toBe(first.nonce);
    expect(retry.nc).toBe(1);
    expect(server.verify({ method: 'REGISTER', credentialsValue: retry.value, lookupHa1 }).ok).toBe(true);

    // Wrong password: the server re-challenges without stale → the client gives up instead of looping.
    const bad = client.authorize({ ...req, password: 'wrong', challenge: server.challenge() });
    if (!bad.ok) throw new Error(bad.reason);
    const refused = server.verify({ method: 'REGISTER', credentialsValue: bad.value, lookupHa1 });
    if (refused.ok) throw new Error('expected failure');
    expect(client.authorize({ ...req, password: 'wrong', challenge: refused.challenge, previous: bad })).toEqual({
      ok: false,
      reason: 'rejected',
    });
    expect(client.authorizeCached({ ...req, realm: REALM })).toEqual({ ok: false, reason: 'no-cached-challenge' });
  });

  it('pre-emptive requests reuse the nonce with increasing nc, which the server accepts', () => {
    const server = new DigestServer({ realm: REALM, secret: 'interop-secret-0123456789' });
    const client = new DigestClient();
    const req = { username: 'trunk-user', password, method: 'INVITE', uri: URI };
    const first = client.authorize({ ...req, challenge: server.challenge() });
    if (!first.ok) throw new Error(first.reason);
    expect(server.verify({ method: 'INVITE', credentialsValue: first.value, lookupHa1 }).ok).toBe(true);
    for (let i = 2; i <= 4; i++) {
      const next = client.authorizeCached({ ...req, realm: REALM });
      if (!next.ok) throw new Error(next.reason);
      expect(next.nc).toBe(i);
      expect(server.verify({ method: 'INVITE', credentialsValue: next.value, lookupHa1 }).ok).toBe(true);
      // Replaying that exact header is refused.
      expect(server.verify({ method: 'INVITE', credentialsValue: next.value, lookupHa1 }).ok).toBe(false);
    }
  });
});
