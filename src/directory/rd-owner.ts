/**
 * Who a remote destination (RD or MI) belongs to (spec §17.1): its parent (RD profile or
 * mobile-client device) with that parent's CSSs, the owning user and the user's line. One
 * lookup shared by ANC-01 (the router's Caller.anchoredRd), ISC (the dialled RD's owner) and
 * the two-stage calls placed on behalf of an RD (GEN-06), so the rules cannot drift apart.
 */
import type { Directory } from './directory.js';
import type { EndUser, EnterpriseLine, MobileClientDevice, RemoteDestination, RemoteDestinationProfile } from './types.js';

/** The RD profile or mobile client an RD hangs off, with what routing needs from it. */
export interface RdParentInfo {
  kind: 'rdProfile' | 'mobileClient';
  id: string;
  ownerUser: string | null;
  /** CSS for legs sent on behalf of the RD (with the line CSS, GEN-06). */
  css: string | null;
  /** Rerouting CSS: legs sent to the RD (SNR, ISC, callbacks). */
  rerouteCss: string | null;
  lines: string[];
}

export interface RdOwner {
  rd: RemoteDestination;
  parent: RdParentInfo;
  user: EndUser;
  /** The user's primary line; undefined when the user has none (or it is gone). */
  line: EnterpriseLine | undefined;
}

/** The RD's parent; undefined when it is gone (or a device that is not a mobile client). */
export function rdParent(dir: Directory, rd: RemoteDestination): RdParentInfo | undefined {
  if (rd.parent.kind === 'rdProfile') {
    const p = dir.rdProfiles.get(rd.parent.id);
    return p === undefined ? undefined : profileParent(p);
  }
  const d = dir.devices.get(rd.parent.id);
  return d === undefined || d.kind !== 'mobileClient' ? undefined : clientParent(d);
}

export function profileParent(p: RemoteDestinationProfile): RdParentInfo {
  return { kind: 'rdProfile', id: p.id, ownerUser: p.ownerUser, css: p.css, rerouteCss: p.rerouteCss, lines: p.lines };
}

export function clientParent(d: MobileClientDevice): RdParentInfo {
  return { kind: 'mobileClient', id: d.id, ownerUser: d.ownerUser, css: d.css, rerouteCss: d.rerouteCss, lines: d.lines };
}

/** The RD's parent, owning user and that user's primary line; undefined without a parent or user. */
export function rdOwner(dir: Directory, rd: RemoteDestination): RdOwner | undefined {
  const parent = rdParent(dir, rd);
  const ownerId = parent?.ownerUser ?? null;
  const user = ownerId === null ? undefined : dir.users.get(ownerId);
  if (parent === undefined || user === undefined) return undefined;
  const line = user.primaryLine === null ? undefined : dir.lines.get(user.primaryLine);
  return { rd, parent, user, line };
}
