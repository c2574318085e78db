/**
 * The configuration schema. Every object is strict (unknown keys are errors) and every leaf has
 * a default, so `configSchema.parse({})` yields the embedded defaults (mirrored in config/default.yaml,
 * which a test keeps equal).
 */
import { z } from 'zod';
import { bool, intMin, intRange, list, nonEmpty, oneOf, port, str } from './fields.js';
import { mobilitySchema, withDomainDefaults, type MobilityParameters } from './mobility-schema.js';

export const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;
export type SipTransport = (typeof TRANSPORTS)[number];

const listenerSchema = z
  .strictObject({
    transport: oneOf(TRANSPORTS),
    host: nonEmpty('a host or IP address'),
    port: port(),
    tls: z.strictObject({ cert: nonEmpty('a file path'), key: nonEmpty('a file path') }).optional(),
    /** HTTP path for ws/wss listeners. */
    path: str().optional(),
    /** Address (and port) to put in Via/Contact when bound to a wildcard or behind NAT. */
    advertisedHost: nonEmpty('a host or IP address').optional(),
    advertisedPort: port().optional(),
  })
  .superRefine((l, ctx) => {
    if ((l.transport === 'tls' || l.transport === 'wss') && !l.tls) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: `is required for transport ${l.transport} ({cert, key})` });
    }
  });
export type SipListener = z.output<typeof listenerSchema>;

const sipSchema = z
  .strictObject({
    listen: list(listenerSchema)
      .min(1, { error: 'needs at least one listener' })
      .default([
        { transport: 'udp', host: '127.0.0.1', port: 5060 },
        { transport: 'tcp', host: '127.0.0.1', port: 5060 },
      ]),
    timers: z
      .strictObject({
        t1Ms: intRange(1, 60000).default(500),
        t2Ms: intRange(1, 600000).default(4000),
        t4Ms: intRange(1, 600000).default(5000),
      })
      .prefault({}),
    maxMessageBytes: intRange(1024, 1048576).default(65535),
    sessionTimer: z
      .strictObject({
        enabled: bool().default(true),
        sessionExpiresS: intRange(90, 86400).default(1800),
        minSeS: intRange(90, 86400).default(90),
      })
      .prefault({})
      .superRefine((st, ctx) => {
        if (st.minSeS > st.sessionExpiresS) {
          ctx.addIssue({ code: 'custom', path: ['minSeS'], message: `must not exceed sessionExpiresS (${st.minSeS} > ${st.sessionExpiresS})` });
        }
      }),
    userAgent: str().default('mobility-anchor'),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.listen.forEach((l, i) => {
      const key = `${l.transport} ${l.host}:${l.port}`;
      if (seen.has(key) && l.port !== 0) ctx.addIssue({ code: 'custom', path: ['listen', i], message: `duplicate listener ${key}` });
      seen.add(key);
    });
    if (s.timers.t1Ms > s.timers.t2Ms) {
      ctx.addIssue({ code: 'custom', path: ['timers', 't1Ms'], message: `must not exceed t2Ms (${s.timers.t1Ms} > ${s.timers.t2Ms})` });
    }
  });

const rtpengineLaunchSchema = z
  .strictObject({
    /** true: start /usr/bin/rtpengine as a child process; false: use one already running on host:ngPort. */
    launch: bool().default(true),
    binary: nonEmpty('a file path').default('/usr/bin/rtpengine'),
    host: nonEmpty('a host or IP address').default('127.0.0.1'),
    ngPort: intRange(1, 65535).default(22222),
    portMin: intRange(1024, 65535).default(30000),
    portMax: intRange(1024, 65535).default(30999),
  })
  .superRefine((r, ctx) => {
    if (r.portMin > r.portMax) ctx.addIssue({ code: 'custom', path: ['portMin'], message: `must not exceed portMax (${r.portMin} > ${r.portMax})` });
  });

const rtpengineExternalSchema = z.strictObject({
  host: nonEmpty('a host or IP address'),
  port: intRange(1, 65535),
});

const mediaSchema = z
  .strictObject({
    rtpengine: rtpengineLaunchSchema.optional(),
    rtpengines: list(rtpengineExternalSchema).min(1, { error: 'needs at least one {host, port}' }).optional(),
    /** ng control protocol request timeout and retries (per engine, then fail over to the next). */
    ngTimeoutMs: intRange(50, 60000).default(1000),
    ngRetries: intRange(0, 10).default(2),
    /** false: signalling only, SDP passed through unchanged (no rtpengine commands). */
    anchor: bool().default(true),
    /**
     * RFC 4733 digits detected by rtpengine (`--dtmf-log-dest`, spec DTMF-01): the server listens
     * on host:port and passes that address to the rtpengine it launches. port 0 = any free port
     * (launched rtpengine only; an external rtpengine needs a fixed port in its own config).
     */
    dtmfEvents: z
      .strictObject({
        enabled: bool().default(true),
        host: nonEmpty('a host or IP address').default('127.0.0.1'),
        port: intRange(0, 65535).default(0),
      })
      .prefault({}),
  })
  .superRefine((m, ctx) => {
    if (m.rtpengine && m.rtpengines) ctx.addIssue({ code: 'custom', path: [], message: 'set either rtpengine or rtpengines, not both' });
    if (!m.rtpengine && !m.rtpengines) ctx.addIssue({ code: 'custom', path: [], message: 'one of rtpengine or rtpengines is required' });
  });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const rootShape = {
  /** SIP domain of the server (AORs, default sendToMobileUri/handoutUri, default auth realm). */
  domain: nonEmpty('a domain name or IP address').default('127.0.0.1'),
  sip: sipSchema.prefault({}),
  http: z
    .strictObject({
      host: nonEmpty('a host or IP address').default('127.0.0.1'),
      port: port().default(8080),
    })
    .prefault({}),
  media: mediaSchema.prefault({ rtpengine: {} }),
  dataDir: nonEmpty('a directory path').default('./data'),
  log: z.strictObject({ level: oneOf(LOG_LEVELS).default('info') }).prefault({}),
  overload: z
    .strictObject({
      maxCallsInSetup: intRange(1, 1000000).default(2000),
      maxCps: intRange(1, 100000).default(2500),
      retryAfterS: intRange(0, 3600).default(5),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** Digest realm; defaults to `domain`. */
      realm: nonEmpty('a realm').optional(),
      nonceTtlS: intRange(10, 86400).default(300),
      algorithms: list(oneOf(['SHA-256', 'MD5'])).min(1, { error: 'needs at least one algorithm' }).default(['MD5', 'SHA-256']),
      lockout: z
        .strictObject({
          /** Failed digest attempts (per source address and username) within windowS before lockout; 0 = off. */
          threshold: intRange(0, 1000).default(5),
          windowS: intRange(1, 86400).default(300),
          durationS: intRange(1, 86400).default(600),
        })
        .prefault({}),
    })
    .prefault({}),
  registrar: z
    .strictObject({
      minExpiresS: intMin(1).default(60),
      maxExpiresS: intMin(1).default(3600),
      defaultExpiresS: intMin(1).default(3600),
    })
    .prefault({})
    .superRefine((r, ctx) => {
      if (r.minExpiresS > r.maxExpiresS) ctx.addIssue({ code: 'custom', path: ['minExpiresS'], message: `must not exceed maxExpiresS (${r.minExpiresS} > ${r.maxExpiresS})` });
      else if (r.defaultExpiresS < r.minExpiresS || r.defaultExpiresS > r.maxExpiresS) {
        ctx.addIssue({ code: 'custom', path: ['defaultExpiresS'], message: `must be between minExpiresS and maxExpiresS (${r.minExpiresS}..${r.maxExpiresS}, got ${r.defaultExpiresS})` });
      }
    }),
  mobility: mobilitySchema.prefault({}),
  /** Provisioning documents (directory records, see config/example-trunk.yaml) applied at startup; create-or-update by id. */
  provisionFiles: list(nonEmpty('a file path')).default([]),
};

const rootObject = z.strictObject(rootShape);

/** The schema of the whole file. Output: {@link Config} (domain-dependent defaults filled in). */
export const configSchema = rootObject.transform((c) => ({
  ...c,
  auth: { ...c.auth, realm: c.auth.realm ?? c.domain },
  mobility: withDomainDefaults(c.mobility, c.domain),
}));

/** Defaults before the domain-dependent fill-in: the base layer onto which files and partials merge. */
export function schemaDefaults(): ConfigInput {
  return rootObject.parse({}) as ConfigInput;
}

type Raw = z.output<typeof rootObject>;
export type Config = Omit<Raw, 'auth' | 'mobility'> & {
  auth: Omit<Raw['auth'], 'realm'> & { realm: string };
  mobility: MobilityParameters;
};
export type ConfigInput = z.input<typeof rootObject>;
export type MediaConfig = Config['media'];
export type SipConfig = Config['sip'];
