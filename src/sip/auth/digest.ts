/**
 * Digest computations (RFC 2617 §3.2.2, RFC 7616 §3.4, RFC 8760 for SIP).
 * All strings are hashed as UTF-8 (SIP is UTF-8 throughout, RFC 3261 §25).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type DigestHash = 'MD5' | 'SHA-256';
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';
export type DigestQop = 'auth' | 'auth-int';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

/**
 * Map an algorithm token (case-insensitive) to our canonical name.
 * `undefined` means the param was absent, which RFC 2617 defines as MD5.
 * Returns null for algorithms we do not implement (e.g. SHA-512-256).
 */
export function parseAlgorithm(raw: string | undefined): DigestAlgorithm | null {
  if (raw === undefined) return 'MD5';
  switch (raw.toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'MD5-SESS':
      return 'MD5-sess';
    case 'SHA-256':
      return 'SHA-256';
    case 'SHA-256-SESS':
      return 'SHA-256-sess';
    default:
      return null;
  }
}

export function hashOf(algorithm: DigestAlgorithm): DigestHash {
  return algorithm === 'MD5' || algorithm === 'MD5-sess' ? 'MD5' : 'SHA-256';
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** Length in hex characters of a digest produced by `hash`. */
export function hexLength(hash: DigestHash): number {
  return hash === 'MD5' ? 32 : 64;
}

/** True if `s` looks like a hex digest of `hash` (either case). */
export function isHexDigest(hash: DigestHash, s: string): boolean {
  return s.length === hexLength(hash) && /^[0-9a-fA-F]+$/.test(s);
}

/** Lower-case hex digest of `data` (strings as UTF-8). */
export function digestHex(hash: DigestHash, data: string | Uint8Array): string {
  return createHash(hash === 'MD5' ? 'md5' : 'sha256')
    .update(data)
    .digest('hex');
}

/**
 * HA1 = H(username ":" realm ":" password) — the value a registrar stores
 * instead of the password. For `-sess` algorithms pass it to `sessionHa1`.
 */
export function computeHa1(hash: DigestHash, username: string, realm: string, password: string): string {
  return digestHex(hash, `${username}:${realm}:${password}`);
}

/**
 * The HA1 actually used in the response: unchanged for plain algorithms,
 * H(HA1 ":" nonce ":" cnonce) for `-sess` (RFC 2617 §3.2.2.2).
 */
export function sessionHa1(algorithm: DigestAlgorithm, ha1: string, nonce: string, cnonce: string): string {
  if (!isSessionAlgorithm(algorithm)) return ha1;
  return digestHex(hashOf(algorithm), `${ha1}:${nonce}:${cnonce}`);
}

export interface Ha2Input {
  readonly algorithm: DigestAlgorithm;
  readonly method: string;
  readonly uri: string;
  /** `auth-int` also hashes the body; absent or `auth` does not. */
  readonly qop?: DigestQop;
  /** Message body for `auth-int` (empty if absent). */
  readonly body?: string | Uint8Array;
}

/** HA2 = H(method ":" uri) or, for auth-int, H(method ":" uri ":" H(body)). */
export function computeHa2(input: Ha2Input): string {
  const hash = hashOf(input.algorithm);
  if (input.qop === 'auth-int') {
    const bodyHash = digestHex(hash, input.body ?? '');
    return digestHex(hash, `${input.method}:${input.uri}:${bodyHash}`);
  }
  return digestHex(hash, `${input.method}:${input.uri}`);
}

interface ResponseBase {
  readonly algorithm: DigestAlgorithm;
  /** The HA1 after `sessionHa1` (for `-sess`). */
  readonly ha1: string;
  readonly nonce: string;
  readonly ha2: string;
}

/** With qop (RFC 2617) nc and cnonce are mandatory; without qop (RFC 2069) they are absent. */
export type ResponseInput =
  | (ResponseBase & { readonly qop: string; readonly nc: string; readonly cnonce: string })
  | (ResponseBase & { readonly qop?: undefined });

/**
 * request-digest:
 *   qop:    H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
 *   no qop: H(HA1 ":" nonce ":" HA2)
 */
export function computeResponse(input: ResponseInput): string {
  const hash = hashOf(input.algorithm);
  if (input.qop !== undefined) {
    return digestHex(
      hash,
      `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${input.ha2}`,
    );
  }
  return digestHex(hash, `${input.ha1}:${input.nonce}:${input.ha2}`);
}

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  readonly username: string;
  readonly realm: string;
  /** Either the password or a precomputed base HA1 (H(user:realm:password)). */
  readonly secret: { readonly password: string } | { readonly ha1: string };
  readonly method: string;
  readonly uri: string;
  readonly nonce: string;
  readonly body?: string | Uint8Array;
  /** Required with qop; also required for `-sess` algorithms (cnonce). */
  readonly qop?: DigestQop;
  readonly nc?: string;
  readonly cnonce?: string;
}

/**
 * Convenience: the full request-digest from inputs. Returns null when the
 * inputs are inconsistent (qop without nc/cnonce, `-sess` without cnonce).
 */
export function computeDigestResponse(input: DigestResponseInput): string | null {
  const hash = hashOf(input.algorithm);
  const base =
    'password' in input.secret
      ? computeHa1(hash, input.username, input.realm, input.secret.password)
      : input.secret.ha1.toLowerCase();
  if (isSessionAlgorithm(input.algorithm) && input.cnonce === undefined) return null;
  const ha1 = sessionHa1(input.algorithm, base, input.nonce, input.cnonce ?? '');
  const ha2 = computeHa2({
    algorithm: input.algorithm,
    method: input.method,
    uri: input.uri,
    ...(input.qop !== undefined ? { qop: input.qop } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
  });
  if (input.qop === undefined) return computeResponse({ algorithm: input.algorithm, ha1, nonce: input.nonce, ha2 });
  if (input.nc === undefined || input.cnonce === undefined) return null;
  return computeResponse({
    algorithm: input.algorithm,
    ha1,
    nonce: input.nonce,
    ha2,
    qop: input.qop,
    nc: input.nc,
    cnonce: input.cnonce,
  });
}

/**
 * Constant-time string equality. Both sides are first hashed to a fixed
 * length so neither the content nor the length of `b` leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  // The length check only matters on a SHA-256 collision.
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Format a nonce-count as 8 lower-case hex digits (1 → "00000001"). */
export function formatNc(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Parse an 8-hex-digit nonce-count; null if malformed. */
export function parseNc(nc: string): number | null {
  return /^[0-9a-fA-F]{8}$/.test(nc) ? Number.parseInt(nc, 16) : null;
}
