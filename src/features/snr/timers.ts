/**
 * Per-RD timers and voicemail-avoidance policy of an SNR fork (spec TMR-01..05, VMA-01..03,
 * D-11, D-42, D-44) and the TMR-04 configuration warnings. Pure functions.
 */
import type { RemoteDestination } from '../../directory/types.js';

export type VoicemailPolicy = 'timerControl' | 'userControl';

/** VMA-01 / D-44: the RD's own policy, or the system one when it says useSystemDefault. */
export function effectivePolicy(rd: Pick<RemoteDestination, 'snrVoicemailPolicy'>, system: VoicemailPolicy): VoicemailPolicy {
  return rd.snrVoicemailPolicy === 'useSystemDefault' ? system : rd.snrVoicemailPolicy;
}

export interface ForkTimers {
  policy: VoicemailPolicy;
  /** Wait before the INVITE, from now (Delay Before Ringing runs from when the call reached the DN). */
  delayMs: number;
  /** 0 = off. Never applied under user control (D-42). */
  answerTooSoonMs: number;
  /** 0 = off (TMR-05). Measured from the INVITE. */
  answerTooLateMs: number;
}

/**
 * TMR-01..05 for one fork. `elapsedMs` is how long ago the call reached the DN, so the
 * INVITE leaves `delayBeforeRingingMs` after that moment and not after our own setup work.
 */
export function forkTimers(
  rd: Pick<RemoteDestination, 'snrVoicemailPolicy' | 'delayBeforeRingingMs' | 'answerTooSoonMs' | 'answerTooLateMs'>,
  system: VoicemailPolicy,
  elapsedMs = 0,
): ForkTimers {
  const policy = effectivePolicy(rd, system);
  return {
    policy,
    delayMs: Math.max(0, rd.delayBeforeRingingMs - Math.max(0, elapsedMs)),
    answerTooSoonMs: policy === 'userControl' ? 0 : rd.answerTooSoonMs,
    answerTooLateMs: rd.answerTooLateMs,
  };
}

/** Margin of TMR-04's second warning (D-46). */
export const TMR04_MARGIN_MS = 5000;

/**
 * TMR-04 (SHOULD warn). The mobile network's own ring time before its voicemail is unknown
 * to the server: Answer Too Late, which is meant to sit just below it, stands in for it.
 */
export function timerWarnings(
  noAnswerMs: number,
  rd: Pick<RemoteDestination, 'id' | 'delayBeforeRingingMs' | 'answerTooSoonMs' | 'answerTooLateMs'>,
): string[] {
  const out: string[] = [];
  const dbr = rd.delayBeforeRingingMs;
  if (rd.answerTooLateMs > 0 && noAnswerMs >= dbr + rd.answerTooLateMs) {
    out.push(
      `RD ${rd.id}: the line's no-answer time (${noAnswerMs} ms) is not shorter than delayBeforeRingingMs + the RD's ring time ` +
        `(${dbr} + ${rd.answerTooLateMs} ms): the enterprise no-answer forward may not fire first (TMR-04)`,
    );
  }
  if (noAnswerMs <= dbr + rd.answerTooSoonMs + TMR04_MARGIN_MS) {
    out.push(
      `RD ${rd.id}: the line's no-answer time (${noAnswerMs} ms) leaves too little time to answer on the RD ` +
        `(delayBeforeRingingMs ${dbr} + answerTooSoonMs ${rd.answerTooSoonMs} + ${TMR04_MARGIN_MS} ms, TMR-04)`,
    );
  }
  return out;
}
