/**
 * DVO call records (GEN-07, DVO-R-08) and the feature's Prometheus metrics.
 * Records are kept in memory, newest last, bounded; a call-record store is a later issue.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface DvoCallRecord {
  /** The CTRL dialog's Call-ID. */
  id: string;
  origin: 'dvoR' | 'dvoF';
  deviceId: string;
  target: string;
  /** DVO-R: the number called back. */
  callbackNumber?: string;
  /** DVO-R to the MI and DVO-F: true; DVO-R to an alternate number: false (DVO-R-08). */
  anchored: boolean;
  state: 'setup' | 'connected' | 'ended' | 'failed';
  /** Final status sent on CTRL when it failed. */
  status?: number;
  startedAt: number;
  connectedAt?: number;
  endedAt?: number;
  /** The media anchor's call id (DVO-R bridge) or the B2B call id (DVO-F). */
  callRef?: string;
}

const MAX_RECORDS = 500;

export class DvoCallRecords {
  private readonly list: DvoCallRecord[] = [];

  add(r: DvoCallRecord): DvoCallRecord {
    this.list.push(r);
    if (this.list.length > MAX_RECORDS) this.list.splice(0, this.list.length - MAX_RECORDS);
    return r;
  }

  all(): readonly DvoCallRecord[] {
    return this.list;
  }

  get(id: string): DvoCallRecord | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.id === id) return this.list[i];
    return undefined;
  }
}

export class DvoMetrics {
  readonly dvoFRequests: Counter;
  readonly dvoFCorrelated: Counter;
  readonly dvoFExpired: Counter;
  readonly dvoRCallbacks: Counter<'result'>;
  readonly dvoRejected: Counter<'kind' | 'status'>;
  readonly dispatched: Counter<'step'>;

  constructor(registry: Registry, sizes: () => { pendingDvoF: number; dvoRActive: number; dvoFConnected: number }) {
    const r = [registry];
    this.dvoFRequests = new Counter({ name: 'ma_dvo_f_requests_total', help: 'DVO-F requests accepted (183 sent, Call Await Timer started)', registers: r });
    this.dvoFCorrelated = new Counter({ name: 'ma_dvo_f_correlated_total', help: 'Inbound calls correlated with a pending DVO-F request', registers: r });
    this.dvoFExpired = new Counter({ name: 'ma_dvo_f_expired_total', help: 'Pending DVO-F requests whose Call Await Timer ran out', registers: r });
    this.dvoRCallbacks = new Counter({ name: 'ma_dvo_r_callbacks_total', help: 'DVO-R callback legs by result (answered = accepted by the user)', labelNames: ['result'], registers: r });
    this.dvoRejected = new Counter({ name: 'ma_dvo_rejected_total', help: 'DVO requests refused by a precondition', labelNames: ['kind', 'status'], registers: r });
    this.dispatched = new Counter({ name: 'ma_efa_dispatch_total', help: 'Inbound calls to an EFA number or the DVO-F access number, by dispatcher step', labelNames: ['step'], registers: r });
    new Gauge({
      name: 'ma_dvo_state',
      help: 'DVO runtime state sizes (must return to idle)',
      labelNames: ['kind'],
      registers: r,
      collect() {
        const s = sizes();
        this.set({ kind: 'pending_dvo_f' }, s.pendingDvoF);
        this.set({ kind: 'dvo_r_active' }, s.dvoRActive);
        this.set({ kind: 'dvo_f_connected' }, s.dvoFConnected);
      },
    });
  }
}
