/**
 * RFC 4733 digits detected by rtpengine (spec DTMF-01, VMA-04). rtpengine started with
 * `--dtmf-log-dest=HOST:PORT` sends one UDP datagram of JSON per detected digit, also for
 * plain pass-through calls (verified on the installed 10.5.3.5: the event comes at the end
 * of the key press), e.g.
 *   {"callid":"…","source_tag":"…","tags":["…","…"],"type":"DTMF","timestamp":…,
 *    "source_ip":"127.0.0.1","event":5,"duration":120,"volume":10}
 * This listener receives them and hands each digit to whoever waits for that call and tag.
 *
 * A media service of the server (config `media.dtmfEvents`): the server opens it at start and
 * passes `--dtmf-log-dest` to the rtpengine it launches; features get it as FeatureContext.dtmf.
 * Per-leg merging with SIP INFO digits (DTMF-05) is in ./dtmf-leg.ts.
 */
import dgram from 'node:dgram';

const EVENT_DIGITS = '0123456789*#ABCD';

export interface DtmfLogEvent {
  callId: string;
  sourceTag: string;
  digit: string;
  durationMs: number | undefined;
}

/** One datagram → event (undefined for anything that is not a DTMF event). */
export function parseDtmfLog(msg: Buffer | string): DtmfLogEvent | undefined {
  let j: unknown;
  try {
    j = JSON.parse(typeof msg === 'string' ? msg : msg.toString('utf8'));
  } catch {
    return undefined;
  }
  if (j === null || typeof j !== 'object') return undefined;
  const o = j as Record<string, unknown>;
  if (o['type'] !== undefined && o['type'] !== 'DTMF') return undefined;
  const event = o['event'];
  if (typeof o['callid'] !== 'string' || typeof o['source_tag'] !== 'string' || typeof event !== 'number') return undefined;
  const digit = EVENT_DIGITS[event];
  if (digit === undefined) return undefined;
  const d = o['duration'];
  return { callId: o['callid'], sourceTag: o['source_tag'], digit, durationMs: typeof d === 'number' ? d : undefined };
}

export class RtpengineDtmfEvents {
  private readonly waiting = new Map<string, Set<(digit: string) => void>>();

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (msg) => {
      const e = parseDtmfLog(msg);
      if (e === undefined) return;
      for (const cb of [...(this.waiting.get(key(e.callId, e.sourceTag)) ?? [])]) cb(e.digit);
    });
    sock.on('error', () => undefined);
  }

  /** Bind the UDP socket rtpengine's --dtmf-log-dest points at. */
  static async open(host: string, port: number): Promise<RtpengineDtmfEvents> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new RtpengineDtmfEvents(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Digits sent by `tag` in rtpengine call `callId`; returns the unsubscribe function. */
  subscribe(callId: string, tag: string, cb: (digit: string) => void): () => void {
    const k = key(callId, tag);
    let set = this.waiting.get(k);
    if (set === undefined) {
      set = new Set();
      this.waiting.set(k, set);
    }
    set.add(cb);
    return () => {
      const s = this.waiting.get(k);
      if (s === undefined) return;
      s.delete(cb);
      if (s.size === 0) this.waiting.delete(k);
    };
  }

  /** Subscriptions in place (returns to 0 when idle). */
  get size(): number {
    return this.waiting.size;
  }

  close(): void {
    this.waiting.clear();
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }
}

function key(callId: string, tag: string): string {
  return `${callId}\n${tag}`;
}

// ---- settings ------------------------------------------------------------------------------

export interface DtmfEventsSettings {
  readonly enabled: boolean;
  /** Address the listener binds and rtpengine's --dtmf-log-dest names. */
  readonly host: string;
  /** 0 = any free port (only usable with the rtpengine the server launches itself). */
  readonly port: number;
}

/** Environment overrides: "host:port" turns the listener on there, "off" turns it off. */
export const DTMF_EVENTS_ENV_KEYS = ['MA_DTMF_EVENTS', 'MA_SNR_DTMF_EVENTS'] as const;

/**
 * The effective settings: config, overridden by MA_DTMF_EVENTS or the older
 * MA_SNR_DTMF_EVENTS (kept so existing deployments and tests still work).
 */
export function resolveDtmfEventsSettings(
  config: DtmfEventsSettings | undefined,
  env: Record<string, string | undefined> = process.env,
): DtmfEventsSettings {
  const base: DtmfEventsSettings = config ?? { enabled: false, host: '127.0.0.1', port: 0 };
  for (const k of DTMF_EVENTS_ENV_KEYS) {
    const v = env[k]?.trim();
    if (v === undefined || v === '') continue;
    if (/^(?:off|false|0|no)$/i.test(v)) return { ...base, enabled: false };
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v);
    if (m !== null && Number(m[3]) <= 65535) return { enabled: true, host: (m[1] ?? m[2])!, port: Number(m[3]) };
  }
  return base;
}

/** The `--dtmf-log-dest` argument for a listener bound at host (a wildcard bind is reached on loopback). */
export function dtmfLogDestArg(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `--dtmf-log-dest=${h.includes(':') ? `[${h}]` : h}:${port}`;
}
