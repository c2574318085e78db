/**
 * The Replaces header (RFC 3891): `Replaces: call-id;to-tag=..;from-tag=..[;early-only]`
 * and the rules a UAS applies when an INVITE carries one (§3).
 *
 * The tags are written from the point of view of the UA that *receives* the
 * INVITE with Replaces, "as if they were tags present in an incoming request":
 * to-tag is compared to that UA's local tag, from-tag to its remote tag. So the
 * UA that builds a Replaces for a dialog it has with the target (the transferor
 * in an attended transfer) puts its *remote* tag in to-tag: see replacesFor().
 */
import type { Dialog } from '../dialog/dialog.js';
import { type Params, SipSyntaxError, parseParams, serializeParams } from '../message/grammar.js';
import type { SipRequest } from '../message/message.js';

export const TAG_REPLACES = 'replaces';

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
  /** Other generic parameters, kept for re-serialising. */
  params?: Params;
}

/** §6.1: callid *(SEMI replaces-param); to-tag and from-tag are mandatory. */
export function parseReplaces(value: string): Replaces {
  const v = value.trim();
  const semi = v.indexOf(';');
  const callId = (semi === -1 ? v : v.slice(0, semi)).trim();
  if (callId === '' || /[\s;,]/.test(callId)) throw new SipSyntaxError(`invalid Replaces call-id "${callId.slice(0, 40)}"`);
  const params = parseParams(semi === -1 ? '' : v.slice(semi));
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (toTag === undefined || toTag === null || toTag === '') throw new SipSyntaxError('Replaces without to-tag');
  if (fromTag === undefined || fromTag === null || fromTag === '') throw new SipSyntaxError('Replaces without from-tag');
  const earlyOnly = params.has('early-only');
  params.delete('to-tag');
  params.delete('from-tag');
  params.delete('early-only');
  const r: Replaces = { callId, toTag, fromTag, earlyOnly };
  if (params.size > 0) r.params = params;
  return r;
}

export function serializeReplaces(r: Replaces): string {
  let s = `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}`;
  if (r.earlyOnly) s += ';early-only';
  if (r.params !== undefined) s += serializeParams(r.params);
  return s;
}

/**
 * The Replaces of an INVITE (§3): undefined when there is none; throws
 * SipSyntaxError (answer 400) when it is malformed, repeated, or not in an INVITE.
 */
export function readReplaces(request: SipRequest): Replaces | undefined {
  const all = request.getAll('replaces');
  if (all.length === 0) return undefined;
  if (request.method !== 'INVITE') throw new SipSyntaxError(`Replaces in a ${request.method}`);
  if (all.length > 1) throw new SipSyntaxError('more than one Replaces header');
  return parseReplaces(all[0]!);
}

/**
 * A Replaces naming `dialog` for the peer of that dialog (the UA that will get the
 * INVITE): its local tag is our remote tag, so to-tag = dialog.remoteTag.
 */
export function replacesFor(dialog: Dialog, earlyOnly = false): Replaces {
  return { callId: dialog.callId, toTag: dialog.remoteTag, fromTag: dialog.localTag, earlyOnly };
}

export type ReplacesMatch =
  | { ok: true; dialog: Dialog }
  | { ok: false; status: 481 | 486 | 603; reason: string; dialog?: Dialog };

/**
 * §3 matching against our dialogs (`lookup` by Call-ID, local tag, remote tag):
 *  - no dialog → 481;
 *  - a terminated dialog → 603 Declined (a dialog is normally forgotten once
 *    terminated, so this is mostly 481 in practice);
 *  - an early dialog we did not initiate (we are its UAS) → 481;
 *  - `early-only` and the dialog is confirmed → 486 Busy Here;
 *  - otherwise the dialog (confirmed, or early and initiated by us).
 */
export function matchReplaces(replaces: Replaces, lookup: (callId: string, localTag: string, remoteTag: string) => Dialog | undefined): ReplacesMatch {
  const dialog = lookup(replaces.callId, replaces.toTag, replaces.fromTag);
  if (dialog === undefined) return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
  if (dialog.state === 'terminated') return { ok: false, status: 603, reason: 'Decline', dialog };
  if (dialog.state === 'early' && dialog.role === 'uas') return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist', dialog };
  if (replaces.earlyOnly && dialog.state === 'confirmed') return { ok: false, status: 486, reason: 'Busy Here', dialog };
  return { ok: true, dialog };
}
