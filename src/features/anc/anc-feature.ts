/**
 * Anchoring of inbound calls from remote destinations (spec §5, ANC-01; TS-34): the router
 * recognises a trunk call whose calling number is a user's RD or MI (Caller.anchoredRd), shows
 * it as the user's DN (CLI-01) and routes it with the CSS ANC-03 selects; this feature makes
 * the call an anchored call once connected: the inbound leg gets mid-call features, and desk
 * pickup when it hangs up (the caller side is the user's here).
 */
import { observeCall } from '../../b2bua/call.js';
import type { Caller } from '../../routing/router.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext } from '../feature.js';

export class AncFeature implements Feature {
  readonly name = 'anc';

  onInvite(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean {
    if (caller.kind !== 'trunk' || caller.anchoredRd === undefined) return false;
    const a = caller.anchoredRd;
    const user = ctx.directory.users.get(a.userId) ?? undefined;
    if (user === undefined) return false;
    observeCall(inv, {
      onStart: (call) => {
        // GEN-07: one record; SNR registers calls to its own lines itself.
        if (ctx.anchored?.get(call.id) === undefined) ctx.anchored?.register(call, { origin: 'inboundRd', user: a.userId, line: a.line.number, farSide: 'b', userRole: 'RD' });
      },
      onConnected: (call) => {
        ctx.anchored?.update(call.id, { state: 'connected' });
        // The user called their own line and a phone of it answered: nothing to hold or pick up.
        const who = call.answeredTarget?.identity as Caller | undefined;
        if (who?.kind === 'device' && who.device.lines.includes(a.line.id)) return;
        ctx.midCall?.attach({ call, userSide: 'a', user, line: a.line });
      },
      onEnd: (call, end) => {
        if (ctx.anchored?.get(call.id)?.origin === 'inboundRd') ctx.anchored?.end(call.id, { result: end.result });
      },
    });
    return false;
  }
}
