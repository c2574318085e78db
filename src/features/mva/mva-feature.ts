/**
 * Mobile Voice Access (spec §10): inbound trunk calls whose translated called number reaches
 * the `mvaDirectoryNumber` feature through the trunk's inbound CSS (ANC-02; the dial plan
 * resolves it to feature id 'mva') are answered by the server's own IVR (MVA-10: SIP plus
 * DTMF, prompts through rtpengine). See mva-session.ts for the dialogue.
 *
 * Needs media anchoring (prompts, DTMF, bridging): without it the call is refused 503.
 * A call to the MVA number from a registered device is refused 403 (MVA is for calls from
 * outside over the trunk).
 */
import { Counter } from 'prom-client';
import { newCallId } from '../../sip/message/ids.js';
import type { Caller } from '../../routing/router.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext, FeatureDecision } from '../feature.js';
import type { IvrCall } from '../ivr/ivr-call.js';
import { startIvrServices, type IvrOptions, type IvrServices } from '../ivr/services.js';
import { runMva, type MvaRecord } from './mva-session.js';

const MAX_RECORDS = 200;

export class MvaFeature implements Feature {
  readonly name = 'mva';
  readonly featureIds = ['mva'] as const;
  private ctx: FeatureContext | undefined;
  private ivr: IvrServices | undefined;
  private calls: Counter<'outcome'> | undefined;
  private readonly active = new Set<IvrCall>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly recs: MvaRecord[] = [];

  constructor(private readonly options: IvrOptions = {}) {}

  async start(ctx: FeatureContext): Promise<void> {
    this.ctx = ctx;
    this.ivr = await startIvrServices(ctx, 'mva', this.options);
    this.calls = new Counter({ name: 'mobility_mva_calls_total', help: 'MVA calls by outcome (§10)', labelNames: ['outcome'] as const, registers: [ctx.metrics] });
  }

  async close(): Promise<void> {
    for (const c of [...this.active]) c.release();
    await Promise.allSettled([...this.inFlight]);
    this.ivr?.close();
  }

  onFeature(inv: IncomingInvite, caller: Caller, decision: FeatureDecision, ctx: FeatureContext): void {
    if (caller.kind !== 'trunk') {
      inv.reject(403, { reason: 'Forbidden - MVA is reached over the PSTN' });
      return;
    }
    if (ctx.callMedia === undefined || this.ivr === undefined) {
      inv.reject(503, { reason: 'Service Unavailable - MVA needs the media service' });
      return;
    }
    const record: MvaRecord = { id: newCallId(), callingNumber: caller.callingNumber, failedEntries: 0, played: [], anchored: false, startedAt: Date.now() };
    this.recs.push(record);
    if (this.recs.length > MAX_RECORDS) this.recs.shift();
    ctx.log.info({ callId: inv.request.callId, calling: caller.callingNumber, called: decision.called }, 'MVA call');
    const p = runMva(inv, caller, decision.called, {
      ctx,
      ivr: this.ivr,
      record,
      onCall: (c) => {
        this.active.add(c);
        void c.done().then(() => this.active.delete(c));
      },
    })
      .catch((e: Error) => {
        ctx.log.error({ err: e.message, stack: e.stack, callId: inv.request.callId }, 'MVA call failed');
        if (inv.finalStatus === undefined) inv.reject(500);
        record.outcome ??= 'failed';
      })
      .finally(() => {
        record.endedAt ??= Date.now();
        this.calls?.inc({ outcome: record.outcome ?? 'gone' });
        for (const c of this.active) if (c.inv === inv) c.release();
      });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** MVA call records, oldest first (GEN-07). */
  records(): readonly MvaRecord[] {
    return this.recs;
  }

  /** Runtime sizes (return to 0 when idle). */
  sizes(): { active: number; inFlight: number } {
    return { active: this.active.size, inFlight: this.inFlight.size };
  }
}
