/**
 * Intelligent Session Control and Ring All Shared Lines (spec §12, ISC-01..06; TS-35, TS-36):
 * with `rerouteRemoteDestinationCallsToEnterpriseNumber` on, a call from an enterprise phone
 * whose dialled number matches a remote destination (CID-06: the complete/partial rules on
 * the dialled digits, steering digits included) is anchored: the RD is called through its
 * trunk at once, unfiltered (no DND, access list, schedule, Delay Before Ringing, Answer Too
 * Soon/Late or voicemail avoidance: the caller dialled that phone, ISC-04), and when it
 * answers the called user gets mid-call features. With `ringAllSharedLines` the owner's desk
 * phones (and mobile client over IP) ring too (ISC-06). With
 * `ignoreCallForwardAllOnEnterpriseDn` off, the owner's forward-all wins (ISC-05).
 */
import type { CallTarget } from '../../b2bua/call.js';
import type { Directory } from '../../directory/directory.js';
import type { EndUser, EnterpriseLine, RemoteDestination } from '../../directory/types.js';
import type { Caller } from '../../routing/router.js';
import { uriUserDigits } from '../../sip/message/uri.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext } from '../feature.js';
import { forwardGroups, rdForkTarget } from '../snr/targets.js';

export class IscFeature implements Feature {
  readonly name = 'isc';

  onInvite(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean {
    const m = ctx.directory.mobilityParameters();
    // ISC-01: only calls placed inside the enterprise (a registered phone).
    if (!m.rerouteRemoteDestinationCallsToEnterpriseNumber || caller.kind !== 'device') return false;
    let dialled: string | undefined;
    try {
      dialled = uriUserDigits(inv.request.uri);
    } catch {
      return false;
    }
    if (dialled === undefined || dialled === '') return false;
    const found = ctx.directory.findRemoteDestinationByNumber(dialled);
    if (found.kind !== 'unique') return false; // CID-04: no match or not unique: an ordinary call
    const rd = found.value;
    const owner = ownerOf(ctx.directory, rd);
    if (owner === undefined) return false;
    const { user, line, rerouteCss } = owner;
    const deps = { directory: ctx.directory, router: ctx.router, domain: ctx.config.domain };
    // ISC-05: the owner's forward-all, unless ignored (the default).
    if (!m.ignoreCallForwardAllOnEnterpriseDn && line.callForwardAll !== null && line.callForwardAll !== '') {
      const groups = forwardGroups(deps, line, line.callForwardAll, caller, inv.request, 'unconditional');
      if (groups !== undefined) {
        ctx.log.info({ callId: inv.request.callId, rd: rd.id, to: line.callForwardAll }, 'ISC: forward-all of the enterprise line applies (ISC-05)');
        ctx.startCall(inv, groups);
        return true;
      }
    }
    const ft = rdForkTarget(deps, rd, rerouteCss, line, caller);
    if (!ft.ok) return false;
    const targets: CallTarget[] = [{ ...ft.target, label: `rd:${rd.id}` }];
    // ISC-06: ring all shared lines (desk phones and the mobile client over IP) as well.
    if (m.ringAllSharedLines) targets.push(...ctx.router.lineTargets(line, caller));
    ctx.log.info({ callId: inv.request.callId, rd: rd.id, user: user.userId, forks: targets.length }, 'ISC: call to a remote destination anchored');
    const call = ctx.startCall(inv, [targets], {
      onConnected: (c) => {
        // §9: the called mobile user gets mid-call features and desk pickup on the RD leg.
        if (c.answeredTarget?.label === `rd:${rd.id}`) ctx.midCall?.attach({ call: c, userSide: 'b', user, line });
        ctx.anchored?.update(c.id, { state: 'connected', ...(c.answeredTarget?.label === `rd:${rd.id}` ? { userRole: 'RD' } : { userRole: 'DESK' }) });
      },
      onEnd: (c) => ctx.anchored?.end(c.id),
    });
    ctx.anchored?.register(call, { origin: 'isc', user: user.userId, line: line.number, farSide: 'a', anchored: true });
    return true;
  }
}

/** The user an RD belongs to, their enterprise line and the RD parent's rerouting CSS. */
function ownerOf(dir: Directory, rd: RemoteDestination): { user: EndUser; line: EnterpriseLine; rerouteCss: string | null } | undefined {
  let ownerId: string | null = null;
  let rerouteCss: string | null = null;
  if (rd.parent.kind === 'rdProfile') {
    const p = dir.rdProfiles.get(rd.parent.id);
    ownerId = p?.ownerUser ?? null;
    rerouteCss = p?.rerouteCss ?? null;
  } else {
    const d = dir.devices.get(rd.parent.id);
    if (d !== undefined && d !== null && d.kind === 'mobileClient') {
      ownerId = d.ownerUser;
      rerouteCss = d.rerouteCss;
    }
  }
  const user = ownerId === null ? undefined : (dir.users.get(ownerId) ?? undefined);
  const line = user?.primaryLine === null || user === undefined ? undefined : (dir.lines.get(user.primaryLine) ?? undefined);
  if (user === undefined || line === undefined) return undefined;
  return { user, line, rerouteCss };
}
