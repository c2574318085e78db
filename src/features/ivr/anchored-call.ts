/**
 * GEN-02 / GEN-07: a connected two-stage call (MVA-05, EFA-03) is an anchored call. It is
 * registered with the server's AnchoredCall registry (FeatureContext.anchored) with the
 * outbound leg as FAR (the user placed the call) and the answered inbound leg as the user's
 * RD leg, and ended (one call record) when the call is over.
 */
import type { AnchoredOrigin } from '../anchored/types.js';
import type { FeatureContext } from '../feature.js';
import type { IvrCall } from './ivr-call.js';

export interface TwoStageInfo {
  origin: Extract<AnchoredOrigin, 'mva' | 'efa'>;
  userId: string;
  lineId: string | null;
}

/** Registers the connected call; returns its registry id (undefined without a registry). */
export function registerTwoStage(ctx: FeatureContext, call: IvrCall, info: TwoStageInfo): string | undefined {
  const reg = ctx.anchored;
  if (reg === undefined) return undefined;
  const bridge = call.bridge;
  const startedAt = Date.now();
  const live = {
    id: call.callId,
    startedAt,
    get connectedAt() {
      return bridge.out?.answeredAt;
    },
    get aDialog() {
      return bridge.inbound;
    },
    get bDialog() {
      return bridge.out?.dialog;
    },
    a: { request: call.inv.request },
  };
  const a = reg.register(live, { origin: info.origin, user: info.userId, line: info.lineId, anchored: true, farSide: 'b', userRole: 'RD', state: 'connected' });
  void call.done().then(() => reg.end(a.id, { result: 'answered' }));
  return a.id;
}
