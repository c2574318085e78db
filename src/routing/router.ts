/**
 * Routing of new calls (spec GEN-06, GEN-09, CID-01, CLI-05): who is calling
 * (a trunk recognised by its address, or a device that authenticates), what
 * they dialled (globalised per trunk), where it goes (dial plan over the
 * calling search space) and with which identity each B-leg is presented.
 */
import type { CallTarget } from '../b2bua/call.js';
import type { Directory } from '../directory/directory.js';
import { extractCallingNumber } from '../directory/caller-id-source.js';
import { globalise, localise } from '../directory/numbers.js';
import { rdOwner } from '../directory/rd-owner.js';
import type { Device, EnterpriseLine, RemoteDestination, Trunk } from '../directory/types.js';
import type { Binding } from '../registrar/binding-store.js';
import type { Registrar } from '../registrar/registrar.js';
import { destinationForUri } from '../sip/dialog/next-hop.js';
import type { SipRequest } from '../sip/message/message.js';
import { SipUri, TelUri, parseUri, uriUserDigits } from '../sip/message/uri.js';
import type { Destination, Flow } from '../sip/transport/types.js';

/**
 * ANC-01: an inbound trunk call whose calling number matches exactly one RD or MI (CID-04) is
 * the call of that RD's user: anchored, shown as the user's DN (CLI-01), routed with the CSS
 * ANC-03 selects.
 */
export interface AnchoredRd {
  rd: RemoteDestination;
  userId: string;
  line: EnterpriseLine;
  /** The RD profile's (or mobile client's) CSS plus the line CSS (ANC-03 `profileAndLineCss`). */
  profileAndLineCss: string[];
}

export type Caller =
  | {
      kind: 'trunk';
      trunk: Trunk;
      callingNumber: string | null;
      withheld: boolean;
      displayName: string | undefined;
      /** CID-02..04: the one RD/MI the calling number matches, anchored or not (ANC-04 needs it too). */
      callingRd?: RemoteDestination;
      anchoredRd?: AnchoredRd;
    }
  | { kind: 'device'; device: Device; line: EnterpriseLine | undefined; username: string };

export type RouteDecision =
  | { kind: 'targets'; groups: CallTarget[][]; called: string; label: string; line?: EnterpriseLine }
  | { kind: 'reject'; status: number; reason: string }
  /** A feature number: handled by a feature plug-in. */
  | { kind: 'feature'; id: string; arg: string | undefined; called: string };

export interface RouterSettings {
  domain: string;
  /** Ring timeout for calls to lines (forward-no-answer, spec §16). */
  lineRingTimeoutMs: number;
}

export class Router {
  constructor(
    private readonly directory: Directory,
    private readonly registrar: Registrar,
    private readonly settings: RouterSettings,
  ) {}

  /**
   * A trunk is recognised by the source address AND port of its requests (its
   * peer or an alternate gateway). Host alone is not enough: phones and the
   * gateway may share a host (or loopback), and a trunk skips authentication.
   */
  trunkFor(flow: Flow): Trunk | undefined {
    const t = this.directory.findTrunkBySource(flow.remoteAddress, flow.remotePort);
    if (t === undefined) return undefined;
    const gws = [{ peerHost: t.peerHost, port: t.port }, ...t.alternates];
    return gws.some((g) => g.peerHost === flow.remoteAddress && g.port === flow.remotePort) ? t : undefined;
  }

  callerFromTrunk(trunk: Trunk, req: SipRequest): Caller {
    const pai = req.get('p-asserted-identity');
    let paiUser: string | null = null;
    if (pai !== undefined) {
      const m = /<([^>]+)>/.exec(pai);
      paiUser = userPart(m !== null ? m[1]! : pai.trim());
    }
    const from = req.from;
    const fromUser = from.uri instanceof SipUri || from.uri instanceof TelUri ? (uriUserDigits(from.uri) ?? null) : null;
    const fromAnonymous = (from.uri instanceof SipUri && from.uri.host === 'anonymous.invalid') || /anonymous/i.test(from.displayName ?? '');
    const privacy = (req.get('privacy') ?? '').toLowerCase();
    const src = extractCallingNumber({
      paiUser,
      fromUser,
      fromAnonymous,
      trusted: trunk.trusted,
      privacyId: /\b(id|user|header)\b/.test(privacy),
    });
    // GEN-09: globalise the calling number before any matching or replacement.
    const callingNumber = src.number === null ? null : globalise(src.number, trunk.inboundRules, 'calling');
    // The one caller-ID lookup of the call (CID-02..04): features read it from the Caller.
    const found = callingNumber === null ? undefined : this.directory.findRemoteDestinationByNumber(callingNumber);
    const callingRd = found?.kind === 'unique' ? found.value : undefined;
    const anchoredRd = callingRd === undefined ? undefined : this.anchoredRdFor(callingRd);
    return {
      kind: 'trunk',
      trunk,
      callingNumber,
      withheld: src.withheld,
      displayName: from.displayName,
      ...(callingRd !== undefined ? { callingRd } : {}),
      ...(anchoredRd !== undefined ? { anchoredRd } : {}),
    };
  }

  /** ANC-01: the user and line of the RD/MI a calling number matched (its owner has mobility and a line). */
  private anchoredRdFor(rd: RemoteDestination): AnchoredRd | undefined {
    const owner = rdOwner(this.directory, rd);
    if (owner === undefined || owner.line === undefined || !owner.user.enableMobility) return undefined;
    const line = owner.line;
    return { rd: owner.rd, userId: owner.user.userId, line, profileAndLineCss: [owner.parent.css, line.lineCss].filter((c): c is string => c !== null) };
  }

  callerFromDevice(device: Device, username: string): Caller {
    const lineId = device.lines[0];
    const line = lineId === undefined ? undefined : this.lineById(lineId);
    return { kind: 'device', device, line, username };
  }

  /** The dialled digits of a request (Request-URI user part or tel number). */
  dialled(req: SipRequest): string | undefined {
    try {
      return uriUserDigits(req.uri);
    } catch {
      return undefined;
    }
  }

  route(caller: Caller, req: SipRequest): RouteDecision {
    return this.routeNumber(caller, this.dialled(req));
  }

  /** Route dialled digits for `caller` (a new call, or the target of a transfer it asks for). */
  routeNumber(caller: Caller, raw: string | undefined): RouteDecision {
    if (raw === undefined || raw === '') return { kind: 'reject', status: 404, reason: 'Not Found - no number in Request-URI' };
    let called: string;
    let css: string[];
    if (caller.kind === 'trunk') {
      called = globalise(raw, caller.trunk.inboundRules, 'called');
      css = caller.trunk.inboundCss === null ? [] : [caller.trunk.inboundCss];
      // ANC-03: calls from a user's RD may be routed with the profile and line CSS.
      if (caller.anchoredRd !== undefined && this.directory.mobilityParameters().inboundCssForRemoteDestination === 'profileAndLineCss') {
        css = caller.anchoredRd.profileAndLineCss;
      }
    } else {
      called = raw;
      // GEN-06: device CSS plus line CSS.
      css = [caller.device.css, caller.line?.lineCss].filter((c): c is string => c !== null && c !== undefined);
    }
    if (css.length === 0) return { kind: 'reject', status: 404, reason: 'Not Found - no calling search space' };
    const match = this.directory.resolve(called, css);
    if (match === undefined) return { kind: 'reject', status: 404, reason: `Not Found - ${called} is not routable` };
    const target = match.target;
    if (target.kind === 'feature') return { kind: 'feature', id: target.id, arg: target.arg, called: match.calledNumber };
    if (target.kind === 'line') {
      const line = this.lineById(target.id);
      if (line === undefined) return { kind: 'reject', status: 404, reason: 'Not Found - line missing' };
      // Possibly empty (nothing registered): features such as SNR may still add forks.
      const targets = this.lineTargets(line, caller);
      return { kind: 'targets', groups: [targets], called: line.number, label: 'line', line };
    }
    const trunk = this.directory.getTrunk(target.id);
    if (trunk === undefined) return { kind: 'reject', status: 404, reason: 'Not Found - trunk missing' };
    return { kind: 'targets', groups: this.trunkTargets(trunk, match.calledNumber, caller), called: match.calledNumber, label: 'trunk' };
  }

  /** Every registered contact of every device on the line, rung in parallel. */
  lineTargets(line: EnterpriseLine, caller: Caller, _req?: SipRequest): CallTarget[] {
    return this.lineContacts(line, this.presentedIdentity(caller, undefined));
  }

  /** Every registered contact of every device on the line, presenting `from` (name-addr). */
  lineContacts(line: EnterpriseLine, from: string): CallTarget[] {
    const out: CallTarget[] = [];
    for (const device of this.directory.devicesOnLine(line.id)) {
      if (device.aor === null) continue;
      const aorUser = aorUserOf(device.aor);
      if (aorUser === undefined) continue;
      for (const b of this.registrar.lookup(aorUser)) {
        const dest = bindingDestination(b);
        if (dest === undefined) continue;
        out.push({
          uri: b.contact,
          destination: dest,
          from,
          to: `"${escapeQuoted(line.displayName)}" <sip:${line.number}@${this.settings.domain}>`,
          ringTimeoutMs: (line.noAnswerRingDurationS ?? 0) * 1000 || this.settings.lineRingTimeoutMs,
          label: `device:${device.id}`,
          // A transfer this phone asks for is routed as a call from it (REFER policy).
          identity: { kind: 'device', device, line, username: device.sipUsername ?? device.id } satisfies Caller,
        });
      }
    }
    return out;
  }

  /** One group per gateway of the trunk, in failover order. */
  trunkTargets(trunk: Trunk, calledNumber: string, caller: Caller): CallTarget[][] {
    const number = localise(calledNumber, trunk.outboundRules, 'called');
    const identity = this.callingNumberFor(caller);
    const callingOut = identity === undefined ? undefined : localise(identity, trunk.outboundRules, 'calling');
    const from = callingOut === undefined ? '"Anonymous" <sip:anonymous@anonymous.invalid>' : `<sip:${callingOut}@${this.settings.domain}>`;
    const headers: Record<string, string> = {};
    // P-Asserted-Identity only towards trusted trunks (RFC 3325 trust domain).
    if (trunk.trusted && callingOut !== undefined) headers['p-asserted-identity'] = `<sip:${callingOut}@${this.settings.domain}>`;
    const gateways = [{ peerHost: trunk.peerHost, port: trunk.port, transport: trunk.transport }, ...trunk.alternates];
    return gateways.map((gw) => [
      {
        uri: `sip:${number}@${gw.peerHost}:${gw.port}${gw.transport === 'udp' ? '' : `;transport=${gw.transport}`}`,
        destination: { protocol: gw.transport, address: gw.peerHost, port: gw.port },
        from,
        to: `<sip:${number}@${gw.peerHost}>`,
        headers,
        label: `trunk:${trunk.id}`,
        // A transfer asked for by the far end is routed like a call in from this trunk.
        identity: { kind: 'trunk', trunk, callingNumber: calledNumber, withheld: false, displayName: undefined } satisfies Caller,
      },
    ]);
  }

  /** The number presented for this caller: a device shows its line's DID (CLI-05) or DN. */
  callingNumberFor(caller: Caller): string | undefined {
    // CLI-01 / CLI-05: a call from a user's RD shows the user's DID (DN) instead of the mobile number.
    if (caller.kind === 'trunk' && caller.anchoredRd !== undefined) return caller.anchoredRd.line.did ?? caller.anchoredRd.line.number;
    if (caller.kind === 'trunk') return caller.withheld ? undefined : (caller.callingNumber ?? undefined);
    if (caller.line === undefined) return undefined;
    return caller.line.did ?? caller.line.number;
  }

  private presentedIdentity(caller: Caller, _trunk: Trunk | undefined): string {
    if (caller.kind === 'device') {
      const line = caller.line;
      if (line === undefined) return `<sip:${caller.username}@${this.settings.domain}>`;
      return `"${escapeQuoted(line.displayName)}" <sip:${line.number}@${this.settings.domain}>`;
    }
    if (caller.anchoredRd !== undefined) {
      // CLI-01: the user's enterprise DN and name replace the mobile number.
      const line = caller.anchoredRd.line;
      return `"${escapeQuoted(line.displayName)}" <sip:${line.number}@${this.settings.domain}>`;
    }
    if (caller.withheld || caller.callingNumber === null) return '"Anonymous" <sip:anonymous@anonymous.invalid>';
    const dn = caller.displayName === undefined ? '' : `"${escapeQuoted(caller.displayName)}" `;
    return `${dn}<sip:${caller.callingNumber}@${this.settings.domain}>`;
  }

  private lineById(id: string): EnterpriseLine | undefined {
    return this.directory.lines.get(id) ?? undefined;
  }
}

/**
 * Where to send requests for a binding: over the flow the REGISTER came on when
 * that is a connection (TCP/TLS/WS) or when the Contact names another host than
 * the source (the phone is behind NAT); otherwise to the Contact itself (which
 * also allows registering a contact on behalf of another UA).
 */
export function bindingDestination(b: Binding): Destination | undefined {
  const flowDest: Destination = { protocol: b.flow.protocol, address: b.flow.address, port: b.flow.port };
  if (b.flow.connectionId !== undefined) flowDest.connectionId = b.flow.connectionId;
  if (b.flow.protocol !== 'udp') return flowDest;
  try {
    const d = destinationForUri(parseUri(b.contact), 'udp');
    return d.address === b.flow.address ? d : flowDest;
  } catch {
    return flowDest;
  }
}

function userPart(uri: string): string | null {
  const m = /^(?:sips?|tel):([^@;>]+)/i.exec(uri);
  return m === null ? null : m[1]!;
}

function aorUserOf(aor: string): string | undefined {
  const m = /^sips?:([^@]+)@/i.exec(aor);
  return m === null ? undefined : m[1];
}

function escapeQuoted(s: string): string {
  return s.replace(/(["\\])/g, '\\$1');
}
