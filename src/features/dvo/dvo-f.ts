/**
 * DVO Forward (spec §14.3): pending requests, the Call Await Timer, correlation of the
 * inbound cellular call, and the anchored call that follows.
 *
 *  - DVO-F-05: a pending record per device, persisted in ctx.state.pendingDvo (create
 *    refuses a second one: DVO-F-02 → 486), with an absolute deadline.
 *  - DVO-F-06: correlation takes the record atomically (one inbound call wins), calls the
 *    stored target (device CSS, From = DN), sends 180 on the inbound leg, answers it when
 *    the target answers, and then answers CTRL. The inbound leg is the B2B call's caller
 *    side (RD role); the target is its far leg.
 *  - DVO-F-07: expiry → CTRL 503, record removed. DVO-F-09: busy → inbound 486, CTRL 486.
 *    DVO-F-10: client CANCEL → CTRL 487, record removed.
 *  - DVO-03: the mobile leg's release BYEs CTRL (and hands over to session resumption);
 *    a CTRL BYE while the mobile leg is up releases the call; after it, only CTRL ends.
 *
 * Restart: pending records are re-armed with their remaining time. Their CTRL dialog did
 * not survive (the INVITE server transaction is gone), so it can be answered neither 503
 * nor 200. Such an orphaned record still correlates: the user is already dialling in on
 * the cellular network, and the call to the target goes ahead without CTRL; on expiry
 * the record is just deleted.
 */
import type { B2BCall } from '../../b2bua/call.js';
import type { MobileClientDevice, RemoteDestination } from '../../directory/types.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { PendingDvoF } from '../../state/types.js';
import type { FeatureContext } from '../feature.js';
import type { SessionResumption } from '../session-resumption/session-resumption.js';
import type { CtrlLeg } from './ctrl.js';
import { Deadlines } from './deadlines.js';
import type { DvoCallRecord, DvoMetrics } from './records.js';
import { routeTarget, type DeviceCaller } from './targets.js';

interface Waiting {
  /** undefined for a record re-armed after a restart (its CTRL is gone). */
  ctrl: CtrlLeg | undefined;
  record: DvoCallRecord | undefined;
}

export class DvoForward {
  /** Pending requests of this process, by device (mirrors the store). */
  private readonly waiting = new Map<string, Waiting>();
  private readonly timers = new Deadlines<string>();
  /** Connected DVO-F calls by device (D-31). */
  private readonly connected = new Map<string, Set<B2BCall>>();

  constructor(
    private readonly ctx: FeatureContext,
    private readonly metrics: DvoMetrics,
    private readonly sr: SessionResumption | undefined,
  ) {}

  get pendingCount(): number {
    return this.waiting.size;
  }

  get connectedCount(): number {
    let n = 0;
    for (const s of this.connected.values()) n += s.size;
    return n;
  }

  connectedFor(deviceId: string): number {
    return this.connected.get(deviceId)?.size ?? 0;
  }

  async hasPending(deviceId: string): Promise<boolean> {
    return (await this.ctx.state.pendingDvo.get(deviceId)) !== undefined;
  }

  /** DVO-F-05: store the pending record, send the 183, start the Call Await Timer. */
  async request(ctrl: CtrlLeg, record: DvoCallRecord, device: MobileClientDevice, mi: RemoteDestination, sdpNumber: string, target: string): Promise<void> {
    const now = Date.now();
    const m = this.ctx.directory.mobilityParameters();
    const rec: PendingDvoF = {
      deviceId: device.id,
      miId: mi.id,
      miNumber: mi.number,
      sdpNumber,
      target,
      ctrlDialog: { callId: ctrl.callId, localTag: ctrl.inv.localTag, remoteTag: ctrl.inv.request.from.tag ?? '' },
      createdAt: now,
      expiresAt: now + m.callAwaitTimerS * 1000,
      nodeId: null,
    };
    if (!(await this.ctx.state.pendingDvo.create(rec))) {
      ctrl.fail(486, 'Busy Here - DVO-F pending', { reason: 'SIP;cause=486;text="DVO-F pending"' });
      record.state = 'failed';
      record.status = 486;
      return;
    }
    if (ctrl.state !== 'waiting' || ctrl.inv.finalStatus !== undefined) {
      // CANCELled while the record was written.
      await this.ctx.state.pendingDvo.remove(device.id);
      record.state = 'failed';
      record.status = 487;
      return;
    }
    const w: Waiting = { ctrl, record };
    this.waiting.set(device.id, w);
    ctrl.handlers = { onCancel: () => void this.cancelled(device.id, w) };
    ctrl.progress();
    this.metrics.dvoFRequests.inc();
    this.timers.arm(device.id, rec.expiresAt, () => void this.expire(device.id, w));
    this.ctx.log.info({ device: device.id, target, expiresAt: rec.expiresAt }, 'DVO-F pending');
  }

  /** DVO-F-10: the client CANCELled CTRL (already answered 487). */
  private async cancelled(deviceId: string, w: Waiting): Promise<void> {
    if (this.waiting.get(deviceId) !== w) return;
    this.waiting.delete(deviceId);
    this.timers.cancel(deviceId);
    await this.ctx.state.pendingDvo.remove(deviceId);
    if (w.record !== undefined) {
      w.record.state = 'failed';
      w.record.status = 487;
      w.record.endedAt = Date.now();
    }
  }

  /** DVO-F-07: the Call Await Timer ran out. */
  private async expire(deviceId: string, w: Waiting): Promise<void> {
    if (this.waiting.get(deviceId) !== w) return;
    const taken = await this.ctx.state.pendingDvo.take(deviceId);
    if (this.waiting.get(deviceId) !== w) return;
    this.waiting.delete(deviceId);
    if (taken === undefined) return;
    this.metrics.dvoFExpired.inc();
    this.ctx.log.info({ device: deviceId, orphaned: w.ctrl === undefined }, 'DVO-F Call Await Timer expired');
    w.ctrl?.fail(503, 'Service Unavailable - Call Await Timer expired');
    if (w.record !== undefined) {
      w.record.state = 'failed';
      w.record.status = 503;
      w.record.endedAt = Date.now();
    }
  }

  /**
   * DVO-F-06 for an inbound call the dispatcher matched to `deviceId`. False when the
   * record is gone meanwhile (expired, cancelled or taken by another call): the caller
   * then dispatches the call again.
   */
  async correlate(inv: IncomingInvite, deviceId: string): Promise<boolean> {
    const rec = await this.ctx.state.pendingDvo.take(deviceId);
    if (rec === undefined) return false;
    const w = this.waiting.get(deviceId);
    this.waiting.delete(deviceId);
    this.timers.cancel(deviceId);
    this.metrics.dvoFCorrelated.inc();
    if (w?.ctrl !== undefined && w.ctrl.state !== 'waiting') {
      // The client CANCELled while this call was being matched: the request is over.
      inv.reject(480, { reason: 'Temporarily Unavailable - DVO-F request cancelled' });
      return true;
    }
    const ctrl = w?.ctrl;
    const record = w?.record;
    const failBoth = (status: number, reason: string): void => {
      if (inv.finalStatus === undefined) inv.reject(status, { reason });
      ctrl?.fail(status, reason);
      if (record !== undefined) {
        record.state = 'failed';
        record.status = status;
        record.endedAt = Date.now();
      }
    };
    if (inv.finalStatus !== undefined) {
      failBoth(480, 'Temporarily Unavailable - inbound call gone');
      return true;
    }
    const device = this.ctx.directory.devices.get(deviceId);
    if (device === undefined || device.kind !== 'mobileClient') {
      failBoth(404, 'Not Found - device gone');
      return true;
    }
    if (rec.sdpNumber !== '' && rec.sdpNumber !== rec.miNumber) {
      this.ctx.log.debug({ device: deviceId }, 'DVO-F correlated on the MI, not on the SDP number (DVO-F-11)');
    }
    const caller = this.ctx.router.callerFromDevice(device, device.sipUsername ?? device.id) as DeviceCaller;
    const routed = routeTarget(this.ctx.directory, this.ctx.router, caller, rec.target, inv.request);
    if (!routed.ok) {
      failBoth(routed.status, routed.reason);
      return true;
    }
    if (routed.groups.every((g) => g.length === 0)) {
      failBoth(480, 'Temporarily Unavailable - target not registered');
      return true;
    }
    this.ctx.log.info({ device: deviceId, target: rec.target, inbound: inv.request.callId, orphaned: w?.ctrl === undefined }, 'DVO-F correlated');
    // D-45: ringing on the inbound leg now; it is answered when the target answers.
    inv.progress(180);
    // D-29 alternative: CTRL answered once the mobile's cellular leg has arrived.
    if (this.ctx.directory.mobilityParameters().dvoCtrlAnswerOn === 'mobileLeg') ctrl?.connect();
    let connected = false;
    const mi = { id: rec.miId, number: rec.miNumber };
    // GEN-07 / §17.2: the registry id of this anchored call (set once the call exists).
    let anchoredId: string | undefined;
    const call = this.ctx.startCall(inv, routed.groups, {
      onConnected: (c) => {
        connected = true;
        if (anchoredId !== undefined) this.ctx.anchored?.update(anchoredId, { state: 'connected' });
        let set = this.connected.get(deviceId);
        if (set === undefined) this.connected.set(deviceId, (set = new Set()));
        set.add(c);
        ctrl?.connect();
        if (record !== undefined) {
          record.state = 'connected';
          record.connectedAt = Date.now();
        }
        this.sr?.track(c, deviceId, mi, rec.target);
        // DTMF-02 / §9: mid-call codes on the DVO PSTN leg (the A-leg from the MI).
        const user = device.ownerUser === null ? undefined : (this.ctx.directory.users.get(device.ownerUser) ?? undefined);
        const line = device.lines[0] === undefined ? undefined : (this.ctx.directory.lines.get(device.lines[0]) ?? undefined);
        if (user !== undefined) this.ctx.midCall?.attach({ call: c, userSide: 'a', user, line });
      },
      onEnd: (c) => {
        if (anchoredId !== undefined) {
          const status = c.a.finalStatus !== undefined && c.a.finalStatus >= 300 ? c.a.finalStatus : undefined;
          this.ctx.anchored?.end(anchoredId, { result: connected ? 'answered' : 'failed', ...(status !== undefined ? { status } : {}) });
        }
        const set = this.connected.get(deviceId);
        set?.delete(c);
        if (set?.size === 0) this.connected.delete(deviceId);
        this.sr?.callEnded(c);
        if (!connected) {
          // DVO-F-09 and the other failures: CTRL gets what the inbound leg got.
          const status = c.a.finalStatus !== undefined && c.a.finalStatus >= 300 ? c.a.finalStatus : 480;
          ctrl?.end(status);
          if (record !== undefined && record.state === 'setup') {
            record.state = 'failed';
            record.status = status;
            record.endedAt = Date.now();
          }
          return;
        }
        ctrl?.bye();
        if (record !== undefined) {
          record.state = 'ended';
          record.endedAt = Date.now();
        }
      },
    });
    if (record !== undefined) record.callRef = call.id;
    // The inbound cellular leg from the MI is the user's (RD role), the target leg is FAR; CTRL joins the record.
    // (Not when startCall refused the INVITE at once, e.g. 482 for a Call-ID already anchored: no onEnd follows.)
    if (call.state !== 'ended' && !(inv.finalStatus !== undefined && inv.finalStatus >= 300)) {
      anchoredId = record?.id ?? call.id;
      const lineId = device.lines[0];
      this.ctx.anchored?.register(call, {
        id: anchoredId,
        origin: 'dvoF',
        user: device.ownerUser,
        line: lineId === undefined ? null : (this.ctx.directory.lines.get(lineId)?.number ?? null),
        farSide: 'b',
        userRole: 'RD',
        anchored: true,
        userLegs: ctrl !== undefined ? [{ role: 'CTRL', callId: ctrl.callId }] : [],
      });
    }
    // DVO-03: the mobile leg released → BYE on CTRL; session resumption may keep the far leg.
    call.onCallerLost = (c) => {
      ctrl?.bye();
      return this.sr?.mobileLegLost(c) ?? false;
    };
    if (ctrl !== undefined) {
      ctrl.handlers = {
        onCancel: () => call.hangup('a', 'DVO client CANCEL'),
        // A CTRL BYE while the mobile leg is up releases it and the far leg; after, CTRL only (D-29).
        onEnd: () => {
          if (call.state !== 'ended' && !call.callerLost) call.hangup('server', 'CTRL released');
        },
      };
    }
    return true;
  }

  /** After a restart: re-arm every persisted pending record with its remaining time. */
  async rearm(): Promise<void> {
    const store = this.ctx.state.pendingDvo;
    const now = Date.now();
    for (const rec of await store.list()) {
      if (rec.expiresAt <= now) {
        await store.remove(rec.deviceId);
        this.metrics.dvoFExpired.inc();
        this.ctx.log.info({ device: rec.deviceId }, 'pending DVO-F expired while the server was down');
        continue;
      }
      const w: Waiting = { ctrl: undefined, record: undefined };
      this.waiting.set(rec.deviceId, w);
      this.timers.arm(rec.deviceId, rec.expiresAt, () => void this.expire(rec.deviceId, w));
      this.ctx.log.warn({ device: rec.deviceId, remainingMs: rec.expiresAt - now }, 'pending DVO-F re-armed after restart (its CTRL dialog is gone)');
    }
  }

  /** Shutdown: timers stop, records stay in the store (restart survival), CTRL is left as it is. */
  close(): void {
    this.timers.clear();
    for (const w of this.waiting.values()) w.ctrl?.abandon();
    this.waiting.clear();
  }
}
