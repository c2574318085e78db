/**
 * Send call to mobile (spec §8, RDPU-01..05; TS-17, TS-17b): a desk phone in a call REFERs
 * to `sendToMobileUri` (any host, same user part). The server answers 202, forks to every
 * remote destination of the user marked `mobilePhone` (not filtered by enableSnr, access
 * lists or schedules: the user asked for it; no Delay Before Ringing; Answer Too Soon/Late
 * apply), plays MoH to the far end and offers the call for resume on the line while they
 * ring. The RD that answers takes the desk's place (NOTIFY 200, BYE to the desk); if none
 * does, NOTIFY 480 and the call stays held until the desk resumes it with a re-INVITE.
 */
import type { B2BCall, CallTarget } from '../../b2bua/call.js';
import { acceptRefer, type ReferContext, type ReferDecision } from '../../b2bua/transfer.js';
import type { RemoteDestination } from '../../directory/types.js';
import type { MediaServices } from '../../media/media-services.js';
import type { Caller } from '../../routing/router.js';
import type { ReferTo } from '../../sip/extensions/refer.js';
import { SipUri } from '../../sip/message/uri.js';
import { heldDialog } from '../dialog-event/dialog-event-feature.js';
import type { FeatureContext } from '../feature.js';
import { rdForkTarget } from '../snr/targets.js';
import type { MidCallHandle } from './session.js';

/** Whether a Refer-To names the send-to-mobile URI (RDPU-01: same user part, any host). */
export function isSendToMobile(refer: ReferTo, sendToMobileUri: string): boolean {
  const user = /^sips?:([^@;>]+)@/i.exec(sendToMobileUri)?.[1];
  return user !== undefined && refer.target instanceof SipUri && refer.target.user === user;
}

export interface SendToMobileDeps {
  ctx: FeatureContext;
  media: MediaServices;
  /** The far end's identity (shown to the RD), if known. */
  farCaller: Caller | undefined;
  /** The RD leg that took the call gets mid-call features. */
  attach(h: MidCallHandle): void;
}

export function sendToMobile(deps: SendToMobileDeps, call: B2BCall, side: 'a' | 'b', referrer: Caller | undefined): ReferDecision {
  return { handle: (c) => run(deps, call, side, referrer, c) };
}

async function run(deps: SendToMobileDeps, call: B2BCall, side: 'a' | 'b', referrer: Caller | undefined, c: ReferContext): Promise<void> {
  const { ctx, media } = deps;
  const notify = acceptRefer(c);
  await notify(100);
  const dir = ctx.directory;
  const userId = referrer?.kind === 'device' ? referrer.device.ownerUser : null;
  const user = userId === null ? undefined : (dir.users.get(userId) ?? undefined);
  const line = referrer?.kind === 'device' ? referrer.line : undefined;
  const targets = user === undefined || line === undefined || !user.enableMobility ? [] : mobileTargets(deps, dir.listRemoteDestinations(user.userId), line, referrer!);
  if (user === undefined || line === undefined || targets.length === 0) {
    ctx.log.info({ callId: call.id, user: userId }, 'send to mobile: no mobile-phone RD (RDPU-02)');
    await notify(403);
    return;
  }
  const farSide = side === 'a' ? 'b' : 'a';
  const far = call.legOf(farSide);
  if (far === undefined) return void (await notify(481));
  const farParty = { callId: call.id, tag: call.mediaTagOf(farSide) ?? far.remoteTag };
  // RDPU-05: the far end waits on MoH, offered for resume on the line, while the RDs ring.
  await media.holdWithMoh(farParty, { holderTag: call.mediaTagOf(side) ?? c.referrer.remoteTag });
  const lineUri = `sip:${line.number}@${ctx.config.domain}`;
  ctx.dialogEvents?.publish(line.number, [heldDialog({ id: call.id, callId: far.callId, localTag: far.localTag, remoteTag: far.remoteTag, lineUri, farUri: far.remoteUri.uri.toString() })]);
  let held = true;
  const unhold = async (): Promise<void> => {
    if (!held) return;
    held = false;
    ctx.dialogEvents?.clear(line.number, call.id, 'replaced');
    await media.stopMoh(farParty);
  };
  let ringing = false;
  const status = await call.replaceLeg(side, [targets], {
    onProvisional: (s) => {
      if (s >= 180 && !ringing) {
        ringing = true;
        void notify(s);
      }
    },
    onAnswered: unhold,
    beforeRelease: () => notify(200),
  });
  ctx.log.info({ callId: call.id, status }, 'send to mobile');
  if (status < 300) {
    await unhold();
    deps.attach({ call, userSide: side, user, line });
    return;
  }
  await notify(480);
  // The desk resumes the call with a re-INVITE on its dialog: MoH stops then.
  const onResume = (s: 'a' | 'b'): void => {
    if (s !== side) return;
    call.removeReinviteListener(onResume);
    void unhold();
  };
  call.addReinviteListener(onResume);
}

/** RDPU-02/03: one fork per mobile-phone RD, routed like an SNR fork, Answer Too Soon/Late kept. */
function mobileTargets(deps: SendToMobileDeps, rds: RemoteDestination[], line: NonNullable<Extract<Caller, { kind: 'device' }>['line']>, referrer: Caller): CallTarget[] {
  const dir = deps.ctx.directory;
  const out: CallTarget[] = [];
  for (const rd of rds) {
    if (!rd.mobilePhone) continue;
    const dev = rd.parent.kind === 'mobileClient' ? dir.devices.get(rd.parent.id) : undefined;
    const css = rd.parent.kind === 'rdProfile' ? (dir.rdProfiles.get(rd.parent.id)?.rerouteCss ?? null) : dev?.kind === 'mobileClient' ? dev.rerouteCss : null;
    const ft = rdForkTarget({ directory: dir, router: deps.ctx.router, domain: deps.ctx.config.domain }, rd, css, line, deps.farCaller ?? referrer);
    if (!ft.ok) continue;
    out.push({ ...ft.target, label: `rd:${rd.id}`, ...(rd.answerTooLateMs > 0 ? { ringTimeoutMs: rd.answerTooLateMs } : {}), answerTooSoonMs: rd.answerTooSoonMs });
  }
  return out;
}

