/**
 * Shared part of the INVITE and non-INVITE client transactions (RFC 3261 §17.1):
 * sending the request, transport failure handling (§17.1.4, §8.1.3.1) and the
 * calls into the client TU, each guarded so a throwing TU cannot wedge a machine.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Destination } from '../transport/types.js';
import { type TransactionContext, errorOf } from './context.js';
import { Transaction, type TransitionTable } from './transaction.js';
import type { ClientTransaction, ClientTransactionState, ClientTransactionUser } from './types.js';

export abstract class ClientTransactionBase extends Transaction<ClientTransactionState> implements ClientTransaction {
  private last: SipResponse | undefined;
  /**
   * Where the request really went: equal to `destination` unless the transport
   * moved an oversized UDP request to TCP (§18.1.1). ACK and CANCEL follow it.
   */
  protected sentTo: Destination;

  protected constructor(
    ctx: TransactionContext,
    id: string,
    readonly request: SipRequest,
    readonly destination: Destination,
    protected readonly user: ClientTransactionUser,
    initial: ClientTransactionState,
    table: TransitionTable<ClientTransactionState>,
  ) {
    super(id, ctx, ctx.transport.isReliable(destination.protocol), initial, table, 'client');
    this.sentTo = destination;
  }

  /** The last response received; undefined again once the transaction terminated. */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  protected override releaseMessages(): void {
    this.last = undefined;
  }

  /** Enter the initial state: send the request and start the timers. */
  abstract start(): void;
  /** A response matched this transaction (§17.1.3). */
  abstract receiveResponse(response: SipResponse): void;
  abstract cancel(reason?: string): ClientTransaction | undefined;
  /** Stop the retransmission timer (A or E) after the transport went reliable. */
  protected abstract stopRetransmissions(): void;

  /** True while the request itself is outstanding, i.e. a send failure is fatal. */
  protected abstract awaitingResponse(): boolean;

  // ------------------------------------------------------------------ sending

  protected sendRequest(first: boolean): void {
    const sent = this.ctx.transport.send(this.request, this.sentTo);
    if (first && this.destination.allowTcpSwitch === true) sent.then(this.requestSent, this.requestFailed);
    else sent.catch(this.requestFailed);
  }

  /** Send an ACK for a non-2xx final; its loss is repaired by the next response retransmission. */
  protected sendAck(ack: SipRequest): void {
    this.ctx.transport.send(ack, this.sentTo).catch(this.ackFailed);
  }

  /**
   * §18.1.1: the transport may carry an oversized UDP request over TCP and says
   * so by rewriting the top Via. From then on the transaction runs the reliable
   * rules: no retransmissions (§17.1.1.2 "SHOULD NOT start timer A").
   */
  private readonly requestSent = (): void => {
    if (this.reliable || this.terminated) return;
    let transport: string;
    try {
      transport = this.request.topVia.transport;
    } catch {
      return;
    }
    if (transport === 'TCP' && this.destination.protocol === 'udp') {
      this.reliable = true;
      this.sentTo = { ...this.destination, protocol: 'tcp', allowTcpSwitch: false };
      this.stopRetransmissions();
    }
  };

  /**
   * §17.1.4: "If a fatal transport error is reported by the transport layer
   * (generally, due to fatal ICMP errors in UDP or connection failures in TCP),
   * the condition MUST be treated as a 503 (Service Unavailable) status code."
   * §8.1.3.1 / §17.1.4: the client transaction SHOULD inform the TU and SHOULD
   * transition directly to the "Terminated" state.
   */
  private readonly requestFailed = (e: unknown): void => {
    if (this.terminated || !this.awaitingResponse()) {
      this.ctx.logger?.debug({ tx: this.id, err: errorOf(e).message }, 'late send failure ignored');
      return;
    }
    this.ctx.stats.transportErrors++;
    this.notifyTransportError(errorOf(e));
    this.terminate();
  };

  private readonly ackFailed = (e: unknown): void => {
    this.ctx.logger?.debug({ tx: this.id, err: errorOf(e).message }, 'ACK send failed');
  };

  // ------------------------------------------------------------ TU callbacks

  protected deliver(response: SipResponse): void {
    this.last = response;
    try {
      this.user.onResponse(response, this);
    } catch (e) {
      this.ctx.tuError(e, 'onResponse');
    }
  }

  protected notifyTimeout(): void {
    this.ctx.stats.timeouts++;
    try {
      this.user.onTimeout?.(this);
    } catch (e) {
      this.ctx.tuError(e, 'onTimeout');
    }
  }

  private notifyTransportError(error: Error): void {
    try {
      this.user.onTransportError?.(error, this);
    } catch (e) {
      this.ctx.tuError(e, 'onTransportError');
    }
  }

  protected notifyTerminated(): void {
    try {
      this.user.onTerminated?.(this);
    } catch (e) {
      this.ctx.tuError(e, 'onTerminated');
    }
  }
}
