/** Mutable counters behind ManagedTransportLayer.stats(); snapshots are plain copies. */
import { ALL_PROTOCOLS } from './address.js';
import type { ProtocolStats, TransportProtocol, TransportStats } from './types.js';

function zero(): ProtocolStats {
  return {
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    parseFailures: 0,
    sendFailures: 0,
    keepalives: 0,
    openConnections: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    connectionsReaped: 0,
  };
}

export class StatsCounters {
  readonly p: TransportStats;

  constructor() {
    const p = {} as Record<TransportProtocol, ProtocolStats>;
    for (const proto of ALL_PROTOCOLS) p[proto] = zero();
    this.p = p;
  }

  snapshot(): TransportStats {
    const out = {} as Record<TransportProtocol, ProtocolStats>;
    for (const proto of ALL_PROTOCOLS) out[proto] = { ...this.p[proto] };
    return out;
  }
}
