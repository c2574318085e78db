/** Prometheus metrics of session resumption (SR-04, SR-05, SR-06) and its state sizes. */
import { Counter, Gauge, type Registry } from 'prom-client';

export class SrMetrics {
  readonly reconnects: Counter;
  readonly newCalls: Counter;
  readonly expired: Counter;

  constructor(registry: Registry, sizes: () => { held: number; tracked: number; timers: number }) {
    const r = [registry];
    this.reconnects = new Counter({ name: 'ma_sr_reconnects_total', help: 'Redials reconnected to the held call (SR-04)', registers: r });
    this.newCalls = new Counter({ name: 'ma_sr_new_calls_total', help: 'Redials that placed a new call to the stored target (SR-05)', registers: r });
    this.expired = new Counter({ name: 'ma_sr_expired_total', help: 'Resumption records deleted by the Session Resumption Await Timer (SR-06)', registers: r });
    new Gauge({
      name: 'ma_sr_state',
      help: 'Session resumption state sizes (must return to idle)',
      labelNames: ['kind'],
      registers: r,
      collect() {
        const s = sizes();
        this.set({ kind: 'held_calls' }, s.held);
        this.set({ kind: 'tracked_calls' }, s.tracked);
        this.set({ kind: 'sr_timers' }, s.timers);
      },
    });
  }
}
