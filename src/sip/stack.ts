/**
 * The SIP stack in one call: transports, transaction layer and UA core wired
 * together. This is the whole public surface most users of src/sip need.
 */
import { TransactionLayer } from './transaction/transaction-layer.js';
import type { TimerSettings } from './transaction/types.js';
import { type NetworkTransportLayer, createTransportLayer } from './transport/transport-layer.js';
import type { TransportLayerOptions } from './transport/options.js';
import type { TransportProtocol } from './transport/types.js';
import { UserAgentCore, type UserAgentHandlers } from './ua/user-agent-core.js';

export interface SipStackOptions extends TransportLayerOptions {
  timers: TimerSettings;
  handlers: UserAgentHandlers;
  /** Methods we accept; others get 405 with Allow. */
  allow?: readonly string[];
  /** Option tags we support (Supported, and 420 for other Require tags); default DEFAULT_SUPPORTED. */
  supported?: readonly string[];
}

export interface SipStack {
  transport: NetworkTransportLayer;
  transactions: TransactionLayer;
  ua: UserAgentCore;
  /** Our Contact for a protocol, e.g. `<sip:127.0.0.1:5060>`. */
  contact(protocol: TransportProtocol): string;
  close(): Promise<void>;
}

export const DEFAULT_ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE'] as const;

export async function createSipStack(o: SipStackOptions): Promise<SipStack> {
  const transport = await createTransportLayer(o);
  const contactCache = new Map<TransportProtocol, string>();
  const contact = (protocol: TransportProtocol): string => {
    let c = contactCache.get(protocol);
    if (c !== undefined) return c;
    const lp = transport.listeningPoint(protocol) ?? transport.listeningPoints()[0];
    if (lp === undefined) throw new Error('no SIP listening point');
    const host = lp.address.includes(':') && !lp.address.startsWith('[') ? `[${lp.address}]` : lp.address;
    c = `<sip:${host}:${lp.port}${lp.protocol === 'udp' ? '' : `;transport=${lp.protocol}`}>`;
    contactCache.set(protocol, c);
    return c;
  };
  const ua = new UserAgentCore(o.handlers, { timers: o.timers, contact, allow: o.allow ?? DEFAULT_ALLOW, ...(o.supported !== undefined ? { supported: o.supported } : {}) });
  const transactions = new TransactionLayer(transport, ua, { timers: o.timers, ...(o.logger !== undefined ? { logger: o.logger } : {}) });
  ua.attach(transactions);
  return {
    transport,
    transactions,
    ua,
    contact,
    async close() {
      transactions.close();
      await transport.close();
    },
  };
}
