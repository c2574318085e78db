/**
 * Which final response a forked call returns to its caller when no branch
 * answered (RFC 3261 §16.7 step 6, as a B2BUA applies it): any 6xx wins; else
 * the lowest class among 4xx/5xx, preferring "busy" and user-meaningful codes
 * over transport noise (408/503 from unreachable branches).
 */

/** Lower is better. */
function rank(status: number): number {
  if (status >= 600) return 0;
  if (status === 486) return 1; // busy is what the caller should hear
  if (status === 401 || status === 407) return 50; // another hop's challenge is meaningless to our caller
  if (status >= 400 && status < 500) {
    if (status === 408 || status === 480) return 20;
    return 10;
  }
  if (status >= 500 && status < 600) return status === 503 ? 31 : 30;
  return 40; // 3xx: we do not recurse on redirects here
}

export function bestFinalStatus(statuses: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const s of statuses) if (best === undefined || rank(s) < rank(best)) best = s;
  return best;
}

/**
 * What the caller sees for a branch failure: our own 408 (no answer) stays 408;
 * 401/407 of another hop and 3xx (not recursed) become 480 / 500.
 */
export function statusForCaller(status: number): number {
  if (status === 401 || status === 407) return 403;
  if (status >= 300 && status < 400) return 480;
  return status;
}
