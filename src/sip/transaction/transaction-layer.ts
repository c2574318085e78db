/**
 * The transaction layer (RFC 3261 §17): creates client transactions for the
 * TU's requests, matches every inbound message to its transaction (§17.1.3,
 * §17.2.3), creates server transactions for new requests, answers CANCEL (§9.2)
 * and rejects invalid requests statelessly (§8.2, §16.3).
 *
 * Via rule for requests the TU sends (sendRequest, sendAck, sendStateless):
 *  - no Via at all: the layer prepends `Via: SIP/2.0/<PROTO> <sent-by>;branch=<new>;rport`
 *    (protocol of the destination, sent-by of transport.listeningPoint(protocol));
 *  - a top Via whose branch starts with the magic cookie "z9hG4bK": the caller set
 *    it deliberately and it is used as is (this is how the CANCEL reuses its
 *    INVITE's branch). A request object re-sent as a new transaction (e.g. an
 *    authentication retry) must therefore drop its Via first: `req.remove('via')`;
 *    re-using a branch that still has a live client transaction throws;
 *  - a top Via without a magic-cookie branch is a placeholder: it is replaced.
 */
import type { SipMessageAny, SipRequest, SipResponse } from '../message/message.js';
import { newBranch, newTag } from '../message/ids.js';
import { createResponse } from '../message/response.js';
import { type ValidationProblem, validateMessage } from '../message/validate.js';
import { Via } from '../message/via.js';
import {
  type Destination,
  type Flow,
  type InboundMessage,
  TransportError,
  type TransportLayer,
  type TransportProtocol,
} from '../transport/types.js';
import type { ClientTransactionBase } from './client-transaction.js';
import { type TransactionContext, type TransactionLogger, errorOf } from './context.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { clientKey, isRfc3261Branch, rfc2543Key, serverKey } from './matching.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ServerTransactionBase } from './server-transaction.js';
import { type TimerValues, timerValues } from './timers.js';
import type {
  ClientTransaction,
  ClientTransactionUser,
  TimerSettings,
  TransactionLayerStats,
  TransactionUser,
} from './types.js';

export interface TransactionLayerOptions {
  timers: TimerSettings;
  logger?: TransactionLogger;
}

/** Live transactions; both return to 0 once every transaction has terminated. */
export interface TransactionLayerSizes {
  clientTransactions: number;
  serverTransactions: number;
}

const VIA_TRANSPORT: Readonly<Record<TransportProtocol, string>> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

/** The CANCEL's own transaction has nobody to report to: its 200 means nothing to the TU (§9.1). */
const CANCEL_USER: ClientTransactionUser = { onResponse(): void {} };

function sent(): undefined {
  return undefined;
}

function newStats(): TransactionLayerStats {
  return {
    clientTransactions: 0,
    serverTransactions: 0,
    retransmissions: 0,
    absorbedRetransmissions: 0,
    timeouts: 0,
    serverTimeouts: 0,
    transportErrors: 0,
    requestsReceived: 0,
    responsesReceived: 0,
    rejectedRequests: 0,
    droppedRequests: 0,
    droppedResponses: 0,
    strayResponses: 0,
    cancelsMatched: 0,
    cancelsUnmatched: 0,
    parseFailures: 0,
    tuErrors: 0,
  };
}

function sameTag(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '') === (b ?? '');
}

export class TransactionLayer {
  /** Counters since construction (a live object: read it any time). */
  readonly stats: TransactionLayerStats = newStats();
  readonly timers: TimerValues;
  private readonly clients = new Map<string, ClientTransactionBase>();
  private readonly servers = new Map<string, ServerTransactionBase>();
  private readonly ctx: TransactionContext;
  private readonly logger: TransactionLogger | undefined;
  private closed = false;

  constructor(
    private readonly transport: TransportLayer,
    private readonly tu: TransactionUser,
    options: TransactionLayerOptions,
  ) {
    this.timers = timerValues(options.timers);
    this.logger = options.logger;
    this.ctx = {
      transport,
      timers: this.timers,
      stats: this.stats,
      tu,
      logger: this.logger,
      release: (side, key, tx) => this.release(side, key, tx),
      startCancel: (cancel, destination) => this.startClient(cancel, destination, CANCEL_USER, cancel.topVia.branch ?? ''),
      tuError: (error, where) => this.tuError(error, where),
    };
    transport.on('message', this.onMessage);
    transport.on('parseFailure', this.onParseFailure);
  }

  // ================================================================ TU → wire

  /**
   * Send a request in a new client transaction (INVITE → §17.1.1, others →
   * §17.1.2). Adds the top Via per the rule in the file comment. Throws for ACK
   * (use sendAck), after close(), for a branch already in use, and when the
   * transport has no listening point for the destination's protocol.
   */
  sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): ClientTransaction {
    if (this.closed) throw new Error('transaction layer is closed');
    if (request.method === 'ACK') throw new TypeError('ACK has no client transaction: use sendAck() (§17.1.1.3)');
    const branch = this.ensureVia(request, destination);
    return this.startClient(request, destination, user, branch);
  }

  /**
   * Send the ACK for a 2xx (§13.2.2.4): not part of any transaction, built by the
   * dialog layer, sent once per call (the dialog re-sends it for each 2xx
   * retransmission). A new branch is added unless the caller set one. Resolves
   * with the transport error, if any; never rejects.
   */
  sendAck(ack: SipRequest, destination: Destination): Promise<Error | undefined> {
    if (ack.method !== 'ACK') throw new TypeError(`sendAck() needs an ACK, got ${ack.method}`);
    return this.sendStateless(ack, destination);
  }

  /**
   * Send without a transaction: a response along a request's flow (§18.2.2), a
   * response to an explicit destination, or a request (Via rule applies).
   * Resolves with the transport error, if any; never rejects.
   */
  sendStateless(response: SipResponse, flow: Flow): Promise<Error | undefined>;
  sendStateless(message: SipMessageAny, destination: Destination): Promise<Error | undefined>;
  sendStateless(message: SipMessageAny, target: Flow | Destination): Promise<Error | undefined> {
    try {
      if ('remoteAddress' in target) {
        if (message.isRequest()) throw new TypeError('a request needs a Destination, not a Flow');
        return this.transport.sendResponse(message, target).then(sent, errorOf);
      }
      if (message.isRequest()) this.ensureVia(message, target);
      return this.transport.send(message, target).then(sent, errorOf);
    } catch (e) {
      return Promise.resolve(errorOf(e));
    }
  }

  /** Live transaction counts (tests check they return to zero). */
  sizes(): TransactionLayerSizes {
    return { clientTransactions: this.clients.size, serverTransactions: this.servers.size };
  }

  /**
   * Stop: every timer is cleared and every transaction forgotten without TU
   * callbacks; inbound messages are ignored from now on. The transport is not
   * closed (the layer does not own it).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tx of this.clients.values()) tx.dispose();
    for (const tx of this.servers.values()) tx.dispose();
    this.clients.clear();
    this.servers.clear();
  }

  // ================================================================ wire → TU

  private readonly onMessage = (inbound: InboundMessage): void => {
    if (this.closed) return;
    const message = inbound.message;
    try {
      if (message.isRequest()) this.receiveRequest(message, inbound.flow);
      else this.receiveResponse(message, inbound.flow);
    } catch (e) {
      // Only a bug gets here (validated messages do not throw on access).
      this.logger?.warn({ err: errorOf(e).message }, 'inbound message handling failed');
    }
  };

  private readonly onParseFailure = (): void => {
    this.stats.parseFailures++;
  };

  private receiveResponse(response: SipResponse, flow: Flow): void {
    this.stats.responsesReceived++;
    if (validateMessage(response) !== undefined || response.status > 699) {
      this.stats.droppedResponses++;
      return;
    }
    const vias = response.vias;
    // §8.1.3.3: "If more than one Via header field value is present in a
    // response, the UAC SHOULD discard the message."
    if (vias.length !== 1) {
      this.stats.droppedResponses++;
      return;
    }
    const branch = vias[0]!.branch;
    const tx = branch === undefined ? undefined : this.clients.get(clientKey(branch, response.cseq.method));
    if (tx !== undefined) {
      tx.receiveResponse(response);
      return;
    }
    // RFC 6026 (updating §18.1.2): an unmatched response is to be silently
    // discarded by anything but a stateless proxy; the Accepted state and Timer M
    // exist so that 2xx retransmissions still match. The contract nevertheless
    // offers strays to the TU (onStrayResponse), which should drop what it does
    // not recognise; without that callback they are dropped here.
    this.stats.strayResponses++;
    try {
      this.tu.onStrayResponse?.(response, flow);
    } catch (e) {
      this.tuError(e, 'onStrayResponse');
    }
  }

  private receiveRequest(request: SipRequest, flow: Flow): void {
    this.stats.requestsReceived++;
    const problem = validateMessage(request);
    if (problem !== undefined) {
      this.reject(request, flow, problem);
      return;
    }
    const method = request.method;
    if (method === 'ACK') return this.receiveAck(request, flow);
    if (method === 'CANCEL') return this.receiveCancel(request, flow);

    const via = request.topVia;
    const branch = via.branch;
    const rfc3261 = isRfc3261Branch(branch);
    let key = rfc3261 ? serverKey(via, branch, method) : rfc2543Key(request, method);
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      // RFC 2543 keys leave the To tag out; it must match too.
      if (rfc3261 || sameTag(request.to.tag, existing.request.to.tag)) {
        existing.receiveRequest(request);
        return;
      }
      key += '\u0001' + (request.to.tag ?? '');
      const other = this.servers.get(key);
      if (other !== undefined) {
        other.receiveRequest(request);
        return;
      }
    }
    const tx = method === 'INVITE' ? new InviteServerTransaction(this.ctx, key, request, flow) : new NonInviteServerTransaction(this.ctx, key, request, flow);
    this.servers.set(key, tx);
    this.stats.serverTransactions++;
    tx.start();
    try {
      this.tu.onRequest(request, tx, flow);
    } catch (e) {
      this.tuError(e, 'onRequest');
      // A request nobody will answer would hold its transaction forever.
      if (tx.state === 'trying' || tx.state === 'proceeding') tx.respond(createResponse(request, 500, undefined, newTag()));
    }
  }

  /**
   * §17.2.3: an ACK matches the INVITE server transaction whose final response it
   * acknowledges (absorbed there, §17.2.1); an ACK for a 2xx has its own branch
   * (§17.1.1.3) or meets a transaction in "Accepted" (RFC 6026): it goes to the
   * TU with no transaction.
   */
  private receiveAck(ack: SipRequest, flow: Flow): void {
    const via = ack.topVia;
    const branch = via.branch;
    const rfc3261 = isRfc3261Branch(branch);
    const tx = this.servers.get(rfc3261 ? serverKey(via, branch, 'INVITE') : rfc2543Key(ack, 'INVITE'));
    if (tx instanceof InviteServerTransaction && (rfc3261 || sameTag(ack.to.tag, tx.responseToTag))) {
      if (tx.receiveAck(ack)) return;
    }
    try {
      this.tu.onRequest(ack, undefined, flow);
    } catch (e) {
      this.tuError(e, 'onRequest(ACK)');
    }
  }

  /**
   * §9.2: "The CANCEL method requests that the TU at the server side cancel a
   * pending transaction. The TU determines the transaction to be cancelled by
   * taking the CANCEL request, and then assuming that the request method is
   * anything but CANCEL or ACK and applying the transaction matching procedures
   * of Section 17.2.3." Only INVITE transactions are looked for (a CANCEL of a
   * non-INVITE request is pointless, §9.1, and answered 481).
   * The CANCEL itself gets its own non-INVITE server transaction so that its
   * retransmissions are absorbed and answered with the same response.
   */
  private receiveCancel(cancel: SipRequest, flow: Flow): void {
    const via = cancel.topVia;
    const branch = via.branch;
    const rfc3261 = isRfc3261Branch(branch);
    const key = rfc3261 ? serverKey(via, branch, 'CANCEL') : rfc2543Key(cancel, 'CANCEL');
    const again = this.servers.get(key);
    if (again !== undefined) {
      again.receiveRequest(cancel);
      return;
    }
    const found = this.servers.get(rfc3261 ? serverKey(via, branch, 'INVITE') : rfc2543Key(cancel, 'INVITE'));
    const invite = found instanceof InviteServerTransaction && (rfc3261 || sameTag(cancel.to.tag, found.request.to.tag)) ? found : undefined;

    const tx = new NonInviteServerTransaction(this.ctx, key, cancel, flow);
    this.servers.set(key, tx);
    this.stats.serverTransactions++;
    tx.start();
    if (invite === undefined) {
      // "If the UAS did not find a matching transaction for the CANCEL according
      // to the procedure above, it SHOULD respond to the CANCEL with a 481
      // (Call Leg/Transaction Does Not Exist)."
      this.stats.cancelsUnmatched++;
      tx.respond(createResponse(cancel, 481, undefined, newTag()));
      return;
    }
    // "Regardless of the method of the original request, as long as the CANCEL
    // matched an existing transaction, the UAS answers the CANCEL request itself
    // with a 200 (OK) response." "The To tag of the response to the CANCEL and
    // the To tag in the response to the original request SHOULD be the same."
    this.stats.cancelsMatched++;
    tx.respond(createResponse(cancel, 200, undefined, invite.responseToTag ?? newTag()));
    // "If the UAS has already sent a final response for the original request,
    // the CANCEL has no effect on the processing of the original request" —
    // so only a still pending INVITE is reported to the TU.
    if (invite.state !== 'proceeding' || invite.cancelled) return;
    invite.markCancelled();
    try {
      this.tu.onCancel(invite, cancel);
    } catch (e) {
      this.tuError(e, 'onCancel');
    }
  }

  /**
   * An invalid request: answered statelessly with the problem's status and a
   * reason naming the problem when a response can be routed (§8.2, §16.3:
   * 400/416/483/505), else dropped. An ACK is never answered (§17).
   */
  private reject(request: SipRequest, flow: Flow, problem: ValidationProblem): void {
    if (!problem.routable || request.method === 'ACK') {
      this.stats.droppedRequests++;
      return;
    }
    let response: SipResponse;
    try {
      response = createResponse(request, problem.status, problem.reason);
    } catch {
      this.stats.droppedRequests++;
      return;
    }
    try {
      // §8.2.6.2: a response other than 100 carries a To tag; a broken To cannot get one.
      if (response.has('to') && response.to.tag === undefined) response.to.tag = newTag();
    } catch {
      // To unparseable: sent as copied.
    }
    this.stats.rejectedRequests++;
    this.logger?.debug({ status: problem.status, reason: problem.reason, from: flow.remoteAddress }, 'invalid request rejected');
    this.transport.sendResponse(response, flow).catch(this.rejectFailed);
  }

  private readonly rejectFailed = (e: unknown): void => {
    this.logger?.debug({ err: errorOf(e).message }, 'stateless error response not sent');
  };

  // ================================================================ internals

  private startClient(request: SipRequest, destination: Destination, user: ClientTransactionUser, branch: string): ClientTransaction {
    const method = request.method;
    const key = clientKey(branch, method);
    if (this.clients.has(key)) throw new Error(`a ${method} client transaction with branch ${branch} already exists`);
    const tx =
      method === 'INVITE'
        ? new InviteClientTransaction(this.ctx, key, request, destination, user)
        : new NonInviteClientTransaction(this.ctx, key, request, destination, user);
    this.clients.set(key, tx);
    this.stats.clientTransactions++;
    tx.start();
    return tx;
  }

  /** Apply the Via rule (file comment); returns the branch of the top Via. */
  private ensureVia(request: SipRequest, destination: Destination): string {
    let top: Via | undefined;
    if (request.has('via')) {
      top = request.topVia;
      const branch = top.branch;
      if (isRfc3261Branch(branch)) return branch;
    }
    const lp = this.transport.listeningPoint(destination.protocol);
    if (lp === undefined) throw new TransportError(`no listening point for ${destination.protocol}`, destination);
    const host = lp.address.includes(':') && !lp.address.startsWith('[') ? `[${lp.address}]` : lp.address;
    const branch = newBranch();
    const params = new Map<string, string | null>([
      ['branch', branch],
      ['rport', null],
    ]);
    const via = new Via(VIA_TRANSPORT[destination.protocol], host, lp.port, params);
    if (top !== undefined) request.vias[0] = via;
    else request.prepend('via', via.toString());
    return branch;
  }

  private release(side: 'client' | 'server', key: string, tx: object): void {
    const map: Map<string, object> = side === 'client' ? this.clients : this.servers;
    if (map.get(key) === tx) map.delete(key);
  }

  private tuError(error: unknown, where: string): void {
    this.stats.tuErrors++;
    this.logger?.warn({ err: errorOf(error).message, where }, 'transaction user callback threw');
  }
}
