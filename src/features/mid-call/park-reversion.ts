/**
 * Park reversion (spec D-20; §16 `reversionTimeoutS` per directed-park range, 0 = off; MID-07):
 * a call parked on a number of a range with a reversion timeout, and not retrieved in time, is
 * offered back to the user who parked it as an ordinary call to their line: the line's phones
 * plus SNR forks to the user's RDs (built by the SNR feature, so eligibility, access lists,
 * Delay Before Ringing and Answer Too Soon/Late apply as for any SNR fork; an RD under user
 * control gets timer control, as the new leg cannot wait for a key press). Whoever answers
 * first is connected to the parked party. While that rings the call can still be retrieved
 * (the first one wins; a retrieval CANCELs the reversion legs). If nobody answers, the call
 * stays parked on MoH, with no second reversion (as with reversionTimeoutS = 0).
 */
import type { CallTarget } from '../../b2bua/call.js';
import { placeNewLeg } from '../../b2bua/new-leg.js';
import type { Caller } from '../../routing/router.js';
import { NameAddr } from '../../sip/message/name-addr.js';
import type { FeatureContext } from '../feature.js';
import type { SnrForkSource } from '../snr/snr-feature.js';
import type { MidCallSession } from './session.js';

export interface ParkReversionHost {
  ctx(): FeatureContext | undefined;
  /** Builds the SNR forks; without it only the line's phones ring. */
  snr: SnrForkSource | undefined;
  /** `s` still waits on `number` (not retrieved, not ended). */
  isParked(number: string, s: MidCallSession): boolean;
  /** The reversion takes the call: free the park number (a retrieval now finds nothing). */
  unpark(number: string): void;
}

interface Pending {
  timer: NodeJS.Timeout | undefined;
  /** CANCELs the reversion legs while they ring. */
  abort: AbortController;
}

export class ParkReversion {
  private readonly pending = new Map<MidCallSession, Pending>();

  constructor(private readonly host: ParkReversionHost) {}

  /** Parked calls with a reversion timer running or ringing (returns to 0). */
  get size(): number {
    return this.pending.size;
  }

  /** `s` was parked on `number`: start its range's reversion timer, if it has one. */
  arm(number: string, s: MidCallSession): void {
    const timeoutS = this.host.ctx()?.directory.directedParks.rangeOf(number)?.reversionTimeoutS ?? 0;
    if (timeoutS <= 0) return;
    this.cancel(s);
    const p: Pending = { timer: undefined, abort: new AbortController() };
    p.timer = setTimeout(() => {
      p.timer = undefined;
      void this.revert(number, s, p.abort.signal)
        .catch((e: Error) => this.host.ctx()?.log.warn({ callId: s.call.id, err: e.message }, 'park reversion failed'))
        .finally(() => {
          if (this.pending.get(s) === p) this.pending.delete(s);
        });
    }, timeoutS * 1000);
    this.pending.set(s, p);
  }

  /** Retrieved or ended: no reversion; reversion legs still ringing are CANCELled. */
  cancel(s: MidCallSession): void {
    const p = this.pending.get(s);
    if (p === undefined) return;
    this.pending.delete(s);
    clearTimeout(p.timer);
    p.abort.abort();
  }

  close(): void {
    for (const s of [...this.pending.keys()]) this.cancel(s);
  }

  private async revert(number: string, s: MidCallSession, signal: AbortSignal): Promise<void> {
    const ctx = this.host.ctx();
    if (ctx === undefined || !this.host.isParked(number, s)) return;
    const targets = this.targets(ctx, s);
    ctx.log.info({ callId: s.call.id, number, user: s.h.user.userId, forks: targets.map((t) => t.label) }, 'park reversion: calling the parking user (D-20)');
    if (targets.length === 0) return;
    // Late offer (new-leg.ts): the answering phone's 2xx carries the offer, answered in its ACK.
    const leg = await placeNewLeg(ctx.ua, [targets], { signal });
    const { dialog, invite, response } = leg;
    if (leg.status >= 300 || dialog === undefined || invite === undefined || response === undefined) {
      ctx.log.info({ callId: s.call.id, number, status: leg.status }, 'park reversion not answered: the call stays parked');
      return;
    }
    const abandon = (): void => {
      invite.ack(dialog);
      void ctx.ua.bye(dialog);
    };
    if (!this.host.isParked(number, s) || response.body.length === 0) return abandon();
    this.host.unpark(number);
    const ok = await s.revertTo({
      tag: dialog.remoteTag,
      offer: response.bodyText,
      response,
      complete: (answer) => {
        invite.ack(dialog, { body: answer, contentType: 'application/sdp' });
        return dialog;
      },
      abandon,
    });
    ctx.log.info({ callId: s.call.id, number, ok, by: leg.target?.label }, 'park reversion answered');
  }

  /** The line's phones, showing the parked party (as a session handoff does), and the user's SNR forks. */
  private targets(ctx: FeatureContext, s: MidCallSession): CallTarget[] {
    const line = s.h.line;
    const far = s.far;
    if (line === undefined || far === undefined) return [];
    const desk = ctx.router.lineContacts(line, new NameAddr(far.remoteUri.uri, far.remoteUri.displayName).toString());
    // SNR forks present the far party like any call to the line (CLI-04): its identity as a caller.
    const farCaller = (s.h.userSide === 'b' ? ctx.callerOf?.(s.call) : s.call.answeredTarget?.identity) as Caller | undefined;
    // A new leg cannot run user control (no key-press confirmation there): timer control instead.
    const forks = farCaller === undefined ? [] : (this.host.snr?.forksFor(line, farCaller, { timerControlOnly: true }) ?? []);
    return [...desk, ...forks];
  }
}
