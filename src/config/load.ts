/**
 * Loading: schema defaults ← YAML file (or the embedded config/default.yaml) ← environment,
 * then one validation pass. Any problem throws {@link ConfigError}; main.ts prints it and exits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema, schemaDefaults, type Config } from './schema.js';
import { ConfigError, formatIssues } from './errors.js';
import { isPlainObject, mergeConfigLayer, type Plain } from './merge.js';
import { applyEnvOverrides, type Env } from './env.js';

/** A partial config, as accepted by {@link buildConfig}: any subset of the keys, at any depth. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly DeepPartial<U>[] | U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type PartialConfig = DeepPartial<Config>;

/** Locates config/default.yaml from this module (src/config or dist/src/config). */
export function defaultConfigPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'config', 'default.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** Parses YAML text into a mapping; `source` names the file in error messages. */
export function parseYamlConfig(text: string, source: string): Plain {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => `${source}: YAML ${e.message.split('\n')[0]}`));
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError([`${source}: the top level must be a mapping of keys`]);
  return value;
}

export function readYamlConfig(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`${path}: cannot read (${(e as Error).message})`]);
  }
  return parseYamlConfig(text, path);
}

/** Validates a fully merged raw object. */
export function validateConfig(raw: unknown): Config {
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, raw));
  return r.data as Config;
}

/** Merges layers onto the schema defaults and validates. */
export function buildFromLayers(layers: readonly unknown[], env?: Env): Config {
  let merged: unknown = schemaDefaults();
  for (const layer of layers) merged = mergeConfigLayer(merged, layer);
  if (env) {
    const problems = applyEnvOverrides(merged as Plain, env);
    if (problems.length) throw new ConfigError(problems);
  }
  return validateConfig(merged);
}

/**
 * Loads the configuration: `path`, else `$MA_CONFIG`, else the embedded config/default.yaml;
 * then the MA_* environment overrides. Throws ConfigError naming the key path and the reason.
 */
export function loadConfig(path?: string, env: Env = process.env): Config {
  const file = path ?? (env.MA_CONFIG || undefined) ?? defaultConfigPath();
  const layers = file ? [readYamlConfig(file)] : [];
  return buildFromLayers(layers, env);
}

/** Deep-merges `partial` onto the defaults and validates (for tests and embedding). No env overrides. */
export function buildConfig(partial: PartialConfig | Record<string, unknown> = {}): Config {
  return buildFromLayers([partial]);
}

/** The defaults alone (= config/default.yaml). */
export function defaultConfig(): Config {
  return buildConfig({});
}
