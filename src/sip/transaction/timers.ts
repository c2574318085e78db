/**
 * Timer values of RFC 3261 §17 (Table 4, Appendix A) with the RFC 6026 timers
 * L and M, derived once per layer from the configured T1/T2/T4 so the hot path
 * only reads numbers.
 */
import type { TimerSettings } from './types.js';

export const DEFAULT_TIMER_SETTINGS: Readonly<Required<TimerSettings>> = {
  t1Ms: 500,
  t2Ms: 4000,
  t4Ms: 5000,
  timerCMs: 180_000,
};

export interface TimerValues {
  /** RTT estimate: initial value of timers A, E and G. */
  readonly t1: number;
  /** Cap of timers E and G (not A: INVITE requests double without a cap). */
  readonly t2: number;
  /** Maximum duration a message remains in the network. */
  readonly t4: number;
  /** Timer B: INVITE transaction timeout, 64*T1. */
  readonly b: number;
  /** Timer C: proxy-style INVITE guard while Proceeding; 0 disables it. */
  readonly c: number;
  /**
   * Timer D: wait time for response retransmits, unreliable transports.
   * RFC 3261 asks for "> 32s"; 64*T1 is exactly 32 s at the default T1 and
   * scales down with a short test T1.
   */
  readonly d: number;
  /** Timer F: non-INVITE transaction timeout, 64*T1. */
  readonly f: number;
  /** Timer H: wait time for ACK receipt, 64*T1. */
  readonly h: number;
  /** Timer I: wait time for ACK retransmits, T4 (unreliable). */
  readonly i: number;
  /** Timer J: wait time for non-INVITE request retransmits, 64*T1 (unreliable). */
  readonly j: number;
  /** Timer K: wait time for non-INVITE response retransmits, T4 (unreliable). */
  readonly k: number;
  /** Timer L (RFC 6026): wait time for accepted INVITE request retransmits, 64*T1. */
  readonly l: number;
  /** Timer M (RFC 6026): wait time for retransmission of 2xx to INVITE, 64*T1. */
  readonly m: number;
}

export function timerValues(settings: TimerSettings): TimerValues {
  const { t1Ms: t1, t2Ms: t2, t4Ms: t4 } = settings;
  if (!(t1 > 0) || !(t2 >= t1) || !(t4 > 0)) {
    throw new RangeError(`invalid SIP timer settings: T1=${t1} T2=${t2} T4=${t4} (need T1 > 0, T2 >= T1, T4 > 0)`);
  }
  const c = settings.timerCMs ?? DEFAULT_TIMER_SETTINGS.timerCMs;
  if (!(c >= 0)) throw new RangeError(`invalid Timer C: ${c}`);
  const t64 = 64 * t1;
  return { t1, t2, t4, b: t64, c, d: t64, f: t64, h: t64, i: t4, j: t64, k: t4, l: t64, m: t64 };
}
