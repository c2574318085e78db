/**
 * RFC 3262 across the B2BUA: a reliable provisional from a callee is relayed to
 * the caller reliably when the caller supports 100rel, and the caller's PRACK is
 * carried to the callee (end to end, so early media offer/answer completes on
 * both legs). A caller without 100rel gets it unreliably and we PRACK the callee
 * ourselves. Unreliable provisionals are relayed as they are.
 */
import { reliableRSeq } from '../sip/extensions/prack.js';
import type { SipResponse } from '../sip/message/message.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { OutgoingInvite } from '../sip/ua/outgoing-invite.js';
import type { CallLogger } from './call.js';

/** Callee PRACKs waiting for the caller's PRACKs, in order (our RSeqs follow theirs 1:1). */
const pending = new WeakMap<IncomingInvite, (() => Promise<unknown>)[]>();

export function relayReliableProvisional(
  a: IncomingInvite,
  b: OutgoingInvite | undefined,
  res: SipResponse,
  status: number,
  body: string | undefined,
  log: CallLogger,
): void {
  const options = body === undefined ? {} : { body, contentType: 'application/sdp' };
  const dialog = res.to.tag === undefined ? undefined : b?.earlyDialogs.get(res.to.tag);
  if (b === undefined || dialog === undefined || reliableRSeq(res) === undefined) {
    a.progress(status, options);
    return;
  }
  const prackCallee = (): Promise<unknown> =>
    b.prack(dialog, res).catch((e: Error) => log.warn({ err: e.message }, 'PRACK to the callee failed'));
  if (a.reliableProvisionals === undefined || a.finalStatus !== undefined) {
    a.progress(status, options);
    void prackCallee();
    return;
  }
  let queue = pending.get(a);
  if (queue === undefined) {
    queue = [];
    pending.set(a, queue);
    // The caller's PRACK answers our provisional; the callee gets its own PRACK before we answer it.
    a.onPrack = async () => {
      const next = pending.get(a)?.shift();
      if (next !== undefined) await next();
    };
  }
  queue.push(prackCallee);
  a.progress(status, { ...options, reliable: true });
}
