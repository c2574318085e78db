/**
 * Mid-call sequences entered on an EFA second call (spec MID-05..MID-07, EFA-04; TS-19,
 * TS-20, TS-22, TS-24b), after the EFA feature authenticated it (caller ID + PIN) and read
 * the function code:
 *   `*84 # target #` … `*84`          transfer: the consult call is placed from the EFA2 leg
 *                                     (ringback, then the target); `*84` hands the user's call
 *                                     on exclusive hold to it, also while it still rings;
 *   `*84 # parkNumber # *84 #`        directed park: the held call waits on the park number
 *                                     (MoH) until an internal phone dials retrievalPrefix+number.
 * The call acted on is the user's most recent call on exclusive hold (D-19); with none, the
 * EFA feature plays reorder (the handler answers false). A blocked or unroutable target gives
 * reorder on the EFA2 leg and the call stays on exclusive hold (resume with `*83`).
 */
import { isBlockedEntry, onBehalfOf, placeAndBridge, routeDestination } from '../ivr/place-call.js';
import type { IvrCall } from '../ivr/ivr-call.js';
import type { EfaMidCallHandler, EfaMidCallRequest } from '../efa/mid-call.js';
import type { MidCallSession } from './session.js';
import type { Dialog } from '../../sip/dialog/dialog.js';

const TONE_MS = 1500;

export interface EfaSequenceHost {
  /** The user's most recent call on exclusive hold. */
  exclusiveHeldOf(userId: string): MidCallSession | undefined;
  /** Park slots (MID-07): the session parked on a number. */
  parked(number: string): MidCallSession | undefined;
  parkOn(number: string, s: MidCallSession): void;
  /** MID-08: the held call's far end and `legs` into a three-party mix; the user's own leg is released. */
  conference(s: MidCallSession, legs: Dialog[]): Promise<boolean>;
}

export class EfaSequences implements EfaMidCallHandler {
  constructor(private readonly host: EfaSequenceHost) {}

  async handle(req: EfaMidCallRequest): Promise<boolean> {
    const s = this.host.exclusiveHeldOf(req.userId);
    if (s === undefined) return false;
    const ivr = req.call;
    const dir = req.ctx.directory;
    const m = dir.mobilityParameters();
    const timeoutMs = m.ivrInputTimeoutS * 1000;
    const field = await ivr.ask(undefined, timeoutMs);
    if (field.kind !== 'field') {
      ivr.release();
      return true;
    }
    const target = field.value;
    const ob = onBehalfOf(dir, req.userId, req.identity);
    if (ob === undefined) return reorder(ivr);
    const parkMatch = req.code === 'transfer' && !isBlockedEntry(target, m.systemRemoteAccessBlockedNumbers) ? dir.resolve(target, ob.css) : undefined;
    if (parkMatch?.target.kind === 'feature' && parkMatch.target.id === 'park') return this.park(req, s, parkMatch.target.arg ?? target, timeoutMs);
    const routed = routeDestination(dir, req.ctx.router, ob, target, ivr.inv.request, req.caller);
    if (!routed.ok) {
      ivr.log.info({ callId: ivr.callId, target, why: routed.why }, 'EFA transfer: target refused (MID-06, MVA-07)');
      return reorder(ivr);
    }
    const codes = m.mobilityFeatureCodes;
    void this.consult(req, s, routed.groups, routed.kind, req.code === 'conference' ? codes.conference : codes.transfer);
    return true;
  }

  /**
   * MID-06 / MID-08: consult from the EFA2 leg; `*84` completes a transfer (answered or
   * still ringing), `*85` a conference once the target answered.
   */
  private async consult(req: EfaMidCallRequest, s: MidCallSession, groups: Parameters<typeof placeAndBridge>[1], kind: 'line' | 'trunk', code: string): Promise<void> {
    const ivr = req.call;
    let answered = false;
    let completed = false;
    const placing = placeAndBridge(ivr, groups, kind).then((r) => {
      answered = r.kind === 'connected';
      return r;
    });
    // Watch the EFA2 leg for the completing code while the consult call rings or talks.
    const conference = req.code === 'conference';
    const watch = (async (): Promise<boolean> => {
      let buf = '';
      for (;;) {
        const d = await ivr.digits.nextDigit(3_600_000);
        if (d.kind !== 'digit') return false;
        buf = (buf + d.digit).slice(-code.length);
        // MID-08: *85 counts once the target answered.
        if (buf === code && (!conference || answered)) return true;
      }
    })();
    const first = await Promise.race([placing.then((r) => ({ kind: 'placed' as const, r })), watch.then((ok) => ({ kind: 'code' as const, ok }))]);
    if (first.kind === 'placed' && first.r.kind !== 'connected') {
      // MID-06 step 4: busy / rejected: tone, the user can still resume with *83.
      ivr.log.info({ callId: ivr.callId, status: first.r.kind === 'failed' ? first.r.status : undefined }, 'EFA transfer: consult failed');
      if (first.r.kind === 'failed') await reorder(ivr);
      return;
    }
    const ok = first.kind === 'code' ? first.ok : await watch;
    if (!ok || completed) return;
    completed = true;
    if (conference) {
      const consult = ivr.bridge.detachOut();
      const efaLeg = ivr.bridge.detachInbound();
      ivr.release(); // the EFA2 bridge's media goes; its legs live on in the mix
      const legs = [consult, efaLeg].filter((d): d is Dialog => d !== undefined);
      const joined = legs.length === 2 && (await this.host.conference(s, legs));
      ivr.log.info({ held: s.call.id, ok: joined }, 'EFA conference (MID-08)');
      if (!joined) for (const d of legs) if (d.state === 'confirmed') void req.ctx.ua.bye(d);
      return;
    }
    if (!answered) {
      // Early attended (MID-06 step 3): the far end hears the consult ring; it takes it on answer.
      await s.ringbackToFar();
      ivr.bridge.releaseInbound();
      const r = await placing;
      if (r.kind !== 'connected') {
        ivr.release();
        s.call.hangup('server', 'early attended transfer: consult not answered');
        return;
      }
    }
    const consult = ivr.bridge.detachOut();
    if (consult === undefined) return;
    const done = await s.transferTo(consult);
    ivr.log.info({ callId: ivr.callId, held: s.call.id, ok: done }, 'EFA transfer completed (MID-06)');
    ivr.release();
    if (!done && consult.state === 'confirmed') void req.ctx.ua.bye(consult);
  }

  /** MID-07: `parkNumber # *84 #`: park the held call, release both mobile legs. */
  private async park(req: EfaMidCallRequest, s: MidCallSession, number: string, timeoutMs: number): Promise<boolean> {
    const ivr = req.call;
    const code = req.ctx.directory.mobilityParameters().mobilityFeatureCodes.transfer;
    const confirm = await ivr.ask(undefined, timeoutMs);
    if (confirm.kind !== 'field' || confirm.value !== code) {
      ivr.release();
      return true;
    }
    if (this.host.parked(number) !== undefined) {
      // Busy park number: reorder, the call stays on exclusive hold.
      ivr.log.info({ callId: ivr.callId, number }, 'EFA park: number occupied');
      return reorder(ivr);
    }
    this.host.parkOn(number, s);
    s.park();
    ivr.log.info({ callId: ivr.callId, held: s.call.id, number }, 'call parked (MID-07)');
    ivr.release();
    return true;
  }
}

async function reorder(ivr: IvrCall): Promise<true> {
  await ivr.toneAndHangup('reorder', TONE_MS);
  return true;
}
