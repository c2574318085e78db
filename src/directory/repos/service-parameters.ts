/**
 * Service parameters: overrides of the config's `mobility:` values (key → JSON value), validated
 * together with the config values so that every §16 range and cross-field rule still holds.
 */
import type { DirectoryContext } from '../context.js';
import { DirectoryError, invalid } from '../errors.js';
import { ConfigError } from '../../config/errors.js';
import { MOBILITY_KEYS, type MobilityParameters } from '../../config/mobility-schema.js';
import { unescapeDialable } from '../../config/dialable.js';

export class ServiceParameterRepo {
  constructor(
    private readonly ctx: DirectoryContext,
    /** Merges overrides onto the config values and validates (throws ConfigError). */
    private readonly resolve: (overrides: Record<string, unknown>) => MobilityParameters,
  ) {}

  get(key: string): unknown {
    const r = this.ctx.stmt('SELECT value FROM service_parameters WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? JSON.parse(r.value) : undefined;
  }

  list(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.ctx.stmt('SELECT key, value FROM service_parameters ORDER BY key').all() as { key: string; value: string }[]) {
      out[r.key] = JSON.parse(r.value);
    }
    return out;
  }

  /** Sets several parameters at once (validated together); returns the effective parameters. */
  setMany(values: Readonly<Record<string, unknown>>): MobilityParameters {
    for (const k of Object.keys(values)) {
      if (!(MOBILITY_KEYS as readonly string[]).includes(k)) throw invalid(`${k}: unknown service parameter`);
    }
    const merged = { ...this.list(), ...values };
    let effective: MobilityParameters;
    try {
      effective = this.resolve(merged);
    } catch (e) {
      if (e instanceof ConfigError) throw new DirectoryError('invalid', e.problems.join('; '));
      throw e;
    }
    this.checkReferences(effective);
    this.ctx.tx(() => {
      const up = this.ctx.stmt('INSERT INTO service_parameters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      for (const [k, v] of Object.entries(values)) up.run(k, JSON.stringify(v));
    });
    this.ctx.changed('parameters', 'dialPlan', 'remoteDestinations');
    return effective;
  }

  set(key: string, value: unknown): MobilityParameters {
    return this.setMany({ [key]: value });
  }

  delete(key: string): boolean {
    const ok = this.ctx.stmt('DELETE FROM service_parameters WHERE key = ?').run(key).changes > 0;
    if (ok) this.ctx.changed('parameters', 'dialPlan', 'remoteDestinations');
    return ok;
  }

  /** Partitions named by feature numbers exist; the handoff number is not a DN (HOUT-05). */
  checkReferences(m: MobilityParameters): void {
    for (const p of problemsWithReferences(this.ctx, m)) throw invalid(p);
  }
}

export function problemsWithReferences(ctx: DirectoryContext, m: MobilityParameters): string[] {
  const problems: string[] = [];
  const partition = (field: string, name: string) => {
    if (name !== '' && !ctx.exists('partitions', 'name', name)) problems.push(`mobility.${field}: partition "${name}" does not exist`);
  };
  m.efaNumbers.forEach((e, i) => partition(`efaNumbers.${i}.partition`, e.partition));
  if (m.mvaDirectoryNumber !== '') partition('mvaPartition', m.mvaPartition);
  if (m.handoffNumber !== '') {
    partition('handoffPartition', m.handoffPartition);
    const h = unescapeDialable(m.handoffNumber);
    const dn = ctx.stmt('SELECT number FROM lines WHERE number = ? OR did = ? LIMIT 1').get(h, h) as { number: string } | undefined;
    if (dn) problems.push(`mobility.handoffNumber: equals directory number ${dn.number} (HOUT-05)`);
  }
  return problems;
}
