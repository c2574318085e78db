/**
 * Minimal in-memory TransportLayer for the transaction tests: records every
 * send, lets a test inject inbound messages (re-parsed from text, as a real
 * transport would deliver them) and make sends fail.
 */
import type { SipMessageAny, SipResponse } from '../../../../src/sip/message/message.js';
import { parseMessage } from '../../../../src/sip/parser/index.js';
import type {
  Destination,
  Flow,
  InboundMessage,
  InboundParseFailure,
  ListeningPoint,
  TransportEvents,
  TransportLayer,
  TransportProtocol,
} from '../../../../src/sip/transport/types.js';
import { TransportError } from '../../../../src/sip/transport/types.js';

export interface SentRecord {
  /** A re-parsed copy: what the peer would receive. */
  message: SipMessageAny;
  text: string;
  destination?: Destination;
  flow?: Flow;
  /** Date.now() at send (fake timers: virtual milliseconds). */
  at: number;
}

export const UDP_FLOW: Flow = { protocol: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.2', remotePort: 5070 };
export const TCP_FLOW: Flow = { ...UDP_FLOW, protocol: 'tcp', connectionId: 'tcp-1' };
export const UDP_DEST: Destination = { protocol: 'udp', address: '127.0.0.2', port: 5070 };
export const TCP_DEST: Destination = { protocol: 'tcp', address: '127.0.0.2', port: 5070 };

export class FakeTransport implements TransportLayer {
  readonly sent: SentRecord[] = [];
  /** Return an error to make that send fail (asynchronously, as the contract says). */
  failWith: ((message: SipMessageAny) => Error | undefined) | undefined;
  private readonly messageHandlers: TransportEvents['message'][] = [];
  private readonly parseFailureHandlers: TransportEvents['parseFailure'][] = [];
  private readonly reliable = new Set<TransportProtocol>(['tcp', 'tls', 'ws', 'wss']);

  send(message: SipMessageAny, destination: Destination): Promise<void> {
    return this.record(message, { destination });
  }

  sendResponse(response: SipResponse, requestFlow: Flow): Promise<void> {
    return this.record(response, { flow: requestFlow });
  }

  listeningPoint(protocol: TransportProtocol): ListeningPoint | undefined {
    return protocol === 'udp' || protocol === 'tcp' ? { protocol, address: '127.0.0.1', port: 5060 } : undefined;
  }

  listeningPoints(): ListeningPoint[] {
    return [this.listeningPoint('udp')!, this.listeningPoint('tcp')!];
  }

  isReliable(protocol: TransportProtocol): boolean {
    return this.reliable.has(protocol);
  }

  on<E extends keyof TransportEvents>(event: E, handler: TransportEvents[E]): void {
    if (event === 'message') this.messageHandlers.push(handler as TransportEvents['message']);
    else this.parseFailureHandlers.push(handler as TransportEvents['parseFailure']);
  }

  async close(): Promise<void> {}

  /** Deliver a message as if it had arrived on `flow`. */
  inject(message: string | SipMessageAny, flow: Flow = UDP_FLOW): void {
    const text = typeof message === 'string' ? message : message.toString();
    const parsed = parseMessage(Buffer.from(text), { datagram: flow.protocol === 'udp' });
    const inbound: InboundMessage = { message: parsed, flow, size: text.length };
    for (const h of this.messageHandlers) h(inbound);
  }

  injectParseFailure(flow: Flow = UDP_FLOW): void {
    const f: InboundParseFailure = { flow, reason: 'garbage', size: 3 };
    for (const h of this.parseFailureHandlers) h(f);
  }

  /** Sent messages whose start line begins with `prefix` (e.g. 'INVITE', 'SIP/2.0 100', 'ACK'). */
  sentWith(prefix: string): SentRecord[] {
    return this.sent.filter((s) => s.text.startsWith(prefix));
  }

  clear(): void {
    this.sent.length = 0;
  }

  private record(message: SipMessageAny, where: { destination?: Destination; flow?: Flow }): Promise<void> {
    const text = message.toString();
    this.sent.push({ message: parseMessage(Buffer.from(text)), text, ...where, at: Date.now() });
    const err = this.failWith?.(message);
    if (err !== undefined) {
      return Promise.reject(err instanceof TransportError ? err : new TransportError(err.message, where.destination ?? UDP_DEST));
    }
    return Promise.resolve();
  }
}
