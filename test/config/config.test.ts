import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  buildConfig,
  ConfigError,
  defaultConfig,
  defaultConfigPath,
  loadConfig,
  MOBILITY_KEYS,
  parseYamlConfig,
  resolveMobilityParameters,
} from '../../src/config/index.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const tmp = () => mkdtempSync(join(tmpdir(), 'ma-config-'));

/** Spec §16, row by row: key → default. */
const SPEC_16_DEFAULTS = {
  delayBeforeRingingMs: 4000,
  answerTooSoonMs: 1500,
  answerTooLateMs: 19000,
  snrVoicemailPolicy: 'useSystemDefault',
  voicemailSelectionPolicy: 'timerControl',
  userControlPromptDelayMs: 1000,
  userControlDtmfWaitMs: 5000,
  maxWaitTimeForDeskPickupMs: 10000,
  sessionHandoffAlertingTimerS: 10,
  callAwaitTimerS: 30,
  sessionResumptionAwaitTimerS: 180,
  forwardNoAnswerTimerS: 12,
  matchCallerIdWithRemoteDestination: 'complete',
  callerIdPartialMatchDigits: 10,
  inboundCssForRemoteDestination: 'trunkInboundCss',
  rerouteRemoteDestinationCallsToEnterpriseNumber: false,
  ignoreCallForwardAllOnEnterpriseDn: true,
  ringAllSharedLines: true,
  enableMobileVoiceAccess: false,
  enableEnterpriseFeatureAccess: false,
  systemRemoteAccessBlockedNumbers: '',
  dvoForwardServiceAccessNumber: '',
  efaNumbers: [],
  mobilityFeatureCodes: { hold: '*81', exclusiveHold: '*82', resume: '*83', transfer: '*84', conference: '*85', sessionHandoff: '*74' },
  dtmfInterDigitTimeoutMs: 3000,
  maxPinAttempts: 3,
  dvoAlternateCallbackRingTimeoutS: 45,
  passThroughFeatureDigits: true,
  snrOverflowAction: 'voicemail',
  snrOnCode: '*9501',
  snrOffCode: '*9500',
  snrStatusCode: '*9502',
  sendToMobileUri: 'sip:*9503@127.0.0.1',
  deskPickupCode: '*9504',
  applyBlockedNumbersToDvo: true,
  handoutUri: 'sip:*9505@127.0.0.1',
  dvoCtrlAnswerOn: 'connect',
  srTriggerCauses: [],
  mvaDirectoryNumber: '',
  handoffNumber: '',
  ivrInputTimeoutS: 10,
  pinLockoutThreshold: 10,
  pinLockoutDurationS: 900,
};

/** §16 ranges: [key, lowest accepted, highest accepted]. */
const SPEC_16_RANGES: [string, number, number][] = [
  ['delayBeforeRingingMs', 0, 60000],
  ['answerTooSoonMs', 0, 60000],
  ['answerTooLateMs', 0, 60000],
  ['maxWaitTimeForDeskPickupMs', 0, 30000],
  ['sessionHandoffAlertingTimerS', 1, 300],
  ['callAwaitTimerS', 5, 120],
  ['sessionResumptionAwaitTimerS', 0, 300],
  ['forwardNoAnswerTimerS', 1, 300],
  ['callerIdPartialMatchDigits', 1, 24],
  ['dtmfInterDigitTimeoutMs', 500, 10000],
  ['maxPinAttempts', 1, 10],
  ['dvoAlternateCallbackRingTimeoutS', 1, 300],
  ['ivrInputTimeoutS', 3, 60],
  ['pinLockoutThreshold', 0, 100],
  ['pinLockoutDurationS', 60, 86400],
];

describe('defaults', () => {
  it('mobility defaults equal spec §16', () => {
    const m = defaultConfig().mobility as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(SPEC_16_DEFAULTS)) expect(m[k], k).toEqual(v);
  });

  it('every mobility key is either a §16 key or a documented partition/locale companion', () => {
    const extra = MOBILITY_KEYS.filter((k) => !(k in SPEC_16_DEFAULTS));
    expect(extra.sort()).toEqual(['handoffPartition', 'mvaPartition', 'mvaPromptLocale']);
  });

  it('§16 ranges: the bounds are accepted and one step outside is refused, naming the key', () => {
    for (const [key, lo, hi] of SPEC_16_RANGES) {
      expect(buildConfig({ mobility: { [key]: lo } }).mobility[key as 'callAwaitTimerS']).toBe(lo);
      expect(buildConfig({ mobility: { [key]: hi } }).mobility[key as 'callAwaitTimerS']).toBe(hi);
      expect(errorOf(() => buildConfig({ mobility: { [key]: lo - 1 } }))).toBe(
        `config error: mobility.${key}: must be between ${lo} and ${hi} (got ${lo - 1})`,
      );
      expect(errorOf(() => buildConfig({ mobility: { [key]: hi + 1 } }))).toContain(`mobility.${key}: must be between ${lo} and ${hi}`);
    }
  });

  it('main settings', () => {
    const c = defaultConfig();
    expect(c.sip.listen).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '127.0.0.1', port: 5060 },
    ]);
    expect(c.sip.timers).toEqual({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.media.rtpengine).toMatchObject({ launch: true, ngPort: 22222 });
    expect(c.media.rtpengines).toBeUndefined();
    expect(c.dataDir).toBe('./data');
    expect(c.registrar).toEqual({ minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600 });
    expect(c.auth.realm).toBe(c.domain);
    expect(c.provisionFiles).toEqual([]);
  });

  it('config/default.yaml mirrors the schema defaults and is what loadConfig() reads', () => {
    const path = defaultConfigPath();
    expect(path).toBeDefined();
    expect(buildConfig(parse(readFileSync(path!, 'utf8')))).toEqual(defaultConfig());
    expect(loadConfig(undefined, {})).toEqual(defaultConfig());
  });

  it('domain-dependent defaults follow domain', () => {
    const c = buildConfig({ domain: 'pbx.example.com' });
    expect(c.mobility.sendToMobileUri).toBe('sip:*9503@pbx.example.com');
    expect(c.mobility.handoutUri).toBe('sip:*9505@pbx.example.com');
    expect(c.auth.realm).toBe('pbx.example.com');
    expect(buildConfig({ domain: 'x.org', mobility: { sendToMobileUri: 'sip:stm@x.org' } }).mobility.sendToMobileUri).toBe('sip:stm@x.org');
  });
});

describe('validation errors name the key', () => {
  it('range', () => {
    expect(errorOf(() => buildConfig({ mobility: { callAwaitTimerS: 3 } }))).toBe(
      'config error: mobility.callAwaitTimerS: must be between 5 and 120 (got 3)',
    );
  });

  it('type', () => {
    expect(errorOf(() => buildConfig({ mobility: { callAwaitTimerS: '30' } } as never))).toBe(
      'config error: mobility.callAwaitTimerS: must be an integer between 5 and 120 (got "30")',
    );
    expect(errorOf(() => buildConfig({ mobility: { callAwaitTimerS: 30.5 } }))).toContain('mobility.callAwaitTimerS: must be an integer');
    expect(errorOf(() => buildConfig({ http: 'x' } as never))).toBe('config error: http: must be a mapping (got "x")');
    expect(errorOf(() => buildConfig({ mobility: { ringAllSharedLines: 'yes' } } as never))).toBe(
      'config error: mobility.ringAllSharedLines: must be true or false (got "yes")',
    );
  });

  it('enum', () => {
    expect(errorOf(() => buildConfig({ mobility: { matchCallerIdWithRemoteDestination: 'fuzzy' } } as never))).toBe(
      'config error: mobility.matchCallerIdWithRemoteDestination: must be one of complete, partial (got "fuzzy")',
    );
    expect(errorOf(() => buildConfig({ sip: { listen: [{ transport: 'sctp', host: 'h', port: 1 }] } } as never))).toContain(
      'sip.listen.0.transport: must be one of udp, tcp, tls, ws, wss',
    );
  });

  it('unknown keys, at any depth', () => {
    expect(errorOf(() => buildConfig({ mobilty: {} } as never))).toBe('config error: mobilty: unknown key');
    expect(errorOf(() => buildConfig({ mobility: { callAwaitTimer: 30 } } as never))).toBe('config error: mobility.callAwaitTimer: unknown key');
    expect(errorOf(() => buildConfig({ sip: { timers: { t3Ms: 1 } } } as never))).toBe('config error: sip.timers.t3Ms: unknown key');
    expect(errorOf(() => buildConfig({ mobility: { mobilityFeatureCodes: { park: '*86' } } } as never))).toBe(
      'config error: mobility.mobilityFeatureCodes.park: unknown key',
    );
  });

  it('reports every problem, one per line', () => {
    const msg = errorOf(() => buildConfig({ mobility: { callAwaitTimerS: 1, maxPinAttempts: 0 }, http: { port: 70000 } }));
    expect(msg.split('\n').sort()).toEqual([
      'config error: http.port: must be between 0 and 65535 (got 70000)',
      'config error: mobility.callAwaitTimerS: must be between 5 and 120 (got 1)',
      'config error: mobility.maxPinAttempts: must be between 1 and 10 (got 0)',
    ]);
  });

  it('cross-field rules', () => {
    expect(errorOf(() => buildConfig({ registrar: { minExpiresS: 600, maxExpiresS: 60 } }))).toContain('registrar.minExpiresS: must not exceed maxExpiresS');
    expect(errorOf(() => buildConfig({ sip: { listen: [{ transport: 'tls', host: '127.0.0.1', port: 5061 }] } }))).toBe(
      'config error: sip.listen.0.tls: is required for transport tls ({cert, key})',
    );
    expect(buildConfig({ sip: { listen: [{ transport: 'tls', host: '127.0.0.1', port: 5061, tls: { cert: 'c', key: 'k' } }] } }).sip.listen).toHaveLength(1);
    expect(errorOf(() => buildConfig({ media: { rtpengine: { portMin: 40000, portMax: 30000 } } }))).toContain('media.rtpengine.portMin');
  });
});

describe('DTMF-06 feature codes', () => {
  const codes = (c: Record<string, string>) => buildConfig({ mobility: { mobilityFeatureCodes: c } });
  it('accepts the defaults and other valid sets', () => {
    expect(codes({ hold: '*71', resume: '*73' }).mobility.mobilityFeatureCodes.hold).toBe('*71');
    expect(codes({ hold: '*#1' }).mobility.mobilityFeatureCodes.hold).toBe('*#1');
  });
  it('each code starts with *', () => {
    expect(errorOf(() => codes({ resume: '83' }))).toBe('config error: mobility.mobilityFeatureCodes.resume: must start with "*" (got "83")');
  });
  it('codes are distinct', () => {
    expect(errorOf(() => codes({ resume: '*81' }))).toBe('config error: mobility.mobilityFeatureCodes.resume: duplicates hold ("*81")');
  });
  it('no code is a prefix of another', () => {
    expect(errorOf(() => codes({ sessionHandoff: '*8' }))).toContain(
      'mobility.mobilityFeatureCodes.hold: "*81" starts with sessionHandoff "*8" (no code may be a prefix of another)',
    );
  });
  it('only dialable characters', () => {
    expect(errorOf(() => codes({ hold: '*8x' }))).toContain('mobility.mobilityFeatureCodes.hold: must be "*" followed by dialable characters');
  });
});

describe('DVO-F-04 number syntax (TS-46)', () => {
  const san = (v: string) => buildConfig({ mobility: { dvoForwardServiceAccessNumber: v } }).mobility.dvoForwardServiceAccessNumber;
  it('\\+ plus 23 digits (24 dialable characters) is accepted', () => {
    const v = '\\+' + '1'.repeat(23);
    expect(san(v)).toBe(v);
  });
  it('\\+ plus 24 digits, or 25 plain digits, is refused', () => {
    expect(errorOf(() => san('\\+' + '1'.repeat(24)))).toBe(
      'config error: mobility.dvoForwardServiceAccessNumber: at most 24 dialable characters (got 25)',
    );
    expect(errorOf(() => san('1'.repeat(25)))).toContain('at most 24 dialable characters (got 25)');
  });
  it('allows 0-9 * # A-D and \\+ in any position; refuses a bare + and other characters', () => {
    expect(san('*12#AB\\+CD9')).toBe('*12#AB\\+CD9');
    expect(errorOf(() => san('+14081239876'))).toContain('a "+" must be written "\\+"');
    expect(errorOf(() => san('1408e'))).toContain('invalid character "e"');
    expect(errorOf(() => san('1408\\1'))).toContain('may only escape "+"');
  });
  it('EFA numbers follow the same rule and carry a partition; one default', () => {
    const efa = (n: string, isDefault = true) => ({ number: n, partition: 'PT', isDefault });
    expect(buildConfig({ mobility: { efaNumbers: [efa('\\+14085556666')] } }).mobility.efaNumbers[0]!.number).toBe('\\+14085556666');
    expect(errorOf(() => buildConfig({ mobility: { efaNumbers: [efa('+14085556666')] } }))).toContain('mobility.efaNumbers.0.number');
    expect(errorOf(() => buildConfig({ mobility: { efaNumbers: [efa('1239876', false), efa('1239877', false)] } }))).toBe(
      'config error: mobility.efaNumbers: exactly one EFA number must have isDefault: true (got 0)',
    );
    expect(errorOf(() => buildConfig({ mobility: { efaNumbers: [efa('1239876'), efa('1239876', false)] } }))).toContain(
      'mobility.efaNumbers.1.number: number "1239876" is already used by efaNumbers.0.number',
    );
    expect(errorOf(() => buildConfig({ mobility: { efaNumbers: [{ number: '1239876' }] } } as never))).toContain(
      'mobility.efaNumbers.0.partition',
    );
  });
  it('HOUT-05: the handoff number differs from EFA, SAN and MVA numbers', () => {
    expect(
      errorOf(() =>
        buildConfig({
          mobility: { efaNumbers: [{ number: '\\+14085556666', partition: 'P', isDefault: true }], handoffNumber: '+14085556666', handoffPartition: 'P' },
        }),
      ),
    ).toBe('config error: mobility.handoffNumber: must differ from an EFA number (HOUT-05; both are "+14085556666")');
    expect(errorOf(() => buildConfig({ mobility: { handoffNumber: '+14085553000' } }))).toContain('mobility.handoffPartition: must name a partition');
  });
  it('blocked numbers list syntax', () => {
    expect(buildConfig({ mobility: { systemRemoteAccessBlockedNumbers: '9911, 911' } }).mobility.systemRemoteAccessBlockedNumbers).toBe('9911, 911');
    expect(errorOf(() => buildConfig({ mobility: { systemRemoteAccessBlockedNumbers: '9911,abc' } }))).toContain(
      'mobility.systemRemoteAccessBlockedNumbers: entry "abc"',
    );
  });
});

describe('buildConfig deep merge', () => {
  it('merges partial objects onto the defaults; lists replace', () => {
    const c = buildConfig({ sip: { timers: { t1Ms: 100 } }, mobility: { mobilityFeatureCodes: { hold: '*71' } } });
    expect(c.sip.timers).toEqual({ t1Ms: 100, t2Ms: 4000, t4Ms: 5000 });
    expect(c.mobility.mobilityFeatureCodes).toMatchObject({ hold: '*71', resume: '*83' });
    const one = buildConfig({ sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] } });
    expect(one.sip.listen).toEqual([{ transport: 'udp', host: '127.0.0.1', port: 0 }]);
  });
  it('an external rtpengine list replaces the launched engine', () => {
    const c = buildConfig({ media: { rtpengines: [{ host: '127.0.0.1', port: 2223 }] } });
    expect(c.media.rtpengine).toBeUndefined();
    expect(c.media.rtpengines).toEqual([{ host: '127.0.0.1', port: 2223 }]);
    expect(errorOf(() => buildConfig({ media: { rtpengine: {}, rtpengines: [{ host: 'a', port: 1 }] } }))).toBe(
      'config error: media: set either rtpengine or rtpengines, not both',
    );
  });
  it('does not modify its argument', () => {
    const partial = { mobility: { callAwaitTimerS: 20 } };
    buildConfig(partial);
    expect(partial).toEqual({ mobility: { callAwaitTimerS: 20 } });
  });
});

describe('loadConfig', () => {
  it('reads a YAML file over the defaults', () => {
    const dir = tmp();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'domain: ma.example\nmobility:\n  callAwaitTimerS: 45\n  efaNumbers:\n    - { number: "\\\\+14085556666", partition: PT-all }\n');
    const c = loadConfig(file, {});
    expect(c.domain).toBe('ma.example');
    expect(c.mobility.callAwaitTimerS).toBe(45);
    expect(c.mobility.efaNumbers[0]).toEqual({ number: '\\+14085556666', partition: 'PT-all', description: '', isDefault: false });
    expect(c.mobility.sessionResumptionAwaitTimerS).toBe(180);
  });

  it('MA_CONFIG names the file when no path is given', () => {
    const file = join(tmp(), 'c.yaml');
    writeFileSync(file, 'log: { level: debug }\n');
    expect(loadConfig(undefined, { MA_CONFIG: file }).log.level).toBe('debug');
  });

  it('file errors name the key; YAML errors name the file', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'mobility:\n  callAwaitTimerS: 3\n');
    expect(errorOf(() => loadConfig(bad, {}))).toBe('config error: mobility.callAwaitTimerS: must be between 5 and 120 (got 3)');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'mobility: [\n');
    expect(errorOf(() => loadConfig(broken, {}))).toContain(`config error: ${broken}: YAML`);
    writeFileSync(broken, 'a: 1\na: 2\n');
    expect(errorOf(() => loadConfig(broken, {}))).toContain('YAML');
    expect(errorOf(() => loadConfig(join(dir, 'missing.yaml'), {}))).toContain('cannot read');
    expect(errorOf(() => parseYamlConfig('- 1\n', 'x.yaml'))).toBe('config error: x.yaml: the top level must be a mapping of keys');
    expect(parseYamlConfig('', 'empty.yaml')).toEqual({});
  });

  describe('environment overrides', () => {
    const file = () => {
      const f = join(tmp(), 'c.yaml');
      writeFileSync(
        f,
        'sip:\n  listen:\n    - { transport: udp, host: 127.0.0.1, port: 5060 }\n    - { transport: tcp, host: 127.0.0.1, port: 5060 }\n    - { transport: tls, host: 127.0.0.1, port: 5061, tls: { cert: c, key: k } }\nhttp: { port: 8080 }\n',
      );
      return f;
    };
    it('apply over file values', () => {
      const c = loadConfig(file(), {
        MA_SIP_HOST: '127.0.0.2',
        MA_SIP_PORT: '5070',
        MA_HTTP_PORT: '9090',
        MA_HTTP_HOST: '127.0.0.3',
        MA_DATA_DIR: '/tmp/ma-data',
        MA_LOG_LEVEL: 'warn',
        MA_RTPENGINE: '127.0.0.1:2222, [::1]:2223',
      });
      expect(c.sip.listen.map((l) => `${l.transport}:${l.host}:${l.port}`)).toEqual(['udp:127.0.0.2:5070', 'tcp:127.0.0.2:5070', 'tls:127.0.0.2:5061']);
      expect(c.http).toEqual({ host: '127.0.0.3', port: 9090 });
      expect(c.dataDir).toBe('/tmp/ma-data');
      expect(c.log.level).toBe('warn');
      expect(c.media.rtpengine).toBeUndefined();
      expect(c.media.rtpengines).toEqual([
        { host: '127.0.0.1', port: 2222 },
        { host: '::1', port: 2223 },
      ]);
    });
    it('empty variables are ignored', () => {
      expect(loadConfig(file(), { MA_HTTP_PORT: '' }).http.port).toBe(8080);
    });
    it('bad values name the variable', () => {
      expect(errorOf(() => loadConfig(file(), { MA_SIP_PORT: 'x' }))).toBe('config error: MA_SIP_PORT: must be an integer between 0 and 65535 (got "x")');
      expect(errorOf(() => loadConfig(file(), { MA_HTTP_PORT: '65536' }))).toContain('MA_HTTP_PORT');
      expect(errorOf(() => loadConfig(file(), { MA_LOG_LEVEL: 'loud' }))).toContain('MA_LOG_LEVEL: must be one of');
      expect(errorOf(() => loadConfig(file(), { MA_RTPENGINE: 'host-without-port' }))).toBe(
        'config error: MA_RTPENGINE: "host-without-port" is not host:port',
      );
    });
    it('buildConfig ignores the environment', () => {
      process.env.MA_HTTP_PORT = '1234';
      try {
        expect(buildConfig({}).http.port).toBe(8080);
      } finally {
        delete process.env.MA_HTTP_PORT;
      }
    });
  });
});

describe('service-parameter overrides', () => {
  it('are merged and validated with the config values', () => {
    const base = defaultConfig().mobility;
    const m = resolveMobilityParameters(base, { callAwaitTimerS: 60, mobilityFeatureCodes: { hold: '*71' } }, 'd.example');
    expect(m.callAwaitTimerS).toBe(60);
    expect(m.mobilityFeatureCodes.resume).toBe('*83');
    expect(m.sendToMobileUri).toBe('sip:*9503@127.0.0.1');
    expect(errorOf(() => resolveMobilityParameters(base, { callAwaitTimerS: 500 }, 'd'))).toBe(
      'config error: mobility.callAwaitTimerS: must be between 5 and 120 (got 500)',
    );
  });
});

describe('data paths', () => {
  it('directory and state files live in dataDir', async () => {
    const { dataPaths } = await import('../../src/config/index.js');
    expect(dataPaths({ dataDir: './data' }, '/srv/ma')).toEqual({
      dataDir: '/srv/ma/data',
      directoryDb: '/srv/ma/data/directory.sqlite',
      stateDb: '/srv/ma/data/state.sqlite',
    });
    expect(dataPaths({ dataDir: '/var/lib/ma' }).stateDb).toBe('/var/lib/ma/state.sqlite');
  });
});
