/**
 * The outbound leg of a two-stage call (spec MVA-05, EFA-03; also what MID-06/MID-08 need for
 * transfer and conference targets):
 *  - MVA-07: the entry is checked against `systemRemoteAccessBlockedNumbers` as entered;
 *  - GEN-06: routed on behalf of the user's RD profile (its CSS plus the line CSS); a user with
 *    no RD profile calls on behalf of the mobile-client device that owns the MI;
 *  - CLI-02: the calling identity is the user's DN; on a trunk the DID (CLI-05), localised per
 *    trunk; P-Asserted-Identity only towards trusted trunks (the router's rule);
 *  - the answered IVR leg is bridged to it through rtpengine (answered-bridge.ts), one contact
 *    or gateway at a time, with failover to the next gateway on 408/5xx, ringback meanwhile.
 */
import type { CallTarget } from '../../b2bua/call.js';
import { parseBlockedNumbers } from '../../config/dialable.js';
import type { Directory } from '../../directory/directory.js';
import { type RdParentInfo, clientParent, profileParent, rdParent } from '../../directory/rd-owner.js';
import type { EndUser, EnterpriseLine, RemoteDestination } from '../../directory/types.js';
import type { Caller, Router } from '../../routing/router.js';
import type { SipRequest } from '../../sip/message/message.js';
import type { IvrCall } from './ivr-call.js';

/** Statuses after which the next gateway of the trunk is tried. */
const FAILOVER = new Set([408, 500, 502, 503, 504]);

export interface OnBehalf {
  user: EndUser;
  line: EnterpriseLine;
  /** Profile/device CSS plus line CSS (GEN-06). */
  css: string[];
  /** What the call is placed on behalf of. */
  via: { kind: 'rdProfile' | 'mobileClient'; id: string };
}

/** The RD profile (or mobile client) and line a user calls through; undefined when there is none. */
export function onBehalfOf(directory: Directory, userId: string, identity?: RemoteDestination): OnBehalf | undefined {
  const user = directory.findUser(userId);
  if (user === undefined) return undefined;
  // GEN-06: the identity's own RD profile, else the user's first; with no RD profile, the mobile
  // client (the identity's own, else the user's one with an MI). rdParent is ANC-01's lookup too.
  const own = identity === undefined ? undefined : rdParent(directory, identity);
  const profile = own?.kind === 'rdProfile' ? own : directory.rdProfiles.list(userId).map(profileParent)[0];
  const client = (): RdParentInfo | undefined => {
    if (own?.kind === 'mobileClient') return own;
    const dev = directory.devices.list({ ownerUser: userId, kind: 'mobileClient' }).find((d) => directory.mobilityIdentityOf(d.id) !== undefined);
    return dev?.kind === 'mobileClient' ? clientParent(dev) : undefined;
  };
  const owner = profile ?? client();
  if (owner === undefined) return undefined;
  const lineId = user.primaryLine ?? owner.lines[0];
  const line = lineId === undefined ? undefined : directory.lines.get(lineId);
  if (line === undefined) return undefined;
  const css = [owner.css, line.lineCss].filter((c): c is string => c !== null);
  return { user, line, css, via: { kind: owner.kind, id: owner.id } };
}

export type RoutedDestination =
  | { ok: true; groups: CallTarget[][]; kind: 'line' | 'trunk'; called: string }
  | { ok: false; why: 'blocked' | 'unroutable' | 'notRegistered' };

/** MVA-07: the entry equals a listed blocked number (compared as entered). */
export function isBlockedEntry(entry: string, blockedList: string): boolean {
  return parseBlockedNumbers(blockedList).includes(entry);
}

/** Blocked-number check, then the dial plan over the on-behalf CSS; targets present the user's DN. */
export function routeDestination(directory: Directory, router: Router, ob: OnBehalf, digits: string, req: SipRequest, inbound: Caller): RoutedDestination {
  const m = directory.mobilityParameters();
  if (isBlockedEntry(digits, m.systemRemoteAccessBlockedNumbers)) return { ok: false, why: 'blocked' };
  if (digits === '' || ob.css.length === 0) return { ok: false, why: 'unroutable' };
  const match = directory.resolve(digits, ob.css);
  if (match === undefined) return { ok: false, why: 'unroutable' };
  const line = ob.line;
  if (match.target.kind === 'line') {
    const target = directory.lines.get(match.target.id);
    if (target === undefined) return { ok: false, why: 'unroutable' };
    const name = line.displayName !== '' ? line.displayName : ob.user.displayName;
    const from = `${name !== '' ? `"${name.replace(/(["\\])/g, '\\$1')}" ` : ''}<sip:${line.number}@${directory.domain}>`;
    const targets = router.lineTargets(target, inbound, req).map((t) => ({ ...t, from, label: 'two-stage' }));
    if (targets.length === 0) return { ok: false, why: 'notRegistered' };
    // One contact at a time (as DVO-R does): each contact its own group, tried in order.
    return { ok: true, groups: targets.map((t) => [t]), kind: 'line', called: target.number };
  }
  if (match.target.kind === 'trunk') {
    const trunk = directory.getTrunk(match.target.id);
    if (trunk === undefined) return { ok: false, why: 'unroutable' };
    // The router presents a trunk caller's number: present the user's DID (CLI-02, CLI-05).
    const presented: Caller = { kind: 'trunk', trunk, callingNumber: line.did ?? line.number, withheld: false, displayName: undefined };
    const groups = router.trunkTargets(trunk, match.calledNumber, presented).map((g) => g.map((t) => ({ ...t, label: 'two-stage' })));
    return { ok: true, groups, kind: 'trunk', called: match.calledNumber };
  }
  return { ok: false, why: 'unroutable' };
}

export type PlaceResult = { kind: 'connected' } | { kind: 'failed'; status: number } | { kind: 'gone' };

/**
 * Call the groups in order (failover on 408/5xx; for a line, the next contact on any failure)
 * with ringback to the caller; resolves once the outbound leg answered (bridged), failed, or
 * the caller left. After 'connected', a BYE from the callee releases the call.
 */
export function placeAndBridge(ivr: IvrCall, groups: CallTarget[][], kind: 'line' | 'trunk'): Promise<PlaceResult> {
  return new Promise<PlaceResult>((resolve) => {
    let settled = false;
    const settle = (r: PlaceResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    void ivr.done().then(() => settle({ kind: 'gone' }));
    void ivr.tone('ringback');
    const attempt = (i: number): void => {
      const t = groups[i]?.[0];
      if (t === undefined || ivr.isEnded) {
        settle(ivr.isEnded ? { kind: 'gone' } : { kind: 'failed', status: 480 });
        return;
      }
      try {
        ivr.bridge.callOut(t, {
          onAnswer: () => {
            void ivr.stopTone();
            ivr.log.info({ callId: ivr.callId, to: t.uri }, 'two-stage call connected');
            settle({ kind: 'connected' });
          },
          onFailure: (status) => {
            if (settled) return;
            if (i + 1 < groups.length && (kind === 'line' || FAILOVER.has(status))) attempt(i + 1);
            else settle({ kind: 'failed', status });
          },
          onBye: () => ivr.release(),
        });
      } catch (e) {
        ivr.log.warn({ err: (e as Error).message }, 'two-stage call could not be placed');
        settle({ kind: 'failed', status: 500 });
      }
    };
    attempt(0);
  });
}
