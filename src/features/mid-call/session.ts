/**
 * Mid-call control of one anchored call whose user side is a PSTN leg (an RD that answered
 * an SNR fork, the mobile that placed an MVA/EFA two-stage call, spec §7, §9): feature codes
 * on that leg (DTMF-02), hold / exclusive hold /
 * resume with music on hold for the FAR leg (MID-02..04), session handoff to the desk
 * (HO-01..05), and desk pickup when the user-side leg releases (DPU-01..05).
 * Media is addressed by the call's media tags (B2BCall.mediaTagOf), which for an adopted
 * two-stage call differ from the far dialog's remote tag.
 */
import type { B2BCall, CallTarget, IncomingLeg, LegRequestListener } from '../../b2bua/call.js';
import type { EndUser, EnterpriseLine } from '../../directory/types.js';
import type { DtmfLegs } from '../../media/dtmf-leg.js';
import type { MediaServices } from '../../media/media-services.js';
import { NameAddr } from '../../sip/message/name-addr.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Dialog } from '../../sip/dialog/dialog.js';
import { offerlessReinvite } from '../../b2bua/transfer.js';
import type { FeatureContext } from '../feature.js';
import { heldDialog } from '../dialog-event/dialog-event-feature.js';
import { FeatureCodeCollector, type MidCallCode } from './codes.js';

export type MidCallState = 'connected' | 'held' | 'exclusiveHeld' | 'pickupPending' | 'parked' | 'moved';

export interface MidCallHandle {
  call: B2BCall;
  /** The side of the B2BCall that is the user's PSTN leg (the other one is FAR). */
  userSide: 'a' | 'b';
  user: EndUser;
  line: EnterpriseLine | undefined;
}

export interface MidCallDeps {
  ctx: FeatureContext;
  dtmf: DtmfLegs;
  media: MediaServices;
  log: FeatureContext['log'];
  onState(s: MidCallSession, state: MidCallState): void;
}

export class MidCallSession {
  state: MidCallState = 'connected';
  /** A handoff INVITE to the desk is ringing (HO-05: a second *74 does nothing). */
  handoffRinging = false;
  private readonly codes: FeatureCodeCollector;
  private unsubscribeDigits: (() => void) | undefined;
  /** Feeds the user leg's INFO digits to `codes` (a B2BCall listener while digits are collected). */
  private onInfo: LegRequestListener | undefined;
  private pickupTimer: NodeJS.Timeout | undefined;
  private offered = false;
  /** Something of this call is shown on the line (dialog event package). */
  private published = false;
  /** When the call went on exclusive hold (MID-05 acts on the user's most recent one). */
  exclusiveSince = 0;

  constructor(
    readonly h: MidCallHandle,
    private readonly d: MidCallDeps,
  ) {
    const m = () => d.ctx.directory.mobilityParameters();
    this.codes = new FeatureCodeCollector(
      () => m().mobilityFeatureCodes,
      () => m().dtmfInterDigitTimeoutMs,
      (code) => void this.onCode(code).catch((e: Error) => this.d.log.warn({ callId: this.call.id, code, err: e.message }, 'mid-call feature failed')),
    );
  }

  get call(): B2BCall {
    return this.h.call;
  }

  private get farSide(): 'a' | 'b' {
    return this.h.userSide === 'a' ? 'b' : 'a';
  }

  /** The far end's dialog. */
  get far(): Dialog | undefined {
    return this.call.legOf(this.farSide);
  }

  /** The far end's media tag (MoH, tones are played to it). */
  private get farTag(): string {
    return this.call.mediaTagOf(this.farSide) ?? '';
  }

  /** Start listening on the user leg; the call tells us when that leg is lost. */
  start(): void {
    const userTag = this.call.mediaTagOf(this.h.userSide);
    if (userTag === undefined) return;
    this.unsubscribeDigits = this.d.dtmf.subscribe(this.call.id, userTag, (x) => this.codes.push(x.digit));
    this.onInfo = (side, info) => {
      if (side === this.h.userSide && this.state !== 'moved') this.d.dtmf.feedInfo(info, { callId: this.call.id, tag: userTag });
    };
    this.call.addInfoListener(this.onInfo);
    this.publishLine(false);
    if (this.h.userSide === 'b') this.call.onCalleeLost = () => this.onUserLegLost();
    // The caller side is the user's (an anchored inbound RD call): unless another feature keeps
    // it (session resumption for DVO-F), desk pickup applies when it hangs up.
    else if (this.call.onCallerLost === undefined) this.call.onCallerLost = () => this.onUserLegLost();
  }

  private stopDigits(): void {
    if (this.onInfo !== undefined) this.call.removeInfoListener(this.onInfo);
    this.onInfo = undefined;
    this.unsubscribeDigits?.();
    this.unsubscribeDigits = undefined;
    this.codes.stop();
  }

  private setState(s: MidCallState): void {
    this.state = s;
    this.d.onState(this, s);
  }

  private async onCode(code: MidCallCode): Promise<void> {
    this.d.log.info({ callId: this.call.id, code, state: this.state }, 'mid-call feature code');
    switch (code) {
      case 'hold':
      case 'exclusiveHold':
        if (this.state !== 'connected') return;
        await this.hold(code === 'exclusiveHold');
        return;
      case 'resume':
        if (this.state === 'held' || this.state === 'exclusiveHeld') await this.resume();
        return;
      case 'sessionHandoff':
        if (this.state === 'connected') await this.handoff();
        return;
      default:
        // *84/*85 act through an EFA second call (MID-05), not on this leg.
        return;
    }
  }

  /** MID-02/03: the FAR leg hears MoH, the user leg silence; hold (not exclusive) is offered to the desk. */
  private async hold(exclusive: boolean): Promise<void> {
    const userTag = this.call.mediaTagOf(this.h.userSide);
    this.setState(exclusive ? 'exclusiveHeld' : 'held');
    if (exclusive) this.exclusiveSince = Date.now();
    await this.d.media.holdWithMoh({ callId: this.call.id, tag: this.farTag }, userTag === undefined ? {} : { holderTag: userTag });
    if (!exclusive) this.offerPickup();
  }

  /** MID-04: back to the leg where *83 was pressed; any desk offer is withdrawn. */
  private async resume(): Promise<void> {
    this.setState('connected');
    this.withdrawOffer(undefined, false);
    await this.d.media.stopMoh({ callId: this.call.id, tag: this.farTag });
  }

  /** HO-01..05: ring the desk phones of the line (no forwarding), the mobile conversation goes on meanwhile. */
  private async handoff(): Promise<void> {
    if (this.handoffRinging || this.h.line === undefined) return;
    const targets = this.deskTargets(this.d.ctx.directory.mobilityParameters().sessionHandoffAlertingTimerS * 1000);
    if (targets.length === 0) {
      this.d.log.info({ callId: this.call.id }, 'handoff: no desk device registered (HO-05)');
      return;
    }
    this.handoffRinging = true;
    const status = await this.call.replaceLeg(this.h.userSide, [targets]);
    this.handoffRinging = false;
    this.d.log.info({ callId: this.call.id, status }, 'session handoff');
    if (status < 300) this.moved();
    // HO-04 (S1:933): an unanswered handoff is cleared "and the Remote In Use state is removed
    // from the user's desk phone line"; the call goes on at the mobile.
    else this.withdrawOffer();
  }

  /** The desk phones on the user's line, presenting the far party, with `ringTimeoutMs`. */
  private deskTargets(ringTimeoutMs: number): CallTarget[] {
    const far = this.call.legOf(this.farSide);
    const line = this.h.line!;
    // HO-01: the desk shows the far party (its name-addr without the dialog's tag).
    const from = far === undefined ? `<sip:${line.number}@${this.d.ctx.config.domain}>` : new NameAddr(far.remoteUri.uri, far.remoteUri.displayName).toString();
    return this.d.ctx.router.lineContacts(line, from).map((t) => ({ ...t, ringTimeoutMs }));
  }

  /**
   * DPU-01/02/05: the user-side leg released while the FAR leg is up. True keeps the call
   * (FAR on MoH, offered to the desk; timed unless it was held with *81 or *82).
   */
  private onUserLegLost(): boolean {
    this.stopDigits();
    if (this.state === 'held' || this.state === 'exclusiveHeld') {
      // DPU-05 / MID-03: stays held with MoH until the desk resumes it or the far end hangs up.
      return true;
    }
    if (this.state !== 'connected') return false;
    const waitMs = this.h.user.maxWaitTimeForDeskPickupMs;
    if (waitMs <= 0) return false;
    this.setState('pickupPending');
    void this.d.media.holdWithMoh({ callId: this.call.id, tag: this.farTag }).catch((e: Error) => this.d.log.warn({ err: e.message }, 'MoH failed'));
    this.offerPickup();
    this.pickupTimer = setTimeout(() => {
      this.pickupTimer = undefined;
      this.d.log.info({ callId: this.call.id, waitMs }, 'desk pickup timer expired (DPU-04)');
      this.call.hangup('server', 'desk pickup timer expired');
    }, waitMs);
    return true;
  }

  /** Whether a desk INVITE with Replaces (or the pickup code) may take this call now. */
  get pickupable(): boolean {
    return this.offered && (this.state === 'held' || this.state === 'pickupPending');
  }

  /** DPU-03: the desk's INVITE takes the user side; MoH and the timer stop, the offer is cleared. */
  async pickup(inv: IncomingInvite): Promise<boolean> {
    if (!this.pickupable || inv.request.body.length === 0) return false;
    if (this.pickupTimer !== undefined) clearTimeout(this.pickupTimer);
    this.pickupTimer = undefined;
    await this.d.media.stopMoh({ callId: this.call.id, tag: this.farTag });
    const leg: IncomingLeg = {
      tag: inv.request.from.tag ?? '',
      offer: inv.request.bodyText,
      complete: (answer) => (inv.finalStatus === undefined ? inv.accept({ body: answer, contentType: 'application/sdp' }) : undefined),
      abandon: (status) => inv.reject(status),
    };
    const ok = await this.call.swapIn(this.h.userSide, leg);
    this.d.log.info({ callId: this.call.id, ok }, 'desk pickup');
    if (ok) {
      this.withdrawOffer('replaced');
      this.moved();
    }
    return ok;
  }

  // ------------------------------------------------ EFA sequences (MID-05..07)
  /**
   * MID-06: the consult leg of the user's EFA second call takes the user side (no new
   * INVITE: an offerless re-INVITE makes it offer, the far end is re-INVITEd towards it);
   * MoH or ringback stops and the user's own leg, if still up, gets a BYE.
   */
  async transferTo(consult: Dialog): Promise<boolean> {
    const offered = await offerlessReinvite(this.d.ctx.ua, consult);
    if (offered === undefined) return false;
    await this.d.media.stop({ callId: this.call.id, tag: this.farTag });
    const ok = await this.call.swapIn(this.h.userSide, {
      tag: consult.remoteTag,
      offer: offered.offer,
      complete: (answer) => {
        offered.ack(answer);
        return consult;
      },
      abandon: () => offered.ack(undefined),
    });
    if (ok) this.moved();
    return ok;
  }

  /** MID-06 step 3 (early attended): the far end hears the consult ringing; the user's leg is released. */
  async ringbackToFar(): Promise<void> {
    this.releaseUserLeg('early attended transfer');
    await this.d.media.playTone({ callId: this.call.id, tag: this.farTag }, 'ringback');
  }

  /** MID-07: parked with MoH going on; the user's leg is released. */
  park(): void {
    this.releaseUserLeg('parked');
    this.setState('parked');
  }

  private releaseUserLeg(why: string): void {
    this.stopDigits();
    if (this.h.userSide === 'b' && this.call.legOf('b') !== undefined) this.call.releaseCallee(why);
  }

  /** MID-07 retrieval: the INVITE to the retrieval code takes the user side. */
  async retrieve(inv: IncomingInvite): Promise<boolean> {
    if (this.state !== 'parked' || inv.request.body.length === 0) return false;
    await this.d.media.stopMoh({ callId: this.call.id, tag: this.farTag });
    const ok = await this.call.swapIn(this.h.userSide, {
      tag: inv.request.from.tag ?? '',
      offer: inv.request.bodyText,
      complete: (answer) => (inv.finalStatus === undefined ? inv.accept({ body: answer, contentType: 'application/sdp' }) : undefined),
      abandon: (status) => inv.reject(status),
    });
    if (ok) this.moved();
    return ok;
  }

  /** D-20 park reversion: the leg that answered the call to the parking user's line takes the user side. */
  async revertTo(leg: IncomingLeg): Promise<boolean> {
    if (this.state !== 'parked') {
      leg.abandon(481);
      return false;
    }
    await this.d.media.stopMoh({ callId: this.call.id, tag: this.farTag });
    const ok = await this.call.swapIn(this.h.userSide, leg);
    if (ok) this.moved();
    return ok;
  }

  /** The user side is now a desk leg: mid-call codes no longer apply (DTMF-02). */
  private moved(): void {
    this.stopDigits();
    if (this.h.userSide === 'b') this.call.onCalleeLost = undefined;
    this.withdrawOffer('replaced');
    this.setState('moved');
  }

  /**
   * The call as the line's shared-line phones see it (RFC 4235): "remote in use" (confirmed)
   * while the user talks on the PSTN leg (TS-01), a held dialog they can resume while it is
   * offered for pickup (DPU-01).
   */
  private publishLine(held: boolean): void {
    const far = this.call.legOf(this.farSide);
    const line = this.h.line;
    if (far === undefined || line === undefined || this.d.ctx.dialogEvents === undefined) return;
    const lineUri = `sip:${line.number}@${this.d.ctx.config.domain}`;
    const offer = heldDialog({
      id: this.call.id,
      callId: far.callId,
      localTag: far.localTag,
      remoteTag: far.remoteTag,
      lineUri,
      farUri: far.remoteUri.uri.toString(),
      ...(far.remoteUri.displayName !== undefined ? { farDisplay: far.remoteUri.displayName } : {}),
      direction: this.farSide === 'a' ? 'recipient' : 'initiator',
    });
    // Not held: the same dialog without the `+sip.rendering="no"` target parameter.
    this.d.ctx.dialogEvents.publish(line.number, [held ? offer : { ...offer, local: { identity: lineUri, target: lineUri } }]);
    this.published = true;
  }

  private offerPickup(): void {
    this.publishLine(true);
    this.offered = this.call.legOf(this.farSide) !== undefined;
  }

  /** The pickup offer ends: back to "remote in use", or gone from the line (`clear`). */
  private withdrawOffer(event?: string, clear = true): void {
    this.offered = false;
    if (!clear) return this.publishLine(false);
    if (!this.published) return;
    this.published = false;
    if (this.h.line !== undefined) this.d.ctx.dialogEvents?.clear(this.h.line.number, this.call.id, event);
  }

  /** The call is over. */
  end(): void {
    this.stopDigits();
    if (this.pickupTimer !== undefined) clearTimeout(this.pickupTimer);
    this.pickupTimer = undefined;
    this.withdrawOffer();
    this.d.media.forgetCall(this.call.id);
  }
}
