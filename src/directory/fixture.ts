/**
 * The spec's common test fixture F (§18.0), provisioned into a directory. Unit tests and the
 * SIPp end-to-end tests share it; the trunk peer (the SIPp instance playing T) is overridable.
 *
 * Not in §18.0 and therefore chosen here: ids (U1, U2, L5001, D1, …), SIP usernames and
 * passwords of the devices, the CSS name `CSS-all`, the NANP globalisation rules of T, and
 * the DID→DN translations of T for the three DIDs. U2 has no PIN and no MVA ID (§18.0 gives none).
 */
import type { Directory } from './directory.js';
import type { NumberRule } from './numbers.js';
import type { Device, EndUser, EnterpriseLine, RemoteDestination, RemoteDestinationProfile, Trunk, TrunkTransport } from './types.js';

export interface FixtureOptions {
  trunkHost?: string;
  trunkPort?: number;
  trunkTransport?: TrunkTransport;
  /** Host part of device AORs. Default: the directory's domain. */
  domain?: string;
  /** Digest realm of the device credentials. Default: the domain. */
  realm?: string;
  /** Password of each device's SIP credentials. Default: `<username>-secret`. */
  password?: (username: string) => string;
}

export interface Fixture {
  partition: 'PT-all';
  css: 'CSS-all';
  trunk: Trunk;
  users: { U1: EndUser; U2: EndUser };
  lines: { L5001: EnterpriseLine; L5002: EnterpriseLine; L2000: EnterpriseLine };
  devices: { D1: Device; D2: Device; D3: Device; M1: Device };
  rdProfile: RemoteDestinationProfile;
  rds: { RD1: RemoteDestination; MI2: RemoteDestination };
  /** SIP credentials per device id. */
  credentials: Record<'D1' | 'D2' | 'D3' | 'M1', { username: string; password: string; realm: string; aor: string }>;
  /** Numbers named in §18.0. */
  numbers: {
    U1_DN: '5001';
    U1_DID: '+14085551234';
    U1_PIN: '1234';
    U1_MVA_ID: '81001';
    RD1: '+14085557890';
    U2_DN: '5002';
    U2_DID: '+14085552000';
    MI2: '+14085551111';
    VOICEMAIL: '8000';
    EFA: '+14085556666';
    EFA_CONFIGURED: '\\+14085556666';
    MVA: '+14085552345';
    HANDOFF: '+14085553000';
    C: '+19725553456';
    X_DN: '2000';
    X_DID: '+14085552999';
    UNROUTABLE: '6999';
  };
}

/** T's inbound rules: NANP forms → +E.164 (then continue), then the DIDs of §18.0 → DNs. */
export const FIXTURE_INBOUND_RULES: NumberRule[] = [
  { match: '[2-9]XX[2-9]XXXXXX', prefix: '+1', continue: true, description: '10-digit NANP → +1' },
  { match: '1[2-9]XX[2-9]XXXXXX', prefix: '+', continue: true, description: '11-digit NANP → +' },
  { match: '011!', strip: 3, prefix: '+', continue: true, description: 'international access → +' },
  { match: '\\+14085551234', applyTo: 'called', replace: '5001', description: 'U1 DID → DN' },
  { match: '\\+14085552000', applyTo: 'called', replace: '5002', description: 'U2 DID → DN' },
  { match: '\\+14085552999', applyTo: 'called', replace: '2000', description: 'X DID → DN' },
];

export function seedFixture(dir: Directory, opts: FixtureOptions = {}): Fixture {
  const domain = opts.domain ?? dir.domain;
  const realm = opts.realm ?? domain;
  const password = opts.password ?? ((u: string) => `${u}-secret`);
  const P = 'PT-all' as const;
  const CSS = 'CSS-all' as const;

  return dir.transaction(() => {
    dir.partitions.create({ name: P, description: 'fixture F: every number' });
    dir.css.create({ name: CSS, partitions: [P] });

    const trunk = dir.trunks.create({
      id: 'T',
      name: 'PSTN trunk T',
      peerHost: opts.trunkHost ?? '127.0.0.1',
      port: opts.trunkPort ?? 5090,
      transport: opts.trunkTransport ?? 'udp',
      trusted: true,
      inboundCss: CSS,
      inboundRules: FIXTURE_INBOUND_RULES,
      outboundRules: [],
      dtmfMode: ['info', 'rfc4733'],
      sendDiversionOnMobilityForks: true,
    });

    const line = (id: string, number: string, did: string, displayName: string, voicemail: boolean) =>
      dir.lines.create({
        id,
        number,
        partition: P,
        lineCss: CSS,
        did,
        displayName,
        ...(voicemail ? { noAnswerRingDurationS: 30, callForwardNoAnswer: '8000', voicemailPilot: '8000' } : {}),
      });
    const L5001 = line('L5001', '5001', '+14085551234', 'Alice', true);
    const L5002 = line('L5002', '5002', '+14085552000', 'Bob', true);
    const L2000 = line('L2000', '2000', '+14085552999', 'X', false);

    // Route patterns: 9 + 1 + 10 digits and + + digits to T, called number sent as +E.164.
    dir.routePatterns.create({ id: 'RP-9-NANP', partition: P, pattern: '9.1XXXXXXXXXX', target: { kind: 'trunk', id: 'T' }, stripPreDot: true, prefix: '+' });
    dir.routePatterns.create({ id: 'RP-E164', partition: P, pattern: '\\+!', target: { kind: 'trunk', id: 'T' } });

    dir.users.create({
      userId: 'U1',
      displayName: 'Alice',
      mvaNumericId: '81001',
      pin: '1234',
      enableMobility: true,
      enableMobileVoiceAccess: true,
      primaryLine: 'L5001',
      timeZone: 'America/Los_Angeles',
    });
    dir.users.create({ userId: 'U2', displayName: 'Bob', enableMobility: true, primaryLine: 'L5002' });

    const creds = {} as Fixture['credentials'];
    const device = (id: 'D1' | 'D2' | 'D3' | 'M1', make: (aor: string, username: string) => Device) => {
      const username = id.toLowerCase();
      const aor = `sip:${username}@${domain}`;
      const d = make(aor, username);
      const pw = password(username);
      dir.credentials.set(username, realm, pw, id);
      creds[id] = { username, password: pw, realm, aor };
      return d;
    };
    const desk = (id: 'D1' | 'D2' | 'D3', owner: string | null, lineId: string) =>
      device(id, (aor, username) =>
        dir.devices.create({
          kind: 'desk',
          id,
          ownerUser: owner,
          sipUsername: username,
          aor,
          css: CSS,
          lines: [lineId],
          capabilities: { replaces: true, dialogEvent: true, refer: true },
        }),
      );
    const D1 = desk('D1', 'U1', 'L5001');
    const D2 = desk('D2', 'U2', 'L5002');
    const D3 = desk('D3', null, 'L2000');
    const M1 = device('M1', (aor, username) =>
      dir.devices.create({
        kind: 'mobileClient',
        id: 'M1',
        ownerUser: 'U2',
        sipUsername: username,
        aor,
        css: CSS,
        rerouteCss: CSS,
        lines: ['L5002'],
        hasCellularRadio: true,
        dvoEnabled: true,
        dvoForwardCapable: true,
        transferToMobileNetwork: 'useMobilitySoftkey',
      }),
    );

    const rdProfile = dir.rdProfiles.create({ id: 'P1', name: 'Alice RD profile', ownerUser: 'U1', lines: ['L5001'], css: CSS, rerouteCss: CSS });
    const RD1 = dir.remoteDestinations.create({
      id: 'RD1',
      name: 'Alice mobile',
      number: '+14085557890',
      parent: { kind: 'rdProfile', id: 'P1' },
      enableSnr: true,
      mobilePhone: true,
      snrVoicemailPolicy: 'timerControl',
      accessPolicy: 'always',
      ringSchedule: null,
    }).record;
    const MI2 = dir.remoteDestinations.create({
      id: 'MI2',
      name: 'Bob mobility identity',
      number: '+14085551111',
      isMobilityIdentity: true,
      parent: { kind: 'mobileClient', id: 'M1' },
      enableSnr: true,
      mobilityProfile: null,
    }).record;

    dir.serviceParameters.setMany({
      enableMobileVoiceAccess: true,
      enableEnterpriseFeatureAccess: true,
      matchCallerIdWithRemoteDestination: 'complete',
      efaNumbers: [{ number: '\\+14085556666', partition: P, description: 'default EFA number', isDefault: true }],
      dvoForwardServiceAccessNumber: '',
      mvaDirectoryNumber: '+14085552345',
      mvaPartition: P,
      handoffNumber: '+14085553000',
      handoffPartition: P,
    });

    return {
      partition: P,
      css: CSS,
      trunk,
      users: { U1: dir.users.get('U1')!, U2: dir.users.get('U2')! },
      lines: { L5001, L5002, L2000 },
      devices: { D1, D2, D3, M1 },
      rdProfile,
      rds: { RD1, MI2 },
      credentials: creds,
      numbers: {
        U1_DN: '5001',
        U1_DID: '+14085551234',
        U1_PIN: '1234',
        U1_MVA_ID: '81001',
        RD1: '+14085557890',
        U2_DN: '5002',
        U2_DID: '+14085552000',
        MI2: '+14085551111',
        VOICEMAIL: '8000',
        EFA: '+14085556666',
        EFA_CONFIGURED: '\\+14085556666',
        MVA: '+14085552345',
        HANDOFF: '+14085553000',
        C: '+19725553456',
        X_DN: '2000',
        X_DID: '+14085552999',
        UNROUTABLE: '6999',
      },
    };
  });
}
