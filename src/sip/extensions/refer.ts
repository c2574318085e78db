/**
 * REFER (RFC 3515) headers: Refer-To with the headers embedded in its URI
 * (`<sip:carol@x?Replaces=...>`, URL-encoded, RFC 3261 §19.1.1), and
 * Referred-By (RFC 3892). The REFER's implicit subscription is reported with
 * NOTIFYs built by sipfrag.ts.
 */
import type { RequestOptions } from '../dialog/dialog.js';
import { SipSyntaxError } from '../message/grammar.js';
import { normalizeHeaderName } from '../message/header-names.js';
import type { SipRequest } from '../message/message.js';
import { NameAddr, parseNameAddr } from '../message/name-addr.js';
import { SipUri, type Uri, parseUri } from '../message/uri.js';
import { type Replaces, parseReplaces, serializeReplaces } from './replaces.js';

export interface ReferTo {
  /** The header value as parsed (URI with its embedded headers). */
  address: NameAddr;
  /** The URI to send the triggered request to, without the embedded headers. */
  target: Uri;
  /** Embedded headers, names lower-case (compact forms expanded), values URL-decoded. */
  headers: Map<string, string>;
  /** The `method` URI parameter (§2.4.2 of RFC 3515): the request to send, default INVITE. */
  method: string;
  /** The embedded Replaces (attended transfer), parsed. */
  replaces: Replaces | undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new SipSyntaxError(`bad %-escape in URI header "${s.slice(0, 40)}"`);
  }
}

/** Parse a Refer-To value. Throws SipSyntaxError (the REFER gets 400). */
export function parseReferTo(value: string): ReferTo {
  const address = parseNameAddr(value);
  const uri = address.uri;
  const headers = new Map<string, string>();
  let target: Uri = uri;
  let method = 'INVITE';
  if (uri instanceof SipUri) {
    for (const [k, v] of uri.headers) headers.set(normalizeHeaderName(decode(k)), decode(v));
    const t = uri.clone();
    t.headers.clear();
    const m = t.params.get('method');
    if (m !== undefined && m !== null) method = m.toUpperCase();
    target = t;
  }
  const rep = headers.get('replaces');
  return { address, target, headers, method, replaces: rep === undefined ? undefined : parseReplaces(rep) };
}

/** The single Refer-To of a REFER (RFC 3515 §2.4.1: exactly one, else 400). */
export function readReferTo(request: SipRequest): ReferTo {
  const all = request.getAll('refer-to');
  if (all.length !== 1) throw new SipSyntaxError(all.length === 0 ? 'REFER without Refer-To' : 'more than one Refer-To');
  return parseReferTo(all[0]!);
}

export interface ReferToOptions {
  /** Attended transfer: the dialog the target is to replace (see replacesFor()). */
  replaces?: Replaces;
  /** Other headers to embed (names as they should appear, e.g. 'Referred-By'). */
  headers?: Record<string, string>;
  displayName?: string;
}

/** Build a Refer-To value: the target URI with embedded headers, URL-encoded. */
export function buildReferTo(target: string | Uri, options: ReferToOptions = {}): string {
  const uri = typeof target === 'string' ? parseUri(target) : target;
  const embedded: [string, string][] = [];
  if (options.replaces !== undefined) embedded.push(['Replaces', serializeReplaces(options.replaces)]);
  for (const [k, v] of Object.entries(options.headers ?? {})) embedded.push([k, v]);
  if (embedded.length === 0) return new NameAddr(uri, options.displayName).toString();
  if (!(uri instanceof SipUri)) throw new SipSyntaxError('only SIP URIs carry embedded headers');
  const u = uri.clone();
  // URI headers are written as stored: store them escaped (';', '=', '@' must be).
  for (const [k, v] of embedded) u.headers.set(encodeURIComponent(k), encodeURIComponent(v));
  return new NameAddr(u, options.displayName).toString();
}

export interface ReferredBy {
  address: NameAddr;
  /** The `cid` parameter pointing at an S/MIME body part, if any. */
  cid: string | undefined;
}

export function parseReferredBy(value: string): ReferredBy {
  const address = parseNameAddr(value);
  const cid = address.params.get('cid');
  return { address, cid: cid === null ? undefined : cid };
}

export function buildReferredBy(address: string | NameAddr, cid?: string): string {
  const a = typeof address === 'string' ? parseNameAddr(address) : address.clone();
  a.tag = undefined;
  if (cid !== undefined) a.params.set('cid', cid);
  return a.toString();
}

/** The Referred-By of a request, or undefined when absent or unparseable. */
export function readReferredBy(request: SipRequest): ReferredBy | undefined {
  const v = request.get('referred-by');
  if (v === undefined) return undefined;
  try {
    return parseReferredBy(v);
  } catch {
    return undefined;
  }
}

/** Options for ua.dialogRequest(dialog, 'REFER', ...) (blind transfer, or attended with `replaces`). */
export function referRequestOptions(p: { target: string | Uri; replaces?: Replaces; referredBy?: string | NameAddr; headers?: Record<string, string> }): RequestOptions {
  const headers: Record<string, string> = { 'refer-to': buildReferTo(p.target, p.replaces === undefined ? {} : { replaces: p.replaces }) };
  if (p.referredBy !== undefined) headers['referred-by'] = buildReferredBy(p.referredBy);
  return { headers: { ...headers, ...(p.headers ?? {}) } };
}
