/** Prometheus metrics of Single Number Reach (registered on the server's registry). */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Destination kinds: the desk devices (and a mobile client over IP), RDs, MIs. */
export type DestinationKind = 'desk' | 'rd' | 'mi';

export class SnrMetrics {
  readonly forks: Counter<'kind'>;
  readonly answers: Counter<'kind'>;
  readonly answerTooSoon: Counter<'kind'>;
  readonly answerTooLate: Counter<'kind'>;
  readonly userControl: Counter<'result'>;
  readonly skipped: Counter<'reason'>;
  readonly overflow: Counter<'action'>;
  readonly forwarded: Counter<'reason'>;
  readonly calls: Counter<'answered'>;

  constructor(registry: Registry, sizes: () => Record<string, number>) {
    const registers = [registry];
    this.forks = new Counter({ name: 'ma_snr_forks_total', help: 'SNR fork INVITEs sent, by destination kind', labelNames: ['kind'], registers });
    this.answers = new Counter({ name: 'ma_snr_answers_total', help: 'SNR calls answered, by the kind of destination that won', labelNames: ['kind'], registers });
    this.answerTooSoon = new Counter({
      name: 'ma_snr_answer_too_soon_total',
      help: 'RD forks that answered before Answer Too Soon and were dropped (TMR-02)',
      labelNames: ['kind'],
      registers,
    });
    this.answerTooLate = new Counter({
      name: 'ma_snr_answer_too_late_total',
      help: 'RD forks cancelled at Answer Too Late (TMR-03)',
      labelNames: ['kind'],
      registers,
    });
    this.userControl = new Counter({
      name: 'ma_snr_user_control_total',
      help: 'User-control voicemail avoidance outcomes (VMA-03)',
      labelNames: ['result'],
      registers,
    });
    this.skipped = new Counter({ name: 'ma_snr_skipped_forks_total', help: 'RDs not rung for a call, by reason', labelNames: ['reason'], registers });
    this.overflow = new Counter({
      name: 'ma_snr_overflow_total',
      help: 'Calls over the per-user SNR limit (SNR-07, D-10), by action',
      labelNames: ['action'],
      registers,
    });
    this.forwarded = new Counter({
      name: 'ma_snr_forwarded_total',
      help: 'Calls to lines forwarded to the no-answer / busy destination (SNR-06), by Diversion reason',
      labelNames: ['reason'],
      registers,
    });
    this.calls = new Counter({ name: 'ma_snr_calls_total', help: 'SNR calls ended, by where they were answered', labelNames: ['answered'], registers });
    new Gauge({
      name: 'ma_snr_state_size',
      help: 'Entries in the SNR feature maps (must return to 0 when idle)',
      labelNames: ['map'],
      registers,
      collect() {
        for (const [k, v] of Object.entries(sizes())) this.set({ map: k }, v);
      },
    });
  }
}
