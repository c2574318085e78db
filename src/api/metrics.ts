/**
 * Prometheus metrics (prom-client). One registry per server instance so tests
 * can run several servers in one process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly callsActive: Gauge;
  readonly callsTotal: Counter<'result'>;
  readonly callSetupSeconds: Histogram;
  readonly sipMessages: Counter<'direction' | 'kind'>;
  readonly parseErrors: Counter;
  readonly overloadRejected: Counter;
  readonly authFailures: Counter<'kind'>;
  readonly mediaCommands: Counter<'command' | 'outcome'>;
  readonly mediaLatency: Histogram<'command'>;
  readonly registrations: Gauge;

  constructor(sizes: () => Record<string, number>, extra: () => Record<string, number> = () => ({})) {
    collectDefaultMetrics({ register: this.registry });
    const r = [this.registry];
    this.callsActive = new Gauge({ name: 'ma_calls_active', help: 'Calls in progress', registers: r });
    this.callsTotal = new Counter({ name: 'ma_calls_total', help: 'Calls ended, by result', labelNames: ['result'], registers: r });
    this.callSetupSeconds = new Histogram({
      name: 'ma_call_setup_seconds',
      help: 'Time from INVITE received to 200 OK sent',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: r,
    });
    this.sipMessages = new Counter({ name: 'ma_sip_messages_total', help: 'SIP messages', labelNames: ['direction', 'kind'], registers: r });
    this.parseErrors = new Counter({ name: 'ma_sip_parse_errors_total', help: 'Messages dropped or answered 400 because they could not be parsed', registers: r });
    this.overloadRejected = new Counter({ name: 'ma_overload_rejected_total', help: 'New calls answered 503 by admission control', registers: r });
    this.authFailures = new Counter({ name: 'ma_auth_failures_total', help: 'Failed digest authentications', labelNames: ['kind'], registers: r });
    this.mediaCommands = new Counter({ name: 'ma_rtpengine_commands_total', help: 'rtpengine ng commands', labelNames: ['command', 'outcome'], registers: r });
    this.mediaLatency = new Histogram({
      name: 'ma_rtpengine_latency_seconds',
      help: 'rtpengine ng command round trip',
      labelNames: ['command'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.2, 1],
      registers: r,
    });
    this.registrations = new Gauge({ name: 'ma_registrations', help: 'Registered contacts', registers: r });
    // Sizes of internal maps: each must return to its idle value after load.
    new Gauge({
      name: 'ma_internal_map_size',
      help: 'Entries in internal maps (transactions, dialogs, calls...)',
      labelNames: ['map'],
      registers: r,
      collect() {
        for (const [k, v] of Object.entries(sizes())) this.set({ map: k }, v);
      },
    });
    new Gauge({
      name: 'ma_stat',
      help: 'Internal counters (transport, transactions)',
      labelNames: ['name'],
      registers: r,
      collect() {
        for (const [k, v] of Object.entries(extra())) this.set({ name: k }, v);
      },
    });
  }
}
