/**
 * Effective mobility parameters = config `mobility:` overlaid with the directory's service
 * parameters (key → JSON value), validated as a whole so cross-field rules still hold.
 */
import { mobilitySchema, withDomainDefaults, type MobilityParameters } from './mobility-schema.js';
import { ConfigError, formatIssues } from './errors.js';

export function resolveMobilityParameters(
  base: MobilityParameters,
  overrides: Readonly<Record<string, unknown>>,
  domain: string,
): MobilityParameters {
  const merged: Record<string, unknown> = { ...base };
  // Domain-dependent defaults are recomputed unless overridden, so an override of one does not freeze the other.
  for (const [k, v] of Object.entries(overrides)) {
    if (k === 'mobilityFeatureCodes' && v && typeof v === 'object' && !Array.isArray(v)) {
      merged[k] = { ...base.mobilityFeatureCodes, ...(v as object) };
    } else merged[k] = v;
  }
  const r = mobilitySchema.safeParse(merged);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, merged, 'mobility'));
  return withDomainDefaults(r.data, domain);
}
