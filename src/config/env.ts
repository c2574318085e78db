/**
 * Environment overrides of the main settings, applied as the top config layer:
 *   MA_SIP_HOST   host of every SIP listener
 *   MA_SIP_PORT   port of the udp and tcp listeners (tls/ws/wss keep theirs)
 *   MA_HTTP_HOST, MA_HTTP_PORT, MA_DATA_DIR, MA_LOG_LEVEL
 *   MA_RTPENGINE  "host:port,host:port" → media.rtpengines (external list), replacing media.rtpengine
 * Values are checked here so that an error names the variable, not a key path.
 */
import { LOG_LEVELS } from './schema.js';
import { isPlainObject, type Plain } from './merge.js';

export type Env = Record<string, string | undefined>;

export const ENV_KEYS = ['MA_SIP_HOST', 'MA_SIP_PORT', 'MA_HTTP_HOST', 'MA_HTTP_PORT', 'MA_DATA_DIR', 'MA_LOG_LEVEL', 'MA_RTPENGINE'] as const;

function parsePort(name: string, v: string, problems: string[], min = 0): number | undefined {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > 65535) {
    problems.push(`${name}: must be an integer between ${min} and 65535 (got "${v}")`);
    return undefined;
  }
  return Number(v);
}

/** Parses "host:port,host:port" (IPv6 as "[::1]:22222"). */
export function parseHostPortList(name: string, v: string, problems: string[]): { host: string; port: number }[] | undefined {
  const out: { host: string; port: number }[] = [];
  for (const item of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(item);
    if (!m) {
      problems.push(`${name}: "${item}" is not host:port`);
      return undefined;
    }
    const port = parsePort(name, m[3]!, problems, 1);
    if (port === undefined) return undefined;
    out.push({ host: (m[1] ?? m[2])!, port });
  }
  if (out.length === 0) {
    problems.push(`${name}: needs at least one host:port`);
    return undefined;
  }
  return out;
}

/** Applies the overrides to a merged (not yet validated) config object; returns problems found. */
export function applyEnvOverrides(cfg: Plain, env: Env): string[] {
  const problems: string[] = [];
  const get = (k: (typeof ENV_KEYS)[number]) => {
    const v = env[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const sip = isPlainObject(cfg.sip) ? cfg.sip : (cfg.sip = {} as Plain);
  const listeners = Array.isArray(sip.listen) ? (sip.listen as unknown[]) : [];
  const host = get('MA_SIP_HOST');
  if (host !== undefined) for (const l of listeners) if (isPlainObject(l)) l.host = host;
  const sipPort = get('MA_SIP_PORT');
  if (sipPort !== undefined) {
    const p = parsePort('MA_SIP_PORT', sipPort, problems);
    if (p !== undefined) for (const l of listeners) if (isPlainObject(l) && (l.transport === 'udp' || l.transport === 'tcp')) l.port = p;
  }
  const http = isPlainObject(cfg.http) ? cfg.http : (cfg.http = {} as Plain);
  const httpHost = get('MA_HTTP_HOST');
  if (httpHost !== undefined) http.host = httpHost;
  const httpPort = get('MA_HTTP_PORT');
  if (httpPort !== undefined) {
    const p = parsePort('MA_HTTP_PORT', httpPort, problems);
    if (p !== undefined) http.port = p;
  }
  const dataDir = get('MA_DATA_DIR');
  if (dataDir !== undefined) cfg.dataDir = dataDir;
  const level = get('MA_LOG_LEVEL');
  if (level !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(level)) cfg.log = { ...(isPlainObject(cfg.log) ? cfg.log : {}), level };
    else problems.push(`MA_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`);
  }
  const rtp = get('MA_RTPENGINE');
  if (rtp !== undefined) {
    const engines = parseHostPortList('MA_RTPENGINE', rtp, problems);
    if (engines) {
      const media: Plain = isPlainObject(cfg.media) ? { ...cfg.media } : {};
      delete media.rtpengine;
      media.rtpengines = engines;
      cfg.media = media;
    }
  }
  return problems;
}
