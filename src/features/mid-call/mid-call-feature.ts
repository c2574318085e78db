/**
 * Mid-call features and desk pickup (spec §7, §9; issue #5): features that connect an
 * anchored call to a user's PSTN leg (SNR when an RD answers; ANC, DVO-F, ISC; MVA and EFA
 * two-stage calls once handed to a B2BCall, ivr/anchored-call.ts) attach it here
 * (FeatureContext.midCall.attach); this feature then
 *  - collects feature codes on that leg (SIP INFO and RFC 4733, DTMF-01..05): *81 hold,
 *    *82 exclusive hold, *83 resume, *74 session handoff (session.ts);
 *  - keeps the far end on MoH when the user leg releases and offers the call to the desk
 *    phones of the line (RFC 4235 dialog event, DPU-01), for maxWaitTimeForDeskPickupMs;
 *  - takes the desk's INVITE with Replaces naming the offered dialog, or the deskPickupCode
 *    (D-15), as the new user side (DPU-03). Any other INVITE with Replaces gets 481;
 *  - serves park retrieval (MID-07) and park reversion (D-20, park-reversion.ts), and keeps
 *    the EFA conferences (MID-08), shown in the live calls view while they run.
 */
import { type B2BCall, observeCall } from '../../b2bua/call.js';
import type { ReferDecision } from '../../b2bua/transfer.js';
import type { ReferTo } from '../../sip/extensions/refer.js';
import { isSendToMobile, sendToMobile } from './send-to-mobile.js';
import { handoutByNumber, handoutByRefer, isHandout } from './handout.js';
import { DtmfLegs } from '../../media/dtmf-leg.js';
import { MediaServices } from '../../media/media-services.js';
import type { Caller } from '../../routing/router.js';
import { readReplaces } from '../../sip/extensions/replaces.js';
import type { Replaces } from '../../sip/extensions/replaces.js';
import { uriUserDigits } from '../../sip/message/uri.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext, FeatureDecision } from '../feature.js';
import { EfaSequences, type EfaSequenceHost } from './efa-sequences.js';
import { ConferenceCall } from '../../b2bua/conference-call.js';
import type { Dialog } from '../../sip/dialog/dialog.js';
import { MidCallSession, type MidCallHandle } from './session.js';
import { ParkReversion } from './park-reversion.js';
import type { SnrForkSource } from '../snr/snr-feature.js';

/** What other features use (FeatureContext.midCall). */
export interface MidCallApi {
  /** An anchored call is connected to the user's PSTN leg on `userSide`. */
  attach(handle: MidCallHandle): void;
}

export class MidCallFeature implements Feature, MidCallApi, EfaSequenceHost {
  readonly name = 'mid-call';
  /** MID-07: retrieval of parked calls (retrievalPrefix + park number, from the dial plan). */
  readonly featureIds = ['parkRetrieve', 'handoff'] as const;
  /** Transfer and park entered on an EFA second call (register with EfaFeature.setMidCallHandler). */
  readonly efaHandler: EfaSequences = new EfaSequences(this);
  /** Park slots: number → session (MID-07). */
  private readonly parkSlots = new Map<string, MidCallSession>();
  private ctx: FeatureContext | undefined;
  private dtmf: DtmfLegs | undefined;
  private media: MediaServices | undefined;
  /** Sessions by call id (the B2BCall's A-leg Call-ID). */
  private readonly sessions = new Map<string, MidCallSession>();
  /** D-20: parked calls not retrieved in time ring the parking user's line again. */
  readonly reversion: ParkReversion;

  /** `snr` builds the SNR forks of a park reversion (D-20: desk plus SNR). */
  constructor(snr?: SnrForkSource) {
    this.reversion = new ParkReversion({
      ctx: () => this.ctx,
      snr,
      isParked: (number, s) => this.parked(number) === s,
      unpark: (number) => this.parkSlots.delete(number),
    });
  }

  start(ctx: FeatureContext): void {
    this.ctx = ctx;
    // Shared with the other features: one DTMF-05 lock per leg, one owner of what plays to whom.
    this.dtmf = ctx.dtmfLegs ?? new DtmfLegs(ctx.dtmf);
    this.media = ctx.mediaServices ?? new MediaServices({ anchor: ctx.anchor, dataDir: ctx.config.dataDir });
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session of a call (tests, the EFA mid-call sequences). */
  session(callId: string): MidCallSession | undefined {
    return this.sessions.get(callId);
  }

  attach(h: MidCallHandle): void {
    const ctx = this.ctx;
    if (ctx === undefined || this.dtmf === undefined || this.media === undefined || this.sessions.has(h.call.id)) return;
    const s = new MidCallSession(h, {
      ctx,
      dtmf: this.dtmf,
      media: this.media,
      log: ctx.log,
      onState: (x, state) => ctx.anchored?.update(x.call.id, { state: state === 'moved' ? 'connected' : state }),
    });
    this.sessions.set(h.call.id, s);
    s.start();
    observeCall(h.call.a, {
      onEnd: () => {
        s.end();
        if (this.sessions.get(h.call.id) === s) this.sessions.delete(h.call.id);
        for (const [n, x] of this.parkSlots) if (x === s) this.parkSlots.delete(n);
        this.reversion.cancel(s);
      },
    });
  }

  // ------------------------------------------------------------ EfaSequenceHost
  exclusiveHeldOf(userId: string): MidCallSession | undefined {
    let best: MidCallSession | undefined;
    for (const s of this.sessions.values()) {
      if (s.state === 'exclusiveHeld' && s.h.user.userId === userId && (best === undefined || s.exclusiveSince > best.exclusiveSince)) best = s;
    }
    return best;
  }

  parked(number: string): MidCallSession | undefined {
    const s = this.parkSlots.get(number);
    return s !== undefined && s.state === 'parked' ? s : undefined;
  }

  parkOn(number: string, s: MidCallSession): void {
    this.parkSlots.set(number, s);
    this.reversion.arm(number, s);
  }

  /** Conferences running (MID-08). */
  readonly conferences = new Set<ConferenceCall>();

  async conference(s: MidCallSession, legs: Dialog[]): Promise<boolean> {
    const ctx = this.ctx;
    const far = s.far;
    if (ctx === undefined || this.media === undefined || far === undefined) return false;
    // The mixer binds where the launched rtpengine does (the media-facing address).
    const mixer = await this.media.createConference({ host: ctx.config.media.rtpengine?.host ?? '127.0.0.1' });
    const cc = new ConferenceCall(mixer, ctx.ua, ctx.log, (c) => {
      this.conferences.delete(c);
      ctx.anchored?.untrackLive(c.id);
    });
    this.conferences.add(cc);
    // The live calls view lists it (feature 'conference') until it ends.
    ctx.anchored?.trackLive(cc);
    // The far end leaves the anchored call (which ends: the user's RD leg gets a BYE, D-19)…
    s.call.surrenderLeg(far, 'conference');
    // …and joins the mix with the consult target and the EFA2 leg.
    let n = 0;
    const roles = ['FAR', 'TARGET', 'EFA2']; // `legs`: the consult target's, then the EFA2 leg (efa-sequences.ts)
    for (const [i, d] of [far, ...legs].entries()) if (await cc.join(d, roles[i])) n++;
    if (n < 2) {
      await cc.end();
      return false;
    }
    return true;
  }

  /** MID-07: an internal phone dialled retrievalPrefix + park number. */
  onFeature(inv: IncomingInvite, caller: Caller, d: FeatureDecision, ctx: FeatureContext): void {
    if (d.id === 'handoff') {
      // HOUT-03: the phone called the handoff number over cellular.
      const identityOf = (c: B2BCall, side: 'a' | 'b'): Caller | undefined => (side === 'a' ? ctx.callerOf?.(c) : (c.answeredTarget?.identity as Caller | undefined));
      void handoutByNumber({ ctx, attach: (h) => this.attach(h) }, inv, caller, ctx.liveCalls?.() ?? [], identityOf).catch((e: Error) => {
        ctx.log.warn({ err: e.message }, 'hand-out by number failed');
        if (inv.finalStatus === undefined) inv.reject(500);
      });
      return;
    }
    const number = d.arg ?? '';
    const s = this.parked(number);
    if (caller.kind !== 'device' || s === undefined) {
      inv.reject(caller.kind !== 'device' ? 403 : 404, { reason: caller.kind !== 'device' ? 'Forbidden - retrieval from internal phones only' : `Not Found - nothing parked on ${number.slice(0, 20)}` });
      return;
    }
    this.parkSlots.delete(number);
    this.reversion.cancel(s);
    void s
      .retrieve(inv)
      .then((ok) => {
        if (!ok && inv.finalStatus === undefined) inv.reject(480, { reason: 'Temporarily Unavailable - retrieval failed' });
      })
      .catch((e: Error) => {
        this.ctx?.log.warn({ err: e.message }, 'park retrieval failed');
        if (inv.finalStatus === undefined) inv.reject(500);
      });
  }

  onInvite(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean {
    let replaces: Replaces | undefined;
    try {
      replaces = readReplaces(inv.request);
    } catch (e) {
      inv.reject(400, { reason: `Bad Request - ${(e as Error).message.slice(0, 60)}` });
      return true;
    }
    if (replaces !== undefined) {
      const m = ctx.ua.findDialogForReplaces(replaces);
      const dialog = 'dialog' in m ? m.dialog : undefined;
      const s = dialog === undefined ? undefined : [...this.sessions.values()].find((x) => x.call.legOf(x.h.userSide === 'a' ? 'b' : 'a') === dialog);
      if (s === undefined || !s.pickupable) {
        inv.reject(481, { reason: 'Call/Transaction Does Not Exist - no call offered for pickup' });
        return true;
      }
      this.pickup(inv, caller, s);
      return true;
    }
    const code = ctx.directory.mobilityParameters().deskPickupCode;
    let dialled: string | undefined;
    try {
      dialled = uriUserDigits(inv.request.uri);
    } catch {
      dialled = undefined;
    }
    if (dialled === undefined || dialled !== code || caller.kind !== 'device') return false;
    // D-15: the most recent call offered on one of the device's lines.
    const offered = [...this.sessions.values()].reverse().find((x) => x.pickupable && x.h.line !== undefined && caller.device.lines.includes(x.h.line.id));
    if (offered === undefined) {
      inv.reject(480, { reason: 'Temporarily Unavailable - no call to pick up' });
      return true;
    }
    this.pickup(inv, caller, offered);
    return true;
  }

  private pickup(inv: IncomingInvite, caller: Caller, s: MidCallSession): void {
    // Only a phone on the user's line may take the call (DPU-03: "a desk device on the user's DN").
    if (caller.kind !== 'device' || s.h.line === undefined || !caller.device.lines.includes(s.h.line.id)) {
      inv.reject(403, { reason: 'Forbidden - not a device on this line' });
      return;
    }
    void s
      .pickup(inv)
      .then((ok) => {
        if (!ok && inv.finalStatus === undefined) inv.reject(481, { reason: 'Call/Transaction Does Not Exist - pickup failed' });
      })
      .catch((e: Error) => {
        this.ctx?.log.warn({ err: e.message }, 'desk pickup failed');
        if (inv.finalStatus === undefined) inv.reject(500);
      });
  }

  /** RDPU-01: a REFER to sendToMobileUri from a desk phone. */
  onRefer(call: B2BCall, side: 'a' | 'b', refer: ReferTo, referrer: Caller | undefined, ctx: FeatureContext): ReferDecision | undefined {
    const m = ctx.directory.mobilityParameters();
    const farSide = side === 'a' ? 'b' : 'a';
    const farCaller = (farSide === 'b' ? call.answeredTarget?.identity : ctx.callerOf?.(call)) as Caller | undefined;
    // HOUT-02: a mobile client hands its VoIP call out to its MI.
    if (isHandout(refer, m.handoutUri)) return handoutByRefer({ ctx, attach: (h) => this.attach(h) }, call, side, referrer, farCaller);
    if (this.media === undefined || !isSendToMobile(refer, m.sendToMobileUri)) return undefined;
    return sendToMobile({ ctx, media: this.media, farCaller, attach: (h) => this.attach(h) }, call, side, referrer);
  }

  close(): void {
    this.reversion.close();
    for (const c of this.conferences) void c.end();
    for (const s of this.sessions.values()) s.end();
    this.sessions.clear();
  }
}
