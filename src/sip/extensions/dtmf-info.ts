/**
 * DTMF in INFO requests (RFC 6086 as used by gateways): the two de-facto body
 * formats, `application/dtmf-relay` ("Signal=5\r\nDuration=160\r\n", duration in
 * ms) and `application/dtmf` (the digit alone).
 */
import type { RequestOptions } from '../dialog/dialog.js';
import { SipSyntaxError } from '../message/grammar.js';

export const DTMF_RELAY_CONTENT_TYPE = 'application/dtmf-relay';
export const DTMF_CONTENT_TYPE = 'application/dtmf';
/** Used when a body gives no duration (application/dtmf never does). */
export const DEFAULT_DTMF_DURATION_MS = 250;

export interface DtmfEvent {
  /** 0-9, *, #, A-D (upper case). */
  digit: string;
  durationMs: number;
}

/** RFC 4733 event codes 0-15, which some senders put in Signal= instead of the character. */
const EVENT_CODES = '0123456789*#ABCD';

function normalizeDigit(raw: string): string {
  const t = raw.trim().toUpperCase();
  if (t.length === 1 && EVENT_CODES.includes(t)) return t;
  if (/^[0-9]{1,2}$/.test(t)) {
    const code = Number(t);
    if (code < 16) return EVENT_CODES[code]!;
  }
  throw new SipSyntaxError(`invalid DTMF signal "${t.slice(0, 8)}"`);
}

function normalizeDuration(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const t = raw.trim();
  if (!/^[0-9]{1,6}$/.test(t) || Number(t) === 0) throw new SipSyntaxError(`invalid DTMF duration "${t.slice(0, 8)}"`);
  return Number(t);
}

function text(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** `Signal=5\r\nDuration=160` (keys case-insensitive, any line ending, spaces tolerated). */
export function parseDtmfRelay(body: string | Buffer, defaultDurationMs = DEFAULT_DTMF_DURATION_MS): DtmfEvent {
  let signal: string | undefined;
  let duration: string | undefined;
  for (const line of text(body).split(/\r\n|\r|\n/)) {
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1);
    if (key === 'signal') signal = value;
    else if (key === 'duration') duration = value;
  }
  if (signal === undefined) throw new SipSyntaxError('dtmf-relay body without Signal');
  return { digit: normalizeDigit(signal), durationMs: normalizeDuration(duration, defaultDurationMs) };
}

/** `application/dtmf`: the digit alone. */
export function parseDtmf(body: string | Buffer, defaultDurationMs = DEFAULT_DTMF_DURATION_MS): DtmfEvent {
  const t = text(body).trim();
  if (t === '') throw new SipSyntaxError('empty application/dtmf body');
  return { digit: normalizeDigit(t), durationMs: defaultDurationMs };
}

/**
 * The DTMF event of an INFO by its Content-Type; undefined for other content
 * types and for malformed bodies (answer such an INFO 415/400 as you see fit).
 */
export function parseDtmfInfo(contentType: string | undefined, body: string | Buffer, defaultDurationMs = DEFAULT_DTMF_DURATION_MS): DtmfEvent | undefined {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  try {
    if (type === DTMF_RELAY_CONTENT_TYPE) return parseDtmfRelay(body, defaultDurationMs);
    if (type === DTMF_CONTENT_TYPE) return parseDtmf(body, defaultDurationMs);
  } catch {
    return undefined;
  }
  return undefined;
}

export function buildDtmfRelay(e: DtmfEvent): string {
  return `Signal=${normalizeDigit(e.digit)}\r\nDuration=${normalizeDuration(String(Math.round(e.durationMs)), DEFAULT_DTMF_DURATION_MS)}\r\n`;
}

export function buildDtmf(e: Pick<DtmfEvent, 'digit'>): string {
  return normalizeDigit(e.digit);
}

/** Options for ua.dialogRequest(dialog, 'INFO', ...). */
export function dtmfInfoOptions(e: DtmfEvent, format: 'dtmf-relay' | 'dtmf' = 'dtmf-relay'): RequestOptions {
  return format === 'dtmf-relay'
    ? { body: buildDtmfRelay(e), contentType: DTMF_RELAY_CONTENT_TYPE }
    : { body: buildDtmf(e), contentType: DTMF_CONTENT_TYPE };
}
