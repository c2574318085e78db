/**
 * Digits of one call leg from every DTMF method it has (spec DTMF-01, DTMF-04, DTMF-05):
 * SIP INFO (`application/dtmf-relay`, `application/dtmf`) and RFC 4733 events reported by
 * rtpengine (./dtmf-events.ts). A gateway that may send both (fixture trunk T allows `info` and
 * `rfc4733`) usually sends each key press both ways; DTMF-05 wants one digit per key press, so
 * the first method that delivers a digit on a leg wins and the other one is ignored on that leg
 * for the rest of the call.
 *
 * A leg is named the way rtpengine names it: the media call id (the A-leg Call-ID of the
 * B2BUA call) and the leg's media tag. The lock lives as long as the leg has a subscriber, so
 * a feature that collects digits for a whole call keeps one subscription for the call's life;
 * the map is empty again when nobody listens (bounded memory, no end-of-call hook needed).
 */
import { parseDtmfInfo } from '../sip/extensions/dtmf-info.js';
import type { RtpengineDtmfEvents } from './dtmf-events.js';

export type DtmfMethod = 'info' | 'rfc4733';

export interface LegDigit {
  /** 0-9, *, #, A-D. */
  readonly digit: string;
  readonly via: DtmfMethod;
  readonly durationMs: number | undefined;
}

export type LegDigitHandler = (d: LegDigit) => void;

/** The parts of an INFO request this needs (SipRequest fits). */
export interface DtmfInfoRequest {
  readonly callId: string;
  readonly contentType: string | undefined;
  readonly body: Buffer | string;
  readonly from?: { readonly tag?: string | undefined };
}

export interface DtmfLegKey {
  readonly callId: string;
  readonly tag: string;
}

interface Leg {
  readonly subscribers: Set<LegDigitHandler>;
  method: DtmfMethod | undefined;
  unsubscribeEvents: (() => void) | undefined;
  ignored: number;
}

export interface DtmfLegStats {
  delivered: number;
  /** Digits dropped because the leg is locked to the other method (DTMF-05). */
  ignored: number;
  /** INFO requests with a DTMF body for a leg nobody listens to. */
  unclaimedInfo: number;
}

export class DtmfLegs {
  readonly stats: DtmfLegStats = { delivered: 0, ignored: 0, unclaimedInfo: 0 };
  private readonly legs = new Map<string, Leg>();

  /** `events`: rtpengine's RFC 4733 event listener; without it only INFO digits arrive. */
  constructor(private readonly events: RtpengineDtmfEvents | undefined) {}

  /** Digits pressed on leg (callId, tag), each key press once; returns the unsubscribe function. */
  subscribe(callId: string, tag: string, onDigit: LegDigitHandler): () => void {
    const k = legKey(callId, tag);
    let leg = this.legs.get(k);
    if (leg === undefined) {
      const created: Leg = { subscribers: new Set(), method: undefined, unsubscribeEvents: undefined, ignored: 0 };
      created.unsubscribeEvents = this.events?.subscribe(callId, tag, (digit) => this.deliver(created, { digit, via: 'rfc4733', durationMs: undefined }));
      this.legs.set(k, created);
      leg = created;
    }
    const l = leg;
    l.subscribers.add(onDigit);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      l.subscribers.delete(onDigit);
      if (l.subscribers.size === 0 && this.legs.get(k) === l) {
        this.legs.delete(k);
        l.unsubscribeEvents?.();
      }
    };
  }

  /**
   * An INFO received on a leg. By default the leg is the request's own (Call-ID, From tag);
   * pass `leg` when the media names differ (a B2BUA B leg: media call id = the A-leg Call-ID).
   * Returns true when the body was a DTMF digit (answer 200), false otherwise (e.g. 415).
   */
  feedInfo(request: DtmfInfoRequest, leg?: DtmfLegKey): boolean {
    const e = parseDtmfInfo(request.contentType, request.body);
    if (e === undefined) return false;
    const k = leg ?? { callId: request.callId, tag: request.from?.tag ?? '' };
    const l = this.legs.get(legKey(k.callId, k.tag));
    if (l === undefined) this.stats.unclaimedInfo++;
    else this.deliver(l, { digit: e.digit, via: 'info', durationMs: e.durationMs });
    return true;
  }

  /** The method a leg is locked to, if a digit arrived already. */
  methodOf(callId: string, tag: string): DtmfMethod | undefined {
    return this.legs.get(legKey(callId, tag))?.method;
  }

  /** Legs with subscribers (returns to 0 when idle). */
  get size(): number {
    return this.legs.size;
  }

  private deliver(leg: Leg, d: LegDigit): void {
    if (leg.method === undefined) leg.method = d.via;
    else if (leg.method !== d.via) {
      leg.ignored++;
      this.stats.ignored++;
      return;
    }
    this.stats.delivered++;
    for (const cb of [...leg.subscribers]) {
      try {
        cb(d);
      } catch {
        // One subscriber's bug must not stop the others from getting the digit.
      }
    }
  }
}

function legKey(callId: string, tag: string): string {
  return `${callId}\n${tag}`;
}
