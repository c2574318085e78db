/**
 * Transaction keys (RFC 3261 §17.1.3, §17.2.3). Each is one string built by
 * concatenation, so matching is a single Map lookup with no regex.
 */
import type { SipRequest } from '../message/message.js';
import { MAGIC_COOKIE, type Via } from '../message/via.js';

const SEP = '\u0001'; // cannot appear in a token, a host or a URI

/** True when the branch follows RFC 3261 (§8.1.1.7: starts with the magic cookie). */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(MAGIC_COOKIE);
}

/**
 * §17.1.3: a response matches a client transaction when "the response has the
 * same value of the branch parameter in the top Via header field as the branch
 * parameter in the top Via header field of the request that created the
 * transaction" and "the method parameter in the CSeq header field matches the
 * method of the request that created the transaction. The method is needed since
 * a CANCEL request constitutes a different transaction, but shares the same value
 * of the branch parameter."
 */
export function clientKey(branch: string, method: string): string {
  return branch + SEP + method;
}

/**
 * §17.2.3: "1. the branch parameter in the request is equal to the one in the
 * top Via header field of the request that created the transaction, and 2. the
 * sent-by value in the top Via of the request is equal to the one in the request
 * that created the transaction, and 3. the method of the request matches the one
 * that created the transaction, except for ACK, where the method of the request
 * that created the transaction is INVITE." `method` is the one to match against
 * (INVITE for ACK, and for a CANCEL looking for its INVITE, §9.2).
 */
export function serverKey(via: Via, branch: string, method: string): string {
  const port = via.port;
  return branch + SEP + via.host.toLowerCase() + (port === undefined ? '' : ':' + port) + SEP + method;
}

/**
 * §17.2.3, RFC 2543 compatibility (no magic cookie): "The INVITE request matches
 * a transaction if the Request-URI, To tag, From tag, Call-ID, CSeq, and top Via
 * header field match those of the INVITE request which created the transaction."
 * "The ACK request matches a transaction if the Request-URI, From tag, Call-ID,
 * CSeq number (not the method), and top Via header field match those of the
 * INVITE request which created the transaction, and the To tag of the ACK matches
 * the To tag of the response sent by the server transaction."
 * The To tag differs between the INVITE and its ACK, so it is left out of the
 * key and compared after the lookup (see TransactionLayer).
 */
export function rfc2543Key(request: SipRequest, method: string): string {
  return (
    '2543' + SEP + request.uriString + SEP + (request.from.tag ?? '') + SEP + request.callId + SEP +
    request.cseq.seq + SEP + method + SEP + request.topVia.toString()
  );
}
