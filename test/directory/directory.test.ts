import { beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.js';
import { computeHa1, Directory, DirectoryError, MAX_RDS_PER_USER } from '../../src/directory/index.js';

let dir: Directory;

/** A small base: partition, CSS, line 5001, user U1 (mobility), RD profile P1. */
function base(d: Directory): void {
  d.partitions.create({ name: 'PT' });
  d.css.create({ name: 'CSS', partitions: ['PT'] });
  d.lines.create({ id: 'L1', number: '5001', partition: 'PT', lineCss: 'CSS', did: '+14085551234', displayName: 'Alice' });
  d.users.create({ userId: 'U1', displayName: 'Alice', enableMobility: true, primaryLine: 'L1', pin: '1234', mvaNumericId: '81001' });
  d.rdProfiles.create({ id: 'P1', name: 'p', ownerUser: 'U1', lines: ['L1'], css: 'CSS', rerouteCss: 'CSS' });
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DirectoryError);
    return `${(e as DirectoryError).code}: ${(e as Error).message}`;
  }
  throw new Error('expected a DirectoryError');
}

beforeEach(() => {
  dir?.close();
  dir = new Directory();
});

describe('partitions and CSS', () => {
  it('CRUD, ordered partitions', () => {
    dir.partitions.create({ name: 'A', description: 'a' });
    dir.partitions.create({ name: 'B' });
    expect(dir.partitions.update('B', { description: 'bee' })).toEqual({ name: 'B', description: 'bee' });
    const css = dir.css.create({ name: 'C', partitions: ['B', 'A'] });
    expect(css.partitions).toEqual(['B', 'A']);
    expect(dir.css.update('C', { partitions: ['A'] }).partitions).toEqual(['A']);
    expect(dir.css.list().map((c) => c.name)).toEqual(['C']);
    expect(code(() => dir.css.create({ name: 'D', partitions: ['nope'] }))).toBe('invalid: partitions[0]: "nope" does not exist');
    expect(code(() => dir.css.create({ name: 'D', partitions: ['A', 'A'] }))).toContain('listed twice');
    expect(code(() => dir.partitions.create({ name: 'A' }))).toMatch(/^conflict/);
    expect(code(() => dir.partitions.delete('A'))).toBe('in_use: partition "A" is used by css_partitions');
    expect(dir.css.delete('C')).toBe(true);
    expect(dir.partitions.delete('A')).toBe(true);
    expect(dir.partitions.get('A')).toBeUndefined();
  });
});

describe('lines', () => {
  beforeEach(() => base(dir));
  it('find by DN (+partition) and DID', () => {
    dir.partitions.create({ name: 'PT2' });
    dir.lines.create({ id: 'L1b', number: '5001', partition: 'PT2' });
    expect(dir.findLine('5001', 'PT')!.id).toBe('L1');
    expect(dir.findLine('5001', 'PT2')!.id).toBe('L1b');
    expect(dir.findLine('5001')).toBeUndefined(); // ambiguous without partition
    expect(dir.findLineByDid('+14085551234')!.id).toBe('L1');
    dir.lines.delete('L1b');
    expect(dir.findLine('5001')!.id).toBe('L1');
  });
  it('update and validation', () => {
    const l = dir.lines.update('L1', { noAnswerRingDurationS: 30, callForwardNoAnswer: '8000', voicemailPilot: '8000' });
    expect(l).toMatchObject({ number: '5001', noAnswerRingDurationS: 30, callForwardNoAnswer: '8000' });
    expect(dir.lines.get('L1')).toEqual(l);
    expect(code(() => dir.lines.update('L1', { noAnswerRingDurationS: 0 }))).toBe('invalid: noAnswerRingDurationS: must be an integer between 1 and 300 (got 0)');
    expect(code(() => dir.lines.create({ number: '50x1', partition: 'PT' }))).toContain('number: "50x1" is not a dial string');
    expect(code(() => dir.lines.create({ number: '5002', partition: 'nope' }))).toBe('invalid: partition: "nope" does not exist');
    expect(code(() => dir.lines.create({ number: '5001', partition: 'PT' }))).toMatch(/^conflict/);
    expect(code(() => dir.lines.update('nope', {}))).toBe('not_found: line "nope" not found');
  });
});

describe('users', () => {
  beforeEach(() => base(dir));
  it('PIN is stored hashed and verified', async () => {
    expect(dir.findUser('U1')).toMatchObject({ userId: 'U1', hasPin: true, enableMobility: true, maxWaitTimeForDeskPickupMs: 10000, timeZone: 'UTC' });
    expect(await dir.users.verifyPin('U1', '1234')).toBe(true);
    expect(await dir.users.verifyPin('U1', '4321')).toBe(false);
    expect(await dir.users.verifyPin('nobody', '1234')).toBe(false);
    const row = dir.db.prepare('SELECT pin_hash FROM users').get() as { pin_hash: string };
    expect(row.pin_hash).toMatch(/^scrypt\$/);
    expect(row.pin_hash).not.toContain('1234');
    dir.users.update('U1', { pin: '9999' });
    expect(await dir.users.verifyPin('U1', '9999')).toBe(true);
    dir.users.update('U1', { pin: null });
    expect(dir.findUser('U1')!.hasPin).toBe(false);
    expect(code(() => dir.users.update('U1', { pin: '12a4' }))).toBe('invalid: pin: must be 1 to 32 digits');
  });
  it('lookups, defaults from the mobility parameters, validation', () => {
    expect(dir.findUserByMvaId('81001')!.userId).toBe('U1');
    dir.serviceParameters.set('maxWaitTimeForDeskPickupMs', 20000);
    expect(dir.users.create({ userId: 'U2' }).maxWaitTimeForDeskPickupMs).toBe(20000);
    expect(code(() => dir.users.create({ userId: 'U3', mvaNumericId: '81001' }))).toMatch(/^conflict/);
    expect(code(() => dir.users.create({ userId: 'U3', maxWaitTimeForDeskPickupMs: 30001 }))).toContain('between 0 and 30000');
    expect(code(() => dir.users.create({ userId: 'U3', timeZone: 'Mars/Olympus' }))).toContain('unknown time zone');
    expect(code(() => dir.users.create({ userId: 'U3', primaryLine: 'nope' }))).toContain('primaryLine');
    expect(dir.users.list().map((u) => u.userId)).toEqual(['U1', 'U2']);
    expect(dir.users.delete('U2')).toBe(true);
  });
  it('enableMobility cannot be switched off while the user owns RDs', () => {
    dir.remoteDestinations.create({ number: '+14085557890', parent: { kind: 'rdProfile', id: 'P1' } });
    expect(code(() => dir.users.update('U1', { enableMobility: false }))).toContain('still owns remote destinations');
  });
});

describe('devices and SIP credentials', () => {
  beforeEach(() => base(dir));
  it('desk and mobile-client devices, lookups by username and AOR', () => {
    const d1 = dir.devices.create({ kind: 'desk', id: 'D1', ownerUser: 'U1', sipUsername: 'd1', aor: 'sip:d1@EXAMPLE.com', css: 'CSS', lines: ['L1'] });
    expect(d1).toMatchObject({ kind: 'desk', aor: 'sip:d1@example.com', lines: ['L1'], capabilities: { replaces: true, dialogEvent: true, refer: true } });
    const m1 = dir.devices.create({ kind: 'mobileClient', id: 'M1', ownerUser: 'U1', sipUsername: 'm1', aor: 'sip:m1@example.com', lines: ['L1'], dvoEnabled: true });
    expect(m1).toMatchObject({ kind: 'mobileClient', dvoEnabled: true, dvoForwardCapable: false, hasCellularRadio: true, transferToMobileNetwork: 'useMobilitySoftkey' });
    expect(dir.findDeviceBySipUsername('m1')!.id).toBe('M1');
    expect(dir.findDeviceByAor('"Alice" <sip:d1@example.com:5060;transport=tcp>')!.id).toBe('D1');
    expect(dir.findDeviceByAor('sip:nobody@example.com')).toBeUndefined();
    expect(dir.devicesOnLine('L1').map((d) => d.id)).toEqual(['D1', 'M1']);
    expect(dir.devices.list({ kind: 'mobileClient' }).map((d) => d.id)).toEqual(['M1']);
    const upd = dir.devices.update('D1', { capabilities: { refer: false }, videoCapable: true });
    expect(upd).toMatchObject({ capabilities: { replaces: true, refer: false }, videoCapable: true, lines: ['L1'] });
    expect(dir.devices.delete('D1')).toBe(true);
    expect(dir.devicesOnLine('L1').map((d) => d.id)).toEqual(['M1']);
  });
  it('mobile-client rules (§17.1)', () => {
    dir.users.create({ userId: 'U9' });
    expect(code(() => dir.devices.create({ kind: 'mobileClient', id: 'M', ownerUser: 'U9', lines: ['L1'] }))).toContain('does not have enableMobility');
    expect(code(() => dir.devices.create({ kind: 'mobileClient', id: 'M', ownerUser: 'U1', lines: [] }))).toContain('at least one line');
    expect(code(() => dir.devices.create({ kind: 'mobileClient', id: 'M', lines: ['L1'] }))).toContain('needs an owner user');
    expect(code(() => dir.devices.create({ kind: 'mobileClient', id: 'M', ownerUser: 'U1', lines: ['L1'], dvoForwardCapable: true }))).toContain('needs dvoEnabled');
    expect(code(() => dir.devices.create({ kind: 'mobileClient', id: 'M', ownerUser: 'U1', lines: ['L1'], hasCellularRadio: false, dvoEnabled: true }))).toContain(
      'cellular radio',
    );
    expect(code(() => dir.devices.create({ kind: 'desk', id: 'X', sipUsername: 'x', lines: ['nope'] }))).toContain('lines[0]');
  });
  it('HA1 for MD5 and SHA-256 per realm; the password is never stored', () => {
    dir.devices.create({ kind: 'desk', id: 'D1', sipUsername: 'Mufasa', lines: ['L1'] });
    dir.credentials.set('Mufasa', 'testrealm@host.com', 'Circle Of Life', 'D1');
    dir.credentials.set('Mufasa', 'http-auth@example.org', 'Circle of Life', 'D1');
    expect(dir.getHa1('Mufasa', 'testrealm@host.com', 'MD5')).toBe('939e7578ed9e3c518a452acee763bce9'); // RFC 2617 §3.5
    expect(dir.getHa1('Mufasa', 'http-auth@example.org', 'SHA-256')).toBe('7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232'); // RFC 7616 §3.9.1
    expect(dir.getHa1('Mufasa', 'other', 'MD5')).toBeUndefined();
    expect(dir.credentials.get('Mufasa', 'testrealm@host.com')).toEqual({ username: 'Mufasa', realm: 'testrealm@host.com', deviceId: 'D1' });
    const dump = JSON.stringify(dir.db.prepare('SELECT * FROM sip_credentials').all());
    expect(dump).not.toMatch(/Circle/i);
    expect(computeHa1('a', 'b', 'c', 'MD5')).toHaveLength(32);
    dir.credentials.set('Mufasa', 'testrealm@host.com', 'new');
    expect(dir.getHa1('Mufasa', 'testrealm@host.com', 'MD5')).toBe(computeHa1('Mufasa', 'testrealm@host.com', 'new', 'MD5'));
    expect(dir.credentials.delete('Mufasa')).toBe(true);
    expect(dir.credentials.list()).toEqual([]);
  });
});

describe('remote destinations and mobility identities', () => {
  beforeEach(() => base(dir));
  const rd = (number: string, extra: Record<string, unknown> = {}) =>
    dir.remoteDestinations.create({ number, parent: { kind: 'rdProfile', id: 'P1' }, ...extra });

  it('defaults from the §16 per-RD parameters; listing and lookup', () => {
    const r = rd('+14085557890', { id: 'RD1', mobilePhone: true });
    expect(r.warnings).toEqual([]);
    expect(r.record).toMatchObject({
      ownerUser: 'U1',
      enableSnr: true,
      delayBeforeRingingMs: 4000,
      answerTooSoonMs: 1500,
      answerTooLateMs: 19000,
      snrVoicemailPolicy: 'useSystemDefault',
      ringSchedule: null,
      accessPolicy: 'always',
      isMobilityIdentity: false,
    });
    expect(dir.remoteDestinations.get('RD1')).toEqual(r.record);
    expect(dir.listRemoteDestinations('U1').map((x) => x.id)).toEqual(['RD1']);
    expect(dir.findRemoteDestinationByNumber('+14085557890')).toEqual({ kind: 'unique', value: r.record });
    expect(dir.remoteDestinations.findByStoredNumber('+1 408 555 7890')!.id).toBe('RD1');
  });

  it('config defaults are used for new RDs', () => {
    const d = new Directory({ mobility: buildConfig({ mobility: { delayBeforeRingingMs: 2500 } }).mobility, domain: 'x' });
    base(d);
    expect(d.remoteDestinations.create({ number: '+14085557890', parent: { kind: 'rdProfile', id: 'P1' } }).record.delayBeforeRingingMs).toBe(2500);
    d.close();
  });

  it('CID-05: duplicate numbers refused, warnings returned', () => {
    rd('+14085557890');
    expect(code(() => rd('+1-408-555-7890'))).toBe('conflict: number: number +14085557890 already exists (' + dir.listRemoteDestinations('U1')[0]!.id + ')');
    expect(rd('914085550000').warnings).toEqual([expect.stringContaining('steering digits')]);
    dir.serviceParameters.setMany({ matchCallerIdWithRemoteDestination: 'partial', callerIdPartialMatchDigits: 7 });
    expect(rd('+16505557890').warnings).toEqual([expect.stringContaining('last 7 digits')]);
  });

  it('SNR-03: at most 10 per user', () => {
    for (let i = 0; i < MAX_RDS_PER_USER; i++) rd(`+1408555700${i}`);
    expect(code(() => rd('+14085557100'))).toBe('invalid: user "U1" already has 10 remote destinations (SNR-03)');
  });

  it('never a DN of this server; D-47 MVA ID collision', () => {
    expect(code(() => rd('5001'))).toContain('is a directory number of this server');
    expect(code(() => rd('+14085551234'))).toContain('is a directory number of this server');
    expect(code(() => rd('81001'))).toContain('MVA numeric ID of user "U1"');
    rd('+14085557890');
    expect(code(() => dir.users.create({ userId: 'U5', mvaNumericId: '14085557890' }))).toContain('D-47');
  });

  it('owner must have mobility; MI rules; mobility profile only on an MI; D-26', () => {
    dir.users.create({ userId: 'U2', enableMobility: true });
    dir.lines.create({ id: 'L2', number: '5002', partition: 'PT' });
    dir.devices.create({ kind: 'mobileClient', id: 'M1', ownerUser: 'U2', lines: ['L2'], dvoEnabled: true });
    dir.devices.create({ kind: 'mobileClient', id: 'M2', ownerUser: 'U2', lines: ['L2'], dvoEnabled: true });
    dir.mobilityProfiles.create({ id: 'MP', name: 'mp', dvoRCallbackCallerId: '+14085550100' });
    expect(code(() => rd('+14085550001', { isMobilityIdentity: true }))).toContain('must belong to a mobile client device');
    expect(code(() => rd('+14085550001', { mobilityProfile: 'MP' }))).toContain('allowed only on a mobility identity');
    const mi = dir.remoteDestinations.create({ number: '+14085551111', isMobilityIdentity: true, parent: { kind: 'mobileClient', id: 'M1' }, mobilityProfile: 'MP' });
    expect(mi.record).toMatchObject({ ownerUser: 'U2', isMobilityIdentity: true, mobilityProfile: 'MP', parent: { kind: 'mobileClient', id: 'M1' } });
    expect(dir.mobilityIdentityOf('M1')!.id).toBe(mi.record.id);
    expect(code(() => dir.remoteDestinations.create({ number: '+14085551112', isMobilityIdentity: true, parent: { kind: 'mobileClient', id: 'M1' } }))).toContain(
      'already has mobility identity',
    );
    expect(code(() => dir.remoteDestinations.create({ number: '+14085551113', isMobilityIdentity: true, parent: { kind: 'mobileClient', id: 'M2' } }))).toContain(
      'D-26',
    );
    // An extra (non-MI) RD under a mobile client device is fine.
    expect(dir.remoteDestinations.create({ number: '+14085551114', parent: { kind: 'mobileClient', id: 'M2' } }).record.ownerUser).toBe('U2');
    expect(code(() => dir.remoteDestinations.create({ number: '+14085551115', parent: { kind: 'mobileClient', id: 'M1' }, ownerUser: 'U1' }))).toContain(
      "must be the parent's owner",
    );
    dir.users.create({ userId: 'U3' });
    dir.rdProfiles.create({ id: 'P3', name: 'p3', ownerUser: 'U3' });
    expect(code(() => dir.remoteDestinations.create({ number: '+14085550003', parent: { kind: 'rdProfile', id: 'P3' } }))).toContain('does not have enableMobility');
    expect(code(() => dir.remoteDestinations.create({ number: '+14085550003', parent: { kind: 'rdProfile', id: 'nope' } }))).toContain('does not exist');
  });

  it('access policy and ring schedule references are checked', () => {
    const allowed = dir.accessLists.create({ id: 'AL', name: 'allowed', ownerUser: 'U1', type: 'allowed', members: [{ kind: 'mask', value: '+1408555XXXX' }] });
    dir.accessLists.create({ id: 'BL', name: 'blocked', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'number', value: '+19725553456' }, { kind: 'private', value: null }] });
    dir.ringSchedules.create({ id: 'RS', name: 'office', ownerUser: 'U1', entries: [{ days: ['mon', 'fri'], start: '08:00', end: '18:00' }] });
    expect(allowed.members).toEqual([{ kind: 'mask', value: '+1408555XXXX' }]);
    const r = rd('+14085557890', { accessPolicy: { blockedList: 'BL' }, ringSchedule: 'RS' }).record;
    expect(r.accessPolicy).toEqual({ blockedList: 'BL' });
    expect(dir.remoteDestinations.get(r.id)!.ringSchedule).toBe('RS');
    expect(code(() => rd('+14085557891', { accessPolicy: { allowedList: 'BL' } }))).toContain('is of type blocked, not allowed');
    expect(code(() => rd('+14085557891', { ringSchedule: 'nope' }))).toContain('ringSchedule');
    expect(code(() => dir.ringSchedules.create({ name: 'bad', entries: [{ days: ['mon'], start: '18:00', end: '08:00' }] }))).toContain('end must be after start');
    expect(code(() => dir.accessLists.create({ name: 'x', ownerUser: 'U1', type: 'allowed', members: [{ kind: 'mask', value: '+1408555????' }] }))).toContain('mask');
    expect(code(() => dir.accessLists.delete('BL'))).toMatch(/^in_use/);
  });

  it('update re-checks and refreshes the caller-ID index', () => {
    const r = rd('+14085557890', { id: 'RD1' }).record;
    expect(dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('unique');
    const u = dir.remoteDestinations.update(r.id, { number: '+14085557899', enableSnr: false });
    expect(u.record).toMatchObject({ number: '+14085557899', enableSnr: false, ownerUser: 'U1' });
    expect(dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('none');
    expect(dir.findRemoteDestinationByNumber('+14085557899').kind).toBe('unique');
    expect(code(() => dir.remoteDestinations.update(r.id, { answerTooLateMs: 60001 }))).toContain('between 0 and 60000');
    expect(dir.remoteDestinations.delete(r.id)).toBe(true);
    expect(dir.findRemoteDestinationByNumber('+14085557899').kind).toBe('none');
  });

  it('matching follows the service parameters (mode and N)', () => {
    rd('914085557890', { id: 'RD1' });
    expect(dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('none');
    dir.serviceParameters.set('matchCallerIdWithRemoteDestination', 'partial');
    expect(dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('unique');
    dir.serviceParameters.set('callerIdPartialMatchDigits', 12);
    expect(dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('none');
    expect(dir.findRemoteDestinationByNumber('+14085557890', { digits: 10 }).kind).toBe('unique');
    expect(dir.findRemoteDestinationByNumber('+14085557890', { mode: 'complete' }).kind).toBe('none');
  });

  it('deleting the parent profile deletes its RDs', () => {
    rd('+14085557890');
    dir.rdProfiles.delete('P1');
    expect(dir.listRemoteDestinations('U1')).toEqual([]);
    expect(dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('none');
  });
});

describe('profiles', () => {
  beforeEach(() => base(dir));
  it('RD profile and mobility profile CRUD', () => {
    expect(dir.rdProfiles.get('P1')).toMatchObject({ ownerUser: 'U1', lines: ['L1'], css: 'CSS', dndEnabled: false });
    expect(dir.rdProfiles.update('P1', { dndEnabled: true, lines: [] })).toMatchObject({ dndEnabled: true, lines: [] });
    expect(dir.rdProfiles.list('U1')).toHaveLength(1);
    const mp = dir.mobilityProfiles.create({ name: 'mp' });
    expect(dir.mobilityProfiles.update(mp.id, { dvoRCallbackCallerId: '+14085550100' }).dvoRCallbackCallerId).toBe('+14085550100');
    expect(code(() => dir.mobilityProfiles.update(mp.id, { dvoRCallbackCallerId: 'abc' }))).toContain('dvoRCallbackCallerId');
    expect(dir.mobilityProfiles.delete(mp.id)).toBe(true);
    expect(dir.ringSchedules.list()).toEqual([]);
  });
});

describe('trunks and route patterns', () => {
  beforeEach(() => base(dir));
  it('trunk CRUD; carrier credentials as HA1; failover gateways', () => {
    const t = dir.trunks.create({
      id: 'T',
      peerHost: '127.0.0.1',
      port: 5090,
      trusted: true,
      inboundCss: 'CSS',
      dtmfMode: ['info', 'rfc4733'],
      auth: { username: 'acme', realm: 'carrier', password: 'pw' },
      registration: { aor: 'sip:acme@carrier' },
      alternates: [{ peerHost: '127.0.0.2', port: 5090, transport: 'udp' }],
    });
    expect(t).toMatchObject({ transport: 'udp', sendDiversionOnMobilityForks: false, mobilityForkCallingIdentity: 'original', answerSupervision: true, maxConcurrentCalls: null });
    expect(t.auth).toEqual({ username: 'acme', realm: 'carrier', ha1Md5: computeHa1('acme', 'carrier', 'pw', 'MD5'), ha1Sha256: computeHa1('acme', 'carrier', 'pw', 'SHA-256') });
    expect(t.registration).toEqual({ aor: 'sip:acme@carrier', registrar: null, expiresS: 3600 });
    expect(JSON.stringify(dir.db.prepare('SELECT * FROM trunks').all())).not.toContain('"pw"');
    expect(dir.getTrunk('T')).toEqual(t);
    expect(dir.findTrunkBySource('127.0.0.2', 5090)!.id).toBe('T');
    expect(dir.findTrunkBySource('127.0.0.1')!.id).toBe('T');
    expect(dir.findTrunkBySource('127.0.0.9', 5090)).toBeUndefined();
    expect(dir.trunks.update('T', { maxConcurrentCalls: 10 }).maxConcurrentCalls).toBe(10);
    expect(dir.getTrunk('T')!.maxConcurrentCalls).toBe(10);
    expect(code(() => dir.trunks.create({ id: 'T2', peerHost: 'h', dtmfMode: [] }))).toContain('dtmfMode');
    expect(code(() => dir.trunks.create({ id: 'T2', peerHost: 'h', inboundRules: [{ match: '5+' }] }))).toContain('inboundRules[0].match');
    expect(code(() => dir.trunks.create({ id: 'T2', peerHost: 'h', transport: 'sctp' as never }))).toContain('transport');
  });
  it('route patterns feed the dial plan; referenced trunks cannot be deleted', () => {
    dir.trunks.create({ id: 'T', peerHost: '127.0.0.1' });
    expect(dir.resolve('914085557890', 'CSS')).toBeUndefined();
    const rp = dir.routePatterns.create({ partition: 'PT', pattern: '9.1XXXXXXXXXX', target: { kind: 'trunk', id: 'T' }, stripPreDot: true, prefix: '+' });
    expect(dir.resolve('914085557890', 'CSS')!.calledNumber).toBe('+14085557890');
    expect(dir.resolve('5001', 'CSS')!.target).toEqual({ kind: 'line', id: 'L1' });
    expect(code(() => dir.trunks.delete('T'))).toContain('is the target of route pattern');
    expect(code(() => dir.routePatterns.create({ partition: 'PT', pattern: '9.1XXXXXXXXXX', target: { kind: 'trunk', id: 'T' } }))).toMatch(/^conflict/);
    expect(code(() => dir.routePatterns.create({ partition: 'PT', pattern: '5+', target: { kind: 'trunk', id: 'T' } }))).toContain('pattern: invalid pattern');
    expect(code(() => dir.routePatterns.create({ partition: 'PT', pattern: '6XXX', target: { kind: 'trunk', id: 'nope' } }))).toContain('target.id');
    dir.routePatterns.update(rp.id, { prefix: '' });
    expect(dir.resolve('914085557890', 'CSS')!.calledNumber).toBe('14085557890');
    dir.routePatterns.delete(rp.id);
    expect(dir.resolve('914085557890', 'CSS')).toBeUndefined();
    expect(dir.trunks.delete('T')).toBe(true);
  });
  it('directed park ranges are routable (park and retrieval)', () => {
    const p = dir.directedParks.create({ firstNumber: '7000', lastNumber: '7009', retrievalPrefix: '*71', partition: 'PT' });
    expect(dir.resolve('7001', 'CSS')!.target).toEqual({ kind: 'feature', id: 'park', arg: '7001' });
    expect(dir.resolve('*717001', 'CSS')!.target).toEqual({ kind: 'feature', id: 'parkRetrieve', arg: '7001' });
    expect(dir.resolve('7010', 'CSS')).toBeUndefined();
    expect(dir.directedParks.rangeOf('7009')!.id).toBe(p.id);
    expect(dir.directedParks.rangeOf('7010')).toBeUndefined();
    expect(code(() => dir.directedParks.create({ firstNumber: '70', lastNumber: '7009', retrievalPrefix: '*71', partition: 'PT' }))).toContain('same length');
  });
});

describe('service parameters', () => {
  beforeEach(() => base(dir));
  it('override the config values, validated with the §16 rules', () => {
    expect(dir.mobilityParameters().callAwaitTimerS).toBe(30);
    dir.serviceParameters.set('callAwaitTimerS', 60);
    expect(dir.mobilityParameters().callAwaitTimerS).toBe(60);
    expect(dir.serviceParameters.get('callAwaitTimerS')).toBe(60);
    expect(code(() => dir.serviceParameters.set('callAwaitTimerS', 3))).toBe('invalid: mobility.callAwaitTimerS: must be between 5 and 120 (got 3)');
    expect(code(() => dir.serviceParameters.set('noSuchKey', 1))).toBe('invalid: noSuchKey: unknown service parameter');
    expect(code(() => dir.serviceParameters.set('mobilityFeatureCodes', { resume: '*81' }))).toContain('duplicates hold');
    expect(dir.serviceParameters.delete('callAwaitTimerS')).toBe(true);
    expect(dir.mobilityParameters().callAwaitTimerS).toBe(30);
  });
  it('feature numbers: partitions must exist; handoff is not a DN (HOUT-05); EFA/MVA/handoff are routable', () => {
    expect(code(() => dir.serviceParameters.set('efaNumbers', [{ number: '\\+14085556666', partition: 'nope', isDefault: true }]))).toContain(
      'partition "nope" does not exist',
    );
    expect(code(() => dir.serviceParameters.setMany({ handoffNumber: '5001', handoffPartition: 'PT' }))).toContain('HOUT-05');
    dir.serviceParameters.setMany({
      efaNumbers: [{ number: '\\+14085556666', partition: 'PT', isDefault: true }],
      mvaDirectoryNumber: '+14085552345',
      mvaPartition: 'PT',
      handoffNumber: '+14085553000',
      handoffPartition: 'PT',
      dvoForwardServiceAccessNumber: '18008889999',
    });
    expect(dir.resolve('+14085556666', 'CSS')!.target).toEqual({ kind: 'feature', id: 'efa', arg: '+14085556666' });
    expect(dir.resolve('+14085552345', 'CSS')!.target).toEqual({ kind: 'feature', id: 'mva', arg: '+14085552345' });
    expect(dir.resolve('+14085553000', 'CSS')!.target).toEqual({ kind: 'feature', id: 'handoff', arg: '+14085553000' });
    // The service access number has no partition: it is not in the dial plan but the dispatcher knows it (ANC-02).
    expect(dir.resolve('18008889999', 'CSS')).toBeUndefined();
    expect(dir.dispatcherNumber('18008889999')).toEqual({ kind: 'serviceAccessNumber' });
    expect(dir.dispatcherNumber('+14085556666')).toMatchObject({ kind: 'efa' });
    expect(dir.dispatcherNumber('+14085552345')).toBeUndefined();
    expect(dir.checkReferences()).toEqual([]);
  });
  it('a failed transaction leaves data and caches unchanged', () => {
    expect(() =>
      dir.transaction(() => {
        dir.serviceParameters.set('callAwaitTimerS', 60);
        expect(dir.mobilityParameters().callAwaitTimerS).toBe(60);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(dir.mobilityParameters().callAwaitTimerS).toBe(30);
    expect(dir.serviceParameters.list()).toEqual({});
  });
});
