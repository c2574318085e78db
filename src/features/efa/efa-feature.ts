/**
 * Enterprise Feature Access two-stage dialling (spec §11). The §14.5 dispatcher (DVO feature)
 * decides which EFA-number calls are EFA and identifies the caller; it hands them to
 * `efaFeature.handler` (step 5), which runs efa-session.ts. This feature owns the IVR
 * services (tones, DTMF, PIN guard), the records and the mid-call hand-off (EFA-04).
 */
import { Counter } from 'prom-client';
import type { RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import { newCallId } from '../../sip/message/ids.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext } from '../feature.js';
import type { IvrCall } from '../ivr/ivr-call.js';
import { startIvrServices, type IvrOptions, type IvrServices } from '../ivr/services.js';
import { runEfa, type EfaRecord } from './efa-session.js';
import type { EfaMidCallHandler } from './mid-call.js';

const MAX_RECORDS = 200;

type TrunkCaller = Extract<Caller, { kind: 'trunk' }>;

export interface EfaFeatureOptions extends IvrOptions {
  /** EFA-04 mid-call sequences (transfer, conference, park). */
  midCall?: EfaMidCallHandler;
}

export class EfaFeature implements Feature {
  readonly name = 'efa';
  private ivr: IvrServices | undefined;
  private calls: Counter<'outcome'> | undefined;
  private midCall: EfaMidCallHandler | undefined;
  private readonly active = new Set<IvrCall>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly recs: EfaRecord[] = [];

  /** §14.5 step 5, given to dvoFeatures({ efa }). */
  readonly handler = (inv: IncomingInvite, caller: TrunkCaller, identity: RemoteDestination, ctx: FeatureContext): void => this.take(inv, caller, identity, ctx);

  constructor(private readonly options: EfaFeatureOptions = {}) {
    this.midCall = options.midCall;
  }

  /** Register the mid-call feature (EFA-04); undefined removes it. */
  setMidCallHandler(h: EfaMidCallHandler | undefined): void {
    this.midCall = h;
  }

  async start(ctx: FeatureContext): Promise<void> {
    this.ivr = await startIvrServices(ctx, 'efa', this.options);
    this.calls = new Counter({ name: 'mobility_efa_calls_total', help: 'EFA two-stage dialling calls by outcome (§11)', labelNames: ['outcome'] as const, registers: [ctx.metrics] });
  }

  async close(): Promise<void> {
    for (const c of [...this.active]) c.release();
    await Promise.allSettled([...this.inFlight]);
    this.ivr?.close();
  }

  /** EFA call records, oldest first (GEN-07). */
  records(): readonly EfaRecord[] {
    return this.recs;
  }

  sizes(): { active: number; inFlight: number } {
    return { active: this.active.size, inFlight: this.inFlight.size };
  }

  private take(inv: IncomingInvite, caller: TrunkCaller, identity: RemoteDestination, ctx: FeatureContext): void {
    if (ctx.callMedia === undefined || this.ivr === undefined) {
      inv.reject(503, { reason: 'Service Unavailable - EFA needs the media service' });
      return;
    }
    const record: EfaRecord = {
      id: newCallId(),
      callingNumber: caller.callingNumber,
      identity: identity.id,
      userId: identity.ownerUser,
      authenticated: false,
      wrongPins: 0,
      played: [],
      anchored: false,
      startedAt: Date.now(),
    };
    this.recs.push(record);
    if (this.recs.length > MAX_RECORDS) this.recs.shift();
    const p = runEfa(inv, caller, identity, {
      ctx,
      ivr: this.ivr,
      record,
      midCall: this.midCall,
      onCall: (c) => {
        this.active.add(c);
        void c.done().then(() => this.active.delete(c));
      },
    })
      .catch((e: Error) => {
        ctx.log.error({ err: e.message, stack: e.stack, callId: inv.request.callId }, 'EFA call failed');
        if (inv.finalStatus === undefined) inv.reject(500);
        record.outcome ??= 'refused';
      })
      .finally(() => {
        record.endedAt ??= Date.now();
        this.calls?.inc({ outcome: record.outcome ?? 'gone' });
      });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
