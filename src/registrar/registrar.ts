/**
 * Registrar and location service (RFC 3261 §10.3): REGISTER with digest
 * authentication, several contacts per AOR with expiry and q-values, wildcard
 * unregister, Min-Expires (423). Each binding keeps the flow it arrived on, so
 * calls reach phones behind NAT and browser (WebSocket) clients.
 */
import type { DigestServer } from '../sip/auth/digest-server.js';
import type { AuthLockout } from '../sip/auth/lockout.js';
import { type Params, serializeParams } from '../sip/message/grammar.js';
import type { SipRequest } from '../sip/message/message.js';
import { createResponse } from '../sip/message/response.js';
import { SipUri, uriUserDigits, unescapeUriPart } from '../sip/message/uri.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { Flow } from '../sip/transport/types.js';
import type { Binding, BindingStore } from './binding-store.js';

export interface RegistrarDirectory {
  ha1(username: string, realm: string, hash: 'MD5' | 'SHA-256'): string | undefined;
  /** May the authenticated `username` register contacts for this AOR (user part)? */
  mayRegister(username: string, aorUser: string): boolean;
}

export interface RegistrarSettings {
  minExpiresS: number;
  maxExpiresS: number;
  defaultExpiresS: number;
  maxContactsPerAor: number;
}

export interface RegistrarEvents {
  onRegistered?(aor: string, binding: Binding): void;
  onAuthFailure?(ip: string, username: string | undefined, reason: string): void;
}

export class Registrar {
  constructor(
    private readonly store: BindingStore,
    private readonly directory: RegistrarDirectory,
    private readonly digest: DigestServer,
    private readonly lockout: AuthLockout,
    private readonly settings: RegistrarSettings,
    private readonly events: RegistrarEvents = {},
  ) {}

  /** Current contacts of an AOR (user part), best q first, expired ones dropped. */
  lookup(aorUser: string, now = Date.now()): Binding[] {
    return this.store
      .list(aorUser)
      .filter((b) => b.expiresAt > now)
      .sort((x, y) => y.q - x.q);
  }

  handle(req: SipRequest, tx: ServerTransaction, flow: Flow): void {
    const aorUser = aorOf(req);
    if (aorUser === undefined) {
      tx.respond(createResponse(req, 404, 'Not Found - To URI has no user part'));
      return;
    }
    const credentials = req.getAll('authorization');
    const pre = this.lockout.check(flow.remoteAddress);
    if (pre.locked) {
      tx.respond(createResponse(req, 403, 'Forbidden'));
      return;
    }
    const result = this.digest.verify({
      method: 'REGISTER',
      credentialsValue: credentials.length > 0 ? credentials : undefined,
      lookupHa1: (u, realm, hash) => this.directory.ha1(u, realm, hash),
    });
    if (!result.ok) {
      if (result.reason !== 'missing' && !result.stale) {
        this.lockout.recordFailure(flow.remoteAddress, result.username);
        this.events.onAuthFailure?.(flow.remoteAddress, result.username, result.reason);
      }
      const res = createResponse(req, 401);
      res.set('www-authenticate', result.challenge);
      tx.respond(res);
      return;
    }
    if (this.lockout.check(flow.remoteAddress, result.username).locked) {
      tx.respond(createResponse(req, 403, 'Forbidden'));
      return;
    }
    if (!this.directory.mayRegister(result.username, aorUser)) {
      this.lockout.recordFailure(flow.remoteAddress, result.username);
      tx.respond(createResponse(req, 403, 'Forbidden - not allowed to register this address'));
      return;
    }
    this.lockout.recordSuccess(flow.remoteAddress, result.username);
    this.update(req, tx, flow, aorUser);
  }

  private update(req: SipRequest, tx: ServerTransaction, flow: Flow, aorUser: string): void {
    const now = Date.now();
    const contacts = req.contacts;
    const headerExpires = parseExpires(req.get('expires'));
    const callId = req.callId;
    const cseq = req.cseq.seq;
    if (contacts === '*') {
      // §10.3 step 6: "*" only with Expires: 0 and alone.
      if (headerExpires !== 0 || req.getAll('contact').length > 1) {
        tx.respond(createResponse(req, 400, 'Bad Request - wildcard Contact needs Expires: 0'));
        return;
      }
      this.store.removeAll(aorUser);
      tx.respond(this.ok(req, aorUser, now));
      return;
    }
    for (const c of contacts) {
      const e = parseExpires(c.params.get('expires') ?? undefined) ?? headerExpires ?? this.settings.defaultExpiresS;
      if (e !== 0 && e < this.settings.minExpiresS) {
        const res = createResponse(req, 423);
        res.set('min-expires', String(this.settings.minExpiresS));
        tx.respond(res);
        return;
      }
    }
    for (const c of contacts) {
      const uri = c.uri.toString();
      const existing = this.store.list(aorUser).find((b) => b.contact === uri);
      // §10.3 step 7: same Call-ID with an older CSeq is out of order.
      if (existing !== undefined && existing.callId === callId && existing.cseq > cseq) continue;
      const e = Math.min(parseExpires(c.params.get('expires') ?? undefined) ?? headerExpires ?? this.settings.defaultExpiresS, this.settings.maxExpiresS);
      if (e === 0) {
        this.store.remove(aorUser, uri);
        continue;
      }
      const q = Number(c.params.get('q') ?? '1');
      const ext = contactExtensions(c.params);
      // RFC 5626 §6 / RFC 5627: a new contact of the same instance (and reg-id) replaces the old flow.
      if (ext.instance !== undefined) {
        for (const b of this.store.list(aorUser)) {
          if (b.contact !== uri && b.instance === ext.instance && b.regId === ext.regId) this.store.remove(aorUser, b.contact);
        }
      }
      const binding: Binding = {
        aor: aorUser,
        contact: uri,
        expiresAt: now + e * 1000,
        q: Number.isFinite(q) ? q : 1,
        callId,
        cseq,
        flow: { protocol: flow.protocol, address: flow.remoteAddress, port: flow.remotePort, ...(flow.connectionId !== undefined ? { connectionId: flow.connectionId } : {}) },
        ...(ext.instance !== undefined ? { instance: ext.instance } : {}),
        ...(ext.regId !== undefined ? { regId: ext.regId } : {}),
        ...(req.get('user-agent') !== undefined ? { userAgent: req.get('user-agent')! } : {}),
        params: ext.params,
      };
      const current = this.store.list(aorUser);
      if (existing === undefined && current.length >= this.settings.maxContactsPerAor) {
        // Replace the binding closest to expiry rather than refusing the phone.
        const oldest = current.reduce((a, b) => (a.expiresAt < b.expiresAt ? a : b));
        this.store.remove(aorUser, oldest.contact);
      }
      this.store.put(binding);
      this.events.onRegistered?.(aorUser, binding);
    }
    tx.respond(this.ok(req, aorUser, now));
  }

  private ok(req: SipRequest, aorUser: string, now: number) {
    const res = createResponse(req, 200);
    const bindings = this.lookup(aorUser, now);
    if (bindings.length > 0) res.set('contact', bindings.map((b) => contactValue(b, now)));
    res.set('date', new Date(now).toUTCString());
    return res;
  }
}

/** The parameters a binding keeps from its Contact (everything but `expires`). */
export function contactExtensions(params: Params): { params: Record<string, string | null>; instance?: string; regId?: number } {
  // Object.fromEntries defines own properties: a parameter named "__proto__" stays a name.
  const kept = Object.fromEntries([...params].filter(([k]) => k.toLowerCase() !== 'expires')) as Record<string, string | null>;
  const out: { params: Record<string, string | null>; instance?: string; regId?: number } = { params: kept };
  for (const [k, v] of params) {
    const name = k.toLowerCase();
    if (name === '+sip.instance' && v !== null && v !== '') out.instance = v;
    else if (name === 'reg-id' && v !== null && /^[0-9]{1,9}$/.test(v)) out.regId = Number(v);
  }
  return out;
}

/**
 * A Contact of the 200 OK (§10.3 step 8): the binding's URI with the parameters it was
 * registered with and the time it has left. Feature tags (`+name`, RFC 3840) get their
 * value quoted again, e.g. `+sip.instance="<urn:uuid:...>"`, `+mobility-inbound="snr"`.
 */
export function contactValue(b: Binding, now: number): string {
  let out = `<${b.contact}>`;
  for (const [k, v] of Object.entries(b.params ?? {})) {
    if (v === null) out += `;${k}`;
    else if (k.startsWith('+')) out += `;${k}="${v.replace(/(["\\])/g, '\\$1')}"`;
    else out += serializeParams(new Map([[k, v]]));
  }
  return `${out};expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`;
}

function parseExpires(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^[0-9]{1,10}$/.test(t)) return undefined;
  return Number(t);
}

/** The AOR key: the To URI's user part (one enterprise domain). */
export function aorOf(req: SipRequest): string | undefined {
  const uri = req.to.uri;
  if (uri instanceof SipUri && uri.user !== undefined) return unescapeUriPart(uri.user);
  return uriUserDigits(uri);
}
