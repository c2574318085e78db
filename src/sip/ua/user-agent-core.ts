/**
 * The transaction user of the stack (RFC 3261 §8, §12, §13, §15): it keeps the
 * dialogs, turns new INVITEs into IncomingInvite objects, routes in-dialog
 * requests to their dialog (481 when there is none), checks CSeq order, detects
 * re-INVITE glare (§14.1: 491) and answers what needs no application.
 */
import { Dialog, type RequestOptions, dialogKey } from '../dialog/dialog.js';
import { newCallId, newTag } from '../message/ids.js';
import { CSeq, SipRequest, type SipResponse } from '../message/message.js';
import { createResponse } from '../message/response.js';
import type { ClientTransaction, ClientTransactionUser, ServerTransaction, TimerSettings, TransactionUser } from '../transaction/types.js';
import type { Destination, Flow, TransportProtocol } from '../transport/types.js';
import { type DialogRegistry, IncomingInvite } from './incoming-invite.js';
import { type AckSender, OutgoingInvite, type OutgoingInviteHandlers } from './outgoing-invite.js';

export interface TransactionSender {
  sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): ClientTransaction;
  sendAck(ack: SipRequest, destination: Destination): void;
}

export interface UserAgentHandlers {
  /** A new INVITE outside any dialog. */
  onInvite(invite: IncomingInvite): void;
  /** Any other request outside a dialog (REGISTER, OPTIONS, SUBSCRIBE, MESSAGE, NOTIFY, PUBLISH...). */
  onRequest(request: SipRequest, tx: ServerTransaction, flow: Flow): void;
}

export interface UserAgentOptions {
  timers: TimerSettings;
  /** Our Contact header value for dialogs reached over `protocol`. */
  contact(protocol: TransportProtocol): string;
  /** Methods we implement (Allow, and 405 otherwise). */
  allow: readonly string[];
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

export class UserAgentCore implements TransactionUser, DialogRegistry, AckSender {
  readonly dialogs = new Map<string, Dialog>();
  private readonly invitesByTx = new Map<string, IncomingInvite>();
  private readonly awaitingAck = new Map<string, IncomingInvite>();
  private transactions!: TransactionSender;
  private readonly allow: string;

  constructor(
    private readonly handlers: UserAgentHandlers,
    private readonly options: UserAgentOptions,
  ) {
    this.allow = options.allow.join(', ');
  }

  /** The transaction layer needs its TU first, so it is attached after construction. */
  attach(transactions: TransactionSender): void {
    this.transactions = transactions;
  }

  get sizes(): { dialogs: number; pendingInvites: number; awaitingAck: number } {
    return { dialogs: this.dialogs.size, pendingInvites: this.invitesByTx.size, awaitingAck: this.awaitingAck.size };
  }

  // ------------------------------------------------------------ DialogRegistry
  register(dialog: Dialog): void {
    this.dialogs.set(dialog.key, dialog);
  }

  unregister(dialog: Dialog): void {
    if (this.dialogs.get(dialog.key) === dialog) this.dialogs.delete(dialog.key);
    for (const [k, inv] of this.awaitingAck) {
      if (inv.dialog === dialog) {
        inv.stopRetransmit();
        this.awaitingAck.delete(k);
      }
    }
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
    const p = this.request(req, dialog.destination());
    if (method === 'BYE') {
      dialog.state = 'terminated';
      this.unregister(dialog);
    } else {
      void p.then((res) => {
        dialog.refreshTargetFromResponse(res);
        // §12.2.1.2: 481/408 to an in-dialog request ends the dialog.
        if (res.status === 481 || res.status === 408) this.endDialog(dialog);
      });
    }
    return p;
  }

  bye(dialog: Dialog, options: RequestOptions = {}): Promise<SipResponse> {
    if (dialog.state === 'terminated') return Promise.resolve(createResponse(dialog.createRequest('BYE'), 481));
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

  // ---------------------------------------------------------- TransactionUser
  onRequest(request: SipRequest, tx: ServerTransaction | undefined, flow: Flow): void {
    const toTag = request.to.tag;
    if (toTag !== undefined) {
      this.inDialog(request, toTag, tx, flow);
      return;
    }
    if (tx === undefined) return; // a stray ACK outside any dialog: nothing to do (§17.2.3)
    if (request.method === 'INVITE') {
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
    this.handlers.onRequest(request, tx, flow);
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
    inv.onFinalSent = (status) => {
      this.invitesByTx.delete(inv.tx.id);
      if (inv.dialog !== undefined) inv.dialog.pendingInviteIn = false;
      if (status >= 200 && status < 300 && inv.dialog !== undefined) {
        this.awaitingAck.set(`${inv.dialog.key}\n${inv.request.cseq.seq}`, inv);
        const onTimeout = inv.onAckTimeout;
        inv.onAckTimeout = () => {
          this.awaitingAck.delete(`${inv.dialog!.key}\n${inv.request.cseq.seq}`);
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
        this.awaitingAck.delete(k);
        inv.ackReceived(request);
      }
      return;
    }
    if (tx === undefined) return;
    if (dialog === undefined || dialog.state === 'terminated') {
      tx.respond(createResponse(request, 481));
      return;
    }
    const bad = dialog.receiveRequest(request);
    if (bad !== undefined) {
      tx.respond(createResponse(request, bad, 'Server Internal Error - CSeq out of order'));
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
      this.unregister(dialog);
      tx.respond(createResponse(request, 200));
      dialog.onTerminated?.();
      return;
    }
    if (dialog.onRequest !== undefined) {
      dialog.onRequest(request, tx);
      return;
    }
    tx.respond(createResponse(request, request.method === 'INFO' || request.method === 'UPDATE' ? 200 : 501));
  }

  private endDialog(dialog: Dialog): void {
    if (dialog.state === 'terminated') return;
    dialog.state = 'terminated';
    this.unregister(dialog);
    dialog.onTerminated?.();
  }
}

/** A re-INVITE on an existing dialog: responses update that dialog, not a new one. */
export class ReInvite implements ClientTransactionUser {
  tx: ClientTransaction | undefined;
  finalStatus: number | undefined;
  /** false: the user sends the ACK itself with ack() (e.g. offerless re-INVITE, answer in the ACK). */
  autoAck = true;
  constructor(
    readonly request: SipRequest,
    readonly destination: Destination,
    private readonly handlers: OutgoingInviteHandlers,
    private readonly sender: AckSender,
    readonly dialog: Dialog,
  ) {}

  cancel(reason?: string): void {
    if (this.finalStatus === undefined) this.tx?.cancel(reason);
  }

  ack(dialog: Dialog, options: RequestOptions = {}): void {
    const ack = dialog.createAck(this.request.cseq.seq, options);
    dialog.lastAck = ack;
    this.sender.sendAck(ack, dialog.destination());
  }

  onResponse(response: SipResponse): void {
    if (response.status < 200) {
      if (response.status > 100 && this.finalStatus === undefined) this.handlers.onProvisional?.(response, this.dialog);
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
    this.handlers.onFailure(response);
  }
}
