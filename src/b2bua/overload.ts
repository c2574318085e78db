/**
 * Admission control for new calls: a token bucket on the INVITE rate and a cap
 * on calls in setup. Excess INVITEs get a fast 503 with Retry-After while
 * OPTIONS and in-dialog requests are still served; it recovers on its own.
 */
export interface OverloadSettings {
  /** Sustained new calls per second admitted (0 = unlimited). */
  maxCps: number;
  /** Calls routing/ringing at once (0 = unlimited). */
  maxCallsInSetup: number;
  retryAfterS: number;
}

export class OverloadControl {
  private tokens: number;
  private last = Date.now();
  inSetup = 0;
  rejected = 0;

  constructor(private readonly s: OverloadSettings) {
    this.tokens = s.maxCps;
  }

  get retryAfterS(): number {
    return this.s.retryAfterS;
  }

  /** true: admit the call (the caller must call `setupDone()` once it connects or ends). */
  admit(now = Date.now()): boolean {
    if (this.s.maxCallsInSetup > 0 && this.inSetup >= this.s.maxCallsInSetup) {
      this.rejected++;
      return false;
    }
    if (this.s.maxCps > 0) {
      // Burst up to one second's worth of calls.
      this.tokens = Math.min(this.s.maxCps, this.tokens + ((now - this.last) / 1000) * this.s.maxCps);
      this.last = now;
      if (this.tokens < 1) {
        this.rejected++;
        return false;
      }
      this.tokens -= 1;
    }
    this.inSetup++;
    return true;
  }

  setupDone(): void {
    if (this.inSetup > 0) this.inSetup--;
  }
}
