/**
 * Server side of SIP Digest authentication (RFC 3261 §22.1/§22.3, RFC 8760).
 *
 * Issues stateless nonces (see nonce.ts) and verifies credentials against an
 * HA1 supplied by the caller. The same code serves UAS (401 + WWW-Authenticate
 * / Authorization) and proxy (407 + Proxy-Authenticate / Proxy-Authorization)
 * use: only the header names differ, and those belong to the caller.
 */
import { randomBytes } from 'node:crypto';
import { NO_PARAMS, parseCredentials, serializeChallenge, type DigestCredentials } from './digest-header.js';
import {
  computeHa2,
  computeResponse,
  constantTimeEqual,
  hashOf,
  isHexDigest,
  isSessionAlgorithm,
  parseAlgorithm,
  parseNc,
  sessionHa1,
  type DigestAlgorithm,
  type DigestHash,
  type DigestQop,
} from './digest.js';
import { createNonce, inspectNonce, NonceCountTracker, type NonceSecret } from './nonce.js';

export interface DigestServerOptions {
  readonly realm: string;
  /** HMAC key for stateless nonces, at least 16 bytes. Share it between nodes of a cluster. */
  readonly secret: NonceSecret;
  /** Nonce lifetime; older nonces get stale=true. Default 5 minutes. */
  readonly nonceTtlMs?: number;
  /** Challenges offered, in this order. Default ['SHA-256', 'MD5'] (RFC 8760 §2.4: strongest first). */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** qop-options offered. Default 'auth'. */
  readonly qop?: DigestQop | readonly DigestQop[];
  /**
   * Accept RFC 2069-style credentials without qop. Off by default: without
   * qop there is no nonce-count, hence no replay protection within the TTL.
   */
  readonly allowNoQop?: boolean;
  /** nc replay tracking; `false` disables it. Default { maxEntries: 10000 }. */
  readonly nonceCount?: { readonly maxEntries: number } | false;
  /** Clock, ms since epoch. Default Date.now. */
  readonly now?: () => number;
}

export interface ChallengeOptions {
  /** Set stale=true: the credentials were right but the nonce expired. */
  readonly stale?: boolean;
}

/**
 * Returns the stored HA1 = H(username ":" realm ":" password) as hex, using the
 * hash family of the algorithm the client chose (the `-sess` variants use the
 * same stored HA1), or undefined if the user is unknown.
 */
export type LookupHa1 = (username: string, realm: string, algorithm: DigestHash) => string | undefined;

export interface DigestVerifyInput {
  /** Request method (for HA2). */
  readonly method: string;
  /**
   * Authorization / Proxy-Authorization header value(s). Several are allowed
   * (one per realm, RFC 3261 §22.3); the one for our realm is used.
   */
  readonly credentialsValue: string | readonly string[] | undefined | null;
  readonly lookupHa1: LookupHa1;
  /** Override the clock for this call (ms). */
  readonly now?: number;
  /** Message body, only used for qop=auth-int. */
  readonly body?: string | Uint8Array;
  /**
   * If given, `uri` in the credentials must equal it exactly. RFC 3261 URI
   * equivalence is the message model's job; otherwise compare `result.uri`
   * with the Request-URI yourself.
   */
  readonly requestUri?: string;
}

export type DigestVerifyFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown-realm'
  | 'stale'
  | 'invalid-nonce'
  | 'bad-response'
  | 'unknown-user'
  | 'algorithm'
  | 'uri-mismatch';

export interface DigestVerifySuccess {
  readonly ok: true;
  readonly username: string;
  readonly realm: string;
  /** digest-uri from the credentials; compare it with the Request-URI. */
  readonly uri: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop?: DigestQop;
  readonly nc?: number;
}

export interface DigestVerifyFailure {
  readonly ok: false;
  /**
   * For logs, metrics and lockout only. Never let it change what is sent to
   * the peer: 'unknown-user' and 'bad-response' must look identical outside,
   * which `challenge` guarantees if you always send it.
   */
  readonly reason: DigestVerifyFailureReason;
  /** True only when the digest was correct but the nonce expired / was replayed. */
  readonly stale: boolean;
  /** Fresh header values for the 401/407 to send back. */
  readonly challenge: readonly string[];
  /** Claimed (unauthenticated) username, when the credentials parsed. For lockout keys. */
  readonly username?: string;
  /** digest-uri from the credentials, when they parsed. */
  readonly uri?: string;
}

export type DigestVerifyResult = DigestVerifySuccess | DigestVerifyFailure;

const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_NC_ENTRIES = 10_000;

export class DigestServer {
  readonly realm: string;
  private readonly secret: NonceSecret;
  private readonly ttlMs: number;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly qop: readonly DigestQop[];
  private readonly allowNoQop: boolean;
  private readonly tracker: NonceCountTracker | undefined;
  private readonly clock: () => number;
  /** Random per-instance HA1 used for unknown users so the work done is the same. */
  private readonly dummyHa1: Readonly<Record<DigestHash, string>>;
  private lastSweep = 0;

  constructor(options: DigestServerOptions) {
    this.realm = options.realm;
    this.secret = options.secret;
    this.ttlMs = options.nonceTtlMs ?? DEFAULT_TTL_MS;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= 0) throw new RangeError('nonceTtlMs must be positive');
    this.algorithms = [...(options.algorithms ?? ['SHA-256', 'MD5'])];
    if (this.algorithms.length === 0) throw new RangeError('at least one algorithm is required');
    const qop = options.qop ?? 'auth';
    this.qop = typeof qop === 'string' ? [qop] : [...qop];
    this.allowNoQop = options.allowNoQop ?? false;
    if (this.qop.length === 0 && !this.allowNoQop) throw new RangeError('no qop offered and allowNoQop is false');
    const nc = options.nonceCount ?? { maxEntries: DEFAULT_NC_ENTRIES };
    this.tracker = nc === false ? undefined : new NonceCountTracker(nc);
    this.clock = options.now ?? Date.now;
    this.dummyHa1 = {
      MD5: randomBytes(16).toString('hex'),
      'SHA-256': randomBytes(32).toString('hex'),
    };
    // Fail fast on a bad secret or a realm that cannot be serialized.
    this.challenge();
  }

  /** Header values for a 401 WWW-Authenticate / 407 Proxy-Authenticate, one per algorithm. */
  challenge(options: ChallengeOptions = {}, now: number = this.clock()): string[] {
    const nonce = this.issueNonce(now);
    return this.algorithms.map((algorithm) =>
      serializeChallenge({
        realm: this.realm,
        nonce,
        ...(options.stale === true ? { stale: true } : {}),
        algorithm,
        ...(this.qop.length > 0 ? { qop: this.qop } : {}),
        params: NO_PARAMS,
      }),
    );
  }

  /** A fresh nonce, bound to this realm. */
  issueNonce(now: number = this.clock()): string {
    return createNonce(this.secret, now, this.realm);
  }

  verify(input: DigestVerifyInput): DigestVerifyResult {
    const now = input.now ?? this.clock();
    this.maybeSweep(now);

    const picked = this.pickCredentials(input.credentialsValue);
    if (typeof picked === 'string') return this.failure(picked, now);
    const cred = picked;
    const who = { username: cred.username, uri: cred.uri };

    // RFC 7616 userhash: we never offer it, and the username would be a hash.
    if (cred.params.get('userhash')?.value.toLowerCase() === 'true') return this.failure('malformed', now, who);

    const algorithm = parseAlgorithm(cred.algorithm);
    if (algorithm === null || !this.algorithms.includes(algorithm)) return this.failure('algorithm', now, who);

    let qop: DigestQop | undefined;
    let nc: number | undefined;
    if (cred.qop !== undefined) {
      if (!this.qop.some((q) => q === cred.qop)) return this.failure('malformed', now, who);
      qop = cred.qop === 'auth-int' ? 'auth-int' : 'auth';
      const n = parseNc(cred.nc ?? '');
      if (n === null || n === 0) return this.failure('malformed', now, who);
      nc = n;
    } else if (!this.allowNoQop) {
      return this.failure('malformed', now, who);
    }
    if (isSessionAlgorithm(algorithm) && cred.cnonce === undefined) return this.failure('malformed', now, who);

    if (input.requestUri !== undefined && input.requestUri !== cred.uri) return this.failure('uri-mismatch', now, who);

    const nonceInfo = inspectNonce(cred.nonce, this.secret, now, this.ttlMs, this.realm);
    if (nonceInfo.status === 'invalid' || nonceInfo.issuedAt === undefined) {
      return this.failure('invalid-nonce', now, who);
    }

    // From here on, known and unknown users follow exactly the same path.
    const hash = hashOf(algorithm);
    const stored = input.lookupHa1(cred.username, cred.realm, hash);
    const known = typeof stored === 'string' && isHexDigest(hash, stored);
    const baseHa1 = known ? stored.toLowerCase() : this.dummyHa1[hash];
    const ha1 = sessionHa1(algorithm, baseHa1, cred.nonce, cred.cnonce ?? '');
    const ha2 = computeHa2({
      algorithm,
      method: input.method,
      uri: cred.uri,
      ...(qop !== undefined ? { qop } : {}),
      ...(input.body !== undefined ? { body: input.body } : {}),
    });
    const expected =
      qop !== undefined
        ? computeResponse({ algorithm, ha1, nonce: cred.nonce, ha2, qop, nc: cred.nc ?? '', cnonce: cred.cnonce ?? '' })
        : computeResponse({ algorithm, ha1, nonce: cred.nonce, ha2 });
    const match = constantTimeEqual(expected, cred.response.toLowerCase());

    if (!known) return this.failure('unknown-user', now, who);
    if (!match) return this.failure('bad-response', now, who);

    // The digest is right: only now may we say stale=true (RFC 2617 §3.2.1),
    // and only now may we consume a nonce-count.
    if (nonceInfo.status === 'stale') return this.failure('stale', now, who, true);
    if (this.tracker !== undefined && nc !== undefined) {
      if (this.tracker.accept(cred.nonce, nonceInfo.issuedAt, nc) !== 'ok') {
        return this.failure('stale', now, who, true);
      }
    }

    return {
      ok: true,
      username: cred.username,
      realm: cred.realm,
      uri: cred.uri,
      algorithm,
      ...(qop !== undefined ? { qop } : {}),
      ...(nc !== undefined ? { nc } : {}),
    };
  }

  /** Finds the credentials for our realm among one or more header values. */
  private pickCredentials(
    value: DigestVerifyInput['credentialsValue'],
  ): DigestCredentials | 'missing' | 'malformed' | 'unknown-realm' {
    if (value === undefined || value === null) return 'missing';
    const values: readonly unknown[] = typeof value === 'string' ? [value] : value;
    if (values.length === 0) return 'missing';
    let sawMalformed = false;
    for (const v of values) {
      if (typeof v !== 'string') {
        sawMalformed = true;
        continue;
      }
      const r = parseCredentials(v);
      if (!r.ok) {
        sawMalformed = true;
        continue;
      }
      if (r.value.realm === this.realm) return r.value;
    }
    return sawMalformed ? 'malformed' : 'unknown-realm';
  }

  private failure(
    reason: DigestVerifyFailureReason,
    now: number,
    who: { readonly username?: string; readonly uri?: string } = {},
    stale = false,
  ): DigestVerifyFailure {
    return {
      ok: false,
      reason,
      stale,
      challenge: this.challenge({ stale }, now),
      ...(who.username !== undefined ? { username: who.username } : {}),
      ...(who.uri !== undefined ? { uri: who.uri } : {}),
    };
  }

  private maybeSweep(now: number): void {
    if (this.tracker === undefined || now - this.lastSweep < this.ttlMs) return;
    this.lastSweep = now;
    this.tracker.sweep(now, this.ttlMs);
  }
}
