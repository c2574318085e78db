// SDP helpers for the call model: parse/serialize (sdp-transform), direction and hold,
// DVO "PSTN bearer" bodies (RFC 7195 and the c=PSTN E164 form), and a validator for 488.
//
// Direction, PSTN detection and validation are line-based on purpose:
// - sdp-transform silently drops `c=PSTN E164 +1...` (its c= grammar is IN IP4/IP6 only) and
//   parses a numeric o= session id into a JS number (precision loss above 2^53);
// - rewriting a=sendonly line by line leaves every other line byte-for-byte untouched,
//   which matters for bodies we relay rather than generate.
import sdpTransform from 'sdp-transform';

export type SessionDescription = sdpTransform.SessionDescription;
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export function parseSdp(body: string): SessionDescription {
  return sdpTransform.parse(body);
}

export function writeSdp(desc: SessionDescription): string {
  return sdpTransform.write(desc);
}

/** Split into lines (CRLF or LF), dropping trailing empty lines. */
export function sdpLines(body: string): string[] {
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function joinLines(lines: readonly string[]): string {
  return lines.join('\r\n') + '\r\n';
}

interface Sections {
  /** Lines before the first m=. */
  readonly session: string[];
  /** Each m= line followed by its lines. */
  readonly media: string[][];
}

function sections(lines: readonly string[]): Sections {
  const session: string[] = [];
  const media: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) media.push([line]);
    else if (media.length > 0) media[media.length - 1]!.push(line);
    else session.push(line);
  }
  return { session, media };
}

function directionIn(lines: readonly string[]): Direction | undefined {
  let dir: Direction | undefined;
  for (const l of lines) if (l.startsWith('a=') && DIRECTIONS.has(l.slice(2).trim())) dir = l.slice(2).trim() as Direction;
  return dir;
}

function connectionIn(lines: readonly string[]): string | undefined {
  let c: string | undefined;
  for (const l of lines) if (l.startsWith('c=')) c = l.slice(2).trim();
  return c;
}

function isNullAddress(c: string | undefined): boolean {
  if (c === undefined) return false;
  const parts = c.split(/\s+/);
  return parts[0] === 'IN' && parts[1] === 'IP4' && (parts[2] ?? '').split('/')[0] === '0.0.0.0';
}

function mediaPort(mLine: string): number {
  const port = mLine.slice(2).split(/\s+/)[1] ?? '';
  return Number.parseInt(port, 10);
}

function mediaType(mLine: string): string {
  return mLine.slice(2).split(/\s+/)[0] ?? '';
}

/**
 * Effective direction of each m= section, in order: the media-level attribute, else the
 * session-level one, else sendrecv. RFC 2543 hold (c=0.0.0.0) means "send nothing to me":
 * sendrecv becomes sendonly and recvonly becomes inactive. A rejected stream (port 0) is inactive.
 */
export function getDirections(body: string): Direction[] {
  const { session, media } = sections(sdpLines(body));
  const sessionDir = directionIn(session) ?? 'sendrecv';
  const sessionConn = connectionIn(session);
  return media.map((m) => {
    if (mediaPort(m[0]!) === 0) return 'inactive';
    let dir = directionIn(m) ?? sessionDir;
    if (isNullAddress(connectionIn(m) ?? sessionConn)) {
      if (dir === 'sendrecv') dir = 'sendonly';
      else if (dir === 'recvonly') dir = 'inactive';
    }
    return dir;
  });
}

/**
 * Direction of one m= section: by index, or by default the first audio section (else the
 * first section). A body without m= answers the session-level direction.
 */
export function getDirection(body: string, mediaIndex?: number): Direction {
  const dirs = getDirections(body);
  if (dirs.length === 0) {
    const { session } = sections(sdpLines(body));
    return directionIn(session) ?? 'sendrecv';
  }
  return dirs[mediaIndex ?? defaultMediaIndex(body)] ?? 'sendrecv';
}

function defaultMediaIndex(body: string): number {
  const { media } = sections(sdpLines(body));
  const i = media.findIndex((m) => mediaType(m[0]!) === 'audio');
  return i < 0 ? 0 : i;
}

/** True when the offerer puts the (first audio) stream on hold: sendonly, inactive or c=0.0.0.0. */
export function isHoldSdp(body: string, mediaIndex?: number): boolean {
  const d = getDirection(body, mediaIndex);
  return d === 'sendonly' || d === 'inactive';
}

export interface SetDirectionOptions {
  /** Only this m= section (0-based); default all. */
  readonly mediaIndex?: number;
  /** Increment the o= session version (required when we change a body we already sent). */
  readonly bumpVersion?: boolean;
}

/**
 * Rewrite direction attributes: the session-level attribute is removed (pushed down into the
 * m= sections that keep their direction) and each target section gets exactly one a=<dir>.
 * Every other line is left as is. c=0.0.0.0 is not touched.
 */
export function setDirection(body: string, direction: Direction, opts: SetDirectionOptions = {}): string {
  const { session, media } = sections(sdpLines(body));
  const sessionDir = directionIn(session);
  const out: string[] = session.filter((l) => !(l.startsWith('a=') && DIRECTIONS.has(l.slice(2).trim())));
  media.forEach((m, i) => {
    const target = opts.mediaIndex === undefined || opts.mediaIndex === i;
    const own = directionIn(m);
    const dir = target ? direction : (own ?? sessionDir);
    const kept = m.filter((l) => !(l.startsWith('a=') && DIRECTIONS.has(l.slice(2).trim())));
    out.push(...kept);
    if (dir !== undefined) out.push(`a=${dir}`);
  });
  if (media.length === 0) out.push(`a=${direction}`);
  const result = joinLines(out);
  return opts.bumpVersion ? bumpSessionVersion(result) : result;
}

/** o= session version + 1 (as a decimal string, no precision loss). */
export function bumpSessionVersion(body: string): string {
  const lines = sdpLines(body);
  const i = lines.findIndex((l) => l.startsWith('o='));
  if (i < 0) return body;
  const f = lines[i]!.slice(2).split(' ');
  if (f.length !== 6 || !/^\d+$/.test(f[2]!)) return body;
  f[2] = (BigInt(f[2]!) + 1n).toString();
  lines[i] = 'o=' + f.join(' ');
  return joinLines(lines);
}

// ---- PSTN bearer (DVO / RFC 7195) ---------------------------------------------------------

export type PstnSetup = 'active' | 'passive' | 'actpass' | 'holdconn';
export type CsCorrelationMech = 'callerid' | 'uuie' | 'dtmf' | 'external';

export interface PstnBearer {
  /** E.164 number from `c=PSTN E164 <number>` (media-level first); undefined for `-`. */
  readonly number: string | undefined;
  /** a=setup (RFC 4145 / 7195): who sets up the circuit-switched call. */
  readonly setup: PstnSetup | undefined;
  /** a=connection:new|existing. */
  readonly connection: 'new' | 'existing' | undefined;
  /** An RFC 7195 m= line (`m=audio 9 PSTN -`) is present. */
  readonly rfc7195Media: boolean;
  /** a=cs-correlation mechanisms; value '' when offered without a value. */
  readonly correlation: Readonly<Partial<Record<CsCorrelationMech, string>>>;
}

const PSTN_C = /^c=PSTN\s+(\S+)\s+(\S+)\s*$/;
const PSTN_M = /^m=\S+\s+\d+(?:\/\d+)?\s+PSTN\b/;

/** True for any body carrying a PSTN bearer (c=PSTN ... or an m= line with proto PSTN). */
export function isPstnSdp(body: string): boolean {
  return /^(?:c=PSTN\b|m=\S+\s+\d+(?:\/\d+)?\s+PSTN\b)/m.test(body);
}

/** Detect and read a PSTN-bearer body; undefined for ordinary IP media. */
export function detectPstnBearer(body: string): PstnBearer | undefined {
  if (!isPstnSdp(body)) return undefined;
  const lines = sdpLines(body);
  let number: string | undefined;
  let numberFromMedia = false;
  let inMedia = false;
  let setup: PstnSetup | undefined;
  let connection: 'new' | 'existing' | undefined;
  let rfc7195Media = false;
  const correlation: Partial<Record<CsCorrelationMech, string>> = {};
  for (const line of lines) {
    if (line.startsWith('m=')) {
      inMedia = true;
      if (PSTN_M.test(line)) rfc7195Media = true;
      continue;
    }
    const c = PSTN_C.exec(line);
    if (c) {
      // RFC 7195: addrtype E164 with an E.164 number or "-" (not known / not disclosed).
      const addr = c[2]!;
      if (!numberFromMedia || inMedia) {
        number = c[1] === 'E164' && addr !== '-' ? addr : undefined;
        numberFromMedia = inMedia;
      }
      continue;
    }
    if (line.startsWith('a=setup:')) {
      const v = line.slice(8).trim();
      if (v === 'active' || v === 'passive' || v === 'actpass' || v === 'holdconn') setup = v;
    } else if (line.startsWith('a=connection:')) {
      const v = line.slice(13).trim();
      if (v === 'new' || v === 'existing') connection = v;
    } else if (line.startsWith('a=cs-correlation:')) {
      for (const mech of line.slice(17).trim().split(/\s+/)) {
        const colon = mech.indexOf(':');
        const name = colon < 0 ? mech : mech.slice(0, colon);
        const value = colon < 0 ? '' : mech.slice(colon + 1);
        if (name === 'callerid' || name === 'uuie' || name === 'dtmf' || name === 'external') correlation[name] = value;
      }
    }
  }
  return { number, setup, connection, rfc7195Media, correlation };
}

export interface BuildPstnSdpParams {
  /** E.164 with leading '+', e.g. +14085551234. */
  readonly number: string;
  readonly setup: 'active' | 'passive';
  readonly sessionVersion: number | bigint | string;
  /** Default: same as sessionVersion's first value would be; pass a stable id per dialog. */
  readonly sessionId?: number | bigint | string;
  /** o= address (default 127.0.0.1). */
  readonly originAddress?: string;
  readonly connection?: 'new' | 'existing';
  /** Adds a=cs-correlation:callerid:<value> (RFC 7195 §5.2.3). */
  readonly correlationCallerId?: string;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const DIGITS = /^\d+$/;
/**
 * DVO-01 / D-41: the number in `c=PSTN E164` is any string of dialable characters
 * (clients send local forms such as 4085551234); RFC 7195's stricter syntax is not enforced.
 */
const DIALABLE = /^\+?[0-9*#A-Da-d]{1,24}$/;

/**
 * A 183/200 body announcing a PSTN bearer:
 * v=0 / o=- <id> <ver> IN IP4 <addr> / s=- / c=PSTN E164 <number> / t=0 0 /
 * m=audio 9 PSTN - / a=setup:<x> / a=connection:new
 */
export function buildPstnSdp(p: BuildPstnSdpParams): string {
  if (!E164.test(p.number)) throw new Error(`buildPstnSdp: not an E.164 number: ${p.number}`);
  const ver = String(p.sessionVersion);
  const id = String(p.sessionId ?? p.sessionVersion);
  if (!DIGITS.test(ver) || !DIGITS.test(id)) throw new Error('buildPstnSdp: session id and version must be decimal integers');
  const addr = p.originAddress ?? '127.0.0.1';
  const ipVer = addr.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${id} ${ver} IN ${ipVer} ${addr}`,
    's=-',
    `c=PSTN E164 ${p.number}`,
    't=0 0',
    'm=audio 9 PSTN -',
    `a=setup:${p.setup}`,
    `a=connection:${p.connection ?? 'new'}`,
  ];
  if (p.correlationCallerId !== undefined) lines.push(`a=cs-correlation:callerid:${p.correlationCallerId}`);
  return joinLines(lines);
}

// ---- validation ---------------------------------------------------------------------------

export type SdpValidation = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const TYPE_LETTERS = new Set(['v', 'o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a', 'm']);
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const PROTO = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+(?:\/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)*$/;
const MAX_SDP_BYTES = 64 * 1024;

function validIp4(a: string): boolean {
  const host = a.split('/')[0]!;
  if (/^[\d.]+$/.test(host)) {
    const o = host.split('.');
    return o.length === 4 && o.every((x) => x !== '' && x.length <= 3 && Number(x) <= 255);
  }
  return /^[A-Za-z0-9.-]+$/.test(host); // FQDN is allowed by RFC 4566
}

function validConnection(value: string): string | undefined {
  const f = value.split(' ');
  if (f.length !== 3) return `bad c= line "c=${value}"`;
  const [net, type, addr] = f as [string, string, string];
  if (net === 'IN') {
    if (type === 'IP4') return validIp4(addr) ? undefined : `bad IPv4 address in c=: ${addr}`;
    if (type === 'IP6') return /^[0-9A-Fa-f:.]+(?:\/\d+)?$/.test(addr) && addr.includes(':') ? undefined : `bad IPv6 address in c=: ${addr}`;
    return `unknown address type in c=: ${type}`;
  }
  if (net === 'PSTN') {
    if (type !== 'E164') return `unknown PSTN address type in c=: ${type}`;
    return addr === '-' || DIALABLE.test(addr) ? undefined : `bad number in c=PSTN E164: ${addr}`;
  }
  return `unknown network type in c=: ${net}`;
}

/**
 * Structural check of an SDP body (so the server can answer 488 instead of relaying garbage):
 * v=0 first, a well-formed o=, at least one well-formed m=, every line "<letter>=<value>"
 * with a known type letter, valid c= lines, and a connection for every active m= section.
 * Deliberately lenient about s= and t= (many devices get them wrong and media still works).
 */
export function validateSdp(body: string): SdpValidation {
  if (typeof body !== 'string' || body.trim() === '') return { ok: false, reason: 'empty body' };
  if (Buffer.byteLength(body) > MAX_SDP_BYTES) return { ok: false, reason: 'body too large' };
  const lines = sdpLines(body);
  if (lines[0] !== 'v=0') return { ok: false, reason: 'first line is not v=0' };
  let sawO = false;
  let sessionConn = false;
  let media = 0;
  let mediaNeedsConn = false;
  let mediaHasConn = false;
  const closeMedia = (): string | undefined =>
    media > 0 && mediaNeedsConn && !mediaHasConn && !sessionConn ? `m= section ${media} has no c= line` : undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length < 2 || line[1] !== '=') return { ok: false, reason: `line ${i + 1} is not <type>=<value>` };
    const type = line[0]!;
    if (!TYPE_LETTERS.has(type)) return { ok: false, reason: `unknown line type "${type}=" at line ${i + 1}` };
    if (/[\0\r]/.test(line)) return { ok: false, reason: `control character in line ${i + 1}` };
    const value = line.slice(2);
    switch (type) {
      case 'v':
        if (i !== 0) return { ok: false, reason: 'repeated v= line' };
        break;
      case 'o': {
        if (sawO || media > 0) return { ok: false, reason: 'misplaced or repeated o= line' };
        sawO = true;
        const f = value.split(' ');
        if (f.length !== 6 || f.some((x) => x === '')) return { ok: false, reason: 'o= needs 6 fields' };
        if (!DIGITS.test(f[1]!) || !DIGITS.test(f[2]!)) return { ok: false, reason: 'o= session id/version not numeric' };
        break;
      }
      case 'c': {
        const err = validConnection(value);
        if (err) return { ok: false, reason: err };
        if (media === 0) sessionConn = true;
        else mediaHasConn = true;
        break;
      }
      case 'm': {
        const err = closeMedia();
        if (err) return { ok: false, reason: err };
        media++;
        mediaHasConn = false;
        const f = value.split(' ');
        if (f.length < 4) return { ok: false, reason: `m= line ${media} needs media, port, proto and a format` };
        const [mt, port, proto] = f as [string, string, string];
        if (!TOKEN.test(mt)) return { ok: false, reason: `bad media type in m= line ${media}` };
        const pm = /^(\d{1,5})(?:\/(\d+))?$/.exec(port);
        if (!pm || Number(pm[1]) > 65535) return { ok: false, reason: `bad port in m= line ${media}` };
        if (!PROTO.test(proto)) return { ok: false, reason: `bad proto in m= line ${media}` };
        if (f.slice(3).some((x) => x === '' || !TOKEN.test(x))) return { ok: false, reason: `bad format list in m= line ${media}` };
        mediaNeedsConn = Number(pm[1]) !== 0;
        break;
      }
      default:
        break;
    }
  }
  if (!sawO) return { ok: false, reason: 'missing o= line' };
  if (media === 0) return { ok: false, reason: 'no m= line' };
  const err = closeMedia();
  if (err) return { ok: false, reason: err };
  return { ok: true };
}

export function isValidSdp(body: string): boolean {
  return validateSdp(body).ok;
}
