/**
 * name-addr / addr-spec headers: From, To, Contact, Route, Record-Route,
 * Refer-To, Referred-By, P-Asserted-Identity (RFC 3261 §20.10, §25.1).
 */
import { type Params, SipSyntaxError, TOKEN_CHARS, parseParams, quote, readQuoted, serializeParams } from './grammar.js';
import { type Uri, parseUri } from './uri.js';

export class NameAddr {
  constructor(
    public uri: Uri,
    public displayName: string | undefined = undefined,
    public params: Params = new Map(),
    /** true when written without <> (addr-spec); we always serialise with <>. */
    public bare = false,
  ) {}

  get tag(): string | undefined {
    return this.params.get('tag') ?? undefined;
  }
  set tag(value: string | undefined) {
    if (value === undefined) this.params.delete('tag');
    else this.params.set('tag', value);
  }

  clone(): NameAddr {
    return parseNameAddr(this.toString());
  }

  toString(): string {
    const params = this.params.size === 0 ? '' : serializeParams(this.params);
    if (this.displayName !== undefined && this.displayName !== '') return `${quote(this.displayName)} <${this.uri.toString()}>${params}`;
    return `<${this.uri.toString()}>${params}`;
  }
}

/** Parse a single name-addr or addr-spec (with header parameters). */
export function parseNameAddr(text: string): NameAddr {
  const s = text;
  let i = 0;
  let end = s.length;
  let c = 0;
  while (i < end && ((c = s.charCodeAt(i)) === 32 || c === 9)) i++;
  while (end > i && ((c = s.charCodeAt(end - 1)) === 32 || c === 9 || c === 13 || c === 10)) end--;
  if (i >= end) throw new SipSyntaxError('empty address');
  let displayName: string | undefined;
  c = s.charCodeAt(i);
  if (c === 34 /* " */) {
    const q = readQuoted(s, i);
    displayName = q.value;
    i = q.end;
    while (i < end && ((c = s.charCodeAt(i)) === 32 || c === 9)) i++;
    if (i >= end || c !== 60) throw new SipSyntaxError('display name not followed by <URI>');
    return angle(s, i, end, displayName);
  }
  if (c === 60 /* < */) return angle(s, i, end, undefined);
  const lt = s.indexOf('<', i);
  if (lt !== -1 && lt < end) {
    // Unquoted display name: tokens separated by LWS, collapsed to single spaces.
    let dn = '';
    let word = -1;
    for (let k = i; k < lt; k++) {
      const ch = s.charCodeAt(k);
      if (ch === 32 || ch === 9) {
        if (word !== -1) {
          dn += dn === '' ? s.slice(word, k) : ` ${s.slice(word, k)}`;
          word = -1;
        }
      } else if (ch < 128 && TOKEN_CHARS[ch] === 1) {
        if (word === -1) word = k;
      } else throw new SipSyntaxError(`invalid display name "${clip(s.slice(i, lt))}"`);
    }
    if (word !== -1) dn += dn === '' ? s.slice(word, lt) : ` ${s.slice(word, lt)}`;
    return angle(s, lt, end, dn === '' ? undefined : dn);
  }
  // addr-spec: the URI cannot carry ;params or ?headers of its own (RFC 3261 §20.10),
  // everything after the first ';' belongs to the header.
  let semi = s.indexOf(';', i);
  if (semi >= end) semi = -1;
  let ue = semi === -1 ? end : semi;
  while (ue > i && ((c = s.charCodeAt(ue - 1)) === 32 || c === 9)) ue--;
  // (whitespace inside is refused by parseUri; RFC 4475 regbadct: headers need <>)
  const q = s.indexOf('?', i);
  if (q !== -1 && q < ue) throw new SipSyntaxError('addr-spec with URI headers must use <>');
  const uri = parseUri(i === 0 && ue === s.length ? s : s.slice(i, ue));
  return new NameAddr(uri, undefined, semi === -1 ? new Map<string, string | null>() : parseParams(s.slice(semi, end)), true);
}

/** `<URI>` starting at s[lt] === '<', then header parameters up to `end`. */
function angle(s: string, lt: number, end: number, displayName: string | undefined): NameAddr {
  const gt = s.indexOf('>', lt);
  if (gt === -1 || gt >= end) throw new SipSyntaxError('missing > in address');
  // parseUri refuses whitespace anywhere in a URI (RFC 4475 badaspec: "< sip:... >").
  const uri = parseUri(s.slice(lt + 1, gt));
  const params = gt + 1 >= end ? new Map<string, string | null>() : parseParams(s.slice(gt + 1, end));
  return new NameAddr(uri, displayName, params);
}

function clip(s: string): string {
  return s.length > 32 ? `${s.slice(0, 32)}…` : s;
}
