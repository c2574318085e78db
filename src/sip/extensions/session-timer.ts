/**
 * Session timers (RFC 4028): the Session-Expires and Min-SE headers, the
 * negotiation rules for both sides of an INVITE (§7 UAC, §9 UAS), and the
 * per-dialog SessionTimer that refreshes the session when we are the refresher
 * and reports expiry when the peer is and stays silent.
 *
 * Intervals are in seconds, as on the wire. "refresher" on the wire is relative
 * to the transaction ('uac' = whoever sent this INVITE/UPDATE); NegotiatedSession
 * turns it into 'local' / 'remote' so that it survives a change of roles
 * (the UAS of the initial INVITE may send the next refresh).
 */
import type { Dialog, DialogSessionTimer, RequestOptions } from '../dialog/dialog.js';
import { type Params, SipSyntaxError, parseParams, serializeParams } from '../message/grammar.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { ServerTransaction, ServerTransactionState } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';
import { type Deadline, Deadlines } from '../timer/deadlines.js';
import { addOptionTag, hasOptionTag } from './option-tags.js';

export const TAG_TIMER = 'timer';
/** §4/§5: "The absolute minimum for the Session-Expires header field is 90 seconds." */
export const RFC4028_MIN_SE = 90;
/** §4: "RECOMMENDED value for the Session-Expires is 1800 seconds." */
export const RFC4028_DEFAULT_SE = 1800;

export type Refresher = 'uac' | 'uas';

export interface SessionExpires {
  /** delta-seconds */
  delta: number;
  refresher: Refresher | undefined;
  /** Other generic parameters, kept for re-serialising. */
  params: Params;
}

function parseDelta(text: string, what: string): number {
  const t = text.trim();
  if (!/^[0-9]{1,10}$/.test(t)) throw new SipSyntaxError(`invalid ${what} "${t.slice(0, 16)}"`);
  const n = Number(t);
  if (n > 0xffffffff) throw new SipSyntaxError(`${what} out of range`);
  return n;
}

/** `Session-Expires: 1800;refresher=uas` (§4). */
export function parseSessionExpires(value: string): SessionExpires {
  const semi = value.indexOf(';');
  const delta = parseDelta(semi === -1 ? value : value.slice(0, semi), 'Session-Expires');
  const params = parseParams(semi === -1 ? '' : value.slice(semi));
  let refresher: Refresher | undefined;
  const r = params.get('refresher');
  if (r !== undefined) {
    const v = (r ?? '').toLowerCase();
    if (v !== 'uac' && v !== 'uas') throw new SipSyntaxError(`invalid refresher "${v.slice(0, 16)}"`);
    refresher = v;
    params.delete('refresher');
  }
  return { delta, refresher, params };
}

export function serializeSessionExpires(se: { delta: number; refresher?: Refresher | undefined; params?: Params }): string {
  let s = String(Math.floor(se.delta));
  if (se.refresher !== undefined) s += `;refresher=${se.refresher}`;
  if (se.params !== undefined) s += serializeParams(se.params);
  return s;
}

/** `Min-SE: 90` (§5; generic parameters are allowed and ignored). */
export function parseMinSE(value: string): number {
  const semi = value.indexOf(';');
  if (semi !== -1) parseParams(value.slice(semi));
  return parseDelta(semi === -1 ? value : value.slice(0, semi), 'Min-SE');
}

export function serializeMinSE(delta: number): string {
  return String(Math.floor(delta));
}

/** Session-Expires of a message; undefined when absent; throws SipSyntaxError when malformed. */
export function readSessionExpires(msg: SipMessage): SessionExpires | undefined {
  const v = msg.get('session-expires');
  return v === undefined ? undefined : parseSessionExpires(v);
}

/** Min-SE of a message; undefined when absent; throws SipSyntaxError when malformed. */
export function readMinSE(msg: SipMessage): number | undefined {
  const v = msg.get('min-se');
  return v === undefined ? undefined : parseMinSE(v);
}

export interface SessionTimerConfig {
  /** Interval we ask for / accept at most (s); RFC 4028 recommends 1800. */
  sessionExpires: number;
  /** Smallest interval we accept (s), at least 90. */
  minSE: number;
  /** As UAS, who refreshes when the UAC supports timers and left the choice to us. Default 'uas' (we do). */
  uasRefresher?: Refresher;
  /** Wait before retrying a refresh that met a pending re-INVITE (491 / our own pending). Default 2000 ms. */
  glareRetryMs?: number;
}

/** Throws RangeError for values RFC 4028 forbids (config validation). */
export function checkSessionTimerConfig(c: SessionTimerConfig): void {
  if (!Number.isInteger(c.minSE) || c.minSE < RFC4028_MIN_SE) throw new RangeError(`Min-SE must be an integer >= ${RFC4028_MIN_SE} s, got ${c.minSE}`);
  if (!Number.isInteger(c.sessionExpires) || c.sessionExpires < c.minSE) {
    throw new RangeError(`Session-Expires must be an integer >= Min-SE (${c.minSE} s), got ${c.sessionExpires}`);
  }
}

export interface NegotiatedSession {
  /** Session interval (s). */
  interval: number;
  /** Who refreshes: us ('local') or the peer ('remote'). */
  refresher: 'local' | 'remote';
}

export type UasNegotiation =
  /** Reject the request with this status and headers (422 with Min-SE, or 400 for malformed headers). */
  | { status: 400 | 422; reason?: string; headers: Record<string, string> }
  /** Accept: put `headers` in the 2xx; `session` undefined means no session timer. */
  | { status: 200; session: NegotiatedSession | undefined; headers: Record<string, string> };

/**
 * §9 UAS behaviour for an INVITE or UPDATE we are about to accept.
 *  - Session-Expires below our Min-SE: 422 with our Min-SE, but only when the UAC
 *    supports timers (otherwise a proxy put it there and the UAC could not retry:
 *    we then live with the small value);
 *  - the interval is ours (config.sessionExpires) reduced to the request's value,
 *    never below the request's Min-SE or 90 s, never above the request's value;
 *  - refresher: as the UAC asked; our choice (config.uasRefresher) when it supports
 *    timers but did not ask; 'uas' when it does not support timers (§9 table 2);
 *  - Require: timer in the 2xx whenever the UAC supports timers (MUST for
 *    refresher=uac, SHOULD for uas).
 * Without Supported: timer and without Session-Expires we still run a timer as
 * refresher (the UAC sees our refreshes as plain re-INVITEs/UPDATEs).
 */
export function negotiateUas(request: SipRequest, config: SessionTimerConfig): UasNegotiation {
  let se: SessionExpires | undefined;
  let minSE: number | undefined;
  try {
    se = readSessionExpires(request);
    minSE = readMinSE(request);
  } catch (e) {
    return { status: 400, reason: `Bad Request - ${(e as Error).message.slice(0, 60)}`, headers: {} };
  }
  const uacSupports = hasOptionTag(request, 'supported', TAG_TIMER) || hasOptionTag(request, 'require', TAG_TIMER);
  const floor = Math.max(RFC4028_MIN_SE, minSE ?? 0, config.minSE);
  let interval: number;
  let refresher: Refresher;
  if (se !== undefined) {
    if (se.delta < config.minSE && uacSupports) {
      return { status: 422, headers: { 'min-se': serializeMinSE(Math.max(config.minSE, minSE ?? 0)) } };
    }
    interval = Math.min(se.delta, Math.max(config.sessionExpires, floor));
    refresher = uacSupports ? (se.refresher ?? config.uasRefresher ?? 'uas') : 'uas';
  } else {
    interval = Math.max(config.sessionExpires, floor);
    refresher = uacSupports ? (config.uasRefresher ?? 'uas') : 'uas';
  }
  const headers: Record<string, string> = { 'session-expires': serializeSessionExpires({ delta: interval, refresher }) };
  if (uacSupports) headers.require = TAG_TIMER;
  return { status: 200, session: { interval, refresher: refresher === 'uas' ? 'local' : 'remote' }, headers };
}

/**
 * Headers for a request that asks for a session timer (§7.1): Session-Expires and
 * Min-SE. The caller adds `timer` to its Supported header (or uses
 * `supported: true` to get one here).
 */
export function sessionTimerRequestHeaders(
  config: SessionTimerConfig,
  options: { interval?: number; refresher?: Refresher; supported?: boolean } = {},
): Record<string, string> {
  const interval = Math.max(options.interval ?? config.sessionExpires, config.minSE);
  const h: Record<string, string> = {
    'session-expires': serializeSessionExpires({ delta: interval, refresher: options.refresher }),
    'min-se': serializeMinSE(config.minSE),
  };
  if (options.supported === true) h.supported = TAG_TIMER;
  return h;
}

/**
 * §7.1: after a 422 the UAC retries with Session-Expires raised to the 422's
 * Min-SE. Returns the interval to retry with, or undefined when the 422 carries
 * no usable Min-SE (then there is nothing to retry with).
 */
export function intervalAfter422(response: SipResponse, previousInterval: number): number | undefined {
  if (response.status !== 422) return undefined;
  let min: number | undefined;
  try {
    min = readMinSE(response);
  } catch {
    return undefined;
  }
  if (min === undefined) return undefined;
  return Math.max(min, previousInterval);
}

/**
 * §7.2 UAC behaviour on a 2xx to our INVITE/UPDATE: the session timer it
 * establishes, or undefined when the 2xx has no (valid) Session-Expires ("there
 * is no session expiration"). A missing refresher parameter means the UAS does
 * not know session timers (a proxy added the header): we refresh.
 */
export function negotiateUac(response: SipResponse): NegotiatedSession | undefined {
  let se: SessionExpires | undefined;
  try {
    se = readSessionExpires(response);
  } catch {
    return undefined;
  }
  if (se === undefined || se.delta === 0) return undefined;
  const refresher = se.refresher ?? 'uac';
  return { interval: se.delta, refresher: refresher === 'uac' ? 'local' : 'remote' };
}

/** §10: the non-refresher sends BYE "before the session expires" by min(32 s, interval/3). */
export function expiryGuardSeconds(interval: number): number {
  return interval - Math.min(32, interval / 3);
}

/** What SessionTimer needs from the UA core (UserAgentCore implements it). */
export interface SessionRefreshHost {
  /** Where the timers' deadlines are kept (a module-wide queue when absent). */
  readonly deadlines?: Deadlines;
  dialogRequest(dialog: Dialog, method: string, options?: RequestOptions): Promise<SipResponse>;
  /** Undefined while another re-INVITE is pending on the dialog. */
  reinvite(
    dialog: Dialog,
    options: RequestOptions,
    handlers: { onAnswer(response: SipResponse, dialog: Dialog): void; onFailure(response: SipResponse): void },
  ): object | undefined;
}

export interface SessionTimerHandlers {
  /** The session expired without refresh (§10): the TU sends BYE. Fires once. */
  onExpired(): void;
  /** SDP to repeat in a re-INVITE refresh (our last offer/answer, unchanged). Needed when the peer lacks UPDATE. */
  localSdp?(): string | undefined;
  /** After each successful refresh (either direction) with the values now in force. */
  onRefreshed?(session: NegotiatedSession): void;
  /** A refresh we sent failed with a final response other than 2xx/422 (the dialog may already be gone on 481/408). */
  onRefreshFailed?(response: SipResponse): void;
}

/**
 * The per-dialog session timer. Created once the initial INVITE negotiated one
 * (negotiateUas / negotiateUac); binds itself to `dialog.sessionTimer`, so the UA
 * core decorates every re-INVITE/UPDATE with Session-Expires and restarts it on
 * each successful refresh in either direction, and stops it when the dialog ends.
 *
 * We refresh at interval/2: UPDATE when the peer's Allow lists it, else a
 * re-INVITE repeating `localSdp()`. Whoever refreshes, the session is declared
 * expired at interval − min(32, interval/3) after the last refresh (§10).
 * A 2xx to our refresh without Session-Expires turns the timer off (§7.2) when
 * the peer supports timers; from a peer that does not (it cannot echo the
 * header) it simply counts as a refresh and we stay the refresher.
 */
/** Session timers of hosts without their own Deadlines (unit tests' fake hosts). */
const sharedDeadlines = new Deadlines();

export class SessionTimer implements DialogSessionTimer, Deadline {
  private session: NegotiatedSession;
  /** When we refresh next (ms since epoch), 0 = not us / not pending. */
  private refreshAt = 0;
  /** When the session expires without a refresh, 0 = timers off. */
  private expiryAt = 0;
  /** @internal Deadline bookkeeping (one heap slot for the earlier of refreshAt/expiryAt). */
  deadlineAt = 0;
  /** @internal */
  deadlineSlot = -1;
  private readonly deadlines: Deadlines;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Min-SE we put in refresh requests; raised by a 422 (§7.1). */
  private minSE: number;
  private noUpdate = false;
  private inFlight = false;
  private stopped = false;
  /** When the current interval started (ms since epoch). */
  lastRefreshAt = 0;
  /** Refreshes we sent that got a 2xx. */
  refreshesSent = 0;

  constructor(
    readonly dialog: Dialog,
    private readonly host: SessionRefreshHost,
    session: NegotiatedSession,
    private readonly config: SessionTimerConfig,
    private readonly handlers: SessionTimerHandlers,
  ) {
    this.session = { ...session };
    this.minSE = config.minSE;
    this.deadlines = host.deadlines ?? sharedDeadlines;
    dialog.sessionTimer = this;
    this.restart(session);
  }

  get interval(): number {
    return this.session.interval;
  }

  get refresher(): 'local' | 'remote' {
    return this.session.refresher;
  }

  /** Whether the timers run (false after stop(), or after a 2xx without Session-Expires). */
  get running(): boolean {
    return this.expiryAt !== 0;
  }

  /** Start a new interval (after a successful refresh). */
  restart(session: NegotiatedSession): void {
    if (this.stopped) return;
    this.clearTimers();
    this.session = { ...session };
    this.lastRefreshAt = Date.now();
    const ms = session.interval * 1000;
    if (session.refresher === 'local') this.refreshAt = this.lastRefreshAt + ms / 2;
    this.expiryAt = this.lastRefreshAt + expiryGuardSeconds(session.interval) * 1000;
    this.scheduleNext();
  }

  /** @internal The earlier of refreshAt/expiryAt is due (Deadlines). */
  fireDeadline(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.refreshAt !== 0 && this.refreshAt <= now) {
      void this.refreshNow();
      return;
    }
    if (this.expiryAt !== 0 && this.expiryAt <= now) {
      this.expire();
      return;
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const next = this.refreshAt !== 0 && this.refreshAt < this.expiryAt ? this.refreshAt : this.expiryAt;
    if (next === 0) this.deadlines.cancel(this);
    else this.deadlines.schedule(this, next);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    if (this.dialog.sessionTimer === this) this.dialog.sessionTimer = undefined;
  }

  /**
   * Send a refresh now (normally called by the refresh timer): UPDATE without a
   * body when the peer allows UPDATE, else re-INVITE with `localSdp()`. Resolves
   * once the refresh has an outcome.
   */
  async refreshNow(): Promise<void> {
    if (this.refreshAt !== 0) {
      this.refreshAt = 0;
      this.scheduleNext();
    }
    if (this.stopped || this.inFlight || this.dialog.state !== 'confirmed') return;
    this.inFlight = true;
    try {
      const sdp = this.handlers.localSdp?.();
      // Without an SDP to repeat a re-INVITE cannot refresh (an offerless one would
      // need an answer in the ACK), so UPDATE is the only choice then.
      const useUpdate = sdp === undefined || (!this.noUpdate && this.dialog.allows('UPDATE') === true);
      let res = useUpdate ? await this.host.dialogRequest(this.dialog, 'UPDATE') : await this.reinvite(sdp);
      if (res === undefined) return this.retryLater();
      // 422: refreshAnswered raised the interval; try once more at once (§7.1).
      if (res.status === 422) res = useUpdate ? await this.host.dialogRequest(this.dialog, 'UPDATE') : await this.reinvite(sdp);
      if (res === undefined) return this.retryLater();
      if (useUpdate && (res.status === 405 || res.status === 501) && sdp !== undefined) {
        this.noUpdate = true;
        res = await this.reinvite(sdp);
        if (res === undefined) return this.retryLater();
      }
      if (res.status >= 200 && res.status < 300) {
        this.refreshesSent++;
        return;
      }
      if (res.status === 491) return this.retryLater();
      this.handlers.onRefreshFailed?.(res);
    } finally {
      this.inFlight = false;
    }
  }

  // ------------------------------------------------------ DialogSessionTimer
  decorateRefresh(request: SipRequest): void {
    if (this.stopped) return;
    if (!request.has('session-expires')) {
      // We are the UAC of this transaction: refresher=uac keeps us the refresher.
      const refresher: Refresher = this.session.refresher === 'local' ? 'uac' : 'uas';
      request.set('session-expires', serializeSessionExpires({ delta: Math.max(this.session.interval, this.minSE), refresher }));
      request.set('min-se', serializeMinSE(this.minSE));
    }
    addOptionTag(request, 'supported', TAG_TIMER);
  }

  refreshAnswered(response: SipResponse): void {
    if (this.stopped) return;
    if (response.status === 422) {
      const next = intervalAfter422(response, this.session.interval);
      if (next !== undefined) {
        this.minSE = Math.max(this.minSE, next);
        this.session = { ...this.session, interval: next };
      }
      return;
    }
    if (response.status < 200 || response.status >= 300) return;
    let s = negotiateUac(response);
    if (s === undefined) {
      if (this.peerSupportsTimer(response)) {
        // §7.2: "A 2xx without a Session-Expires ... the session timer can be
        // 'turned-off' in mid dialog by receiving a response without a Session-Expires".
        this.clearTimers();
        return;
      }
      // A peer without the extension never echoes Session-Expires (§9 table 2:
      // then we are the refresher); the refresh still counted.
      s = { interval: this.session.interval, refresher: 'local' };
    }
    this.restart(s);
    this.handlers.onRefreshed?.(s);
  }

  incomingRefresh(request: SipRequest, tx: ServerTransaction): ServerTransaction | undefined {
    if (this.stopped || (request.method !== 'INVITE' && request.method !== 'UPDATE')) return tx;
    const neg = negotiateUas(request, { ...this.config, minSE: this.minSE, uasRefresher: this.session.refresher === 'local' ? 'uas' : 'uac' });
    if (neg.status !== 200) {
      const res = createResponse(request, neg.status, neg.status === 400 ? neg.reason : undefined);
      for (const [k, v] of Object.entries(neg.headers)) res.set(k, v);
      tx.respond(res);
      return undefined;
    }
    return new RefreshServerTransaction(tx, (res) => {
      if (res.status < 200 || res.status >= 300 || this.stopped) return;
      if (!res.has('session-expires')) {
        for (const [k, v] of Object.entries(neg.headers)) {
          if (k === 'require') addOptionTag(res, 'require', v);
          else res.set(k, v);
        }
      }
      // Our 2xx says who refreshes; we are the UAS of this transaction.
      let se: SessionExpires | undefined;
      try {
        se = readSessionExpires(res);
      } catch {
        se = undefined;
      }
      if (se === undefined) {
        this.clearTimers();
        return;
      }
      const s: NegotiatedSession = { interval: se.delta, refresher: (se.refresher ?? 'uas') === 'uas' ? 'local' : 'remote' };
      this.restart(s);
      this.handlers.onRefreshed?.(s);
    });
  }

  // ---------------------------------------------------------------- internals
  private peerSupportsTimer(response: SipResponse): boolean {
    return (
      hasOptionTag(response, 'supported', TAG_TIMER) ||
      hasOptionTag(response, 'require', TAG_TIMER) ||
      (this.dialog.remoteSupported?.includes(TAG_TIMER) ?? false)
    );
  }

  private reinvite(sdp: string | undefined): Promise<SipResponse | undefined> {
    return new Promise((resolve) => {
      const out = this.host.reinvite(this.dialog, sdp === undefined ? {} : { body: sdp, contentType: 'application/sdp' }, {
        onAnswer: (res) => resolve(res),
        onFailure: (res) => resolve(res),
      });
      if (out === undefined) resolve(undefined);
    });
  }

  /** A re-INVITE was pending (ours or a 491): try again shortly, while the session lasts. */
  private retryLater(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = this.config.glareRetryMs ?? 2000;
    const left = this.lastRefreshAt + expiryGuardSeconds(this.session.interval) * 1000 - Date.now();
    if (delay >= left) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.refreshNow();
    }, delay);
  }

  /** @internal The expiry deadline passed (fireDeadline). */
  expire(): void {
    this.expiryAt = 0;
    if (this.stopped) return;
    this.clearTimers();
    this.stopped = true;
    this.handlers.onExpired();
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.refreshAt = 0;
    this.expiryAt = 0;
    this.deadlines.cancel(this);
    this.retryTimer = undefined;
  }
}

/** A server transaction whose 2xx passes through the session timer first. */
class RefreshServerTransaction implements ServerTransaction {
  private done = false;
  constructor(
    private readonly inner: ServerTransaction,
    private readonly before2xx: (response: SipResponse) => void,
  ) {}
  get id(): string {
    return this.inner.id;
  }
  get request(): SipRequest {
    return this.inner.request;
  }
  get flow(): Flow {
    return this.inner.flow;
  }
  get state(): ServerTransactionState {
    return this.inner.state;
  }
  get cancelled(): boolean {
    return this.inner.cancelled;
  }
  get lastResponse(): SipResponse | undefined {
    return this.inner.lastResponse;
  }
  respond(response: SipResponse): void {
    // Only the first 2xx counts (later ones are retransmissions of the same response).
    if (response.status >= 200 && response.status < 300 && !this.done) {
      this.done = true;
      this.before2xx(response);
    }
    this.inner.respond(response);
  }
}
