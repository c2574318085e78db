/**
 * Where DVO legs go and with which identity (spec DVO-04, DVO-05, GEN-06, CLI-02, CLI-03):
 *  - the target leg (DVO-R and DVO-F, and session-resumption new calls) is routed with the
 *    device CSS plus the line CSS and presents the user's DN (CLI-02; the trunk shows the
 *    DID, CLI-05);
 *  - the DVO-R callback leg is routed with the device's rerouting CSS, through a trunk
 *    (RDs and MIs are never registered devices), and presents the mobility profile's
 *    callback caller ID or the default EFA number (CLI-03).
 */
import type { CallTarget } from '../../b2bua/call.js';
import type { MobilityParameters } from '../../config/mobility-schema.js';
import { unescapeDialable } from '../../config/dialable.js';
import type { Directory } from '../../directory/directory.js';
import type { MobileClientDevice, RemoteDestination } from '../../directory/types.js';
import type { Caller, Router } from '../../routing/router.js';
import type { SipRequest } from '../../sip/message/message.js';

export type DeviceCaller = Extract<Caller, { kind: 'device' }>;

export type Routed = { ok: true; groups: CallTarget[][]; kind: 'line' | 'trunk'; called: string } | { ok: false; status: number; reason: string };

/** The DVO target through the device CSS plus line CSS. A feature number is not a DVO target. */
export function routeTarget(directory: Directory, router: Router, caller: DeviceCaller, target: string, req: SipRequest): Routed {
  const css = [caller.device.css, caller.line?.lineCss].filter((c): c is string => c !== null && c !== undefined);
  if (target === '' || css.length === 0) return { ok: false, status: 404, reason: 'Not Found - target not routable' };
  const m = directory.resolve(target, css);
  if (m === undefined) return { ok: false, status: 404, reason: `Not Found - ${target} is not routable` };
  if (m.target.kind === 'line') {
    const line = directory.lines.get(m.target.id);
    if (line === undefined) return { ok: false, status: 404, reason: 'Not Found - line missing' };
    return { ok: true, groups: [router.lineTargets(line, caller, req)], kind: 'line', called: line.number };
  }
  if (m.target.kind === 'trunk') {
    const trunk = directory.getTrunk(m.target.id);
    if (trunk === undefined) return { ok: false, status: 404, reason: 'Not Found - trunk missing' };
    return { ok: true, groups: router.trunkTargets(trunk, m.calledNumber, caller), kind: 'trunk', called: m.calledNumber };
  }
  return { ok: false, status: 404, reason: 'Not Found - a feature number is not a DVO target' };
}

/** Is the target routable at all (DVO-02 → 404)? Registration of the target is not checked here. */
export function targetRoutable(directory: Directory, caller: DeviceCaller, target: string): boolean {
  const css = [caller.device.css, caller.line?.lineCss].filter((c): c is string => c !== null && c !== undefined);
  if (target === '' || css.length === 0) return false;
  const m = directory.resolve(target, css);
  return m !== undefined && m.target.kind !== 'feature';
}

/** The default EFA number, unescaped (the one marked default, else the only one). */
export function defaultEfaNumber(m: MobilityParameters): string | undefined {
  const e = m.efaNumbers.find((x) => x.isDefault) ?? (m.efaNumbers.length === 1 ? m.efaNumbers[0] : undefined);
  return e === undefined ? undefined : unescapeDialable(e.number);
}

/** CLI-03 / D-36: the mobility profile's callback caller ID, else the default EFA number. */
export function callbackCallerId(directory: Directory, mi: RemoteDestination, m: MobilityParameters): string | undefined {
  if (mi.mobilityProfile !== null) {
    const p = directory.mobilityProfiles.get(mi.mobilityProfile);
    const id = p?.dvoRCallbackCallerId?.trim();
    if (id !== undefined && id !== '') return unescapeDialable(id);
  }
  return defaultEfaNumber(m);
}

/** DVO-F-03: the number the phone must dial: the service access number, else the default EFA number. */
export function dialInNumber(m: MobilityParameters): string | undefined {
  const san = unescapeDialable(m.dvoForwardServiceAccessNumber);
  return san !== '' ? san : defaultEfaNumber(m);
}

/**
 * The callback leg's targets, one group per gateway in failover order (rerouting CSS,
 * trunk only). From / P-Asserted-Identity carry `callerId`, localised per trunk.
 */
export function callbackTargets(directory: Directory, router: Router, device: MobileClientDevice, number: string, callerId: string): CallTarget[][] | undefined {
  if (device.rerouteCss === null) return undefined;
  const m = directory.resolve(number, device.rerouteCss);
  if (m === undefined || m.target.kind !== 'trunk') return undefined;
  const trunk = directory.getTrunk(m.target.id);
  if (trunk === undefined) return undefined;
  // The router presents a trunk caller's number as From/PAI: present the callback caller ID.
  const presented: Caller = { kind: 'trunk', trunk, callingNumber: callerId, withheld: false, displayName: undefined };
  return router.trunkTargets(trunk, m.calledNumber, presented).map((g) => g.map((t) => ({ ...t, label: 'dvo-callback' })));
}
