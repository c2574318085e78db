/**
 * The transaction user of the stack (RFC 3261 §8, §12, §13, §15): it keeps the
 * dialogs, turns new INVITEs into IncomingInvite objects, routes in-dialog
 * requests to their dialog (481 when there is none), checks CSeq order, detects
 * re-INVITE glare (§14.1: 491) and answers what needs no application.
 *
 * Extensions handled here: 420 for Require tags we lack (§8.2.2.3; requests
 * outside dialogs and every INVITE), OPTIONS answered when the TU does not,
 * PRACK routed to the IncomingInvite that sent the reliable provisional
 * (RFC 3262), session refreshes reported to the dialog's SessionTimer
 * (RFC 4028), and Replaces lookup (RFC 3891).
 */
import { Deadlines } from '../timer/deadlines.js';
import { Dialog, type RequestOptions, dialogKey } from '../dialog/dialog.js';
import { DEFAULT_SUPPORTED, unsupportedRequired } from '../extensions/option-tags.js';
import { type Replaces, type ReplacesMatch, matchReplaces } from '../extensions/replaces.js';
import {
  type NegotiatedSession,
  SessionTimer,
  type SessionRefreshHost,
  type SessionTimerConfig,
  type SessionTimerHandlers,
} from '../extensions/session-timer.js';
import { newCallId, newTag } from '../message/ids.js';
import { CSeq, SipRequest, type SipResponse } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { ClientTransaction, ClientTransactionUser, ServerTransaction, TimerSettings, TransactionUser } from '../transaction/types.js';
import type { Destination, Flow, TransportProtocol } from '../transport/types.js';
import { type DialogRegistry, IncomingInvite } from './incoming-invite.js';
import { type AckSender, OutgoingInvite, type OutgoingInviteHandlers, sendPrackFor, sequenceReliable } from './outgoing-invite.js';

export interface TransactionSender {
  sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): ClientTransaction;
  sendAck(ack: SipRequest, destination: Destination): void;
}

export interface UserAgentHandlers {
  /** A new INVITE outside any dialog. */
  onInvite(invite: IncomingInvite): void;
  /**
   * Any other request outside a dialog (REGISTER, OPTIONS, SUBSCRIBE, MESSAGE,
   * NOTIFY, PUBLISH...). Return false when not handled: the UA core then answers
   * (OPTIONS: 200 with our capabilities; anything else: 501). Without this
   * handler the UA core answers everything that way.
   */
  onRequest?(request: SipRequest, tx: ServerTransaction, flow: Flow): boolean | void;
}

export interface UserAgentOptions {
  timers: TimerSettings;
  /** Our Contact header value for dialogs reached over `protocol`. */
  contact(protocol: TransportProtocol): string;
  /** Methods we implement (Allow, and 405 otherwise). */
  allow: readonly string[];
  /** Option tags we support (Supported in OPTIONS; a Require outside it gets 420). Default DEFAULT_SUPPORTED. */
  supported?: readonly string[];
}

export interface NewRequestParams {
  method: string;
  uri: string;
  from: string; // name-addr without tag; a tag is added
  to: string;
  callId?: string;
  cseq?: number;
  contact?: string;
  options?: RequestOptions;
}

export class UserAgentCore implements TransactionUser, DialogRegistry, AckSender, SessionRefreshHost {
  readonly dialogs = new Map<string, Dialog>();
  /** Session timers' deadlines: one Node timer for all of them (src/sip/timer/deadlines.ts). */
  readonly deadlines = new Deadlines();
  /** Option tags we support (see UserAgentOptions.supported). */
  readonly supported: readonly string[];
  private readonly invitesByTx = new Map<string, IncomingInvite>();
  private readonly awaitingAck = new Map<string, IncomingInvite>();
  /**
   * The awaitingAck keys of each dialog (normally one: its INVITE's 2xx), so that
   * unregister() finds them without scanning the whole map. That scan ran on every
   * dialog end, and under overload late ACKs made the map, and so each call's end, grow.
   */
  private readonly awaitingAckByDialog = new Map<string, string[]>();
  /** IncomingInvites with a reliable provisional awaiting its PRACK, by dialog key. */
  private readonly prackTargets = new Map<string, IncomingInvite>();
  private transactions!: TransactionSender;
  private readonly allow: string;

  constructor(
    private readonly handlers: UserAgentHandlers,
    private readonly options: UserAgentOptions,
  ) {
    this.allow = options.allow.join(', ');
    this.supported = options.supported ?? DEFAULT_SUPPORTED;
  }

  /** The transaction layer needs its TU first, so it is attached after construction. */
  attach(transactions: TransactionSender): void {
    this.transactions = transactions;
  }

  get sizes(): { dialogs: number; pendingInvites: number; awaitingAck: number; awaitingPrack: number } {
    return { dialogs: this.dialogs.size, pendingInvites: this.invitesByTx.size, awaitingAck: this.awaitingAck.size, awaitingPrack: this.prackTargets.size };
  }

  // ------------------------------------------------------------ DialogRegistry
  register(dialog: Dialog): void {
    this.dialogs.set(dialog.key, dialog);
  }

  unregister(dialog: Dialog): void {
    if (this.dialogs.get(dialog.key) === dialog) this.dialogs.delete(dialog.key);
    this.prackTargets.delete(dialog.key);
    dialog.sessionTimer?.stop();
    const keys = this.awaitingAckByDialog.get(dialog.key);
    if (keys === undefined) return;
    let left = 0;
    for (const k of keys) {
      const inv = this.awaitingAck.get(k);
      if (inv === undefined) continue;
      if (inv.dialog === dialog) {
        inv.stopRetransmit();
        this.awaitingAck.delete(k);
      } else keys[left++] = k; // an equal key of another Dialog object: not ours to stop
    }
    keys.length = left;
    if (left === 0) this.awaitingAckByDialog.delete(dialog.key);
  }

  private addAwaitingAck(dialog: Dialog, key: string, inv: IncomingInvite): void {
    this.awaitingAck.set(key, inv);
    const keys = this.awaitingAckByDialog.get(dialog.key);
    if (keys === undefined) this.awaitingAckByDialog.set(dialog.key, [key]);
    else if (!keys.includes(key)) keys.push(key);
  }

  private deleteAwaitingAck(dialogKeyValue: string, key: string): void {
    this.awaitingAck.delete(key);
    const keys = this.awaitingAckByDialog.get(dialogKeyValue);
    if (keys === undefined) return;
    const i = keys.indexOf(key);
    if (i !== -1) keys.splice(i, 1);
    if (keys.length === 0) this.awaitingAckByDialog.delete(dialogKeyValue);
  }

  // ------------------------------------------------------------ UAC side
  /** A new out-of-dialog request with fresh tag, Call-ID and CSeq (§8.1.1). */
  createRequest(p: NewRequestParams): SipRequest {
    const req = new SipRequest(p.method, p.uri);
    req.set('max-forwards', '70');
    req.set('from', `${p.from};tag=${newTag()}`);
    req.set('to', p.to);
    req.set('call-id', p.callId ?? newCallId());
    req.set('cseq', new CSeq(p.cseq ?? 1, p.method).toString());
    if (p.contact !== undefined) req.set('contact', p.contact);
    if (p.options?.headers !== undefined) for (const [k, v] of Object.entries(p.options.headers)) req.set(k, v);
    if (p.options?.body !== undefined) req.setBody(p.options.body, p.options.contentType ?? 'application/sdp');
    return req;
  }

  /** Send an initial INVITE; forks create early dialogs, the first 2xx the dialog. */
  invite(request: SipRequest, destination: Destination, handlers: OutgoingInviteHandlers): OutgoingInvite {
    if (!request.has('contact')) request.set('contact', this.options.contact(destination.protocol));
    // §13.2.1: the INVITE SHOULD carry Allow (the peer learns e.g. whether we take UPDATE).
    if (!request.has('allow')) request.set('allow', this.allow);
    const out = new OutgoingInvite(request, destination, handlers, this, this, request.get('contact')!);
    out.tx = this.transactions.sendRequest(request, destination, out);
    return out;
  }

  /**
   * Send a re-INVITE on a confirmed dialog (§14.1). Only one may be pending per
   * direction: returns undefined (the caller retries later) while one is.
   */
  reinvite(dialog: Dialog, options: RequestOptions, handlers: OutgoingInviteHandlers): ReInvite | undefined {
    if (dialog.pendingInviteOut || dialog.state !== 'confirmed') return undefined;
    const request = dialog.createRequest('INVITE', options);
    if (!request.has('allow')) request.set('allow', this.allow);
    dialog.sessionTimer?.decorateRefresh(request);
    dialog.pendingInviteOut = true;
    const out = new ReInvite(request, dialog.destination(), handlers, this, dialog);
    out.tx = this.transactions.sendRequest(request, out.destination, out);
    return out;
  }

  /** Send a non-INVITE request; resolves with the final response (408/503 synthesised). */
  request(request: SipRequest, destination: Destination): Promise<SipResponse> {
    return new Promise((resolve) => {
      const user: ClientTransactionUser = {
        onResponse: (res) => {
          if (res.status >= 200) resolve(res);
        },
        onTimeout: () => resolve(createResponse(request, 408, 'Request Timeout')),
        onTransportError: (e) => resolve(createResponse(request, 503, `Service Unavailable - ${e.message.slice(0, 60)}`)),
      };
      this.transactions.sendRequest(request, destination, user);
    });
  }

  /** An in-dialog non-INVITE request (BYE, INFO, UPDATE, REFER, NOTIFY, PRACK...). */
  dialogRequest(dialog: Dialog, method: string, options: RequestOptions = {}): Promise<SipResponse> {
    const req = dialog.createRequest(method, options);
    // RFC 4028: every UPDATE on a dialog with a session timer is a session refresh.
    const timer = method === 'UPDATE' ? dialog.sessionTimer : undefined;
    timer?.decorateRefresh(req);
    const p = this.request(req, dialog.destination());
    if (method === 'BYE') {
      dialog.state = 'terminated';
      this.unregister(dialog);
    } else {
      void p.then((res) => {
        dialog.refreshTargetFromResponse(res);
        if (timer !== undefined && dialog.sessionTimer === timer) timer.refreshAnswered(res);
        // §12.2.1.2: 481/408 to an in-dialog request ends the dialog.
        if (res.status === 481 || res.status === 408) this.endDialog(dialog);
      });
    }
    return p;
  }

  /** A PRACK in an (early) dialog (RFC 3262); `options.headers.rack` must be set (see OutgoingInvite.prack). */
  sendPrack(dialog: Dialog, options: RequestOptions): Promise<SipResponse> {
    const req = dialog.createRequest('PRACK', options);
    return this.request(req, dialog.destination());
  }

  /**
   * The dialog an INVITE with Replaces names (RFC 3891 §3), or the status to
   * reject the INVITE with: 481 (no such dialog, or an early dialog we did not
   * initiate), 486 (early-only but confirmed), 603 (terminated).
   */
  findDialogForReplaces(replaces: Replaces): ReplacesMatch {
    return matchReplaces(replaces, (callId, localTag, remoteTag) => this.dialogs.get(dialogKey(callId, localTag, remoteTag)));
  }

  /**
   * Run an RFC 4028 session timer on a confirmed dialog, with the values the
   * initial INVITE negotiated (negotiateUas / negotiateUac). It stops by itself
   * when the dialog ends; `handlers.onExpired` is where the TU sends BYE.
   */
  startSessionTimer(dialog: Dialog, session: NegotiatedSession, config: SessionTimerConfig, handlers: SessionTimerHandlers): SessionTimer {
    dialog.sessionTimer?.stop();
    return new SessionTimer(dialog, this, session, config, handlers);
  }

  /** 200 to OPTIONS (§11.2): what we allow, accept and support. */
  optionsResponse(request: SipRequest): SipResponse {
    const res = createResponse(request, 200, undefined, newTag());
    res.set('allow', this.allow);
    res.set('accept', 'application/sdp');
    if (this.supported.length > 0) res.set('supported', this.supported.join(', '));
    return res;
  }

  bye(dialog: Dialog, options: RequestOptions = {}): Promise<SipResponse> {
    if (dialog.state === 'terminated') return Promise.resolve(createResponse(dialog.createRequest('BYE'), 481));
    // A UAS must not BYE an early dialog; one whose 2xx is still held for a PRACK
    // (RFC 3262) is ended by giving that answer up: the INVITE gets 500 instead.
    const held = dialog.role === 'uas' && dialog.state === 'early' ? this.prackTargets.get(dialog.key) : undefined;
    if (held?.answerHeld === true) {
      held.stopRetransmit();
      dialog.onTerminated?.();
      return Promise.resolve(createResponse(dialog.createRequest('BYE'), 200));
    }
    const p = this.dialogRequest(dialog, 'BYE', options);
    dialog.onTerminated?.();
    return p;
  }

  // ---------------------------------------------------------------- AckSender
  sendAck(ack: SipRequest, destination: Destination): void {
    this.transactions.sendAck(ack, destination);
  }

  byeUnwanted(dialog: Dialog): void {
    void this.bye(dialog);
  }

  /**
   * §12.2.1.2 / §14.1: a re-INVITE answered 481 or 408 (or timed out) ends the
   * dialog. After 481 the peer has no dialog: we only forget ours. After 408 the
   * peer may still hold it: we send a BYE as well (best effort).
   */
  endDialogAfter(dialog: Dialog, status: number): void {
    if (dialog.state === 'terminated') return;
    if (status === 408) void this.bye(dialog);
    else this.endDialog(dialog);
  }

  // ---------------------------------------------------------- TransactionUser
  onRequest(request: SipRequest, tx: ServerTransaction | undefined, flow: Flow): void {
    const toTag = request.to.tag;
    if (toTag !== undefined) {
      this.inDialog(request, toTag, tx, flow);
      return;
    }
    if (tx === undefined) return; // a stray ACK outside any dialog: nothing to do (§17.2.3)
    if (request.method === 'INVITE') {
      if (this.rejectUnsupported(request, tx)) return;
      const inv = new IncomingInvite(request, tx, flow, this, this.options.contact(flow.protocol), this.options.timers);
      this.trackInvite(inv);
      this.handlers.onInvite(inv);
      return;
    }
    if (!this.options.allow.includes(request.method)) {
      const res = createResponse(request, 405, undefined, newTag());
      res.set('allow', this.allow);
      tx.respond(res);
      return;
    }
    if (this.rejectUnsupported(request, tx)) return;
    const handled = this.handlers.onRequest?.(request, tx, flow);
    if (handled === false || this.handlers.onRequest === undefined) this.answerUnhandled(request, tx);
  }

  onCancel(inviteTx: ServerTransaction, cancel: SipRequest): void {
    const inv = this.invitesByTx.get(inviteTx.id);
    if (inv === undefined || inv.finalStatus !== undefined) return;
    if (inv.onCancel !== undefined) inv.onCancel(cancel);
    else inv.reject(487);
  }

  onStrayResponse(response: SipResponse): void {
    // A 2xx retransmission after the INVITE transaction ended: re-ACK (§13.2.2.4).
    if (response.status < 200 || response.status >= 300 || response.cseq.method !== 'INVITE') return;
    const d = this.dialogs.get(dialogKey(response.callId, response.from.tag ?? '', response.to.tag ?? ''));
    if (d?.lastAck !== undefined) this.transactions.sendAck(d.lastAck, d.destination());
  }

  // ----------------------------------------------------------------- internals
  private trackInvite(inv: IncomingInvite): void {
    this.invitesByTx.set(inv.tx.id, inv);
    inv.allowHeader = this.allow;
    inv.onPrackPending = (dialog, pending) => {
      if (pending) this.prackTargets.set(dialog.key, inv);
      else if (this.prackTargets.get(dialog.key) === inv) this.prackTargets.delete(dialog.key);
    };
    inv.onFinalSent = (status) => {
      this.invitesByTx.delete(inv.tx.id);
      if (inv.dialog !== undefined) inv.dialog.pendingInviteIn = false;
      if (status >= 200 && status < 300 && inv.dialog !== undefined) {
        const dialog = inv.dialog;
        const dk = dialog.key;
        const key = `${dk}\n${inv.request.cseq.seq}`;
        this.addAwaitingAck(dialog, key, inv);
        const onTimeout = inv.onAckTimeout;
        inv.onAckTimeout = () => {
          if (this.awaitingAck.get(key) === inv) this.deleteAwaitingAck(dk, key);
          onTimeout?.();
        };
      }
    };
  }

  private inDialog(request: SipRequest, toTag: string, tx: ServerTransaction | undefined, flow: Flow): void {
    const dialog = this.dialogs.get(dialogKey(request.callId, toTag, request.from.tag ?? ''));
    if (request.method === 'ACK') {
      if (dialog === undefined) return;
      const k = `${dialog.key}\n${request.cseq.seq}`;
      const inv = this.awaitingAck.get(k);
      if (inv !== undefined) {
        this.deleteAwaitingAck(dialog.key, k);
        inv.ackReceived(request);
      }
      return;
    }
    if (tx === undefined) return;
    if (dialog === undefined || dialog.state === 'terminated') {
      // RFC 6665 §4.1.2.4: a NOTIFY may come before the 200 to our SUBSCRIBE, or for a
      // subscription the TU keeps itself: the TU may take it; otherwise 481.
      if (dialog === undefined && request.method === 'NOTIFY' && this.handlers.onRequest?.(request, tx, flow) === true) return;
      tx.respond(createResponse(request, 481));
      return;
    }
    if (request.method === 'INVITE' && this.rejectUnsupported(request, tx)) return;
    const bad = dialog.receiveRequest(request);
    if (bad !== undefined) {
      tx.respond(createResponse(request, bad, 'Server Internal Error - CSeq out of order'));
      return;
    }
    if (request.method === 'PRACK') {
      // RFC 3262 §3: a PRACK that matches no unacknowledged reliable provisional gets 481.
      const inv = this.prackTargets.get(dialog.key);
      if (inv !== undefined) inv.receivePrack(request, tx);
      else tx.respond(createResponse(request, 481));
      return;
    }
    if (request.method === 'INVITE') {
      // §14.1/§14.2 glare: our own re-INVITE pending → 491; theirs pending → 500 + Retry-After.
      if (dialog.pendingInviteOut) {
        tx.respond(createResponse(request, 491));
        return;
      }
      if (dialog.pendingInviteIn) {
        const res = createResponse(request, 500, 'Server Internal Error - re-INVITE pending');
        res.set('retry-after', String(Math.floor(Math.random() * 10)));
        tx.respond(res);
        return;
      }
      if (dialog.sessionTimer !== undefined) {
        const wrapped = dialog.sessionTimer.incomingRefresh(request, tx);
        if (wrapped === undefined) return; // answered (422)
        tx = wrapped;
      }
      dialog.pendingInviteIn = true;
      const inv = new IncomingInvite(request, tx, flow, this, dialog.localContact, this.options.timers, dialog);
      this.trackInvite(inv);
      if (dialog.onRequest === undefined) {
        inv.reject(488);
        return;
      }
      dialog.reinvite = inv;
      dialog.onRequest(request, tx);
      return;
    }
    if (request.method === 'BYE') {
      dialog.state = 'terminated';
      dialog.remoteByeReason = request.get('reason');
      this.unregister(dialog);
      tx.respond(createResponse(request, 200));
      dialog.onTerminated?.();
      return;
    }
    if (request.method === 'UPDATE' && dialog.sessionTimer !== undefined) {
      const wrapped = dialog.sessionTimer.incomingRefresh(request, tx);
      if (wrapped === undefined) return; // answered (422)
      tx = wrapped;
    }
    if (dialog.onRequest !== undefined) {
      dialog.onRequest(request, tx);
      return;
    }
    if (request.method === 'OPTIONS') {
      const res = this.optionsResponse(request);
      tx.respond(res);
      return;
    }
    tx.respond(createResponse(request, request.method === 'INFO' || request.method === 'UPDATE' ? 200 : 501));
  }

  /** §8.2.2.3: a Require tag we do not support → 420 with Unsupported. Returns true when it answered. */
  private rejectUnsupported(request: SipRequest, tx: ServerTransaction): boolean {
    const missing = unsupportedRequired(request, this.supported);
    if (missing.length === 0) return false;
    const res = createResponse(request, 420, undefined, newTag());
    res.set('unsupported', missing.join(', '));
    tx.respond(res);
    return true;
  }

  /** A request outside a dialog that the TU did not handle. */
  private answerUnhandled(request: SipRequest, tx: ServerTransaction): void {
    if (tx.state !== 'trying' && tx.state !== 'proceeding') return; // answered after all
    if (request.method === 'OPTIONS') tx.respond(this.optionsResponse(request));
    else tx.respond(createResponse(request, 501, undefined, newTag()));
  }

  private endDialog(dialog: Dialog): void {
    if (dialog.state === 'terminated') return;
    dialog.state = 'terminated';
    this.unregister(dialog);
    dialog.onTerminated?.();
  }
}

/**
 * A re-INVITE on an existing dialog: responses update that dialog, not a new one.
 * Reliable provisionals are PRACKed like for an initial INVITE; a 481 or 408
 * final (or a timeout) ends the dialog (§12.2.1.2, §14.1) after onFailure.
 */
export class ReInvite implements ClientTransactionUser {
  tx: ClientTransaction | undefined;
  finalStatus: number | undefined;
  /** false: the user sends the ACK itself with ack() (e.g. offerless re-INVITE, answer in the ACK). */
  autoAck = true;
  /** false: reliable provisionals are never PRACKed automatically (the TU calls prack()). */
  autoPrack = true;
  private lastRSeq: number | undefined;
  constructor(
    readonly request: SipRequest,
    readonly destination: Destination,
    private readonly handlers: OutgoingInviteHandlers,
    private readonly sender: AckSender & { endDialogAfter?(dialog: Dialog, status: number): void },
    readonly dialog: Dialog,
  ) {}

  /** PRACK a reliable provisional to this re-INVITE (RFC 3262), optionally with a body. */
  prack(response: SipResponse, options: RequestOptions = {}): Promise<SipResponse> {
    return sendPrackFor(this.sender, this.dialog, response, options);
  }

  cancel(reason?: string): void {
    if (this.finalStatus === undefined) this.tx?.cancel(reason);
  }

  ack(dialog: Dialog, options: RequestOptions = {}): void {
    const ack = dialog.createAck(this.request.cseq.seq, options);
    dialog.lastAck = ack;
    this.sender.sendAck(ack, dialog.destination());
    ack.compact(); // kept for 2xx retransmissions, seldom read
  }

  onResponse(response: SipResponse): void {
    if (response.status < 200) {
      if (response.status <= 100 || this.finalStatus !== undefined) return;
      const rseq = sequenceReliable(response, this.lastRSeq);
      if (rseq === 'drop') return;
      this.handlers.onProvisional?.(response, this.dialog);
      if (rseq !== undefined) {
        this.lastRSeq = rseq;
        const tuSends = this.handlers.onReliableProvisional?.(response, this.dialog) === true;
        if (!tuSends && this.autoPrack) this.prack(response).catch(() => undefined);
      }
      return;
    }
    if (response.status < 300) {
      if (this.finalStatus !== undefined) {
        if (this.dialog.lastAck !== undefined) this.sender.sendAck(this.dialog.lastAck, this.dialog.destination());
        return;
      }
      this.finalStatus = response.status;
      this.dialog.pendingInviteOut = false;
      this.dialog.refreshTargetFromResponse(response);
      this.dialog.sessionTimer?.refreshAnswered(response);
      this.handlers.onAnswer(response, this.dialog);
      if (this.autoAck && this.dialog.lastAck?.cseq.seq !== this.request.cseq.seq) this.ack(this.dialog);
      return;
    }
    this.finish(response);
  }

  onTimeout(): void {
    this.finish(createResponse(this.request, 408));
  }

  onTransportError(): void {
    this.finish(createResponse(this.request, 503));
  }

  private finish(response: SipResponse): void {
    if (this.finalStatus !== undefined) return;
    this.finalStatus = response.status;
    this.dialog.pendingInviteOut = false;
    this.dialog.sessionTimer?.refreshAnswered(response);
    this.handlers.onFailure(response);
    if (response.status === 481 || response.status === 408) this.sender.endDialogAfter?.(this.dialog, response.status);
  }
}
