/**
 * Intelligent Session Control and Ring All Shared Lines (spec §12, ISC-01..06; TS-35, TS-36):
 * with `rerouteRemoteDestinationCallsToEnterpriseNumber` on, a call from an enterprise phone
 * whose dialled number matches a remote destination (CID-06: the complete/partial rules on
 * the dialled digits, steering digits included) is anchored: the RD is called through its
 * trunk at once, unfiltered (no DND, access list, schedule, Delay Before Ringing, Answer Too
 * Soon/Late or voicemail avoidance: the caller dialled that phone, ISC-04), and when it
 * answers the called user gets mid-call features. With `ringAllSharedLines` the owner's desk
 * phones (and mobile client over IP) ring too, and so do the owner's other RDs: those are SNR
 * forks (ISC-04, D-51) built by the SNR feature, with its eligibility, access lists, Delay
 * Before Ringing, Answer Too Soon/Late and voicemail avoidance (ISC-06). With
 * `ignoreCallForwardAllOnEnterpriseDn` off, the owner's forward-all wins (ISC-05). When the
 * dialled number is the MI of a registered mobile client, DM-02 decides the leg: VoIP inbound
 * rings the registration instead of the cellular leg, "SNR inbound" the cellular leg only.
 */
import type { CallTarget } from '../../b2bua/call.js';
import { rdOwner } from '../../directory/rd-owner.js';
import type { Caller } from '../../routing/router.js';
import { uriUserDigits } from '../../sip/message/uri.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext } from '../feature.js';
import { type SnrForkSource, deskDeviceOf } from '../snr/snr-feature.js';
import { forwardGroups, rdForkTarget } from '../snr/targets.js';

export class IscFeature implements Feature {
  readonly name = 'isc';

  /** `snr` builds the RASL forks to the owner's other RDs (without it RASL rings the devices only). */
  constructor(private readonly snr?: SnrForkSource) {}

  onInvite(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean {
    const arrivedAt = Date.now();
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
    const owner = rdOwner(ctx.directory, rd);
    if (owner === undefined || owner.line === undefined) return false;
    const { user, line } = owner;
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
    const ft = rdForkTarget(deps, rd, owner.parent.rerouteCss, line, caller);
    if (!ft.ok) return false;
    // ISC-06 / DM-02: the dialled number is the MI of a registered mobile client in VoIP inbound
    // mode: its VoIP registration rings instead of the cellular leg. In "SNR inbound" mode
    // (DM-04) the cellular leg rings and the VoIP registration does not (silencedDevices).
    const client = rd.isMobilityIdentity && rd.parent.kind === 'mobileClient' ? ctx.directory.devices.get(rd.parent.id) : undefined;
    const overIp = client?.kind === 'mobileClient' && this.snr?.clientMode(client) === 'voip' ? client.id : undefined;
    const silenced = this.snr?.silencedDevices(line) ?? new Set<string>();
    const onLine = (): CallTarget[] => ctx.router.lineTargets(line, caller).filter((t) => !silenced.has(deskDeviceOf(t) ?? ''));
    const targets: CallTarget[] = [];
    if (overIp !== undefined) targets.push(...onLine().filter((t) => deskDeviceOf(t) === overIp));
    // Not over IP after all (the client is on none of the owner's lines): the cellular leg, as before.
    if (targets.length === 0) targets.push({ ...ft.target, label: `rd:${rd.id}` });
    if (m.ringAllSharedLines) {
      // ISC-06: ring all shared lines (desk phones and the mobile client over IP) as well, and the
      // owner's other RDs as SNR forks (D-51): not the dialled RD a second time; SNR itself never
      // forks back to a calling RD (ANC-04).
      targets.push(...onLine().filter((t) => deskDeviceOf(t) !== overIp));
      targets.push(...(this.snr?.forksFor(line, caller, { exclude: [rd.id], arrivedAt }) ?? []));
    }
    ctx.log.info({ callId: inv.request.callId, rd: rd.id, user: user.userId, forks: targets.length }, 'ISC: call to a remote destination anchored');
    const call = ctx.startCall(inv, [targets], {
      onConnected: (c) => {
        // §9: the called mobile user gets mid-call features and desk pickup on an RD leg (the
        // dialled one or a RASL fork, labelled rd:/mi: by SNR).
        const onRd = /^(rd|mi):/.test(c.answeredTarget?.label ?? '');
        if (onRd) ctx.midCall?.attach({ call: c, userSide: 'b', user, line });
        ctx.anchored?.update(c.id, { state: 'connected', userRole: onRd ? 'RD' : 'DESK' });
      },
      onEnd: (c) => ctx.anchored?.end(c.id),
    });
    ctx.anchored?.register(call, { origin: 'isc', user: user.userId, line: line.number, farSide: 'a', anchored: true });
    return true;
  }
}
