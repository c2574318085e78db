/**
 * Option tags (RFC 3261 §19.2, §8.2.2.3): which extensions we support, which a
 * request requires that we do not (→ 420 Bad Extension with Unsupported), and
 * merging a tag into a Supported/Require header without duplicating it.
 */
import type { SipMessage } from '../message/message.js';

/**
 * Extensions the UA core implements: reliable provisionals (RFC 3262), session
 * timers (RFC 4028), Replaces (RFC 3891), Path (RFC 3327, for the registrar).
 * `norefersub` (RFC 4488) is left out: it obliges us to honour Refer-Sub: false,
 * which is the REFER handler's business; a TU that does can add it.
 */
export const DEFAULT_SUPPORTED: readonly string[] = ['100rel', 'timer', 'replaces', 'path'];

/** True when the list header (Supported, Require, Allow...) carries `tag` (case-insensitive). */
export function hasOptionTag(msg: SipMessage, header: string, tag: string): boolean {
  const t = tag.toLowerCase();
  return msg.optionTags(header).includes(t);
}

/**
 * Tags of the request's Require header that are not in `supported`, as the peer
 * wrote them (for the Unsupported header of the 420). Empty when all are known.
 */
export function unsupportedRequired(msg: SipMessage, supported: readonly string[]): string[] {
  const known = new Set(supported.map((s) => s.toLowerCase()));
  const out: string[] = [];
  for (const raw of msg.getAll('require')) {
    const tag = raw.trim();
    if (tag !== '' && !known.has(tag.toLowerCase()) && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/** Add `tag` to a list header (Require, Supported) unless it is there already. */
export function addOptionTag(msg: SipMessage, header: string, tag: string): void {
  if (hasOptionTag(msg, header, tag)) return;
  const have = msg.getAll(header);
  msg.set(header, [...have, tag].join(', '));
}
