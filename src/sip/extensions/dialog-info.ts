/**
 * The dialog event package's body (RFC 4235 §4): `application/dialog-info+xml`, built and
 * parsed. Used for shared-line / pickup state (a held dialog offered for resumption with
 * Replaces, RFC 3891) and by subscribers in tests.
 *
 * Tag semantics follow RFC 4235 §4.1.1: `local-tag` and `remote-tag` are the notifier's own
 * view. A subscriber that wants to take over the dialog *at the notifier* sends an INVITE with
 * `Replaces: <call-id>;to-tag=<local-tag>;from-tag=<remote-tag>` (see replacesForDialog()).
 *
 * The parser reads only what this package defines (elements, attributes, text); it refuses
 * DOCTYPE/ENTITY declarations (no external entities, no entity expansion) and ignores
 * namespace prefixes, comments and processing instructions.
 */
import { SipSyntaxError } from '../message/grammar.js';
import type { Replaces } from './replaces.js';

export const DIALOG_EVENT = 'dialog';
export const DIALOG_INFO_CONTENT_TYPE = 'application/dialog-info+xml';
export const DIALOG_INFO_NS = 'urn:ietf:params:xml:ns:dialog-info';

export type DialogInfoState = 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';
const STATES: ReadonlySet<string> = new Set(['trying', 'proceeding', 'early', 'confirmed', 'terminated']);

/** A `<param pname pval>` of a `<target>` (RFC 4235 §4.1.6.2), e.g. `+sip.rendering` = `no` (held). */
export interface TargetParam {
  name: string;
  value: string;
}

export interface DialogParticipant {
  /** `<identity>`: the participant's URI. */
  identity?: string;
  /** `display` attribute of `<identity>`. */
  display?: string;
  /** `<target uri>`: the participant's contact. */
  target?: string;
  targetParams?: TargetParam[];
}

export interface DialogInfo {
  /** The `id` attribute: unique within the notifier's document for this dialog. */
  id: string;
  callId?: string;
  /** The notifier's tag (see the module comment). */
  localTag?: string;
  remoteTag?: string;
  /** Whether the notifier's side sent the INVITE ('initiator') or received it ('recipient'). */
  direction?: 'initiator' | 'recipient';
  state: DialogInfoState;
  /** `event` attribute of `<state>` (cancelled, rejected, replaced, local-bye, remote-bye, error, timeout). */
  stateEvent?: string;
  /** `code` attribute of `<state>` (a response status). */
  stateCode?: number;
  /** `<duration>` in seconds. */
  duration?: number;
  /** `<replaces call-id local-tag remote-tag>`: this dialog replaced another. */
  replaces?: { callId: string; localTag: string; remoteTag: string };
  /** `<referred-by>` URI. */
  referredBy?: string;
  local?: DialogParticipant;
  remote?: DialogParticipant;
}

export interface DialogInfoDocument {
  /** Increments with every NOTIFY of a subscription (RFC 4235 §4.1.2), from 0. */
  version: number;
  state: 'full' | 'partial';
  /** The monitored AOR, e.g. `sip:5001@example.com`. */
  entity: string;
  dialogs: DialogInfo[];
}

/** `+sip.rendering="no"` on the local target: the notifier's side holds the dialog (RFC 4235 §4.1.6.2). */
export const HELD_PARAM: TargetParam = { name: '+sip.rendering', value: 'no' };

/** True when the dialog's local target says it is held (`+sip.rendering` = no). */
export function isHeld(d: DialogInfo): boolean {
  return d.local?.targetParams?.some((p) => p.name.toLowerCase() === '+sip.rendering' && p.value.replace(/"/g, '').toLowerCase() === 'no') === true;
}

/** The Replaces a subscriber puts in an INVITE to the notifier to take this dialog over (RFC 3891). */
export function replacesForDialog(d: DialogInfo): Replaces | undefined {
  if (d.callId === undefined || d.localTag === undefined || d.remoteTag === undefined) return undefined;
  return { callId: d.callId, toTag: d.localTag, fromTag: d.remoteTag, earlyOnly: false };
}

// ------------------------------------------------------------------- building
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function attrs(list: [string, string | number | undefined][]): string {
  let out = '';
  for (const [k, v] of list) if (v !== undefined) out += ` ${k}="${esc(String(v))}"`;
  return out;
}

function participant(tag: 'local' | 'remote', p: DialogParticipant | undefined, indent: string): string {
  if (p === undefined || (p.identity === undefined && p.target === undefined)) return '';
  let out = `${indent}<${tag}>\n`;
  if (p.identity !== undefined) out += `${indent}  <identity${attrs([['display', p.display]])}>${esc(p.identity)}</identity>\n`;
  if (p.target !== undefined) {
    const params = p.targetParams ?? [];
    if (params.length === 0) out += `${indent}  <target uri="${esc(p.target)}"/>\n`;
    else {
      out += `${indent}  <target uri="${esc(p.target)}">\n`;
      for (const x of params) out += `${indent}    <param pname="${esc(x.name)}" pval="${esc(x.value)}"/>\n`;
      out += `${indent}  </target>\n`;
    }
  }
  return `${out}${indent}</${tag}>\n`;
}

/** Serialise a dialog-info document (RFC 4235 §4). */
export function buildDialogInfo(doc: DialogInfoDocument): string {
  if (!Number.isInteger(doc.version) || doc.version < 0) throw new RangeError(`invalid version ${doc.version}`);
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<dialog-info xmlns="${DIALOG_INFO_NS}"${attrs([
    ['version', doc.version],
    ['state', doc.state],
    ['entity', doc.entity],
  ])}>\n`;
  for (const d of doc.dialogs) {
    if (d.id === '') throw new RangeError('a dialog needs an id');
    out += `  <dialog${attrs([
      ['id', d.id],
      ['call-id', d.callId],
      ['local-tag', d.localTag],
      ['remote-tag', d.remoteTag],
      ['direction', d.direction],
    ])}>\n`;
    out += `    <state${attrs([
      ['event', d.stateEvent],
      ['code', d.stateCode],
    ])}>${d.state}</state>\n`;
    if (d.duration !== undefined) out += `    <duration>${Math.max(0, Math.floor(d.duration))}</duration>\n`;
    if (d.replaces !== undefined) {
      out += `    <replaces${attrs([
        ['call-id', d.replaces.callId],
        ['local-tag', d.replaces.localTag],
        ['remote-tag', d.replaces.remoteTag],
      ])}/>\n`;
    }
    if (d.referredBy !== undefined) out += `    <referred-by>${esc(d.referredBy)}</referred-by>\n`;
    out += participant('local', d.local, '    ');
    out += participant('remote', d.remote, '    ');
    out += '  </dialog>\n';
  }
  return `${out}</dialog-info>\n`;
}

// -------------------------------------------------------------------- parsing
interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 32;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    if (code > 0x10ffff) throw new SipSyntaxError('bad character reference in dialog-info');
    return String.fromCodePoint(code);
  });
}

/** Local name of a possibly prefixed XML name (`d:dialog` → `dialog`). */
function local(name: string): string {
  const i = name.indexOf(':');
  return i === -1 ? name : name.slice(i + 1);
}

/** A small, strict-enough XML reader for dialog-info bodies. */
function parseXml(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const fail = (why: string): never => {
    throw new SipSyntaxError(`dialog-info: ${why} at offset ${i}`);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt === -1) {
      if (text.slice(i).trim() !== '' && stack.length === 0) fail('text outside the root element');
      if (stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(text.slice(i));
      break;
    }
    if (lt > i) {
      const t = text.slice(i, lt);
      if (stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(t);
      else if (t.trim() !== '') fail('text outside the root element');
    }
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end === -1) fail('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end === -1) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end === -1) fail('unterminated CDATA');
      if (stack.length > 0) stack[stack.length - 1]!.text += text.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', i)) fail('DOCTYPE and entity declarations are not accepted');
    if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      if (end === -1) fail('unterminated end tag');
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== local(name)) fail(`unexpected </${name.slice(0, 32)}>`);
      i = end + 1;
      if (stack.length === 0) root = open;
      continue;
    }
    // Start tag: name, attributes, optional self-closing slash.
    const m = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(i, i + 256));
    if (m === null) fail('bad start tag');
    const el: XmlElement = { name: local(m![1]!), attrs: new Map(), children: [], text: '' };
    i += m![0].length;
    const attrRe = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;
    let selfClosing = false;
    for (;;) {
      while (i < n && /\s/.test(text[i]!)) i++;
      if (text.startsWith('/>', i)) {
        selfClosing = true;
        i += 2;
        break;
      }
      if (text[i] === '>') {
        i += 1;
        break;
      }
      attrRe.lastIndex = i;
      const a = attrRe.exec(text);
      if (a === null) fail('bad attribute');
      const name = a![1]!;
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) el.attrs.set(local(name), decodeEntities(a![3] ?? a![4] ?? ''));
      i = attrRe.lastIndex;
    }
    if (stack.length === 0 && root !== undefined) fail('more than one root element');
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    if (selfClosing) {
      if (stack.length === 0) root = el;
    } else {
      if (stack.length >= MAX_DEPTH) fail('too deeply nested');
      stack.push(el);
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root === undefined) fail('no root element');
  return root!;
}

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

function readParticipant(el: XmlElement | undefined): DialogParticipant | undefined {
  if (el === undefined) return undefined;
  const p: DialogParticipant = {};
  const id = child(el, 'identity');
  if (id !== undefined) {
    p.identity = id.text.trim();
    const display = id.attrs.get('display');
    if (display !== undefined) p.display = display;
  }
  const t = child(el, 'target');
  if (t !== undefined) {
    const uri = t.attrs.get('uri');
    if (uri !== undefined) p.target = uri;
    const params = t.children.filter((c) => c.name === 'param').map((c) => ({ name: c.attrs.get('pname') ?? '', value: c.attrs.get('pval') ?? '' }));
    if (params.length > 0) p.targetParams = params;
  }
  return p;
}

/** Parse a dialog-info body. Throws SipSyntaxError for malformed or foreign documents. */
export function parseDialogInfo(body: string | Buffer): DialogInfoDocument {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const root = parseXml(text);
  if (root.name !== 'dialog-info') throw new SipSyntaxError(`dialog-info: root element is <${root.name.slice(0, 32)}>`);
  const version = Number(root.attrs.get('version'));
  if (!Number.isInteger(version) || version < 0) throw new SipSyntaxError('dialog-info: missing or bad version');
  const state = root.attrs.get('state');
  if (state !== 'full' && state !== 'partial') throw new SipSyntaxError('dialog-info: state must be full or partial');
  const entity = root.attrs.get('entity');
  if (entity === undefined) throw new SipSyntaxError('dialog-info: missing entity');
  const dialogs: DialogInfo[] = [];
  for (const d of root.children.filter((c) => c.name === 'dialog')) {
    const id = d.attrs.get('id');
    if (id === undefined || id === '') throw new SipSyntaxError('dialog-info: a dialog without id');
    const st = child(d, 'state');
    const s = st?.text.trim() ?? '';
    if (!STATES.has(s)) throw new SipSyntaxError(`dialog-info: bad dialog state "${s.slice(0, 16)}"`);
    const info: DialogInfo = { id, state: s as DialogInfoState };
    const callId = d.attrs.get('call-id');
    const lt = d.attrs.get('local-tag');
    const rt = d.attrs.get('remote-tag');
    const dir = d.attrs.get('direction');
    if (callId !== undefined) info.callId = callId;
    if (lt !== undefined) info.localTag = lt;
    if (rt !== undefined) info.remoteTag = rt;
    if (dir === 'initiator' || dir === 'recipient') info.direction = dir;
    const ev = st?.attrs.get('event');
    if (ev !== undefined) info.stateEvent = ev;
    const code = st?.attrs.get('code');
    if (code !== undefined && /^[1-6][0-9]{2}$/.test(code)) info.stateCode = Number(code);
    const dur = child(d, 'duration')?.text.trim();
    if (dur !== undefined && /^[0-9]{1,10}$/.test(dur)) info.duration = Number(dur);
    const rep = child(d, 'replaces');
    if (rep !== undefined) info.replaces = { callId: rep.attrs.get('call-id') ?? '', localTag: rep.attrs.get('local-tag') ?? '', remoteTag: rep.attrs.get('remote-tag') ?? '' };
    const rb = child(d, 'referred-by')?.text.trim();
    if (rb !== undefined) info.referredBy = rb;
    const l = readParticipant(child(d, 'local'));
    const r = readParticipant(child(d, 'remote'));
    if (l !== undefined) info.local = l;
    if (r !== undefined) info.remote = r;
    dialogs.push(info);
  }
  return { version, state, entity, dialogs };
}
