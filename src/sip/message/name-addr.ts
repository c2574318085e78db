/**
 * name-addr / addr-spec headers: From, To, Contact, Route, Record-Route,
 * Refer-To, Referred-By, P-Asserted-Identity (RFC 3261 §20.10, §25.1).
 */
import { type Params, SipSyntaxError, parseParams, quote, readQuoted, serializeParams } from './grammar.js';
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
    let s = '';
    if (this.displayName !== undefined && this.displayName !== '') s += `${quote(this.displayName)} `;
    return `${s}<${this.uri.toString()}>${serializeParams(this.params)}`;
  }
}

/** Parse a single name-addr or addr-spec (with header parameters). */
export function parseNameAddr(text: string): NameAddr {
  const s = text.trim();
  if (s === '') throw new SipSyntaxError('empty address');
  let i = 0;
  let displayName: string | undefined;
  if (s[0] === '"') {
    const q = readQuoted(s, 0);
    displayName = q.value;
    i = q.end;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '<') throw new SipSyntaxError('display name not followed by <URI>');
  }
  const lt = s.indexOf('<', i);
  if (lt !== -1) {
    if (displayName === undefined) {
      const dn = s.slice(0, lt).trim();
      if (dn !== '') {
        if (!/^[A-Za-z0-9\-.!%*_+`'~ \t]+$/.test(dn)) throw new SipSyntaxError(`invalid display name "${dn.slice(0, 32)}"`);
        displayName = dn.replace(/[ \t]+/g, ' ');
      }
    }
    const gt = s.indexOf('>', lt);
    if (gt === -1) throw new SipSyntaxError('missing > in address');
    const uriText = s.slice(lt + 1, gt);
    if (/\s/.test(uriText)) throw new SipSyntaxError('whitespace inside <URI>');
    const uri = parseUri(uriText);
    return new NameAddr(uri, displayName, parseParams(s.slice(gt + 1)));
  }
  // addr-spec: the URI cannot carry ;params or ?headers of its own (RFC 3261 §20.10),
  // everything after the first ';' belongs to the header.
  const semi = s.indexOf(';');
  const uriText = semi === -1 ? s : s.slice(0, semi);
  if (/[\s?]/.test(uriText)) throw new SipSyntaxError('addr-spec with whitespace or headers must use <>');
  const uri = parseUri(uriText);
  return new NameAddr(uri, undefined, parseParams(semi === -1 ? '' : s.slice(semi)), true);
}
