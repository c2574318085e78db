/**
 * A dialog (RFC 3261 §12): the peer-to-peer relationship identified by Call-ID,
 * local tag and remote tag, with its CSeq spaces, route set and remote target.
 * Used for both sides of an INVITE usage; early dialogs come from 1xx with a To
 * tag (§12.1, several per INVITE when a request forks).
 */
import { CSeq, SipRequest, type SipResponse } from '../message/message.js';
import type { NameAddr } from '../message/name-addr.js';
import { parseNameAddr } from '../message/name-addr.js';
import { flatString } from '../message/flat-string.js';
import type { Uri } from '../message/uri.js';
import type { ServerTransaction } from '../transaction/types.js';
import type { Destination, Flow } from '../transport/types.js';
import { nextHop } from './next-hop.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

export interface RequestOptions {
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  contentType?: string;
}

/**
 * What the UA core asks of a session timer (RFC 4028) bound to a dialog; the
 * implementation is SessionTimer in src/sip/extensions/session-timer.ts. Every
 * INVITE or UPDATE in either direction is a potential session refresh.
 */
export interface DialogSessionTimer {
  /** Add Session-Expires / Min-SE / Supported: timer to an outgoing re-INVITE or UPDATE. */
  decorateRefresh(request: SipRequest): void;
  /** The final response to our re-INVITE or UPDATE (2xx restarts the timer, 422 raises the interval). */
  refreshAnswered(response: SipResponse): void;
  /**
   * A re-INVITE or UPDATE from the peer. Returns the transaction to hand on (its
   * 2xx gets the Session-Expires headers and restarts the timer), or undefined
   * when the request was already answered (422 Session Interval Too Small).
   */
  incomingRefresh(request: SipRequest, tx: ServerTransaction): ServerTransaction | undefined;
  /** The dialog ended: clear the timers. */
  stop(): void;
}

/** Methods that refresh the remote target (§12.2, RFC 3311, RFC 6665). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export class Dialog {
  state: DialogState;
  localSeq: number;
  remoteSeq: number | undefined;
  remoteTarget: Uri;
  /** The Reason header (RFC 3326) of the peer's BYE that ended the dialog, if it had one. */
  remoteByeReason: string | undefined;
  routeSet: NameAddr[];
  /** Send in-dialog requests here instead of the route set / remote target (NAT'd or WebSocket peers). */
  destinationOverride: Destination | undefined;
  /** CSeq of the INVITE (initial or re-INVITE) whose 2xx we last ACKed or expect an ACK for. */
  lastInviteSeq: number;
  /** Transaction in progress on each side, for re-INVITE glare detection (§14.1 → 491). */
  pendingInviteOut = false;
  pendingInviteIn = false;
  /** The dialog user's object (a B2BUA call), for lookups from the dialog. */
  owner: unknown;
  /** The last ACK we sent for a 2xx, re-sent when that 2xx is retransmitted. */
  lastAck: SipRequest | undefined;
  /** Handler for in-dialog requests (set by the dialog's user, e.g. a B2BUA leg). */
  onRequest: ((request: SipRequest, tx: ServerTransaction) => void) | undefined;
  /** A received re-INVITE waiting for the dialog user's answer (set by the UA core). */
  reinvite: { accept(options?: RequestOptions): unknown; reject(status: number, options?: RequestOptions): void } | undefined;
  /** Called when the dialog ends (BYE either way, or it was never confirmed). */
  onTerminated: (() => void) | undefined;
  /** The peer's Allow methods (upper case) as last advertised; undefined when it never said. */
  remoteAllow: string[] | undefined;
  /** The peer's Supported option tags (lower case) as last advertised. */
  remoteSupported: string[] | undefined;
  /** RFC 4028 session timer running on this dialog (set by SessionTimer). */
  sessionTimer: DialogSessionTimer | undefined;

  /**
   * The From and To of our in-dialog requests, with tags, as text: a dialog lives for hours
   * and parsed name-addrs (URI, parameter Maps) cost ~500 B each while they are read rarely.
   */
  readonly localAddr: string;
  readonly remoteAddr: string;

  /** The local URI with our tag (parsed on each read). */
  get localUri(): NameAddr {
    return parseNameAddr(this.localAddr);
  }

  /** The remote URI with the peer's tag (parsed on each read). */
  get remoteUri(): NameAddr {
    return parseNameAddr(this.remoteAddr);
  }

  constructor(
    readonly role: 'uac' | 'uas',
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    localUri: NameAddr | string,
    remoteUri: NameAddr | string,
    remoteTarget: Uri,
    routeSet: NameAddr[],
    localSeq: number,
    remoteSeq: number | undefined,
    public localContact: string,
    state: DialogState,
  ) {
    this.localAddr = flatString(typeof localUri === 'string' ? localUri : localUri.toString());
    this.remoteAddr = flatString(typeof remoteUri === 'string' ? remoteUri : remoteUri.toString());
    this.remoteTarget = remoteTarget;
    this.routeSet = routeSet;
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
    this.state = state;
    this.lastInviteSeq = role === 'uac' ? localSeq : (remoteSeq ?? 0);
  }

  /** Whether the peer allows `method` (its Allow header): undefined when unknown. */
  allows(method: string): boolean | undefined {
    return this.remoteAllow?.includes(method.toUpperCase());
  }

  /** Note the peer's Allow and Supported (from its INVITE, 1xx/2xx or a target refresh). */
  learnCapabilities(msg: SipRequest | SipResponse): void {
    try {
      if (msg.has('allow')) this.remoteAllow = msg.getAll('allow').map((m) => m.trim().toUpperCase());
      if (msg.has('supported')) this.remoteSupported = msg.optionTags('supported');
    } catch {
      // a malformed list keeps what we knew
    }
  }

  /** Built once: it is looked up in maps several times per request and per call end (hashing needs a flat string). */
  private keyText: string | undefined;

  get key(): string {
    return (this.keyText ??= flatString(dialogKey(this.callId, this.localTag, this.remoteTag)));
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  /** UAS side (§12.1.1): from the request we received and the tag we chose. */
  static fromUasRequest(req: SipRequest, localTag: string, localContact: string, flow: Flow | undefined, state: DialogState): Dialog {
    const contact = req.contacts;
    const target = contact === '*' || contact[0] === undefined ? req.from.uri : contact[0].uri;
    // The received To and From verbatim (plus our tag), as a UA copies them into its requests.
    const to = req.to;
    let localUri: NameAddr | string;
    if (to.tag === undefined) localUri = `${req.get('to') ?? to.toString()};tag=${localTag}`;
    else {
      localUri = to.clone();
      localUri.tag = localTag;
    }
    const d = new Dialog(
      'uas',
      req.callId,
      localTag,
      req.from.tag ?? '',
      localUri,
      req.get('from') ?? req.from.toString(),
      target,
      req.recordRoutes.map((r) => r.clone()),
      0,
      req.cseq.seq,
      localContact,
      state,
    );
    if (flow !== undefined) d.destinationOverride = flowDestination(flow);
    d.learnCapabilities(req);
    return d;
  }

  /** UAC side (§12.1.2): from our request and the (1xx with tag or 2xx) response. */
  static fromUacResponse(req: SipRequest, res: SipResponse, localContact: string, state: DialogState): Dialog {
    const contact = res.contacts;
    const target = contact === '*' || contact[0] === undefined ? req.uri : contact[0].uri;
    const d = new Dialog(
      'uac',
      req.callId,
      req.from.tag ?? '',
      res.to.tag ?? '',
      req.get('from') ?? req.from.toString(),
      res.get('to') ?? res.to.toString(),
      target,
      res.recordRoutes.map((r) => r.clone()).reverse(),
      req.cseq.seq,
      undefined,
      localContact,
      state,
    );
    d.learnCapabilities(res);
    return d;
  }

  /** Where in-dialog requests go. */
  destination(): Destination {
    return this.destinationOverride ?? nextHop(this.remoteTarget, this.routeSet);
  }

  /** Build an in-dialog request (§12.2.1.1). ACK and CANCEL are built elsewhere. */
  createRequest(method: string, options: RequestOptions = {}): SipRequest {
    this.localSeq += 1;
    const req = this.baseRequest(method, this.localSeq, method);
    if (method === 'INVITE') this.lastInviteSeq = this.localSeq;
    if (TARGET_REFRESH.has(method)) req.set('contact', this.localContact);
    applyOptions(req, options);
    return req;
  }

  /** ACK for a 2xx (§13.2.2.4): the INVITE's CSeq number, method ACK. */
  createAck(inviteSeq: number, options: RequestOptions = {}): SipRequest {
    const req = this.baseRequest('ACK', inviteSeq, 'ACK');
    applyOptions(req, options);
    return req;
  }

  /**
   * Check an in-dialog request's CSeq (§12.2.2). Returns a status to reject with,
   * or undefined when it is in order (the remote CSeq is then advanced).
   */
  receiveRequest(req: SipRequest): number | undefined {
    const seq = req.cseq.seq;
    if (req.method === 'ACK' || req.method === 'CANCEL') return undefined;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) {
      // Equal CSeq is a retransmission the transaction layer should have absorbed;
      // a lower one is out of order: §12.2.2 says 500.
      return 500;
    }
    this.remoteSeq = seq;
    if (req.method === 'INVITE') this.lastInviteSeq = seq;
    if (TARGET_REFRESH.has(req.method)) {
      this.refreshTarget(req);
      this.learnCapabilities(req);
    }
    return undefined;
  }

  /** A 2xx to our target-refresh request carries the peer's new Contact (§12.2.1.2). */
  refreshTargetFromResponse(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300 && TARGET_REFRESH.has(res.cseq.method)) this.refreshTarget(res);
    if (res.status > 100 && res.status < 300) this.learnCapabilities(res);
  }

  private refreshTarget(msg: SipRequest | SipResponse): void {
    try {
      const c = msg.contacts;
      if (c !== '*' && c[0] !== undefined) this.remoteTarget = c[0].uri;
    } catch {
      // a malformed Contact keeps the old target
    }
  }

  private baseRequest(method: string, seq: number, cseqMethod: string): SipRequest {
    const req = new SipRequest(method, this.remoteTarget.toString());
    req.set('max-forwards', '70');
    for (const r of this.routeSet) req.append('route', r.toString());
    req.set('from', this.localAddr);
    req.set('to', this.remoteAddr);
    req.set('call-id', this.callId);
    req.set('cseq', new CSeq(seq, cseqMethod).toString());
    return req;
  }
}

function applyOptions(req: SipRequest, options: RequestOptions): void {
  if (options.headers !== undefined) {
    for (const [name, value] of Object.entries(options.headers)) req.set(name, value);
  }
  if (options.body !== undefined) req.setBody(options.body, options.contentType ?? 'application/sdp');
}

/** A destination that reuses the flow a request came in on (connection, or source address for UDP). */
export function flowDestination(flow: Flow): Destination {
  const d: Destination = { protocol: flow.protocol, address: flow.remoteAddress, port: flow.remotePort };
  if (flow.connectionId !== undefined) d.connectionId = flow.connectionId;
  return d;
}

/** Parse a Contact value we will put in requests, for validation at configuration time. */
export function checkContact(contact: string): void {
  parseNameAddr(contact);
}
