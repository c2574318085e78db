/**
 * The Dial-via-Office feature (spec §14): DVO requests from mobile clients (DVO-01..03,
 * DVO-R, DVO-F) and the §14.5 dispatcher for inbound trunk calls to an EFA number or the
 * DVO-F service access number (which also serves session resumption, with the
 * SessionResumption feature it is given).
 *
 * How calls reach it:
 *  - onInvite, device caller: an INVITE whose SDP has `c=PSTN E164 ...` (DVO-01).
 *  - onInvite, trunk caller: the called number (after trunk translation, or as received:
 *    the configured number is sent verbatim to the phone and carriers deliver either form)
 *    is the service access number (no partition: always, ANC-02), or an EFA number that the
 *    trunk's inbound CSS reaches.
 *  - onFeature('efa'): an EFA number reached through the dial plan some other way.
 *
 * Step 5 of the dispatcher (EFA two-stage dialling, §11) belongs to a later issue: it is
 * delegated to `options.efa` when given; without one the call is refused `403` with
 * Q.850 cause 21 ("EFA not available"), as for a disabled EFA (D-35).
 */
import { parseBlockedNumbers, unescapeDialable } from '../../config/dialable.js';
import { numbersMatch } from '../../directory/caller-id-match.js';
import { globalise } from '../../directory/numbers.js';
import type { MobileClientDevice, RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { PendingDvoF } from '../../state/types.js';
import type { Feature, FeatureContext, FeatureDecision } from '../feature.js';
import type { SessionResumption } from '../session-resumption/session-resumption.js';
import { CtrlLeg } from './ctrl.js';
import { decideDispatch, REORDER_HEADERS, type DispatchDecision } from './dispatcher.js';
import { DvoForward } from './dvo-f.js';
import { DvoReverseCall } from './dvo-r.js';
import { checkDvoRequest, isBlockedTarget } from './preconditions.js';
import { DvoCallRecords, DvoMetrics, type DvoCallRecord } from './records.js';
import { classifyDvo, type DvoRequest } from './sdp.js';
import { callbackCallerId, callbackTargets, defaultEfaNumber, dialInNumber, targetRoutable, type DeviceCaller } from './targets.js';
import { ensureTones, type ToneFiles } from './tones.js';

export type TrunkCaller = Extract<Caller, { kind: 'trunk' }>;

/** §14.5 step 5 (EFA two-stage dialling, §11): gets the call with the identified RD/MI. */
export type EfaHandler = (inv: IncomingInvite, caller: TrunkCaller, identity: RemoteDestination, ctx: FeatureContext) => void;

export interface DvoFeatureOptions {
  /** Session resumption (§14.4): dispatcher step 4, and the hand-over when a DVO-F mobile leg drops. */
  sr?: SessionResumption;
  /** Dispatcher step 5. */
  efa?: EfaHandler;
}

export class DvoFeature implements Feature {
  readonly name = 'dvo';
  readonly featureIds = ['efa'] as const;
  private ctx: FeatureContext | undefined;
  private tones: ToneFiles | undefined;
  private metrics: DvoMetrics | undefined;
  private forward: DvoForward | undefined;
  private readonly records = new DvoCallRecords();
  private readonly reverse = new Set<DvoReverseCall>();
  /** Work started by onInvite, awaited by close() and tests. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: DvoFeatureOptions = {}) {}

  async start(ctx: FeatureContext): Promise<void> {
    this.ctx = ctx;
    this.tones = ensureTones(ctx.config.dataDir);
    this.metrics = new DvoMetrics(ctx.metrics, () => ({
      pendingDvoF: this.forward?.pendingCount ?? 0,
      dvoRActive: this.reverse.size,
      dvoFConnected: this.forward?.connectedCount ?? 0,
    }));
    this.forward = new DvoForward(ctx, this.metrics, this.options.sr);
    await this.forward.rearm();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.forward?.close();
    for (const r of [...this.reverse]) r.abort();
    this.reverse.clear();
  }

  onInvite(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean {
    const req = inv.request;
    if (caller.kind === 'device') {
      if (req.body.length === 0 || !(req.contentType ?? 'application/sdp').startsWith('application/sdp')) return false;
      const dvo = classifyDvo(req.bodyText);
      if (dvo === undefined) return false;
      this.run(this.handleRequest(inv, caller, dvo), inv, ctx);
      return true;
    }
    if (!this.isDispatcherCall(inv, caller, ctx)) return false;
    this.run(this.dispatch(inv, caller), inv, ctx);
    return true;
  }

  onFeature(inv: IncomingInvite, caller: Caller, _decision: FeatureDecision, ctx: FeatureContext): void {
    if (caller.kind === 'trunk') {
      this.run(this.dispatch(inv, caller), inv, ctx);
      return;
    }
    // EFA is reached by calling in over the PSTN; over IP the device is already known.
    inv.reject(403, { reason: 'Forbidden - EFA is reached from a remote destination', headers: REORDER_HEADERS });
  }

  // ----------------------------------------------------------------- inspection
  /** DVO call records, oldest first (GEN-07; DVO-R-08 `anchored`). */
  callRecords(): readonly DvoCallRecord[] {
    return this.records.all();
  }

  /** The state API's view of pending DVO-F requests. */
  async pendingRecords(): Promise<PendingDvoF[]> {
    return this.c.state.pendingDvo.list();
  }

  /** Runtime sizes (must return to 0 when idle). */
  sizes(): { pendingDvoF: number; dvoRActive: number; dvoFConnected: number; inFlight: number } {
    return { pendingDvoF: this.forward?.pendingCount ?? 0, dvoRActive: this.reverse.size, dvoFConnected: this.forward?.connectedCount ?? 0, inFlight: this.inFlight.size };
  }

  // -------------------------------------------------------------------- internals
  private get c(): FeatureContext {
    if (this.ctx === undefined) throw new Error('DVO feature not started');
    return this.ctx;
  }

  private run(p: Promise<void>, inv: IncomingInvite, ctx: FeatureContext): void {
    const tracked = p.catch((e: Error) => {
      ctx.log.error({ err: e.message, stack: e.stack, callId: inv.request.callId }, 'DVO handling failed');
      if (inv.finalStatus === undefined) inv.reject(500);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Trunk calls for §14.5: the service access number, or an EFA number the inbound CSS reaches. */
  private isDispatcherCall(inv: IncomingInvite, caller: TrunkCaller, ctx: FeatureContext): boolean {
    const raw = ctx.router.dialled(inv.request);
    if (raw === undefined || raw === '') return false;
    const translated = globalise(raw, caller.trunk.inboundRules, 'called');
    const n = ctx.directory.dispatcherNumber(translated) ?? ctx.directory.dispatcherNumber(raw);
    if (n === undefined) return false;
    if (n.kind === 'serviceAccessNumber') return true;
    if (caller.trunk.inboundCss === null) return false;
    const m = ctx.directory.resolve(unescapeDialable(n.efa.number), caller.trunk.inboundCss);
    return m !== undefined && m.target.kind === 'feature' && m.target.id === 'efa';
  }

  // ---------------------------------------------------------------- DVO requests
  private async handleRequest(inv: IncomingInvite, caller: DeviceCaller, dvo: DvoRequest): Promise<void> {
    const ctx = this.c;
    const device = caller.device;
    const m = ctx.directory.mobilityParameters();
    const target = ctx.router.dialled(inv.request) ?? '';
    const mobile = device.kind === 'mobileClient' ? device : undefined;
    const mi = mobile === undefined ? undefined : ctx.directory.mobilityIdentityOf(mobile.id);
    const aorUser = device.aor === null ? undefined : /^sips?:([^@]+)@/i.exec(device.aor)?.[1];
    const blocked = m.applyBlockedNumbersToDvo ? parseBlockedNumbers(m.systemRemoteAccessBlockedNumbers) : [];
    const verdict = checkDvoRequest({
      kind: dvo.kind,
      dvoEnabled: mobile !== undefined && mobile.dvoEnabled && mobile.hasCellularRadio,
      registered: aorUser !== undefined && ctx.registrar.lookup(aorUser).length > 0,
      efaConfigured: defaultEfaNumber(m) !== undefined,
      dvoForwardCapable: mobile?.dvoForwardCapable === true,
      hasMi: mi !== undefined,
      targetBlocked: isBlockedTarget(target, mobile?.emergencyNumbers ?? [], blocked),
      targetRoutable: targetRoutable(ctx.directory, caller, target),
      pending: dvo.kind === 'dvoF' && mobile !== undefined ? await this.forward!.hasPending(mobile.id) : false,
      connectedDvoF: mobile === undefined ? 0 : this.forward!.connectedFor(mobile.id),
    });
    if (!verdict.ok) {
      this.metrics!.dvoRejected.inc({ kind: dvo.kind, status: String(verdict.status) });
      ctx.log.info({ device: device.id, kind: dvo.kind, status: verdict.status, reason: verdict.reason }, 'DVO request refused');
      inv.reject(verdict.status, { reason: verdict.reason, ...(verdict.headers !== undefined ? { headers: verdict.headers } : {}) });
      return;
    }
    if (inv.finalStatus !== undefined) return; // CANCELled meanwhile
    if (dvo.kind === 'dvoR') await this.startReverse(inv, caller, mobile!, mi!, dvo, target);
    else await this.startForward(inv, mobile!, mi!, dvo, target);
  }

  /** §14.2. Media anchoring is required: the two legs are bridged through rtpengine. */
  private async startReverse(inv: IncomingInvite, caller: DeviceCaller, device: MobileClientDevice, mi: RemoteDestination, dvo: DvoRequest, target: string): Promise<void> {
    const ctx = this.c;
    if (ctx.callMedia === undefined) {
      inv.reject(503, { reason: 'Service Unavailable - DVO-R needs media anchoring' });
      return;
    }
    const m = ctx.directory.mobilityParameters();
    const callbackNumber = dvo.number ?? mi.number;
    const toMi = numbersMatch(callbackNumber, mi.number, ctx.directory.matchOptions());
    const callerId = callbackCallerId(ctx.directory, mi, m)!;
    const callbacks = callbackTargets(ctx.directory, ctx.router, device, callbackNumber, callerId);
    if (callbacks === undefined || callbacks.length === 0) {
      inv.reject(480, { reason: 'Temporarily Unavailable - callback number not routable' });
      return;
    }
    const ctrl = new CtrlLeg(inv, ctx.ua, callerId, 'active');
    const record = this.records.add({ id: ctrl.callId, origin: 'dvoR', deviceId: device.id, target, callbackNumber, anchored: toMi, state: 'setup', startedAt: Date.now() });
    ctx.log.info({ device: device.id, target, callbackNumber, anchored: toMi }, 'DVO-R request');
    const call: DvoReverseCall = new DvoReverseCall({
      ctx,
      tones: this.tones!,
      metrics: this.metrics!,
      record,
      ctrl,
      caller,
      device,
      mi,
      callbacks,
      toMi,
      target,
      onDone: () => this.reverse.delete(call),
    });
    this.reverse.add(call);
    await call.start();
  }

  /** §14.3: 183 with the number to dial, pending record, Call Await Timer. */
  private async startForward(inv: IncomingInvite, device: MobileClientDevice, mi: RemoteDestination, dvo: DvoRequest, target: string): Promise<void> {
    const ctx = this.c;
    const number = dialInNumber(ctx.directory.mobilityParameters())!;
    if (dvo.number !== undefined && !numbersMatch(dvo.number, mi.number, ctx.directory.matchOptions())) {
      ctx.log.warn({ device: device.id, sdpNumber: dvo.number, mi: mi.number }, 'DVO-F SDP number is not the device MI: correlating on the MI (DVO-F-11)');
    }
    const ctrl = new CtrlLeg(inv, ctx.ua, number, 'passive');
    const record = this.records.add({ id: ctrl.callId, origin: 'dvoF', deviceId: device.id, target, anchored: true, state: 'setup', startedAt: Date.now() });
    await this.forward!.request(ctrl, record, device, mi, dvo.number ?? '', target);
  }

  // ------------------------------------------------------------------ dispatcher
  private async dispatch(inv: IncomingInvite, caller: TrunkCaller, again = false): Promise<void> {
    const ctx = this.c;
    const calling = caller.callingNumber;
    const lookup = calling === null ? ({ kind: 'none' } as const) : ctx.directory.findRemoteDestinationByNumber(calling);
    const id = lookup.kind === 'unique' && lookup.value.isMobilityIdentity && lookup.value.parent.kind === 'mobileClient' ? lookup.value.parent.id : undefined;
    const pending = id !== undefined ? await this.forward!.hasPending(id) : false;
    const live = id !== undefined && !pending && this.options.sr !== undefined ? await this.options.sr.hasLive(id) : false;
    const m = ctx.directory.mobilityParameters();
    const d: DispatchDecision = decideDispatch({
      callingNumber: calling,
      lookup: () => lookup,
      hasPendingDvoF: () => pending,
      hasLiveResumption: () => live,
      efaEnabled: m.enableEnterpriseFeatureAccess,
    });
    this.metrics!.dispatched.inc({ step: d.step });
    ctx.log.info({ callId: inv.request.callId, calling, step: d.step }, 'EFA-number dispatcher');
    if (inv.finalStatus !== undefined) return;
    switch (d.step) {
      case 'refuse':
        inv.reject(d.status, { reason: d.reason, headers: REORDER_HEADERS });
        return;
      case 'dvoF':
        if (await this.forward!.correlate(inv, d.deviceId)) return;
        if (!again) return this.dispatch(inv, caller, true);
        inv.reject(480, { reason: 'Temporarily Unavailable - DVO-F request gone' });
        return;
      case 'resume':
        await this.options.sr!.resume(inv, d.deviceId);
        return;
      case 'efa':
        if (this.options.efa !== undefined) this.options.efa(inv, caller, d.identity, ctx);
        else inv.reject(403, { reason: 'Forbidden - EFA two-stage dialling not available', headers: REORDER_HEADERS });
        return;
    }
  }
}
