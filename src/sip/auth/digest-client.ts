/**
 * Client side of SIP Digest authentication (RFC 3261 §22.2/§22.3, RFC 8760):
 * answer a 401/407 challenge from a trunk with an Authorization /
 * Proxy-Authorization header value.
 *
 * State kept (bounded): the nonce-count per nonce, and the last challenge per
 * realm so later requests can be authorized pre-emptively with nc+1.
 */
import { randomBytes } from 'node:crypto';
import { DigestHeaderError, NO_PARAMS, parseChallenge, serializeCredentials, type DigestChallenge } from './digest-header.js';
import {
  computeDigestResponse,
  formatNc,
  isSessionAlgorithm,
  parseAlgorithm,
  type DigestAlgorithm,
  type DigestQop,
} from './digest.js';

export interface DigestClientOptions {
  /** cnonce generator (tests). Default: 16 random bytes as hex. */
  readonly cnonce?: () => string;
  /** Cap on remembered nonces (nc counters) and realms. Default 256. */
  readonly maxEntries?: number;
  /** Algorithms we are willing to use, best first. Default SHA-256, SHA-256-sess, MD5, MD5-sess. */
  readonly algorithms?: readonly DigestAlgorithm[];
}

export interface DigestClientInput {
  /** WWW-Authenticate / Proxy-Authenticate value(s) from the 401/407. */
  readonly challenge: string | readonly string[];
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** digest-uri: the Request-URI of the request being (re)sent. */
  readonly uri: string;
  /** Body of the request, used only if we end up with qop=auth-int. */
  readonly body?: string | Uint8Array;
  /** Only answer challenges for this realm (don't hand credentials to anyone who asks). */
  readonly realm?: string;
  /**
   * The result we sent with the request that got this challenge. If set and
   * the new challenge for that realm is not stale=true, the credentials were
   * refused: we return 'rejected' instead of looping (RFC 3261 §22.2).
   */
  readonly previous?: { readonly realm: string };
}

export interface DigestClientSuccess {
  readonly ok: true;
  /** The Authorization / Proxy-Authorization header value. */
  readonly value: string;
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop?: DigestQop;
  readonly nc?: number;
  /** True when this answers a stale=true challenge (credentials reused with the new nonce). */
  readonly staleRetry: boolean;
}

export type DigestClientFailureReason =
  /** No challenge value parsed. */
  | 'malformed'
  /** Parsed, but none with an algorithm/qop we support (or none for the required realm). */
  | 'unsupported'
  /** Our previous credentials for that realm were refused (challenge not stale). */
  | 'rejected'
  /** Username/uri/etc. cannot be put in a header (control characters). */
  | 'invalid-input'
  /** `authorizeCached`: no challenge remembered for the realm. */
  | 'no-cached-challenge';

export type DigestClientResult =
  | DigestClientSuccess
  | { readonly ok: false; readonly reason: DigestClientFailureReason };

const DEFAULT_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

interface Chosen {
  readonly challenge: DigestChallenge;
  readonly algorithm: DigestAlgorithm;
  readonly qop: DigestQop | undefined;
}

export class DigestClient {
  private readonly makeCnonce: () => string;
  private readonly maxEntries: number;
  private readonly algorithms: readonly DigestAlgorithm[];
  /** `${realm}\0${nonce}` → last nc used. Insertion-ordered for LRU eviction. */
  private readonly counts = new Map<string, number>();
  /** realm → last challenge chosen, for pre-emptive authorization. */
  private readonly byRealm = new Map<string, Chosen>();

  constructor(options: DigestClientOptions = {}) {
    this.makeCnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
    this.maxEntries = options.maxEntries ?? 256;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('maxEntries must be >= 1');
    this.algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  }

  /** Answer a challenge (401/407). Prefers SHA-256 when several are offered. */
  authorize(input: DigestClientInput): DigestClientResult {
    const values = typeof input.challenge === 'string' ? [input.challenge] : input.challenge;
    let parsedAny = false;
    let best: Chosen | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const v of values) {
      const r = parseChallenge(v);
      if (!r.ok) continue;
      parsedAny = true;
      const c = r.value;
      if (input.realm !== undefined && c.realm !== input.realm) continue;
      const chosen = this.choose(c);
      if (chosen === undefined) continue;
      const rank = this.algorithms.indexOf(chosen.algorithm);
      if (rank < bestRank) {
        best = chosen;
        bestRank = rank;
      }
    }
    if (best === undefined) return { ok: false, reason: parsedAny ? 'unsupported' : 'malformed' };

    const staleRetry = best.challenge.stale === true;
    if (input.previous !== undefined && input.previous.realm === best.challenge.realm && !staleRetry) {
      this.byRealm.delete(best.challenge.realm);
      return { ok: false, reason: 'rejected' };
    }
    this.remember(this.byRealm, best.challenge.realm, best);
    return this.build(best, input, staleRetry);
  }

  /**
   * Authorize a new request pre-emptively with the last challenge seen for
   * `realm` (nc incremented). If the server answers 401 with stale=true, call
   * `authorize` with that challenge.
   */
  authorizeCached(
    input: Omit<DigestClientInput, 'challenge' | 'previous' | 'realm'> & { readonly realm: string },
  ): DigestClientResult {
    const chosen = this.byRealm.get(input.realm);
    if (chosen === undefined) return { ok: false, reason: 'no-cached-challenge' };
    return this.build(chosen, input, false);
  }

  /** Forget a realm's cached challenge (e.g. after a final auth failure). */
  forget(realm: string): void {
    this.byRealm.delete(realm);
  }

  private choose(c: DigestChallenge): Chosen | undefined {
    const algorithm = parseAlgorithm(c.algorithm);
    if (algorithm === null || !this.algorithms.includes(algorithm)) return undefined;
    let qop: DigestQop | undefined;
    if (c.qop !== undefined) {
      if (c.qop.includes('auth')) qop = 'auth';
      else if (c.qop.includes('auth-int')) qop = 'auth-int';
      else return undefined;
    } else if (isSessionAlgorithm(algorithm)) {
      // -sess needs a cnonce, which only exists with qop.
      return undefined;
    }
    return { challenge: c, algorithm, qop };
  }

  private build(chosen: Chosen, input: Omit<DigestClientInput, 'challenge'>, staleRetry: boolean): DigestClientResult {
    const { challenge: c, algorithm, qop } = chosen;
    let nc: number | undefined;
    let cnonce: string | undefined;
    if (qop !== undefined) {
      const key = `${c.realm}\0${c.nonce}`;
      // nc wraps at 2^32 per RFC 2617's 8LHEX; a server would re-challenge long before.
      nc = ((this.counts.get(key) ?? 0) % 0xffffffff) + 1;
      this.remember(this.counts, key, nc);
      cnonce = this.makeCnonce();
    }
    const ncHex = nc === undefined ? undefined : formatNc(nc);
    const response = computeDigestResponse({
      algorithm,
      username: input.username,
      realm: c.realm,
      secret: { password: input.password },
      method: input.method,
      uri: input.uri,
      nonce: c.nonce,
      ...(input.body !== undefined ? { body: input.body } : {}),
      ...(qop !== undefined ? { qop } : {}),
      ...(ncHex !== undefined ? { nc: ncHex } : {}),
      ...(cnonce !== undefined ? { cnonce } : {}),
    });
    if (response === null) return { ok: false, reason: 'unsupported' };

    let value: string;
    try {
      value = serializeCredentials({
        username: input.username,
        realm: c.realm,
        nonce: c.nonce,
        uri: input.uri,
        response,
        // Echo the algorithm only if the server named it: some old servers choke on an unexpected param.
        ...(c.algorithm !== undefined ? { algorithm: algorithm } : {}),
        ...(cnonce !== undefined ? { cnonce } : {}),
        ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
        ...(qop !== undefined ? { qop } : {}),
        ...(ncHex !== undefined ? { nc: ncHex } : {}),
        params: NO_PARAMS,
      });
    } catch (e) {
      if (e instanceof DigestHeaderError) return { ok: false, reason: 'invalid-input' };
      throw e;
    }
    return {
      ok: true,
      value,
      realm: c.realm,
      nonce: c.nonce,
      algorithm,
      ...(qop !== undefined ? { qop } : {}),
      ...(nc !== undefined ? { nc } : {}),
      staleRetry,
    };
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done === true) break;
      map.delete(oldest.value);
    }
  }
}
