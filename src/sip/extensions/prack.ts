/**
 * Reliable provisional responses (RFC 3262): the RSeq and RAck headers and the
 * tests the UA core needs. The state machines live in the UA (IncomingInvite for
 * the UAS, OutgoingInvite/ReInvite for the UAC).
 */
import { SipSyntaxError, isToken } from '../message/grammar.js';
import { randomHex } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { hasOptionTag } from './option-tags.js';

export const TAG_100REL = '100rel';

/** §7.2: "RSeq = 1*DIGIT", 1 to 2**32 - 1. */
const MAX_RSEQ = 0xffffffff;

export interface RAck {
  /** RSeq of the provisional response being acknowledged. */
  rseq: number;
  /** CSeq number of the request the provisional answered. */
  cseq: number;
  /** CSeq method of that request (INVITE). */
  method: string;
}

function parseCounter(text: string, what: string): number {
  const t = text.trim();
  if (!/^[0-9]{1,10}$/.test(t)) throw new SipSyntaxError(`invalid ${what} "${t.slice(0, 16)}"`);
  const n = Number(t);
  if (n < 1 || n > MAX_RSEQ) throw new SipSyntaxError(`${what} out of range: ${t}`);
  return n;
}

export function parseRSeq(value: string): number {
  return parseCounter(value, 'RSeq');
}

/** `RAck: 776656 1 INVITE` (§7.2: response-num CSeq-num Method). */
export function parseRAck(value: string): RAck {
  const parts = value.trim().split(/[ \t]+/);
  if (parts.length !== 3) throw new SipSyntaxError(`invalid RAck "${value.slice(0, 40)}"`);
  const method = parts[2]!;
  if (!isToken(method)) throw new SipSyntaxError(`invalid RAck method "${method.slice(0, 16)}"`);
  return { rseq: parseCounter(parts[0]!, 'RAck response-num'), cseq: parseCounter(parts[1]!, 'RAck CSeq-num'), method };
}

export function serializeRAck(rack: RAck): string {
  return `${rack.rseq} ${rack.cseq} ${rack.method}`;
}

/** §3: "The value of the header field for the first reliable provisional response
 * in a transaction MUST be between 1 and 2**31 - 1". */
export function initialRSeq(): number {
  const n = parseInt(randomHex(4), 16) & 0x7fffffff;
  return n === 0 ? 1 : n;
}

/**
 * How the request asks for reliability (§3): 'required' (Require: 100rel — every
 * non-100 provisional must then be reliable), 'supported' (we may), or undefined
 * (we MUST NOT send reliable provisionals).
 */
export function reliabilityOf(request: SipRequest): 'required' | 'supported' | undefined {
  if (hasOptionTag(request, 'require', TAG_100REL)) return 'required';
  if (hasOptionTag(request, 'supported', TAG_100REL)) return 'supported';
  return undefined;
}

/** A 101-199 response with Require: 100rel and a valid RSeq (§4); its RSeq, else undefined. */
export function reliableRSeq(response: SipResponse): number | undefined {
  if (response.status <= 100 || response.status >= 200) return undefined;
  if (!hasOptionTag(response, 'require', TAG_100REL)) return undefined;
  const v = response.get('rseq');
  if (v === undefined) return undefined;
  try {
    return parseRSeq(v);
  } catch {
    return undefined;
  }
}
