/**
 * Periodic expiry of the state stores. The interval is unref'd, so it never keeps the process
 * alive. Feature code still arms its own precise timers (e.g. the Call Await Timer); the sweep
 * catches records whose timer was lost (restart, another node) and bounds their lifetime.
 */
import type { ContactBinding, PendingDvoF, PinFailureState, ResumptionRecord, StateStores } from './types.js';

export interface Expired {
  registrations: ContactBinding[];
  pendingDvo: PendingDvoF[];
  resumptions: ResumptionRecord[];
  pinFailures: PinFailureState[];
}

export async function sweepAll(stores: Omit<StateStores, 'close'>, now: number = Date.now()): Promise<Expired> {
  const [registrations, pendingDvo, resumptions, pinFailures] = await Promise.all([
    stores.registrations.sweep(now),
    stores.pendingDvo.sweep(now),
    stores.resumptions.sweep(now),
    stores.pinFailures.sweep(now),
  ]);
  return { registrations, pendingDvo, resumptions, pinFailures };
}

export interface SweeperOptions {
  intervalMs: number;
  onExpired: (expired: Expired) => void;
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** Starts sweeping every intervalMs; returns a stop function. */
export function startSweeper(stores: Omit<StateStores, 'close'>, opts: SweeperOptions): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepAll(stores, (opts.now ?? Date.now)())
      .then((e) => {
        if (e.registrations.length || e.pendingDvo.length || e.resumptions.length || e.pinFailures.length) opts.onExpired(e);
      })
      .catch((err) => opts.onError?.(err))
      .finally(() => (running = false));
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
