/**
 * Requests the transaction layer builds itself: the ACK for a non-2xx final
 * (§17.1.1.3) and the CANCEL of a pending INVITE (§9.1). Both copy raw header
 * text so that nothing is re-parsed.
 */
import { SipRequest, type SipResponse } from '../message/message.js';

/** First Via value as written (live values are serialised by get()). */
function topViaText(request: SipRequest): string {
  const v = request.get('via');
  if (v === undefined) throw new Error('request without Via');
  return v;
}

function copyCommon(target: SipRequest, invite: SipRequest): void {
  target.set('via', topViaText(invite));
  target.set('max-forwards', '70');
  const from = invite.get('from');
  if (from !== undefined) target.set('from', from);
}

function copyRoutes(target: SipRequest, invite: SipRequest): void {
  const routes = invite.getAll('route');
  if (routes.length > 0) target.set('route', routes);
}

/**
 * §17.1.1.3: "The ACK request constructed by the client transaction MUST contain
 * values for the Call-ID, From, and Request-URI that are equal to the values of
 * those header fields in the request passed to the transport by the client
 * transaction (call this the 'original request'). The To header field in the
 * ACK MUST equal the To header field in the response being acknowledged ...
 * The ACK MUST contain a single Via header field, and this MUST be equal to the
 * top Via header field of the original request. The CSeq header field in the
 * ACK MUST contain the same value for the sequence number as was present in the
 * original request, but the method parameter MUST be equal to 'ACK'."
 * "If the INVITE request whose response is being acknowledged had Route header
 * fields, those header fields MUST appear in the ACK."
 */
export function buildAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.uriString);
  copyCommon(ack, invite);
  const to = response.get('to');
  if (to !== undefined) ack.set('to', to);
  ack.set('call-id', invite.callId);
  ack.set('cseq', `${invite.cseq.seq} ACK`);
  copyRoutes(ack, invite);
  return ack;
}

/**
 * §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header
 * fields in the CANCEL request MUST be identical to those in the request being
 * cancelled, including tags. A CANCEL constructed by a client MUST have only a
 * single Via header field value matching the top Via value in the request being
 * cancelled. ... the method field in the CSeq header field value MUST have a
 * value of CANCEL." "If the request being cancelled contains a Route header
 * field, the CANCEL request MUST include that Route header field's values."
 * `reason` becomes a Reason header (RFC 3326), e.g. `SIP;cause=200;text="Call completed elsewhere"`.
 */
export function buildCancel(invite: SipRequest, reason?: string): SipRequest {
  const cancel = new SipRequest('CANCEL', invite.uriString);
  copyCommon(cancel, invite);
  const to = invite.get('to');
  if (to !== undefined) cancel.set('to', to);
  cancel.set('call-id', invite.callId);
  cancel.set('cseq', `${invite.cseq.seq} CANCEL`);
  copyRoutes(cancel, invite);
  if (reason !== undefined && reason !== '') cancel.set('reason', reason);
  return cancel;
}
