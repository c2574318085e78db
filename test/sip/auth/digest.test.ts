import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  computeDigestResponse,
  computeHa1,
  computeHa2,
  computeResponse,
  constantTimeEqual,
  formatNc,
  parseAlgorithm,
  parseNc,
  sessionHa1,
} from '../../../src/sip/auth/digest.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('RFC 2617 §3.5 example (MD5, qop=auth)', () => {
  // username="Mufasa", password "Circle Of Life", GET /dir/index.html
  const nonce = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';
  const cnonce = '0a4f113b';

  it('computes the published response step by step', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const ha2 = computeHa2({ algorithm: 'MD5', method: 'GET', uri: '/dir/index.html', qop: 'auth' });
    const response = computeResponse({ algorithm: 'MD5', ha1, nonce, ha2, qop: 'auth', nc: '00000001', cnonce });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('computes the published response with the convenience function (password or stored HA1)', () => {
    const common = {
      algorithm: 'MD5',
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      method: 'GET',
      uri: '/dir/index.html',
      nonce,
      qop: 'auth',
      nc: '00000001',
      cnonce,
    } as const;
    expect(computeDigestResponse({ ...common, secret: { password: 'Circle Of Life' } })).toBe(
      '6629fae49393a05397450978507c4ef1',
    );
    const stored = md5('Mufasa:testrealm@host.com:Circle Of Life').toUpperCase();
    expect(computeDigestResponse({ ...common, secret: { ha1: stored } })).toBe('6629fae49393a05397450978507c4ef1');
    expect(computeDigestResponse({ ...common, secret: { password: 'Circle of Life' } })).not.toBe(
      '6629fae49393a05397450978507c4ef1',
    );
  });
});

describe('RFC 7616 §3.9.1 example (MD5 and SHA-256)', () => {
  // Same inputs for both algorithms; password is "Circle of Life" (lower-case "of") here.
  const input = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    secret: { password: 'Circle of Life' },
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: '00000001',
    qop: 'auth',
  } as const;

  it('MD5 response = 8ca523f5e9506fed4657c9700eebdbec', () => {
    expect(computeDigestResponse({ ...input, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('SHA-256 response = 753927fa…6cb6c1', () => {
    const ha1 = computeHa1('SHA-256', input.username, input.realm, input.secret.password);
    expect(ha1).toHaveLength(64);
    const ha2 = computeHa2({ algorithm: 'SHA-256', method: 'GET', uri: input.uri, qop: 'auth' });
    const r = computeResponse({ algorithm: 'SHA-256', ha1, nonce: input.nonce, ha2, qop: 'auth', nc: '00000001', cnonce: input.cnonce });
    expect(r).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(computeDigestResponse({ ...input, algorithm: 'SHA-256' })).toBe(r);
  });

  it('SIP flavour (REGISTER to a SIP URI) matches an independent computation', () => {
    const sip = { ...input, method: 'REGISTER', uri: 'sip:example.org' };
    const ha1 = sha256('Mufasa:http-auth@example.org:Circle of Life');
    const ha2 = sha256('REGISTER:sip:example.org');
    const expected = sha256(`${ha1}:${input.nonce}:00000001:${input.cnonce}:auth:${ha2}`);
    expect(computeDigestResponse({ ...sip, algorithm: 'SHA-256' })).toBe(expected);
  });
});

describe('variants', () => {
  it('-sess HA1 = H(H(user:realm:pass):nonce:cnonce)', () => {
    const base = md5('u:r:p');
    expect(sessionHa1('MD5-sess', base, 'n', 'c')).toBe(md5(`${base}:n:c`));
    expect(sessionHa1('MD5', base, 'n', 'c')).toBe(base);
    const base256 = sha256('u:r:p');
    expect(sessionHa1('SHA-256-sess', base256, 'n', 'c')).toBe(sha256(`${base256}:n:c`));
    const full = computeDigestResponse({
      algorithm: 'SHA-256-sess',
      username: 'u',
      realm: 'r',
      secret: { password: 'p' },
      method: 'INVITE',
      uri: 'sip:b@r',
      nonce: 'n',
      qop: 'auth',
      nc: '00000002',
      cnonce: 'c',
    });
    expect(full).toBe(sha256(`${sha256(`${base256}:n:c`)}:n:00000002:c:auth:${sha256('INVITE:sip:b@r')}`));
  });

  it('-sess without cnonce is refused', () => {
    expect(
      computeDigestResponse({
        algorithm: 'MD5-sess',
        username: 'u',
        realm: 'r',
        secret: { password: 'p' },
        method: 'INVITE',
        uri: 'sip:b@r',
        nonce: 'n',
      }),
    ).toBeNull();
  });

  it('auth-int hashes the body; no-qop uses H(HA1:nonce:HA2)', () => {
    const body = 'v=0\r\n';
    expect(computeHa2({ algorithm: 'MD5', method: 'INVITE', uri: 'sip:a@b', qop: 'auth-int', body })).toBe(
      md5(`INVITE:sip:a@b:${md5(body)}`),
    );
    expect(computeHa2({ algorithm: 'MD5', method: 'INVITE', uri: 'sip:a@b', qop: 'auth-int' })).toBe(
      md5(`INVITE:sip:a@b:${md5('')}`),
    );
    const ha1 = md5('u:r:p');
    const ha2 = md5('INVITE:sip:a@b');
    expect(computeResponse({ algorithm: 'MD5', ha1, nonce: 'n', ha2 })).toBe(md5(`${ha1}:n:${ha2}`));
  });

  it('UTF-8 usernames are hashed as UTF-8', () => {
    expect(computeHa1('MD5', 'jürgen', 'r', 'p')).toBe(
      createHash('md5').update(Buffer.from('jürgen:r:p', 'utf8')).digest('hex'),
    );
  });

  it('parseAlgorithm is case-insensitive, defaults to MD5, rejects unknown', () => {
    expect(parseAlgorithm(undefined)).toBe('MD5');
    expect(parseAlgorithm('sha-256')).toBe('SHA-256');
    expect(parseAlgorithm('md5-SESS')).toBe('MD5-sess');
    expect(parseAlgorithm('SHA-512-256')).toBeNull();
    expect(parseAlgorithm('__proto__')).toBeNull();
  });

  it('nc formatting and parsing', () => {
    expect(formatNc(1)).toBe('00000001');
    expect(formatNc(0xabc)).toBe('00000abc');
    expect(parseNc('0000000A')).toBe(10);
    expect(parseNc('1')).toBeNull();
    expect(parseNc('0000000g')).toBeNull();
  });

  it('constantTimeEqual compares content and length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
