/**
 * The notifier side of SIP-specific event notification (RFC 6665), for any event package:
 * Expires negotiation (423 + Min-Expires, capping at a maximum), the subscription dialog
 * created by a 200 to SUBSCRIBE, the initial NOTIFY, refreshes and unsubscribes (SUBSCRIBE
 * in the dialog, Expires: 0), expiry (NOTIFY terminated;reason=timeout), 481 for a SUBSCRIBE
 * naming another event/id in the dialog, and removal when a NOTIFY gets 481 or times out
 * (§4.2.2). NOTIFYs are never overlapped: a change while one is outstanding is sent, with
 * the state at that time, when it has been answered (§4.2.2 / §4.1.2: one at a time).
 *
 * What goes into the NOTIFY bodies, who may subscribe and to what is the TU's business:
 * it decides before calling NotifierSubscription.accept() and supplies `content()`.
 */
import { Dialog, type RequestOptions } from '../dialog/dialog.js';
import { SipSyntaxError } from '../message/grammar.js';
import { newTag } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { ServerTransaction } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';
import { type EventHeader, type SubscriptionState, parseEvent, serializeSubscriptionState } from './sipfrag.js';

export { parseEvent, parseSubscriptionState, serializeSubscriptionState } from './sipfrag.js';
export type { EventHeader, SubscriptionState } from './sipfrag.js';

export interface SubscriptionSettings {
  /** Shorter non-zero Expires get 423 Interval Too Brief with Min-Expires. */
  minExpiresS: number;
  /** Longer ones are cut to this (the 200 says how long was granted). */
  maxExpiresS: number;
  /** When the SUBSCRIBE has no Expires (the package's default, RFC 4235: 3600). */
  defaultExpiresS: number;
}

export type ExpiresCheck = { ok: true; expires: number } | { ok: false; status: 400 | 423; reason: string; minExpires?: number };

/** The duration granted to a SUBSCRIBE (RFC 6665 §4.2.1.1); 0 = fetch or unsubscribe. */
export function subscribeExpires(req: SipRequest, s: SubscriptionSettings): ExpiresCheck {
  const raw = req.get('expires');
  if (raw === undefined) return { ok: true, expires: s.defaultExpiresS };
  const t = raw.trim();
  if (!/^[0-9]{1,10}$/.test(t)) return { ok: false, status: 400, reason: 'Bad Request - invalid Expires' };
  const e = Number(t);
  if (e === 0) return { ok: true, expires: 0 };
  if (e < s.minExpiresS) return { ok: false, status: 423, reason: 'Interval Too Brief', minExpires: s.minExpiresS };
  return { ok: true, expires: Math.min(e, s.maxExpiresS) };
}

/** The request's Event header, or undefined when absent or malformed (the TU answers 400/489). */
export function readEvent(req: SipRequest): EventHeader | undefined {
  const v = req.get('event');
  if (v === undefined) return undefined;
  try {
    return parseEvent(v);
  } catch (e) {
    if (e instanceof SipSyntaxError) return undefined;
    throw e;
  }
}

/**
 * 489 Bad Event with Allow-Events (RFC 6665 §8.2.2 / §7.2.2): for a SUBSCRIBE to a package
 * we do not serve.
 */
export function badEventResponse(req: SipRequest, packages: readonly string[]): SipResponse {
  const res = createResponse(req, 489, undefined, newTag());
  res.set('allow-events', packages.join(', '));
  return res;
}

/** What the UA core offers a notifier (UserAgentCore satisfies it). */
export interface NotifierHost {
  register(dialog: Dialog): void;
  unregister(dialog: Dialog): void;
  dialogRequest(dialog: Dialog, method: string, options?: RequestOptions): Promise<SipResponse>;
}

export type TerminationReason = 'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource' | 'invariant';

export interface NotifierSubscriptionOptions {
  host: NotifierHost;
  settings: SubscriptionSettings;
  /** Our Contact for the subscription dialog (stack.contact(flow.protocol)). */
  localContact: string;
  /** The NOTIFY body at the time it is sent (the package's state); undefined = no body. */
  content(sub: NotifierSubscription): { body: string; contentType: string } | undefined;
  /** The subscription is over (after its final NOTIFY was answered, or the peer went away). */
  onTerminated?(sub: NotifierSubscription, reason: TerminationReason | 'notify-failed'): void;
  /** A NOTIFY got a final response (tests, logs). */
  onNotifyAnswered?(sub: NotifierSubscription, response: SipResponse): void;
  now?: () => number;
}

type Final = { reason: TerminationReason; retryAfter?: number };

export class NotifierSubscription {
  state: 'active' | 'terminated' = 'active';
  /** Epoch ms when the subscription runs out unless refreshed. */
  expiresAt: number;
  /** NOTIFYs sent so far (RFC 4235's version counter is this before the increment). */
  notifies = 0;
  readonly dialog: Dialog;
  readonly event: EventHeader;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private dirty = false;
  private final: Final | undefined;
  private finalSent = false;
  private ended = false;
  private readonly now: () => number;

  private constructor(
    private readonly options: NotifierSubscriptionOptions,
    req: SipRequest,
    flow: Flow | undefined,
    event: EventHeader,
    expires: number,
  ) {
    this.now = options.now ?? Date.now;
    this.event = event;
    this.dialog = Dialog.fromUasRequest(req, newTag(), options.localContact, flow, 'confirmed');
    this.dialog.owner = this;
    this.expiresAt = this.now() + expires * 1000;
  }

  /** Dialog identity, for logs. */
  get id(): string {
    return `${this.dialog.callId};${this.dialog.localTag}`;
  }

  /** No NOTIFY outstanding or waiting to be sent. */
  get idle(): boolean {
    return !this.inFlight && !this.dirty && (this.final === undefined || this.finalSent);
  }

  /** Seconds left, as the Subscription-State expires parameter says. */
  secondsLeft(): number {
    return Math.max(0, Math.round((this.expiresAt - this.now()) / 1000));
  }

  /**
   * Accept an initial SUBSCRIBE the TU has authorised: 200 with a To tag, Contact and the
   * granted Expires, a subscription dialog, and the initial NOTIFY (§4.2.1.1). `expires`
   * comes from subscribeExpires(); 0 is a fetch: one NOTIFY, terminated;reason=timeout.
   */
  static accept(req: SipRequest, tx: ServerTransaction, flow: Flow | undefined, event: EventHeader, expires: number, options: NotifierSubscriptionOptions): NotifierSubscription {
    const sub = new NotifierSubscription(options, req, flow, event, expires);
    options.host.register(sub.dialog);
    sub.dialog.onRequest = (r, t) => sub.inDialog(r, t);
    sub.dialog.onTerminated = () => sub.gone('notify-failed');
    const res = createResponse(req, 200, undefined, sub.dialog.localTag);
    res.set('contact', options.localContact);
    res.set('expires', String(expires));
    tx.respond(res);
    if (expires === 0) sub.terminate('timeout');
    else {
      sub.arm();
      sub.notify();
    }
    return sub;
  }

  /** Send the current state (coalesced with a NOTIFY still outstanding). */
  notify(): void {
    if (this.state === 'terminated') return;
    this.dirty = true;
    this.pump();
  }

  /** End the subscription with a final NOTIFY (Subscription-State: terminated;reason=...). */
  terminate(reason: TerminationReason, retryAfter?: number): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.final = retryAfter === undefined ? { reason } : { reason, retryAfter };
    this.pump();
  }

  /** Forget the subscription without telling the subscriber (shutdown). */
  abandon(): void {
    this.state = 'terminated';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.gone('deactivated');
  }

  // ------------------------------------------------------------------ internals
  private arm(): void {
    clearTimeout(this.timer);
    const t = setTimeout(() => this.terminate('timeout'), Math.max(0, this.expiresAt - this.now()));
    t.unref();
    this.timer = t;
  }

  private pump(): void {
    if (this.inFlight || this.ended) return;
    const final = this.final;
    if (final !== undefined && this.finalSent) return;
    if (final === undefined && !this.dirty) return;
    this.dirty = false;
    const state: SubscriptionState =
      final === undefined
        ? { state: 'active', expires: this.secondsLeft() }
        : { state: 'terminated', reason: final.reason, ...(final.retryAfter !== undefined ? { retryAfter: final.retryAfter } : {}) };
    if (final !== undefined) this.finalSent = true;
    const content = this.options.content(this);
    this.notifies += 1;
    const options: RequestOptions = {
      headers: { event: serializeEvent(this.event), 'subscription-state': serializeSubscriptionState(state) },
      ...(content !== undefined ? { body: content.body, contentType: content.contentType } : {}),
    };
    this.inFlight = true;
    void this.options.host.dialogRequest(this.dialog, 'NOTIFY', options).then((res) => {
      this.inFlight = false;
      this.options.onNotifyAnswered?.(this, res);
      if (final !== undefined) {
        this.gone(final.reason);
        return;
      }
      // §4.2.2: 481 and timeouts remove the subscription (the UA core ends the dialog on those);
      // other failures except an authentication challenge are taken as the subscriber gone.
      if (res.status >= 300 && res.status !== 401 && res.status !== 407) {
        this.state = 'terminated';
        clearTimeout(this.timer);
        this.gone('notify-failed');
        return;
      }
      this.pump();
    });
  }

  private gone(reason: TerminationReason | 'notify-failed'): void {
    if (this.ended) return;
    this.ended = true;
    this.state = 'terminated';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dialog.onTerminated = undefined;
    if (this.dialog.state !== 'terminated') {
      this.dialog.state = 'terminated';
      this.options.host.unregister(this.dialog);
    }
    this.options.onTerminated?.(this, reason);
  }

  /** Requests in the subscription dialog: refresh / unsubscribe (§4.2.1.2, §4.2.1.3). */
  private inDialog(req: SipRequest, tx: ServerTransaction): void {
    if (req.method !== 'SUBSCRIBE') {
      tx.respond(createResponse(req, req.method === 'INVITE' ? 405 : 501));
      return;
    }
    const ev = readEvent(req);
    if (ev === undefined) {
      tx.respond(createResponse(req, 400, 'Bad Request - missing or invalid Event'));
      return;
    }
    if (this.state === 'terminated' || ev.event !== this.event.event || (ev.id ?? '') !== (this.event.id ?? '')) {
      tx.respond(createResponse(req, 481, 'Subscription Does Not Exist'));
      return;
    }
    const check = subscribeExpires(req, this.options.settings);
    if (!check.ok) {
      const res = createResponse(req, check.status, check.reason);
      if (check.minExpires !== undefined) res.set('min-expires', String(check.minExpires));
      tx.respond(res);
      return;
    }
    const res = createResponse(req, 200);
    res.set('contact', this.options.localContact);
    res.set('expires', String(check.expires));
    tx.respond(res);
    if (check.expires === 0) {
      this.terminate('timeout');
      return;
    }
    this.expiresAt = this.now() + check.expires * 1000;
    this.arm();
    this.notify();
  }
}

export function serializeEvent(e: EventHeader): string {
  let out = e.event;
  for (const [k, v] of e.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
