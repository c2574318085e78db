/**
 * A new outbound leg for a call that is already up (transfer, handoff, send-to-mobile):
 * groups of parallel forks tried in order, the first 2xx wins and the other forks are
 * CANCELled (RFC 3326 "completed elsewhere"), late 2xx from losers are ACKed and BYEd.
 *
 * The INVITE carries no SDP (late offer, RFC 3261 §13.2.1): the anchor does not know the
 * new leg's media tag before it answers, and the winner's 2xx offer is answered in the
 * ACK by whoever takes the leg over (B2BCall.replaceLeg). So the winner is not ACKed here.
 */
import type { Dialog } from '../sip/dialog/dialog.js';
import type { SipResponse } from '../sip/message/message.js';
import type { OutgoingInvite } from '../sip/ua/outgoing-invite.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import { bestFinalStatus } from './best-response.js';
import type { CallTarget } from './call.js';

/** Statuses after which the next group (another gateway) is tried. */
const FAILOVER = new Set([408, 500, 502, 503, 504]);
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export interface NewLegAnswer {
  status: number;
  /** The winner (2xx only): its dialog, 2xx (with the SDP offer) and INVITE (to ACK it). */
  dialog?: Dialog;
  response?: SipResponse;
  invite?: OutgoingInvite;
  target?: CallTarget;
}

export interface NewLegHooks {
  /** Every provisional (not 100) of any fork, e.g. for REFER progress NOTIFYs. */
  onProvisional?(status: number): void;
  /** Abort: pending forks are CANCELled and the leg resolves 487. */
  signal?: AbortSignal;
  /** Extra headers on every fork (e.g. Referred-By). */
  headers?: Record<string, string>;
}

interface Fork {
  target: CallTarget;
  invite: OutgoingInvite | undefined;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  sentAt?: number;
}

/** Place the leg; resolves once a fork answered (2xx) or every group failed (best final status). */
export function placeNewLeg(ua: UserAgentCore, groups: CallTarget[][], hooks: NewLegHooks = {}): Promise<NewLegAnswer> {
  return new Promise((resolve) => {
    const pending = groups.filter((g) => g.length > 0);
    const statuses: number[] = [];
    let forks: Fork[] = [];
    let settled = false;

    const finish = (a: NewLegAnswer): void => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      for (const f of forks) {
        if (f.timer !== undefined) clearTimeout(f.timer);
        f.timer = undefined;
        if (!f.done) {
          f.done = true;
          f.invite?.cancel(a.status < 300 ? COMPLETED_ELSEWHERE : undefined);
        }
      }
      resolve(a);
    };
    const onAbort = (): void => finish({ status: 487 });
    if (hooks.signal?.aborted === true) return resolve({ status: 487 });
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    const forkFailed = (f: Fork, status: number): void => {
      if (f.done) return;
      f.done = true;
      if (f.timer !== undefined) clearTimeout(f.timer);
      statuses.push(status);
      if (settled || forks.some((x) => !x.done)) return;
      const best = bestFinalStatus(statuses) ?? 480;
      if (FAILOVER.has(best) && pending.length > 0) next();
      else finish({ status: best });
    };

    const launch = (f: Fork): void => {
      f.timer = undefined;
      if (settled || f.done) return;
      const t = f.target;
      const headers: Record<string, string | string[]> = { ...(t.headers ?? {}), ...(hooks.headers ?? {}) };
      headers.supported = 'replaces, timer';
      const req = ua.createRequest({ method: 'INVITE', uri: t.uri, from: t.from, to: t.to, options: { headers } });
      f.sentAt = Date.now();
      f.invite = ua.invite(req, t.destination, {
        onProvisional: (res) => {
          if (!settled && !f.done) hooks.onProvisional?.(res.status);
        },
        onAnswer: (res, dialog) => {
          if (settled || f.done) {
            // Crossed our CANCEL (or another fork won): ACK, then BYE.
            f.invite?.ack(dialog);
            void ua.bye(dialog);
            return;
          }
          const soon = t.answerTooSoonMs ?? 0;
          if (soon > 0 && Date.now() - (f.sentAt ?? 0) < soon) {
            // TMR-02: most likely a mobile voicemail answering: ACK, BYE, counts as no answer.
            f.invite?.ack(dialog);
            void ua.bye(dialog);
            forkFailed(f, 480);
            return;
          }
          f.done = true;
          if (f.timer !== undefined) clearTimeout(f.timer);
          finish({ status: res.status, dialog, response: res, invite: f.invite!, target: t });
        },
        onFailure: (res) => forkFailed(f, res.status),
      });
      f.invite.autoAck = false;
      if (t.ringTimeoutMs !== undefined && t.ringTimeoutMs > 0) {
        f.timer = setTimeout(() => {
          f.timer = undefined;
          if (!f.done) f.invite?.cancel();
          // Counted as no answer whatever the 487 says.
          forkFailed(f, 480);
        }, t.ringTimeoutMs);
      }
    };

    const next = (): void => {
      const group = pending.shift();
      if (group === undefined) return finish({ status: bestFinalStatus(statuses) ?? 480 });
      forks = group.map((target) => ({ target, invite: undefined, timer: undefined, done: false }));
      for (const f of forks) {
        if (f.target.delayMs !== undefined && f.target.delayMs > 0) f.timer = setTimeout(() => launch(f), f.target.delayMs);
        else launch(f);
      }
    };
    next();
  });
}
