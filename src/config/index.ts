export { loadConfig, buildConfig, defaultConfig, defaultConfigPath, parseYamlConfig, readYamlConfig, validateConfig } from './load.js';
export type { PartialConfig, DeepPartial } from './load.js';
export { configSchema, schemaDefaults, TRANSPORTS, LOG_LEVELS } from './schema.js';
export type { Config, ConfigInput, SipListener, SipTransport, MediaConfig, SipConfig } from './schema.js';
export {
  mobilitySchema,
  efaNumberSchema,
  MOBILITY_KEYS,
  FEATURE_CODE_KEYS,
  withDomainDefaults,
  defaultEfaNumber,
} from './mobility-schema.js';
export type { MobilityParameters, MobilityInput, MobilityKey, EfaNumberConfig, FeatureCodeKey } from './mobility-schema.js';
export { ConfigError, formatIssues } from './errors.js';
export { ENV_KEYS, applyEnvOverrides } from './env.js';
export type { Env } from './env.js';
export { parseDialable, unescapeDialable, checkFeatureCodes, parseBlockedNumbers, isDialCode, MAX_DIALABLE_CHARS } from './dialable.js';
export { resolveMobilityParameters } from './service-parameters.js';
export { dataPaths } from './paths.js';
export type { DataPaths } from './paths.js';
