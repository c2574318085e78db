/**
 * RFC 4028 session timers per leg of a B2BCall. Each leg negotiates and
 * refreshes on its own: the A-leg as UAS (negotiateUas on the caller's INVITE),
 * each B-leg as UAC (Session-Expires from config, negotiateUac on its 2xx). A
 * refresh that arrives on one leg is answered on that leg; only real SDP changes
 * cross to the other leg (see isSessionRefresh), so a refresh never meets the
 * other leg's pending re-INVITE (field lessons: drachtio-server#402).
 */
import type { Dialog } from '../sip/dialog/dialog.js';
import {
  type NegotiatedSession,
  type SessionTimerConfig,
  negotiateUac,
  negotiateUas,
  sessionTimerRequestHeaders,
} from '../sip/extensions/session-timer.js';
import type { SipRequest, SipResponse } from '../sip/message/message.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';

export type { SessionTimerConfig } from '../sip/extensions/session-timer.js';

/** The caller's INVITE: reject it (422 Min-SE / 400), or accept with these 2xx headers and this session. */
export type CallerTimerDecision =
  | { reject: { status: number; reason?: string; headers: Record<string, string> } }
  | { headers: Record<string, string>; session: NegotiatedSession | undefined };

export function negotiateCallerTimer(request: SipRequest, config: SessionTimerConfig): CallerTimerDecision {
  const n = negotiateUas(request, config);
  if (n.status !== 200) return { reject: { status: n.status, ...(n.reason !== undefined ? { reason: n.reason } : {}), headers: n.headers } };
  return { headers: n.headers, session: n.session };
}

/** Headers asking a B-leg for a session timer (our Supported already lists `timer`). */
export function calleeTimerHeaders(config: SessionTimerConfig): Record<string, string> {
  return sessionTimerRequestHeaders(config, { refresher: 'uac' });
}

/**
 * Session the B-leg's 2xx established. A 2xx without Session-Expires comes from a
 * callee without the extension: we still refresh (it sees plain re-INVITEs/UPDATEs)
 * so a dead trunk leg is found, at our configured interval.
 */
export function calleeSession(response: SipResponse, config: SessionTimerConfig): NegotiatedSession {
  return negotiateUac(response) ?? { interval: config.sessionExpires, refresher: 'local' };
}

/** What a leg's session timer asks of its call (B2BCall). */
export interface LegTimerCall {
  hangup(by: 'server', why: string): void;
  /** The SDP we last sent on that leg: a re-INVITE refresh repeats it. */
  sentSdp(side: 'a' | 'b'): string | undefined;
}

/**
 * The timer's handlers as one small object with prototype methods: closures (and their
 * scopes, which also pin whatever else the creating function captured) would be kept for
 * the call's life, two per leg.
 */
class LegTimerHandlers {
  constructor(
    private readonly call: LegTimerCall,
    private readonly side: 'a' | 'b',
    private readonly why: string,
  ) {}

  onExpired(): void {
    this.call.hangup('server', this.why);
  }

  localSdp(): string | undefined {
    return this.call.sentSdp(this.side);
  }
}

/** Run the timer on `side`'s leg of `call`; expiry ends the whole call (`why` is logged). */
export function startLegTimer(
  ua: UserAgentCore,
  dialog: Dialog,
  session: NegotiatedSession,
  config: SessionTimerConfig,
  call: LegTimerCall,
  side: 'a' | 'b',
  why: string,
): void {
  ua.startSessionTimer(dialog, session, config, new LegTimerHandlers(call, side, why));
}

/** The o= line of an SDP (RFC 3264 §8: an unchanged session keeps its o= version). */
function originLine(sdp: string): string | undefined {
  return /^o=.*$/m.exec(sdp)?.[0]?.trim();
}

/**
 * An in-dialog INVITE/UPDATE that changes nothing: no body, or an SDP whose o=
 * line equals the last one this leg sent us. Such a request is a session refresh
 * (or an RFC 3264 no-op) and is answered on its own leg, never relayed.
 */
export function isSessionRefresh(req: SipRequest, lastRemoteSdp: string | undefined): boolean {
  if (req.method !== 'INVITE' && req.method !== 'UPDATE') return false;
  if (req.body.length === 0) return true;
  if (lastRemoteSdp === undefined) return false;
  const o = originLine(req.bodyText);
  return o !== undefined && o === originLine(lastRemoteSdp);
}
