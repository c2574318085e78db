/**
 * RFC 4733 digits for the IVR features (DTMF-04). Normally the server's own listener
 * (FeatureContext.dtmf) is used; this is the fallback when the server has none: a listener
 * on `MA_IVR_DTMF_EVENTS=host:port` (rtpengine's `--dtmf-log-dest`), shared by MVA and EFA
 * and reference-counted (rtpengine has only one log destination).
 */
import { RtpengineDtmfEvents } from '../../media/dtmf-events.js';

export interface DtmfEventSource {
  /** Digits sent by `tag` in rtpengine call `callId`; returns the unsubscribe function. */
  subscribe(callId: string, tag: string, cb: (digit: string) => void): () => void;
}

interface Shared {
  events: Promise<RtpengineDtmfEvents>;
  refs: number;
}

const shared = new Map<string, Shared>();

export interface SharedDtmfEvents extends DtmfEventSource {
  release(): void;
}

/** Open (or join) the listener on host:port. Rejects when the port cannot be bound. */
export async function openSharedDtmfEvents(host: string, port: number): Promise<SharedDtmfEvents> {
  const key = `${host}:${port}`;
  let s = shared.get(key);
  if (s === undefined) {
    s = { events: RtpengineDtmfEvents.open(host, port), refs: 0 };
    shared.set(key, s);
    s.events.catch(() => shared.delete(key));
  }
  const entry = s;
  const events = await entry.events;
  entry.refs++;
  let released = false;
  return {
    subscribe: (callId, tag, cb) => events.subscribe(callId, tag, cb),
    release: () => {
      if (released) return;
      released = true;
      if (--entry.refs === 0) {
        shared.delete(key);
        events.close();
      }
    },
  };
}

/** host:port from the environment (MA_IVR_DTMF_EVENTS). */
export function dtmfEventsFromEnv(env: Record<string, string | undefined> = process.env): { host: string; port: number } | undefined {
  const d = env['MA_IVR_DTMF_EVENTS'];
  const m = d === undefined ? null : /^(.+):(\d{1,5})$/.exec(d.trim());
  return m === null ? undefined : { host: m[1]!, port: Number(m[2]) };
}
