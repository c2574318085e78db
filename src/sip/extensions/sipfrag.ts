/**
 * message/sipfrag bodies (RFC 3420) as REFER progress reports (RFC 3515 §2.4.4):
 * NOTIFY with `Event: refer`, `Subscription-State` and a body that is the status
 * line of the response the referred request got, e.g. "SIP/2.0 200 OK". Also the
 * Event and Subscription-State headers (RFC 6665) those NOTIFYs carry.
 */
import type { RequestOptions } from '../dialog/dialog.js';
import { type Params, SipSyntaxError, isToken, parseParams, serializeParams } from '../message/grammar.js';
import { reasonPhrase } from '../message/response.js';

export const SIPFRAG_CONTENT_TYPE = 'message/sipfrag;version=2.0';

/** A status-line fragment: "SIP/2.0 180 Ringing\r\n". */
export function buildSipFrag(status: number, reason?: string): string {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`invalid status ${status}`);
  return `SIP/2.0 ${status} ${reason ?? reasonPhrase(status)}\r\n`;
}

/** The status line of a sipfrag body; undefined when it does not start with one (e.g. a request fragment). */
export function parseSipFrag(body: string | Buffer): { status: number; reason: string } | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const line = text.replace(/^\s+/, '').split(/\r?\n/, 1)[0] ?? '';
  const m = /^SIP\/2\.0[ \t]+([1-6][0-9]{2})(?:[ \t]+(.*))?$/i.exec(line.trimEnd());
  if (m === null) return undefined;
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() };
}

export interface SubscriptionState {
  /** active, pending, terminated (or an extension value), lower case. */
  state: string;
  expires?: number;
  reason?: string;
  retryAfter?: number;
  /** Other parameters. */
  params?: Params;
}

function intParam(params: Params, name: string): number | undefined {
  const v = params.get(name);
  if (v === undefined || v === null) return undefined;
  if (!/^[0-9]{1,10}$/.test(v)) throw new SipSyntaxError(`invalid ${name} "${v.slice(0, 16)}"`);
  return Number(v);
}

export function parseSubscriptionState(value: string): SubscriptionState {
  const v = value.trim();
  const semi = v.indexOf(';');
  const state = (semi === -1 ? v : v.slice(0, semi)).trim().toLowerCase();
  if (!isToken(state)) throw new SipSyntaxError(`invalid Subscription-State "${state.slice(0, 16)}"`);
  const params = parseParams(semi === -1 ? '' : v.slice(semi));
  const out: SubscriptionState = { state };
  const expires = intParam(params, 'expires');
  const retryAfter = intParam(params, 'retry-after');
  const reason = params.get('reason');
  if (expires !== undefined) out.expires = expires;
  if (retryAfter !== undefined) out.retryAfter = retryAfter;
  if (reason !== undefined && reason !== null) out.reason = reason.toLowerCase();
  params.delete('expires');
  params.delete('retry-after');
  params.delete('reason');
  if (params.size > 0) out.params = params;
  return out;
}

export function serializeSubscriptionState(s: SubscriptionState): string {
  let out = s.state;
  if (s.reason !== undefined) out += `;reason=${s.reason}`;
  if (s.expires !== undefined) out += `;expires=${s.expires}`;
  if (s.retryAfter !== undefined) out += `;retry-after=${s.retryAfter}`;
  if (s.params !== undefined) out += serializeParams(s.params);
  return out;
}

export interface EventHeader {
  /** Event package, lower case ('refer'). */
  event: string;
  /** The `id` parameter (RFC 3515: the CSeq of the REFER, for the second and later REFERs in a dialog). */
  id: string | undefined;
  params: Params;
}

export function parseEvent(value: string): EventHeader {
  const v = value.trim();
  const semi = v.indexOf(';');
  const event = (semi === -1 ? v : v.slice(0, semi)).trim().toLowerCase();
  if (event === '' || !/^[a-z0-9\-.!%*_+`'~]+$/.test(event)) throw new SipSyntaxError(`invalid Event "${event.slice(0, 16)}"`);
  const params = parseParams(semi === -1 ? '' : v.slice(semi));
  const id = params.get('id');
  return { event, id: id === undefined || id === null ? undefined : id, params };
}

export interface ReferNotifyParams {
  /** Status of the response the referred request got (100 while trying). */
  status: number;
  reason?: string;
  /** Ends the subscription; default: status >= 200 (a final response ends it). */
  terminated?: boolean;
  /** Seconds left on an active subscription. Default 60. */
  expires?: number;
  /** Reason when terminated. Default 'noresource' (RFC 3515 §2.4.7). */
  terminatedReason?: string;
  /** CSeq number of the REFER, for `Event: refer;id=N` (needed when a dialog saw more than one REFER). */
  id?: number;
}

/** Options for ua.dialogRequest(dialog, 'NOTIFY', ...) reporting REFER progress. */
export function referNotifyOptions(p: ReferNotifyParams): RequestOptions {
  const terminated = p.terminated ?? p.status >= 200;
  const state: SubscriptionState = terminated ? { state: 'terminated', reason: p.terminatedReason ?? 'noresource' } : { state: 'active', expires: p.expires ?? 60 };
  return {
    headers: {
      event: p.id === undefined ? 'refer' : `refer;id=${p.id}`,
      'subscription-state': serializeSubscriptionState(state),
    },
    body: buildSipFrag(p.status, p.reason),
    contentType: SIPFRAG_CONTENT_TYPE,
  };
}
