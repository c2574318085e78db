/**
 * What an IVR feature (MVA, EFA) sets up at start: the prompt files, RFC 4733 digits (the
 * server's rtpengine DTMF listener, FeatureContext.dtmf; else a listener of our own when
 * MA_IVR_DTMF_EVENTS is set) and a PIN guard over the runtime state's PinFailureStore.
 */
import type { DtmfLegs } from '../../media/dtmf-leg.js';
import type { FeatureContext } from '../feature.js';
import { dtmfEventsFromEnv, openSharedDtmfEvents, type DtmfEventSource, type SharedDtmfEvents } from './dtmf-source.js';
import { PinGuard } from './pin-guard.js';
import { ensurePrompts, type PromptSet } from './prompts.js';

export interface IvrOptions {
  /** rtpengine's `--dtmf-log-dest` (RFC 4733 digits); without it only SIP INFO digits count. */
  dtmfEvents?: { host: string; port: number };
}

export interface IvrServices {
  prompts: PromptSet;
  /** The server's per-leg digits (shared DTMF-05 lock), when it has them. */
  legs: DtmfLegs | undefined;
  dtmf: DtmfEventSource | undefined;
  guard: PinGuard;
  close(): void;
}

export async function startIvrServices(ctx: FeatureContext, who: string, o: IvrOptions): Promise<IvrServices> {
  const prompts = ensurePrompts(ctx.config.dataDir);
  // The server's listener (FeatureContext.dtmf) when it has one; else our own, if configured.
  let own: SharedDtmfEvents | undefined;
  if (ctx.dtmf === undefined && ctx.dtmfLegs === undefined && o.dtmfEvents !== undefined) {
    try {
      own = await openSharedDtmfEvents(o.dtmfEvents.host, o.dtmfEvents.port);
    } catch (e) {
      ctx.log.error({ err: (e as Error).message, feature: who }, 'IVR: cannot listen for rtpengine DTMF events; SIP INFO digits only');
    }
  }
  const guard = new PinGuard({
    store: ctx.state.pinFailures,
    verifyPin: (userId, pin) => ctx.directory.users.verifyPin(userId, pin),
    policy: () => {
      const m = ctx.directory.mobilityParameters();
      return { threshold: m.pinLockoutThreshold, durationS: m.pinLockoutDurationS };
    },
    log: ctx.log,
    metrics: ctx.metrics,
  });
  const dtmf: DtmfEventSource | undefined = ctx.dtmf ?? own;
  if (dtmf === undefined) ctx.log.info({ feature: who }, 'IVR: no rtpengine DTMF events; SIP INFO digits only');
  return { prompts, legs: ctx.dtmfLegs, dtmf, guard, close: () => own?.release() };
}

/** IVR options from the environment (MA_IVR_DTMF_EVENTS). */
export function ivrOptionsFromEnv(env: Record<string, string | undefined> = process.env): IvrOptions {
  const d = dtmfEventsFromEnv(env);
  return d === undefined ? {} : { dtmfEvents: d };
}
