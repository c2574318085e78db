/**
 * Session Resumption for DVO-F calls (spec §14.4, SR-01..SR-08).
 *
 *  - SR-01: a connected DVO-F call stores a resumption record (device, MI, target, call),
 *    persisted in ctx.state.resumptions; a newer connected DVO-F call replaces it (SR-07).
 *  - SR-02: when the mobile PSTN leg (the B2BCall's caller side) releases while the far
 *    leg is up, the far leg is kept with MoH (rtpengine `play media` to its tag) for the
 *    user's desk-pickup window, and the Session Resumption Await Timer starts (its
 *    deadline is persisted). Every release triggers it, or with `srTriggerCauses` set
 *    only a BYE whose Reason carries one of those Q.850 causes (D-33: network failures).
 *  - SR-04: a redial while the call is held answers at once and re-points the media to the
 *    new leg; the far end gets no new INVITE.
 *  - SR-05: after the held call ended (pickup window over, or the far end left) but
 *    within the SR timer, the redial places a new call to the stored target (From = DN),
 *    answered when the target answers; busy gives 486 and the record stays.
 *  - SR-06: the timer's end deletes the record; SR-03: 0 turns the feature off.
 *  - SR-08: callMovedToDesk() (for the desk-pickup / handoff features) deletes the record.
 *
 * Restart: records survive in the state store. On start, a record whose timer runs is
 * re-armed with its remaining time; one whose timer has run out is deleted; one whose
 * call was still connected (no timer yet) lost that call with the restart, so its timer
 * starts now. Calls do not survive a restart, so anchoredCallRef is cleared: a redial in
 * the window places a new call (SR-05).
 */
import type { B2BCall } from '../../b2bua/call.js';
import type { MobileClientDevice } from '../../directory/types.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { ResumptionRecord } from '../../state/types.js';
import type { Feature, FeatureContext } from '../feature.js';
import { Deadlines } from '../dvo/deadlines.js';
import { routeTarget, type DeviceCaller } from '../dvo/targets.js';
import { q850Cause } from '../../sip/extensions/reason.js';
import { ensureTones, type ToneFiles } from '../dvo/tones.js';
import { SrMetrics } from './metrics.js';

/** rtpengine repeats the hold music this often (far longer than the 30 s pickup maximum). */
const MOH_REPEAT = 1000;

interface Tracked {
  deviceId: string;
  miId: string;
  miNumber: string;
  target: string;
  call: B2BCall;
}

export class SessionResumption implements Feature {
  readonly name = 'session-resumption';
  private ctx: FeatureContext | undefined;
  private tones: ToneFiles | undefined;
  private metrics: SrMetrics | undefined;
  /** SR timers by device. */
  private readonly srTimers = new Deadlines<string>();
  /** Desk-pickup windows of held calls, by device. */
  private readonly pickupTimers = new Deadlines<string>();
  /** Calls this feature follows, by call id. */
  private readonly tracked = new Map<string, Tracked>();
  /** The call each device's record names (SR-07: the newest connected DVO-F call). */
  private readonly current = new Map<string, string>();
  /** Held calls (caller lost, far end on MoH), by device. */
  private readonly held = new Map<string, B2BCall>();
  /** Store writes in flight, so tests and shutdown can wait for them. */
  private writes: Promise<unknown> = Promise.resolve();

  async start(ctx: FeatureContext): Promise<void> {
    this.ctx = ctx;
    this.tones = ensureTones(ctx.config.dataDir);
    this.metrics = new SrMetrics(ctx.metrics, () => ({ held: this.held.size, tracked: this.tracked.size, timers: this.srTimers.size }));
    await this.rearm();
  }

  async close(): Promise<void> {
    await this.settled();
    this.srTimers.clear();
    this.pickupTimers.clear();
    this.held.clear();
    this.tracked.clear();
    this.current.clear();
  }

  private get c(): FeatureContext {
    if (this.ctx === undefined) throw new Error('session resumption not started');
    return this.ctx;
  }

  /** SR-03: sessionResumptionAwaitTimerS (seconds); 0 = off. */
  private timerMs(): number {
    return this.c.directory.mobilityParameters().sessionResumptionAwaitTimerS * 1000;
  }

  enabled(): boolean {
    return this.ctx !== undefined && this.timerMs() > 0;
  }

  /** Resolves when pending store writes are done. */
  settled(): Promise<void> {
    return this.writes.then(() => undefined);
  }

  /** Store writes run one after the other, in the order the events happened. */
  private write(op: () => Promise<unknown>): void {
    this.writes = this.writes.then(op).catch((e: Error) => this.ctx?.log.error({ err: e.message }, 'resumption store write failed'));
  }

  // -------------------------------------------------------------- lifecycle
  /**
   * SR-01: a DVO-F call (or a session-resumption call) connected. Stores the record
   * (replacing the device's previous one, SR-07) and follows the call. The caller of
   * this method routes the call's onCallerLost to mobileLegLost().
   */
  track(call: B2BCall, deviceId: string, mi: { id: string; number: string }, target: string): void {
    if (!this.enabled()) return;
    const t: Tracked = { deviceId, miId: mi.id, miNumber: mi.number, target, call };
    this.tracked.set(call.id, t);
    this.current.set(deviceId, call.id);
    this.srTimers.cancel(deviceId);
    const rec: ResumptionRecord = {
      deviceId,
      miId: mi.id,
      miNumber: mi.number,
      target,
      anchoredCallRef: call.id,
      createdAt: Date.now(),
      expiresAt: null,
      nodeId: null,
    };
    this.write(() => this.c.state.resumptions.put(rec));
  }

  /**
   * SR-02: the mobile PSTN leg of `call` released. Returns true when the far leg is kept
   * (held on MoH for the pickup window); the SR timer starts either way while SR is on.
   */
  mobileLegLost(call: B2BCall): boolean {
    const t = this.tracked.get(call.id);
    if (t === undefined || !this.enabled() || this.current.get(t.deviceId) !== call.id) return false;
    // D-33: with trigger causes set, only a release for one of them (e.g. radio loss) resumes.
    const causes = this.c.directory.mobilityParameters().srTriggerCauses;
    if (causes.length > 0) {
      const reason = call.aDialog?.remoteByeReason;
      const cause = q850Cause(reason);
      if (cause === undefined || !causes.includes(cause)) {
        this.c.log.info({ callId: call.id, reason, causes }, 'mobile leg released normally: no session resumption (srTriggerCauses)');
        return false;
      }
    }
    const now = Date.now();
    const expiresAt = now + this.timerMs();
    this.write(() => this.c.state.resumptions.update(t.deviceId, { expiresAt, anchoredCallRef: call.id }));
    this.srTimers.arm(t.deviceId, expiresAt, () => void this.expire(t.deviceId));
    const pickupMs = this.pickupWindowMs(t.deviceId);
    this.c.log.info({ callId: call.id, device: t.deviceId, pickupMs, srS: this.timerMs() / 1000 }, 'mobile leg lost: session resumption armed');
    // DPU-02: no pickup window means the far end is released now; SR-05 can still call it again.
    if (pickupMs <= 0 || call.bDialog === undefined) return false;
    this.held.set(t.deviceId, call);
    this.pickupTimers.arm(t.deviceId, now + pickupMs, () => {
      if (this.held.get(t.deviceId) === call) call.hangup('server', 'desk pickup window expired');
    });
    this.playMoh(call);
    return true;
  }

  /** A followed call ended (whatever the reason). */
  callEnded(call: B2BCall): void {
    const t = this.tracked.get(call.id);
    if (t === undefined) return;
    this.tracked.delete(call.id);
    if (this.held.get(t.deviceId) === call) {
      this.held.delete(t.deviceId);
      this.pickupTimers.cancel(t.deviceId);
    }
    if (this.current.get(t.deviceId) !== call.id) return;
    this.current.delete(t.deviceId);
    if (this.srTimers.has(t.deviceId)) {
      // SR-05: the record outlives the call until its timer ends.
      this.write(() => this.c.state.resumptions.update(t.deviceId, { anchoredCallRef: null }));
    } else {
      // Ended while the mobile leg was up (a hang-up, not a drop): nothing to resume.
      this.write(() => this.c.state.resumptions.remove(t.deviceId));
    }
  }

  /** SR-08: the call moved to a desk device (desk pickup DPU-03, handoff HO-03): no resumption. */
  callMovedToDesk(callId: string): void {
    const t = this.tracked.get(callId);
    if (t === undefined) return;
    this.tracked.delete(callId);
    this.held.delete(t.deviceId);
    this.pickupTimers.cancel(t.deviceId);
    this.srTimers.cancel(t.deviceId);
    if (this.current.get(t.deviceId) === callId) {
      this.current.delete(t.deviceId);
      this.write(() => this.c.state.resumptions.remove(t.deviceId));
    }
  }

  /** Delete a device's record and stop its timers (administration; a held call is left as it is). */
  async clear(deviceId: string): Promise<void> {
    this.srTimers.cancel(deviceId);
    const callId = this.current.get(deviceId);
    if (callId !== undefined) this.tracked.delete(callId);
    this.current.delete(deviceId);
    this.write(() => this.c.state.resumptions.remove(deviceId));
    await this.settled();
  }

  // ------------------------------------------------------------ dispatcher
  /** §14.5 step 4: the device has a record whose SR timer is running. */
  async hasLive(deviceId: string): Promise<boolean> {
    if (!this.enabled()) return false;
    await this.settled();
    const rec = await this.c.state.resumptions.get(deviceId);
    return rec !== undefined && rec.expiresAt !== null && rec.expiresAt > Date.now();
  }

  /** SR-04 / SR-05 for a redial from the MI of `deviceId` (the dispatcher checked hasLive). */
  async resume(inv: IncomingInvite, deviceId: string): Promise<void> {
    const rec = await this.c.state.resumptions.get(deviceId);
    if (rec === undefined) {
      inv.reject(480, { reason: 'Temporarily Unavailable - nothing to resume' });
      return;
    }
    const held = this.held.get(deviceId);
    if (held !== undefined && held.callerLost && held.state !== 'ended') {
      if (await this.reconnect(inv, held, deviceId)) return;
      // The far end is still held: never call it a second time (SR-05 is for an ended call).
      if (inv.finalStatus === undefined) inv.reject(500, { reason: 'Server Internal Error - resumption failed' });
      return;
    }
    this.newCall(inv, rec);
  }

  /** SR-04: answer at once, stop MoH, re-point media; no INVITE to the far end. */
  private async reconnect(inv: IncomingInvite, call: B2BCall, deviceId: string): Promise<boolean> {
    await this.stopMoh(call);
    let ok = false;
    try {
      ok = await call.attachCaller(inv);
    } catch (e) {
      this.c.log.warn({ err: (e as Error).message, callId: call.id }, 'reconnect failed');
    }
    if (!ok) {
      if (call.callerLost && call.state !== 'ended') this.playMoh(call);
      return false;
    }
    this.held.delete(deviceId);
    this.pickupTimers.cancel(deviceId);
    this.srTimers.cancel(deviceId);
    this.write(() => this.c.state.resumptions.update(deviceId, { expiresAt: null, anchoredCallRef: call.id }));
    this.metrics?.reconnects.inc();
    this.c.log.info({ callId: call.id, device: deviceId }, 'session resumed on the existing call');
    return true;
  }

  /** SR-05: a new call to the stored target, From = DN, answered when the target answers. */
  private newCall(inv: IncomingInvite, rec: ResumptionRecord): void {
    const device = this.c.directory.devices.get(rec.deviceId);
    if (device === undefined || device.kind !== 'mobileClient') {
      inv.reject(404, { reason: 'Not Found - device gone' });
      return;
    }
    const caller = this.c.router.callerFromDevice(device, device.sipUsername ?? device.id) as DeviceCaller;
    const routed = routeTarget(this.c.directory, this.c.router, caller, rec.target, inv.request);
    if (!routed.ok) {
      inv.reject(routed.status, { reason: routed.reason });
      return;
    }
    this.metrics?.newCalls.inc();
    this.c.log.info({ device: rec.deviceId, target: rec.target }, 'session resumption: new call to the target');
    inv.progress(180);
    const mi = { id: rec.miId, number: rec.miNumber };
    const call = this.c.startCall(inv, routed.groups, {
      onConnected: (c) => this.track(c, rec.deviceId, mi, rec.target),
      onEnd: (c) => this.callEnded(c),
    });
    call.onCallerLost = (c) => this.mobileLegLost(c);
  }

  // ------------------------------------------------------------------ timers
  private async expire(deviceId: string): Promise<void> {
    await this.settled();
    const rec = await this.c.state.resumptions.get(deviceId);
    if (rec === undefined || rec.expiresAt === null || rec.expiresAt > Date.now() + 50) return;
    await this.c.state.resumptions.remove(deviceId);
    this.metrics?.expired.inc();
    this.c.log.info({ device: deviceId }, 'session resumption timer ended: record deleted');
  }

  private async rearm(): Promise<void> {
    const store = this.c.state.resumptions;
    const now = Date.now();
    for (const rec of await store.list()) {
      if (!this.enabled()) {
        await store.remove(rec.deviceId);
        continue;
      }
      if (rec.expiresAt !== null && rec.expiresAt <= now) {
        await store.remove(rec.deviceId);
        this.metrics?.expired.inc();
        continue;
      }
      // The call did not survive the restart: a dropped call whose window starts now.
      const expiresAt = rec.expiresAt ?? now + this.timerMs();
      await store.update(rec.deviceId, { expiresAt, anchoredCallRef: null });
      this.srTimers.arm(rec.deviceId, expiresAt, () => void this.expire(rec.deviceId));
      this.c.log.info({ device: rec.deviceId, remainingMs: expiresAt - now }, 'resumption record re-armed after restart');
    }
  }

  // -------------------------------------------------------------------- media
  private pickupWindowMs(deviceId: string): number {
    const d = this.c.directory.devices.get(deviceId) as MobileClientDevice | undefined;
    const user = d?.ownerUser === null || d?.ownerUser === undefined ? undefined : this.c.directory.findUser(d.ownerUser);
    return user?.maxWaitTimeForDeskPickupMs ?? this.c.directory.mobilityParameters().maxWaitTimeForDeskPickupMs;
  }

  private playMoh(call: B2BCall): void {
    const b = call.bDialog;
    if (b === undefined || this.c.callMedia === undefined || this.tones === undefined) return;
    void this.c.anchor
      .playMedia({ callId: call.id, fromTag: b.remoteTag, file: this.tones.moh, repeatTimes: MOH_REPEAT })
      .catch((e: Error) => this.c.log.warn({ err: e.message, callId: call.id }, 'music on hold failed'));
  }

  private async stopMoh(call: B2BCall): Promise<void> {
    const b = call.bDialog;
    if (b === undefined || this.c.callMedia === undefined) return;
    try {
      await this.c.anchor.stopMedia({ callId: call.id, fromTag: b.remoteTag });
    } catch {
      // nothing playing
    }
  }

  // ------------------------------------------------------------- inspection
  /** For the state API and tests. */
  async records(): Promise<ResumptionRecord[]> {
    await this.settled();
    return this.c.state.resumptions.list();
  }

  heldCalls(): number {
    return this.held.size;
  }
}
