/**
 * Checks a received message before it reaches a transaction (RFC 3261 §8.2,
 * §16.3, §18.1.2, §18.2.2). Problems become a status code and a reason phrase
 * that names the problem, so peers (and people reading traces) see why.
 */
import { SipSyntaxError } from './grammar.js';
import type { SipMessageAny, SipRequest } from './message.js';
import { AbsoluteUri, SipUri } from './uri.js';
import type { Via } from './via.js';

export interface ValidationProblem {
  status: number;
  reason: string;
  /** false when the Via is unusable: no response can be routed, drop the message. */
  routable: boolean;
}

const MANDATORY = ['from', 'to', 'call-id', 'cseq'] as const;
const NAMES: Record<(typeof MANDATORY)[number], string> = { from: 'From', to: 'To', 'call-id': 'Call-ID', cseq: 'CSeq' };

function bad(reason: string, routable = true): ValidationProblem {
  return { status: 400, reason: `Bad Request - ${reason}`, routable };
}

function errText(e: unknown): string {
  return e instanceof SipSyntaxError ? e.message : 'malformed header';
}

/** Validate the fields every message needs; returns the first problem found. */
export function validateMessage(msg: SipMessageAny): ValidationProblem | undefined {
  // Via first: without it nothing can be answered.
  if (!msg.has('via')) return bad('missing Via', false);
  let via: Via;
  try {
    via = msg.topVia;
  } catch (e) {
    return bad(`Via: ${errText(e)}`, false);
  }
  // RFC 3261 §8.2.2 / RFC 4475 badvers: another SIP version is 505, answered over the Via.
  if (msg.version !== 'SIP/2.0') return { status: 505, reason: 'Version Not Supported', routable: true };
  if (via.protocol !== 'SIP/2.0') return bad('unsupported Via protocol', false);
  for (const key of MANDATORY) {
    if (!msg.has(key)) return bad(`missing ${NAMES[key]}`);
  }
  // Count fields, not typed values: a live From holds only the first of two From fields.
  for (const key of MANDATORY) {
    if (msg.fieldCount(key) > 1) return bad(`more than one ${NAMES[key]}`);
  }
  try {
    void msg.from;
  } catch (e) {
    return bad(`From: ${errText(e)}`);
  }
  try {
    void msg.to;
  } catch (e) {
    return bad(`To: ${errText(e)}`);
  }
  try {
    void msg.cseq;
  } catch (e) {
    return bad(`CSeq: ${errText(e)}`);
  }
  if (msg.callId.trim() === '') return bad('empty Call-ID');
  try {
    void msg.vias;
  } catch (e) {
    return bad(`Via: ${errText(e)}`);
  }
  if (msg.parseError !== undefined) return bad(msg.parseError);
  if (msg.isRequest()) return validateRequestOnly(msg);
  return undefined;
}

function validateRequestOnly(req: SipRequest): ValidationProblem | undefined {
  if (req.cseq.method !== req.method) return bad('CSeq method does not match the request method');
  let mf: number | undefined;
  try {
    mf = req.maxForwards;
  } catch (e) {
    return bad(errText(e));
  }
  // A missing Max-Forwards passes (RFC 3261 §16.3 step 3; RFC 2543 peers, RFC 4475 inv2543).
  try {
    const uri = req.uri;
    if (uri instanceof AbsoluteUri) return { status: 416, reason: 'Unsupported URI Scheme', routable: true };
    // RFC 3261 §19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri).
    if (uri instanceof SipUri && uri.headers.size > 0) return bad('Request-URI: headers are not allowed in a Request-URI');
  } catch (e) {
    return bad(`Request-URI: ${errText(e)}`);
  }
  if (mf === 0 && req.method !== 'ACK') return { status: 483, reason: 'Too Many Hops', routable: true };
  // Contact on dialog-creating requests must parse (we route in-dialog requests to it).
  if (req.method === 'INVITE' || req.method === 'SUBSCRIBE' || req.method === 'REFER' || req.method === 'REGISTER') {
    try {
      void req.contacts;
    } catch (e) {
      return bad(`Contact: ${errText(e)}`);
    }
  }
  return undefined;
}
