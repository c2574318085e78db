/**
 * One Mobile Voice Access call (spec §10 MVA-01..MVA-11, DTMF-04, D-21, D-47..D-49):
 *
 *   answer → identify (caller ID, else "user ID or RD number #") → "PIN #" → menu digit
 *     1: "number #" → blocked? routable? → outbound leg on behalf of the user, bridged (MVA-05)
 *     2 / 3: SNR on / off (one RD at once, else "RD number or 0 #"), confirm, hang up (MVA-06)
 *
 * Failed entries (timeouts, bad menu digit, bad ID or PIN, an RD entry that does not select
 * exactly one RD, a blocked or unroutable destination, option 1 while the system flag is off)
 * share one budget of `maxPinAttempts`; when it is spent: goodbye and BYE (MVA-08). The ID and
 * the PIN are always both collected before a failure is reported, so valid IDs are not
 * revealed; a bad ID or PIN asks for both again.
 */
import { digitsOnly, numbersMatch } from '../../directory/caller-id-match.js';
import type { Directory } from '../../directory/directory.js';
import type { RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { FeatureContext } from '../feature.js';
import { anchorTwoStage } from '../ivr/anchored-call.js';
import { IvrCall } from '../ivr/ivr-call.js';
import { onBehalfOf, placeAndBridge, routeDestination } from '../ivr/place-call.js';
import type { PromptName } from '../ivr/prompts.js';
import type { IvrServices } from '../ivr/services.js';
import { setSnr } from '../snr/snr-control.js';

/** How long the caller hears busy / reorder after a failed outbound leg, before the BYE. */
export const FAILED_CALL_TONE_MS = 3000;

export type MvaOutcome = 'connected' | 'snrChanged' | 'failed' | 'gone' | 'refused' | 'callFailed';

export interface MvaRecord {
  id: string;
  callingNumber: string | null;
  /** Set once authenticated. */
  userId?: string;
  identifiedBy?: 'callerId' | 'mvaId' | 'rdNumber';
  failedEntries: number;
  /** Prompts and tones played, in order (MVA-03: PIN only for a known caller ID). */
  played: PromptName[];
  destination?: string;
  /** The call placed (MVA-05) is anchored (GEN-02). */
  anchored: boolean;
  /** Its id in the AnchoredCall registry. */
  anchoredId?: string;
  outcome?: MvaOutcome;
  startedAt: number;
  endedAt?: number;
}

export interface MvaSessionDeps {
  ctx: FeatureContext;
  ivr: IvrServices;
  record: MvaRecord;
  /** The IVR call, once created (for close()). */
  onCall(call: IvrCall): void;
}

type TrunkCaller = Extract<Caller, { kind: 'trunk' }>;

/** D-47: an entry as an RD/MI number: digits only, CID rules, exactly one. */
export function findRdByEntry(directory: Directory, entry: string): RemoteDestination | undefined {
  if (entry === '') return undefined;
  const opts = directory.matchOptions();
  const hits = directory.remoteDestinations.list().filter((rd) => numbersMatch(entry, digitsOnly(rd.number), opts));
  return hits.length === 1 ? hits[0] : undefined;
}

/** MVA-06 / D-47: the user's own RD or MI whose digits end with the entry; exactly one. */
export function selectOwnRd(rds: readonly RemoteDestination[], entry: string): RemoteDestination | undefined {
  if (entry === '') return undefined;
  const hits = rds.filter((rd) => digitsOnly(rd.number).endsWith(entry));
  return hits.length === 1 ? hits[0] : undefined;
}

export async function runMva(inv: IncomingInvite, caller: TrunkCaller, called: string, deps: MvaSessionDeps): Promise<void> {
  const { ctx, record } = deps;
  const dir = ctx.directory;
  const log = ctx.log.child({ mva: record.id });
  const call = new IvrCall(inv, { ua: ctx.ua, anchor: ctx.anchor, log, prompts: deps.ivr.prompts, legs: deps.ivr.legs, dtmf: deps.ivr.dtmf });
  call.onPlay = (name) => record.played.push(name);
  deps.onCall(call);
  const end = (o: MvaOutcome): void => {
    record.outcome ??= o;
    record.endedAt ??= Date.now();
  };
  if (!(await call.answer())) return end('gone');
  const params = () => dir.mobilityParameters();
  const timeoutMs = params().ivrInputTimeoutS * 1000;
  let budget = params().maxPinAttempts;
  /** A failed entry: false when the budget is spent (goodbye and BYE done). */
  // Digits typed before the failure are dropped; those typed during the announcement are kept.
  const failed = async (why: string, say: 'invalid' | 'refused' = 'invalid'): Promise<boolean> => {
    record.failedEntries++;
    budget--;
    call.digits.flush();
    log.info({ why, left: budget }, 'MVA failed entry');
    if (budget <= 0) {
      if (say === 'refused') await call.sayFully('refused');
      await call.sayAndHangup('goodbye');
      end('failed');
      return false;
    }
    await call.sayFully(say);
    return !call.isEnded;
  };
  const pinCheckBase = { service: 'mva' as const, callingNumber: caller.callingNumber, calledNumber: called };

  // ------------------------------------------------------------ identification (MVA-03, MVA-09)
  // The router's one caller-ID lookup (CID-02..04).
  const byCallerId = caller.callingRd;
  let userId: string | undefined;
  let identity: RemoteDestination | undefined;
  for (;;) {
    if (call.isEnded) return end('gone');
    let claimed: string | undefined;
    let claimedIdentity: RemoteDestination | undefined;
    let idTimedOut = false;
    let by: MvaRecord['identifiedBy'] = 'callerId';
    if (byCallerId !== undefined) {
      claimed = byCallerId.ownerUser;
      claimedIdentity = byCallerId;
    } else {
      const id = await call.ask('enterId', timeoutMs);
      if (id.kind === 'closed') return end('gone');
      if (id.kind === 'timeout') idTimedOut = true;
      else {
        const u = dir.findUserByMvaId(id.value);
        if (u !== undefined) {
          claimed = u.userId;
          by = 'mvaId';
        } else {
          claimedIdentity = findRdByEntry(dir, id.value);
          claimed = claimedIdentity?.ownerUser;
          by = 'rdNumber';
        }
      }
    }
    if (idTimedOut) {
      deps.ivr.guard.noteFailure({ ...pinCheckBase, userId: undefined }, 'timeout');
      if (!(await failed('user ID timeout'))) return;
      continue;
    }
    const pin = await call.ask('enterPin', timeoutMs);
    if (pin.kind === 'closed') return end('gone');
    if (pin.kind === 'timeout') {
      deps.ivr.guard.noteFailure({ ...pinCheckBase, userId: claimed }, 'timeout');
      if (!(await failed('PIN timeout'))) return;
      continue;
    }
    const user = claimed === undefined ? undefined : dir.findUser(claimed);
    const verdict = await deps.ivr.guard.check({ ...pinCheckBase, userId: user?.userId, pin: pin.value, userEnabled: user?.enableMobileVoiceAccess ?? false });
    if (call.isEnded) return end('gone');
    if (verdict.ok) {
      userId = user!.userId;
      identity = claimedIdentity;
      record.userId = userId;
      record.identifiedBy = by;
      log.info({ user: userId, by }, 'MVA caller authenticated');
      break;
    }
    if (!(await failed(`authentication failed (${verdict.reason ?? 'wrongPin'})`))) return;
  }

  // ------------------------------------------------------------------------- menu (MVA-04)
  for (;;) {
    if (call.isEnded) return end('gone');
    const choice = await call.askDigit('menu', timeoutMs);
    if (choice.kind === 'closed') return end('gone');
    if (choice.kind === 'timeout') {
      if (!(await failed('menu timeout'))) return;
      continue;
    }
    const d = choice.digit;
    if (d === '1') {
      const r = await placeCall();
      if (r === 'menu') continue;
      return;
    }
    if (d === '2' || d === '3') {
      await changeSnr(d === '2');
      return;
    }
    if (!(await failed(`invalid menu digit ${d}`))) return;
  }

  /** MVA-05. 'menu' when the IVR goes back to the menu (refused, blocked, unroutable). */
  async function placeCall(): Promise<'menu' | 'done'> {
    if (!params().enableMobileVoiceAccess) {
      // MVA-02 / MVA-06: with the system flag off, only option 1 is refused.
      log.info({ user: userId }, 'MVA call refused: enableMobileVoiceAccess is off');
      return (await failed('calls not enabled', 'refused')) ? 'menu' : 'done';
    }
    const num = await call.ask('enterNumber', timeoutMs);
    if (num.kind === 'closed') {
      end('gone');
      return 'done';
    }
    if (num.kind === 'timeout') return (await failed('number timeout')) ? 'menu' : 'done';
    const ob = onBehalfOf(dir, userId!, identity);
    const routed = ob === undefined ? ({ ok: false, why: 'unroutable' } as const) : routeDestination(dir, ctx.router, ob, num.value, inv.request, caller);
    if (!routed.ok) {
      log.info({ user: userId, number: num.value, why: routed.why }, 'MVA destination refused');
      return (await failed(`destination ${routed.why}`, 'refused')) ? 'menu' : 'done';
    }
    record.destination = num.value;
    log.info({ user: userId, number: num.value, called: routed.called, kind: routed.kind }, 'MVA call placed');
    const r = await placeAndBridge(call, routed.groups, routed.kind);
    if (r.kind === 'connected') {
      // GEN-02: an MVA call is anchored (mid-call features, desk and RD pickup).
      record.anchored = true;
      // (routed.ok implies an on-behalf profile.) The call becomes a B2BCall with mid-call features.
      record.anchoredId = anchorTwoStage(ctx, call, { origin: 'mva', user: ob!.user, line: ob!.line }).anchoredId;
      await call.done();
      end('connected');
      return 'done';
    }
    if (r.kind === 'gone') {
      end('gone');
      return 'done';
    }
    log.info({ status: r.status }, 'MVA outbound leg failed');
    await call.stopTone();
    await call.toneAndHangup(r.status === 486 || r.status === 600 || r.status === 603 ? 'busy' : 'reorder', FAILED_CALL_TONE_MS);
    end('callFailed');
    return 'done';
  }

  /** MVA-06. */
  async function changeSnr(on: boolean): Promise<void> {
    const rds = dir.listRemoteDestinations(userId!);
    let which: RemoteDestination | undefined | 'all';
    if (rds.length === 0) {
      await call.sayAndHangup('refused');
      return end('refused');
    }
    if (rds.length === 1) which = rds[0];
    while (which === undefined) {
      const e = await call.ask('whichRd', timeoutMs);
      if (e.kind === 'closed') return end('gone');
      if (e.kind === 'field' && e.value === '0') which = 'all';
      else if (e.kind === 'field') which = selectOwnRd(rds, e.value);
      if (which === undefined && !(await failed(e.kind === 'timeout' ? 'RD selection timeout' : 'RD selection matches no single RD'))) return;
    }
    try {
      const changed = setSnr(dir, userId!, on, which === 'all' ? undefined : which.id);
      log.info({ user: userId, on, rds: which === 'all' ? 'all' : which.id, changed: changed.length }, 'MVA: SNR changed');
    } catch (e) {
      log.error({ err: (e as Error).message, user: userId }, 'MVA: SNR change could not be stored');
      await call.sayAndHangup('refused');
      return end('refused');
    }
    await call.sayAndHangup(on ? 'snrOn' : 'snrOff');
    end('snrChanged');
  }
}
