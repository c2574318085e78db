/**
 * One EFA two-stage dialling call (spec §11 EFA-02..EFA-05, DTMF-04, D-21, D-48), after the
 * §14.5 dispatcher identified the caller (a unique RD/MI) and EFA is enabled:
 *
 *   answer with no prompt → `PIN #` → function `#`:
 *     `1 # <destination> #`   call on behalf of the user, bridged (EFA-03, as MVA-05)
 *     `2 #` / `3 #`           SNR on / off for the calling RD/MI only, confirm tone, BYE (EFA-05)
 *     `*84 # …` / `*85 # …`   mid-call sequences: the registered EfaMidCallHandler (EFA-04)
 *
 * A wrong PIN plays the error tone and the PIN is collected again; after `maxPinAttempts`
 * wrong PINs the call is released. An input timeout, an invalid function code, or a blocked
 * or unroutable destination releases the call at once (a short reorder, then BYE). Tones
 * only: EFA must work without the MVA prompts (EFA-06).
 */
import type { RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { FeatureContext } from '../feature.js';
import { anchorTwoStage } from '../ivr/anchored-call.js';
import { IvrCall } from '../ivr/ivr-call.js';
import { onBehalfOf, placeAndBridge, routeDestination } from '../ivr/place-call.js';
import type { PromptName } from '../ivr/prompts.js';
import type { IvrServices } from '../ivr/services.js';
import { setSnr } from '../snr/snr-control.js';
import type { EfaMidCallHandler } from './mid-call.js';

/** Reorder / error before the BYE of a refused step, ms. */
export const EFA_REFUSE_TONE_MS = 1500;
/** The confirmation tone of EFA-05 plays this long before the BYE. */
export const EFA_CONFIRM_MS = 1000;
/** Busy / reorder after a failed outbound leg. */
export const EFA_FAILED_CALL_TONE_MS = 3000;

export type EfaOutcome = 'connected' | 'snrChanged' | 'midCall' | 'pinFailed' | 'timeout' | 'invalid' | 'refused' | 'callFailed' | 'gone';

export interface EfaRecord {
  id: string;
  callingNumber: string | null;
  identity: string;
  userId: string;
  authenticated: boolean;
  wrongPins: number;
  /** Tones played, in order (EFA plays no prompt, EFA-02). */
  played: PromptName[];
  function?: string;
  destination?: string;
  anchored: boolean;
  /** Its id in the AnchoredCall registry. */
  anchoredId?: string;
  outcome?: EfaOutcome;
  startedAt: number;
  endedAt?: number;
}

export interface EfaSessionDeps {
  ctx: FeatureContext;
  ivr: IvrServices;
  record: EfaRecord;
  midCall: EfaMidCallHandler | undefined;
  onCall(call: IvrCall): void;
}

type TrunkCaller = Extract<Caller, { kind: 'trunk' }>;

export async function runEfa(inv: IncomingInvite, caller: TrunkCaller, identity: RemoteDestination, deps: EfaSessionDeps): Promise<void> {
  const { ctx, record } = deps;
  const dir = ctx.directory;
  const log = ctx.log.child({ efa: record.id });
  const called = ctx.router.dialled(inv.request) ?? '';
  const call = new IvrCall(inv, { ua: ctx.ua, anchor: ctx.anchor, log, prompts: deps.ivr.prompts, legs: deps.ivr.legs, dtmf: deps.ivr.dtmf });
  call.onPlay = (name) => record.played.push(name);
  deps.onCall(call);
  const end = (o: EfaOutcome): void => {
    record.outcome ??= o;
    record.endedAt ??= Date.now();
  };
  const refuse = async (o: EfaOutcome, why: string, tone: 'reorder' | 'error' = 'reorder'): Promise<void> => {
    log.info({ why, user: record.userId }, 'EFA call released');
    end(o);
    await call.toneAndHangup(tone, EFA_REFUSE_TONE_MS);
  };
  if (!(await call.answer())) return end('gone');
  const m = dir.mobilityParameters();
  const timeoutMs = m.ivrInputTimeoutS * 1000;

  // ----------------------------------------------------------------------------- PIN (EFA-02)
  for (;;) {
    const pin = await call.ask(undefined, timeoutMs);
    if (pin.kind === 'closed') return end('gone');
    if (pin.kind === 'timeout') {
      deps.ivr.guard.noteFailure({ service: 'efa', userId: record.userId, callingNumber: caller.callingNumber, calledNumber: called }, 'timeout');
      log.info({ user: record.userId }, 'EFA: no PIN entered');
      end('timeout');
      call.release();
      return;
    }
    const v = await deps.ivr.guard.check({ service: 'efa', userId: record.userId, pin: pin.value, callingNumber: caller.callingNumber, calledNumber: called });
    if (call.isEnded) return end('gone');
    if (v.ok) break;
    record.wrongPins++;
    if (record.wrongPins >= m.maxPinAttempts) return refuse('pinFailed', 'too many wrong PINs', 'error');
    call.digits.flush();
    await call.sayFully('error');
  }
  record.authenticated = true;

  // --------------------------------------------------------------------- function (EFA-03..05)
  const fn = await call.ask(undefined, timeoutMs);
  if (fn.kind === 'closed') return end('gone');
  if (fn.kind === 'timeout') {
    end('timeout');
    call.release();
    return;
  }
  record.function = fn.value;
  const codes = m.mobilityFeatureCodes;
  switch (fn.value) {
    case '1':
      return twoStage();
    case '2':
    case '3':
      return snr(fn.value === '2');
    case codes.transfer:
    case codes.conference:
      return midCall(fn.value === codes.transfer ? 'transfer' : 'conference', fn.value);
    default:
      return refuse('invalid', `invalid function code ${fn.value}`);
  }

  /** EFA-03. */
  async function twoStage(): Promise<void> {
    if (!m.enableEnterpriseFeatureAccess) return refuse('refused', 'EFA disabled');
    const num = await call.ask(undefined, timeoutMs);
    if (num.kind === 'closed') return end('gone');
    if (num.kind === 'timeout') {
      end('timeout');
      call.release();
      return;
    }
    const ob = onBehalfOf(dir, record.userId, identity);
    const routed = ob === undefined ? ({ ok: false, why: 'unroutable' } as const) : routeDestination(dir, ctx.router, ob, num.value, inv.request, caller);
    if (!routed.ok) return refuse('refused', `destination ${routed.why}`);
    record.destination = num.value;
    log.info({ user: record.userId, number: num.value, called: routed.called }, 'EFA two-stage call placed');
    const r = await placeAndBridge(call, routed.groups, routed.kind);
    if (r.kind === 'connected') {
      // GEN-02: an EFA two-stage call is anchored.
      record.anchored = true;
      // (routed.ok implies an on-behalf profile.) The call becomes a B2BCall with mid-call features.
      record.anchoredId = anchorTwoStage(ctx, call, { origin: 'efa', user: ob!.user, line: ob!.line }).anchoredId;
      await call.done();
      return end('connected');
    }
    if (r.kind === 'gone') return end('gone');
    await call.stopTone();
    end('callFailed');
    await call.toneAndHangup(r.status === 486 || r.status === 600 || r.status === 603 ? 'busy' : 'reorder', EFA_FAILED_CALL_TONE_MS);
  }

  /** EFA-05: only the calling RD/MI. */
  async function snr(on: boolean): Promise<void> {
    try {
      setSnr(dir, record.userId, on, identity.id);
      log.info({ user: record.userId, rd: identity.id, on }, 'EFA: SNR changed');
    } catch (e) {
      log.error({ err: (e as Error).message }, 'EFA: SNR change could not be stored');
      return refuse('refused', 'SNR change failed');
    }
    end('snrChanged');
    await call.toneAndHangup(on ? 'snrOn' : 'snrOff', EFA_CONFIRM_MS);
  }

  /** EFA-04 / MID-05. */
  async function midCall(code: 'transfer' | 'conference', digits: string): Promise<void> {
    if (!m.enableEnterpriseFeatureAccess) return refuse('refused', 'EFA disabled');
    const h = deps.midCall;
    let taken = false;
    if (h !== undefined) {
      try {
        taken = await h.handle({ code, digits, userId: record.userId, identity, caller, call, ctx });
      } catch (e) {
        log.error({ err: (e as Error).message }, 'EFA mid-call handler failed');
        taken = false;
      }
    }
    if (!taken) return refuse('refused', h === undefined ? 'no mid-call handler' : 'no call on exclusive hold');
    end('midCall');
    await call.done();
  }
}
