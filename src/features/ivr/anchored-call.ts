/**
 * GEN-02 / GEN-07: a connected two-stage call (MVA-05, EFA-03) is an anchored call like any
 * other. Once its outbound leg answered, the IVR hands both legs to a B2BCall
 * (FeatureContext.adoptCall, B2BCall.adopt), so the call relays, replaces legs and ends as
 * anchored calls do, and gets the same features by the same path as SNR, DVO or ANC calls:
 *  - the mid-call feature attaches with the caller's side (A, the mobile) as the user's PSTN
 *    leg: `*81`/`*82`/`*83`/`*74` on it, desk pickup when it hangs up (TS-25, MID-*, DPU-*);
 *  - the AnchoredCall registry tracks the B2BCall with the outbound leg as FAR (the user
 *    placed the call) and the inbound leg as the user's RD leg; one call record at its end.
 * The IvrCall's done() resolves when that B2BCall ends (the MVA/EFA records wait for it).
 */
import type { B2BCall } from '../../b2bua/call.js';
import type { EndUser, EnterpriseLine } from '../../directory/types.js';
import type { AnchoredOrigin } from '../anchored/types.js';
import type { FeatureContext } from '../feature.js';
import type { IvrCall } from './ivr-call.js';

export interface TwoStageInfo {
  origin: Extract<AnchoredOrigin, 'mva' | 'efa'>;
  /** The authenticated user and the line the call was placed on behalf of (onBehalfOf). */
  user: EndUser;
  line: EnterpriseLine;
}

export interface AnchoredTwoStage {
  /** The call's id in the AnchoredCall registry (undefined without a registry). */
  anchoredId: string | undefined;
  /** The B2BCall running it now (undefined when the server cannot adopt calls). */
  call: B2BCall | undefined;
}

/**
 * Make the bridged two-stage call an anchored B2BCall. Without FeatureContext.adoptCall (a
 * server without it), the call stays on the IVR's bridge, registered but with no mid-call
 * features.
 */
export function anchorTwoStage(ctx: FeatureContext, ivr: IvrCall, info: TwoStageInfo): AnchoredTwoStage {
  const reg = ctx.anchored;
  const adopt = ctx.adoptCall;
  if (adopt === undefined) return { anchoredId: registerBridge(ctx, ivr, info), call: undefined };
  let call: B2BCall | undefined;
  let anchoredId: string | undefined;
  ivr.handOver((legs) => {
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const c = adopt(ivr.inv, legs, {
      onEnd: () => {
        if (anchoredId !== undefined) reg?.end(anchoredId, { result: 'answered' });
        ended();
      },
    });
    if (c === undefined) return undefined;
    call = c;
    // adopt() ends the call at once when a leg left during the hand-over: nothing to track then.
    if (c.state === 'ended') return { ended: done };
    anchoredId = reg?.register(c, { origin: info.origin, user: info.user.userId, line: info.line.id, anchored: true, farSide: 'b', userRole: 'RD', state: 'connected' }).id;
    ctx.midCall?.attach({ call: c, userSide: 'a', user: info.user, line: info.line });
    return { ended: done };
  });
  if (call === undefined) ivr.log.warn({ callId: ivr.callId }, 'two-stage call could not be handed over to a B2B call');
  else ivr.log.info({ callId: ivr.callId, origin: info.origin }, 'two-stage call anchored as a B2B call');
  return { anchoredId, call };
}

/** The IVR bridge itself registered (no B2BCall): FAR = the outbound leg, RD = the inbound leg. */
function registerBridge(ctx: FeatureContext, ivr: IvrCall, info: TwoStageInfo): string | undefined {
  const reg = ctx.anchored;
  if (reg === undefined) return undefined;
  const bridge = ivr.bridge;
  const live = {
    id: ivr.callId,
    startedAt: Date.now(),
    get connectedAt() {
      return bridge.out?.answeredAt;
    },
    get aDialog() {
      return bridge.inbound;
    },
    get bDialog() {
      return bridge.out?.dialog;
    },
    a: { request: ivr.inv.request },
  };
  const a = reg.register(live, { origin: info.origin, user: info.user.userId, line: info.line.id, anchored: true, farSide: 'b', userRole: 'RD', state: 'connected' });
  void ivr.done().then(() => reg.end(a.id, { result: 'answered' }));
  return a.id;
}
