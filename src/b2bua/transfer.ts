/**
 * REFER handled by the B2BUA itself (RFC 3515, RFC 5589 call transfer): a REFER on one leg
 * is never relayed to the other party; the call performs the transfer.
 *
 *  - Blind: `Refer-To: <sip:target>`. 202 Accepted, NOTIFY 100, the target is rung
 *    (B2BCall.replaceLeg), NOTIFY 180 while it rings; on answer the transferee is re-INVITEd
 *    towards it, NOTIFY 200 ends the subscription and the transferor gets a BYE. A failure
 *    gives NOTIFY <status> and the call stays as it was (the transferor resumes it).
 *  - Attended: `Refer-To: <sip:target?Replaces=...>` naming the transferor's leg of another
 *    call anchored here (its consultation call). The transferee is joined with the far party
 *    of that call with no new INVITE (an offerless re-INVITE of the far party, then a
 *    re-INVITE of the transferee), and both of the transferor's legs are released.
 *
 * Where a blind transfer may go is the server's ReferPolicy (routing with the identity of
 * the transferor's leg); without one, REFER gets 403.
 */
import type { Dialog } from '../sip/dialog/dialog.js';
import { SipSyntaxError } from '../sip/message/grammar.js';
import type { SipRequest } from '../sip/message/message.js';
import { createResponse } from '../sip/message/response.js';
import { readReferTo, type ReferTo } from '../sip/extensions/refer.js';
import { referNotifyOptions } from '../sip/extensions/sipfrag.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { B2BCall, CallLogger, CallTarget, IncomingLeg } from './call.js';

/**
 * What to do with a REFER: ring target groups (blind transfer), refuse it with a status, or
 * hand it to a feature that performs something else (e.g. send-to-mobile, spec RDPU-01): it
 * answers the REFER itself (acceptRefer gives the 202 and the NOTIFY sender).
 */
export type ReferDecision = CallTarget[][] | { status: number; reason?: string } | { handle(c: ReferContext): Promise<void> };

/** Where a REFER may send the transferee. */
export type ReferPolicy = (call: B2BCall, side: 'a' | 'b', refer: ReferTo, request: SipRequest) => ReferDecision | Promise<ReferDecision>;

export interface ReferContext {
  call: B2BCall;
  ua: UserAgentCore;
  /** The side the REFER came from, and its dialog (the transferor's leg). */
  side: 'a' | 'b';
  referrer: Dialog;
  request: SipRequest;
  tx: ServerTransaction;
  policy: ReferPolicy | undefined;
  log: CallLogger;
}

/** REFERs seen per dialog: from the second on, NOTIFYs carry `Event: refer;id=<CSeq>` (RFC 3515 §2.4.6). */
const refersSeen = new WeakMap<Dialog, number>();

export async function handleRefer(c: ReferContext): Promise<void> {
  const { request: req, tx, call } = c;
  let refer: ReferTo;
  try {
    refer = readReferTo(req);
  } catch (e) {
    tx.respond(createResponse(req, 400, `Bad Request - ${e instanceof SipSyntaxError ? e.message.slice(0, 60) : 'bad Refer-To'}`));
    return;
  }
  if (refer.method !== 'INVITE') {
    tx.respond(createResponse(req, 403, `Forbidden - cannot refer to ${refer.method.slice(0, 20)}`));
    return;
  }
  if (call.state !== 'connected' || call.replacingLeg) {
    tx.respond(createResponse(req, 491, 'Request Pending - a transfer is already running'));
    return;
  }
  if (refer.replaces !== undefined) return attended(c, refer);
  if (c.policy === undefined) {
    tx.respond(createResponse(req, 403, 'Forbidden - transfer not allowed'));
    return;
  }
  let decision: ReferDecision;
  try {
    decision = await c.policy(call, c.side, refer, req);
  } catch (e) {
    c.log.warn({ err: (e as Error).message }, 'REFER policy failed');
    decision = { status: 500 };
  }
  if ('handle' in decision) return decision.handle(c);
  if (!Array.isArray(decision)) {
    tx.respond(createResponse(req, decision.status, decision.reason));
    return;
  }
  const notify = acceptRefer(c);
  notify(100);
  let ringing = false;
  const referredBy = req.get('referred-by');
  const status = await call.replaceLeg(c.side, decision, {
    ...(referredBy !== undefined ? { headers: { 'referred-by': referredBy } } : {}),
    onProvisional: (s) => {
      if (s >= 180 && !ringing) {
        ringing = true;
        notify(s);
      }
    },
    beforeRelease: () => notify(200),
  });
  c.log.info({ status, to: refer.target.toString() }, 'blind transfer');
  if (status >= 300) await notify(status);
}

/** Answer 202 and return the function that sends the implicit subscription's NOTIFYs. */
export function acceptRefer(c: ReferContext): (status: number) => Promise<void> {
  const { request: req, referrer, ua } = c;
  const seen = (refersSeen.get(referrer) ?? 0) + 1;
  refersSeen.set(referrer, seen);
  // RFC 4488: the transferor may ask for no subscription.
  const noSub = /^\s*false\s*$/i.test(req.get('refer-sub') ?? '');
  const res = createResponse(req, 202, 'Accepted');
  if (noSub) res.set('refer-sub', 'false');
  c.tx.respond(res);
  let over = false;
  return async (status: number) => {
    if (noSub || over || referrer.state !== 'confirmed') return;
    if (status >= 200) over = true;
    await ua.dialogRequest(referrer, 'NOTIFY', referNotifyOptions({ status, ...(seen > 1 ? { id: req.cseq.seq } : {}) }));
  };
}

/**
 * Attended transfer: the Replaces names the transferor's leg of its consultation call.
 * The transferee (the other side of this call) is joined with that call's other party.
 */
async function attended(c: ReferContext, refer: ReferTo): Promise<void> {
  const { request: req, tx, call, ua } = c;
  const m = ua.findDialogForReplaces(refer.replaces!);
  const dialog = 'dialog' in m ? m.dialog : undefined;
  const other = dialog?.owner as B2BCall | undefined;
  const otherSide = dialog === undefined ? undefined : other?.sideOf?.(dialog);
  if (dialog === undefined || other === undefined || otherSide === undefined || other === call || other.state !== 'connected') {
    tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist - no such dialog to replace'));
    return;
  }
  const far = other.legOf(otherSide === 'a' ? 'b' : 'a');
  if (far === undefined || other.replacingLeg) {
    tx.respond(createResponse(req, 491, 'Request Pending'));
    return;
  }
  const notify = acceptRefer(c);
  await notify(100);
  // The far party of the consultation call offers (offerless re-INVITE); we answer in the ACK.
  const offered = await offerlessReinvite(ua, far);
  if (offered === undefined) {
    await notify(500);
    return;
  }
  const leg: IncomingLeg = {
    tag: far.remoteTag,
    offer: offered.offer,
    complete: (answer) => {
      offered.ack(answer);
      return far;
    },
    abandon: () => offered.ack(undefined),
  };
  // The far leg leaves the consultation call (which ends, BYEing the transferor's leg there)…
  other.surrenderLeg(far, 'attended transfer: far leg moved');
  // …and takes the transferor's place in this one.
  const ok = await call.swapIn(c.side, leg, { beforeRelease: () => notify(200) });
  c.log.info({ ok, replaces: refer.replaces!.callId }, 'attended transfer');
  if (!ok) {
    await notify(500);
    if (far.state === 'confirmed') void ua.bye(far);
  }
}

/** re-INVITE without SDP (RFC 3261 §14.1): the peer's offer, and how to ACK with our answer. */
export function offerlessReinvite(ua: UserAgentCore, d: Dialog): Promise<{ offer: string; ack(answer: string | undefined): void } | undefined> {
  return new Promise((resolve) => {
    const out = ua.reinvite(
      d,
      {},
      {
        onAnswer: (res) => {
          const ack = (answer: string | undefined): void => out!.ack(d, answer === undefined ? {} : { body: answer, contentType: 'application/sdp' });
          if (res.body.length === 0) {
            ack(undefined);
            resolve(undefined);
          } else resolve({ offer: res.bodyText, ack });
        },
        onFailure: () => resolve(undefined),
      },
    );
    if (out === undefined) return resolve(undefined);
    out.autoAck = false;
  });
}
