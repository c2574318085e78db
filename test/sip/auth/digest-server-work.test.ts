/**
 * An unknown user must cost the server the same hashing work as a wrong
 * password, otherwise response timing tells which usernames exist. Timing
 * measurements are too noisy to catch a skipped hash reliably, so we count the
 * hash and HMAC operations instead by wrapping node:crypto.
 */
import { describe, expect, it, vi } from 'vitest';

const counts = vi.hoisted(() => ({ hash: [] as string[], hmac: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    createHash: (algorithm: string) => {
      counts.hash.push(algorithm);
      return real.createHash(algorithm);
    },
    createHmac: (algorithm: string, key: import('node:crypto').BinaryLike) => {
      counts.hmac++;
      return real.createHmac(algorithm, key);
    },
  };
});

const { DigestServer } = await import('../../../src/sip/auth/digest-server.js');
const { DigestClient } = await import('../../../src/sip/auth/digest-client.js');
const { computeHa1 } = await import('../../../src/sip/auth/digest.js');

const REALM = 'anchor.example.com';

describe('unknown user costs the same work as a wrong password', () => {
  it.each([
    ['MD5', ['MD5']],
    ['SHA-256', ['SHA-256']],
    ['SHA-256-sess', ['SHA-256-sess']],
  ] as const)('%s', (_name, algorithms) => {
    const server = new DigestServer({ realm: REALM, secret: 'server-secret-0123456789abcdef', algorithms });
    const client = new DigestClient();
    const alice = computeHa1(algorithms[0].startsWith('MD5') ? 'MD5' : 'SHA-256', 'alice', REALM, 'wonderland');
    const lookupHa1 = (u: string): string | undefined => (u === 'alice' ? alice : undefined);

    const work = (username: string): { hash: string[]; hmac: number; reason: string } => {
      const answer = client.authorize({
        challenge: server.challenge(),
        username,
        password: 'guess',
        method: 'REGISTER',
        uri: `sip:${REALM}`,
      });
      if (!answer.ok) throw new Error(answer.reason);
      counts.hash.length = 0;
      counts.hmac = 0;
      const r = server.verify({ method: 'REGISTER', credentialsValue: answer.value, lookupHa1 });
      return { hash: [...counts.hash], hmac: counts.hmac, reason: r.ok ? 'ok' : r.reason };
    };

    const unknown = work('mallory');
    const wrong = work('alice');
    expect(unknown.reason).toBe('unknown-user');
    expect(wrong.reason).toBe('bad-response');
    expect(unknown.hash.length).toBeGreaterThanOrEqual(3); // HA2, response, compare at least
    expect(unknown.hash).toEqual(wrong.hash);
    expect(unknown.hmac).toBe(wrong.hmac);
  });
});
