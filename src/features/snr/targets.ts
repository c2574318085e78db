/**
 * B-leg targets SNR builds: the fork to an RD/MI through its trunk (GEN-06 rerouting CSS,
 * GEN-09 localisation, CLI-04 identity and Diversion) and the forward of an unanswered or
 * busy call to the line's voicemail / forward destination (SNR-06, D-10), with Diversion.
 */
import type { CallTarget } from '../../b2bua/call.js';
import type { Directory } from '../../directory/directory.js';
import { localise } from '../../directory/numbers.js';
import type { EnterpriseLine, RemoteDestination, Trunk } from '../../directory/types.js';
import type { Caller, Router } from '../../routing/router.js';
import type { SipRequest } from '../../sip/message/message.js';

export interface TargetDeps {
  directory: Directory;
  router: Router;
  domain: string;
}

export type ForkTarget = { ok: true; target: CallTarget; trunk: Trunk } | { ok: false; why: 'notANumber' | 'unroutable' };

/**
 * The INVITE towards one RD: routed by the rerouting CSS of the RD's parent, sent to the
 * trunk's primary gateway with the trunk's other gateways as this fork's own alternates
 * (tried on 408/5xx while the other forks keep ringing), number localised by the trunk.
 */
export function rdForkTarget(deps: TargetDeps, rd: RemoteDestination, rerouteCss: string | null, line: EnterpriseLine, caller: Caller): ForkTarget {
  if (/^sips?:/i.test(rd.number.trim())) return { ok: false, why: 'notANumber' }; // off-net SIP URI RDs: not supported yet
  if (rerouteCss === null) return { ok: false, why: 'unroutable' };
  const match = deps.directory.resolve(rd.number, [rerouteCss]);
  if (match === undefined || match.target.kind !== 'trunk') return { ok: false, why: 'unroutable' }; // an RD is never a DN here
  const trunk = deps.directory.getTrunk(match.target.id);
  if (trunk === undefined) return { ok: false, why: 'unroutable' };
  const gateways = deps.router.trunkTargets(trunk, match.calledNumber, caller);
  const base = gateways[0]?.[0];
  if (base === undefined) return { ok: false, why: 'unroutable' };
  // The trunk's other gateways, tried by this fork alone when the first fails (408/5xx).
  const alternates = gateways.slice(1).flatMap((g) => (g[0] === undefined ? [] : [{ uri: g[0].uri, destination: g[0].destination, to: g[0].to }]));
  const headers: Record<string, string | string[]> = { ...(base.headers ?? {}) };
  let from = base.from;
  const did = line.did ?? undefined;
  // CLI-04 / D-05: the original caller by default; the enterprise DID for carriers that screen.
  if (trunk.mobilityForkCallingIdentity === 'enterpriseDid' && did !== undefined) {
    const dn = localise(did, trunk.outboundRules, 'calling');
    from = `"${line.displayName.replace(/(["\\])/g, '\\$1')}" <sip:${dn}@${deps.domain}>`;
    if (trunk.trusted) headers['p-asserted-identity'] = `<sip:${dn}@${deps.domain}>`;
    else delete headers['p-asserted-identity'];
  }
  if (trunk.sendDiversionOnMobilityForks && did !== undefined) {
    headers['diversion'] = `<sip:${localise(did, trunk.outboundRules, 'calling')}@${trunk.peerHost};user=phone>;reason=follow-me`;
  }
  return { ok: true, trunk, target: { ...base, from, headers, ...(alternates.length > 0 ? { alternates } : {}) } };
}

export type DiversionReason = 'no-answer' | 'user-busy' | 'unavailable' | 'unconditional';

/**
 * Target groups for forwarding the call to `number` (the line's forward-no-answer / busy
 * destination, normally the voicemail pilot) through the line's CSS, with
 * `Diversion: <the line's DID>;reason=…` (RFC 5806) so voicemail finds the mailbox.
 * undefined when the number cannot be routed (or routes back to the same line).
 */
export function forwardGroups(
  deps: TargetDeps,
  line: EnterpriseLine,
  number: string | null,
  caller: Caller,
  req: SipRequest,
  reason: DiversionReason,
): CallTarget[][] | undefined {
  if (number === null || number === '') return undefined;
  const css = [line.lineCss].filter((c): c is string => c !== null);
  if (css.length === 0) return undefined;
  const match = deps.directory.resolve(number, css);
  if (match === undefined) return undefined;
  const t = match.target;
  if (t.kind === 'trunk') {
    const trunk = deps.directory.getTrunk(t.id);
    if (trunk === undefined) return undefined;
    const who = localise(line.did ?? line.number, trunk.outboundRules, 'calling');
    const diversion = `<sip:${who}@${trunk.peerHost};user=phone>;reason=${reason}`;
    return deps.router
      .trunkTargets(trunk, match.calledNumber, caller)
      .map((g) => g.map((x) => ({ ...x, headers: { ...(x.headers ?? {}), diversion }, label: `forward:${reason}` })));
  }
  if (t.kind === 'line') {
    if (t.id === line.id) return undefined;
    const target = deps.directory.lines.get(t.id);
    if (target === undefined) return undefined;
    const diversion = `<sip:${line.number}@${deps.domain}>;reason=${reason}`;
    const group = deps.router
      .lineTargets(target, caller, req)
      .map((x) => ({ ...x, headers: { ...(x.headers ?? {}), diversion }, label: `forward:${reason}` }));
    return group.length === 0 ? undefined : [group];
  }
  return undefined;
}
