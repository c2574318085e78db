/**
 * Dual-mode hand-out from Wi-Fi/data to cellular (spec §13.2, HOUT-01..03; TS-56..58b):
 *  - server-call method: a mobile client in a VoIP call REFERs to `handoutUri`; the server
 *    answers 202 and calls the device's MI through the trunk at once (no Delay Before Ringing,
 *    DM-01; Answer Too Soon / Too Late apply, D-50). The MI leg that answers takes the VoIP
 *    leg's place (NOTIFY 200, BYE to the VoIP leg); otherwise NOTIFY 480 and the VoIP call
 *    goes on unchanged;
 *  - handoff-number method: the phone calls `handoffNumber` over cellular; the calling
 *    number must match a mobility identity (CID-04) whose device has a connected VoIP call
 *    (the most recent one, D-28), which the inbound leg then takes over; else 403 (D-22).
 * Either way the call is then anchored with RD-type mid-call features.
 */
import type { B2BCall, CallTarget } from '../../b2bua/call.js';
import { acceptRefer, type ReferDecision } from '../../b2bua/transfer.js';
import type { Device, EnterpriseLine, MobileClientDevice, RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import type { ReferTo } from '../../sip/extensions/refer.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { FeatureContext } from '../feature.js';
import { rdForkTarget } from '../snr/targets.js';
import { isSendToMobile } from './send-to-mobile.js';
import type { MidCallHandle } from './session.js';

export interface HandoutDeps {
  ctx: FeatureContext;
  attach(h: MidCallHandle): void;
}

/** Whether a Refer-To names the hand-out URI (same user part, any host, like RDPU-01). */
export function isHandout(refer: ReferTo, handoutUri: string): boolean {
  return isSendToMobile(refer, handoutUri);
}

function mobileClientOf(referrer: Caller | undefined): MobileClientDevice | undefined {
  return referrer?.kind === 'device' && referrer.device.kind === 'mobileClient' ? referrer.device : undefined;
}

/** HOUT-02: REFER to handoutUri from a mobile client's VoIP leg. */
export function handoutByRefer(deps: HandoutDeps, call: B2BCall, side: 'a' | 'b', referrer: Caller | undefined, farCaller: Caller | undefined): ReferDecision {
  return {
    handle: async (c) => {
      const { ctx } = deps;
      const notify = acceptRefer(c);
      await notify(100);
      const device = mobileClientOf(referrer);
      const line = referrer?.kind === 'device' ? referrer.line : undefined;
      const mi = device === undefined || !device.hasCellularRadio ? undefined : ctx.directory.mobilityIdentityOf(device.id);
      const user = device?.ownerUser == null ? undefined : (ctx.directory.users.get(device.ownerUser) ?? undefined);
      const target = mi === undefined || line === undefined || device === undefined ? undefined : miTarget(ctx, mi, device, line, farCaller ?? referrer!);
      if (target === undefined || user === undefined || line === undefined) {
        ctx.log.info({ callId: call.id, device: device?.id }, 'hand-out: no mobility identity to call (HOUT-02)');
        await notify(403);
        return;
      }
      let ringing = false;
      const status = await call.replaceLeg(side, [[target]], {
        onProvisional: (s) => {
          if (s >= 180 && !ringing) {
            ringing = true;
            void notify(s);
          }
        },
        beforeRelease: () => notify(200),
      });
      ctx.log.info({ callId: call.id, status }, 'hand-out (server calls the phone)');
      if (status < 300) deps.attach({ call, userSide: side, user, line });
      else await notify(480);
    },
  };
}

/** The MI leg: routed like an SNR fork through the device's rerouting CSS, no delay, Answer Too Soon/Late kept. */
function miTarget(ctx: FeatureContext, mi: RemoteDestination, device: MobileClientDevice, line: EnterpriseLine, presented: Caller): CallTarget | undefined {
  const ft = rdForkTarget({ directory: ctx.directory, router: ctx.router, domain: ctx.config.domain }, mi, device.rerouteCss, line, presented);
  if (!ft.ok) return undefined;
  return { ...ft.target, label: `mi:${mi.id}`, ...(mi.answerTooLateMs > 0 ? { ringTimeoutMs: mi.answerTooLateMs } : {}), answerTooSoonMs: mi.answerTooSoonMs };
}

/**
 * HOUT-03: the inbound trunk call to handoffNumber. Resolves true when it took over a VoIP
 * call; false after refusing it (403).
 */
export async function handoutByNumber(deps: HandoutDeps, inv: IncomingInvite, caller: Caller, calls: Iterable<B2BCall>, identityOf: (call: B2BCall, side: 'a' | 'b') => Caller | undefined): Promise<boolean> {
  const { ctx } = deps;
  const refuse = (why: string): false => {
    ctx.log.info({ callId: inv.request.callId, why }, 'hand-out by number refused (HOUT-03)');
    inv.reject(403, { reason: `Forbidden - ${why}`, headers: { reason: 'Q.850;cause=21' } });
    return false;
  };
  if (caller.kind !== 'trunk' || caller.callingNumber === null) return refuse('no caller ID');
  // The router's one caller-ID lookup (CID-02..04).
  const mi = caller.callingRd;
  if (mi === undefined || !mi.isMobilityIdentity || mi.parent.kind !== 'mobileClient') return refuse('caller ID is no mobility identity');
  const deviceId = mi.parent.id;
  // D-28: the device's most recent connected VoIP call.
  let best: { call: B2BCall; side: 'a' | 'b' } | undefined;
  for (const call of calls) {
    if (call.state !== 'connected') continue;
    for (const side of ['a', 'b'] as const) {
      const who = identityOf(call, side);
      if (who?.kind === 'device' && who.device.id === deviceId && call.legOf(side) !== undefined) {
        if (best === undefined || (call.connectedAt ?? 0) > (best.call.connectedAt ?? 0)) best = { call, side };
      }
    }
  }
  if (best === undefined) return refuse('no VoIP call to hand out');
  const device = ctx.directory.devices.get(deviceId) as Device | undefined;
  const owner = device?.ownerUser ?? null;
  const user = owner === null ? undefined : (ctx.directory.users.get(owner) ?? undefined);
  const lineId = device?.lines[0];
  const line = lineId === undefined ? undefined : (ctx.directory.lines.get(lineId) ?? undefined);
  const { call, side } = best;
  const ok = await call.swapIn(side, {
    tag: inv.request.from.tag ?? '',
    offer: inv.request.bodyText,
    complete: (answer) => (inv.finalStatus === undefined ? inv.accept({ body: answer, contentType: 'application/sdp' }) : undefined),
    abandon: (status) => inv.reject(status),
  });
  ctx.log.info({ callId: call.id, ok }, 'hand-out (phone called the handoff number)');
  if (ok && user !== undefined && line !== undefined) deps.attach({ call, userSide: side, user, line });
  return ok;
}
