import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { applyProvisioning, applyProvisioningFile, Directory, DirectoryError, globalise, localise, seedFixture } from '../../src/directory/index.js';

describe('seedFixture: common fixture F (§18.0)', () => {
  const dir = new Directory({ domain: 'ma.test' });
  const f = seedFixture(dir, { trunkHost: '127.0.0.5', trunkPort: 5999 });

  it('trunk T: trusted, DTMF info + rfc4733, Diversion on forks, peer overridable', () => {
    expect(dir.getTrunk('T')).toMatchObject({
      peerHost: '127.0.0.5',
      port: 5999,
      trusted: true,
      dtmfMode: ['info', 'rfc4733'],
      sendDiversionOnMobilityForks: true,
      inboundCss: 'CSS-all',
    });
    expect(dir.findTrunkBySource('127.0.0.5', 5999)!.id).toBe('T');
  });

  it('T globalises inbound numbers to +E.164 and translates the DIDs', () => {
    const rules = f.trunk.inboundRules;
    expect(globalise('4085557890', rules, 'calling')).toBe('+14085557890');
    expect(globalise('+19725553456', rules, 'calling')).toBe('+19725553456');
    expect(globalise('+14085552999', rules, 'called')).toBe('2000');
    expect(globalise('+14085551234', rules, 'called')).toBe('5001');
    expect(globalise('+14085552000', rules, 'called')).toBe('5002');
    expect(globalise('+14085556666', rules, 'called')).toBe('+14085556666');
    expect(globalise('1239876', rules, 'called')).toBe('1239876');
    expect(localise('+19725553456', f.trunk.outboundRules)).toBe('+19725553456');
  });

  it('U1 Alice: DN 5001, DID, PIN 1234, MVA ID 81001, mobility and per-user MVA, time zone', async () => {
    expect(dir.findUser('U1')).toMatchObject({
      displayName: 'Alice',
      mvaNumericId: '81001',
      enableMobility: true,
      enableMobileVoiceAccess: true,
      timeZone: 'America/Los_Angeles',
      primaryLine: 'L5001',
      maxWaitTimeForDeskPickupMs: 10000,
    });
    expect(await dir.users.verifyPin('U1', '1234')).toBe(true);
    expect(dir.findLine('5001', 'PT-all')).toMatchObject({ did: '+14085551234', noAnswerRingDurationS: 30, callForwardNoAnswer: '8000', voicemailPilot: '8000' });
  });

  it('D1 desk with Replaces and dialog events; RD1 under RD profile P1 with the §18.0 settings', () => {
    expect(f.devices.D1).toMatchObject({ kind: 'desk', ownerUser: 'U1', lines: ['L5001'], capabilities: { replaces: true, dialogEvent: true } });
    expect(dir.findDeviceByAor('sip:d1@ma.test')!.id).toBe('D1');
    expect(dir.rdProfiles.get('P1')).toMatchObject({ ownerUser: 'U1', lines: ['L5001'] });
    expect(dir.remoteDestinations.get('RD1')).toMatchObject({
      number: '+14085557890',
      enableSnr: true,
      mobilePhone: true,
      delayBeforeRingingMs: 4000,
      answerTooSoonMs: 1500,
      answerTooLateMs: 19000,
      snrVoicemailPolicy: 'timerControl',
      accessPolicy: 'always',
      ringSchedule: null,
    });
  });

  it('U2 Bob: DN 5002, D2, M1 (DVO, DVO-F), MI2 without mobility profile', () => {
    expect(dir.findUser('U2')).toMatchObject({ displayName: 'Bob', enableMobility: true, enableMobileVoiceAccess: false, hasPin: false });
    expect(dir.findLine('5002')).toMatchObject({ did: '+14085552000', noAnswerRingDurationS: 30, callForwardNoAnswer: '8000' });
    expect(f.devices.D2).toMatchObject({ kind: 'desk', ownerUser: 'U2', lines: ['L5002'] });
    expect(f.devices.M1).toMatchObject({ kind: 'mobileClient', ownerUser: 'U2', lines: ['L5002'], dvoEnabled: true, dvoForwardCapable: true, hasCellularRadio: true });
    expect(dir.mobilityIdentityOf('M1')).toMatchObject({ id: 'MI2', number: '+14085551111', enableSnr: true, mobilityProfile: null, delayBeforeRingingMs: 4000 });
    expect(dir.devicesOnLine('L5002').map((d) => d.id).sort()).toEqual(['D2', 'M1']);
  });

  it('X = 2000 on D3 with DID +14085552999', () => {
    expect(dir.findLine('2000')).toMatchObject({ did: '+14085552999' });
    expect(dir.devicesOnLine('L2000').map((d) => d.id)).toEqual(['D3']);
  });

  it('system parameters: defaults except MVA and EFA on; complete matching; feature numbers', () => {
    const m = dir.mobilityParameters();
    expect(m).toMatchObject({
      enableMobileVoiceAccess: true,
      enableEnterpriseFeatureAccess: true,
      matchCallerIdWithRemoteDestination: 'complete',
      dvoForwardServiceAccessNumber: '',
      mvaDirectoryNumber: '+14085552345',
      handoffNumber: '+14085553000',
      callAwaitTimerS: 30,
      sessionResumptionAwaitTimerS: 180,
    });
    expect(m.efaNumbers).toEqual([{ number: '\\+14085556666', partition: 'PT-all', description: 'default EFA number', isDefault: true }]);
    expect(dir.dispatcherNumber('+14085556666')).toMatchObject({ kind: 'efa' });
    expect(dir.checkReferences()).toEqual([]);
  });

  it('dial plan: DNs, feature numbers, 9+1+10 digits and +digits to T; 6999 unroutable', () => {
    const r = (n: string) => dir.resolve(n, 'CSS-all');
    expect(r('5001')!.target).toEqual({ kind: 'line', id: 'L5001' });
    expect(r('2000')!.target).toEqual({ kind: 'line', id: 'L2000' });
    expect(r('+14085556666')!.target).toEqual({ kind: 'feature', id: 'efa', arg: '+14085556666' });
    expect(r('+14085552345')!.target).toMatchObject({ kind: 'feature', id: 'mva' });
    expect(r('+14085553000')!.target).toMatchObject({ kind: 'feature', id: 'handoff' });
    expect(r('919725553456')).toMatchObject({ target: { kind: 'trunk', id: 'T' }, calledNumber: '+19725553456' });
    expect(r('+19725553456')).toMatchObject({ target: { kind: 'trunk', id: 'T' }, calledNumber: '+19725553456' });
    expect(r('6999')).toBeUndefined();
  });

  it('caller-ID matching finds RD1 and MI2 (complete)', () => {
    expect(dir.findRemoteDestinationByNumber('+14085557890')).toMatchObject({ kind: 'unique', value: { id: 'RD1' } });
    expect(dir.findRemoteDestinationByNumber('+14085551111')).toMatchObject({ kind: 'unique', value: { id: 'MI2' } });
    expect(dir.findRemoteDestinationByNumber('+16505550000').kind).toBe('none');
  });

  it('device credentials for registration', () => {
    expect(f.credentials.D1).toEqual({ username: 'd1', password: 'd1-secret', realm: 'ma.test', aor: 'sip:d1@ma.test' });
    expect(dir.getHa1('m1', 'ma.test', 'SHA-256')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('cannot be seeded twice into one directory (and leaves it unchanged)', () => {
    expect(() => seedFixture(dir)).toThrow(DirectoryError);
    expect(dir.users.list()).toHaveLength(2);
  });
});

describe('provisioning documents', () => {
  const example = fileURLToPath(new URL('../../config/example-trunk.yaml', import.meta.url));

  it('config/example-trunk.yaml applies to an empty directory, and again without changes', async () => {
    const dir = new Directory();
    const first = applyProvisioningFile(dir, example);
    expect(first.created).toBeGreaterThan(15);
    expect(first.updated).toBe(0);
    const snapshot = JSON.stringify([dir.trunks.list(), dir.lines.list(), dir.devices.list(), dir.remoteDestinations.list(), dir.mobilityParameters()]);
    const again = applyProvisioningFile(dir, example);
    expect(again.created).toBe(0);
    expect(JSON.stringify([dir.trunks.list(), dir.lines.list(), dir.devices.list(), dir.remoteDestinations.list(), dir.mobilityParameters()])).toBe(snapshot);

    const t = dir.getTrunk('carrier')!;
    expect(t.auth).toMatchObject({ username: 'acme-trunk', realm: 'carrier.example' });
    expect(JSON.stringify(dir.db.prepare('SELECT * FROM trunks').all())).not.toContain('change-me');
    expect(globalise('+14085552001', t.inboundRules, 'called')).toBe('2001');
    expect(globalise('4085552100', t.inboundRules, 'called')).toBe('+14085552100');
    expect(localise('+14155550100', t.outboundRules)).toBe('4155550100');
    expect(dir.resolve('914155550100', 'CSS-national')).toMatchObject({ target: { kind: 'trunk', id: 'carrier' }, calledNumber: '+14155550100' });
    expect(dir.resolve('+14085552100', 'CSS-internal')!.target).toMatchObject({ kind: 'feature', id: 'efa' });
    expect(await dir.users.verifyPin('carol', '4711')).toBe(true);
    expect(dir.mobilityIdentityOf('dave-phone')!.snrVoicemailPolicy).toBe('userControl');
    dir.close();
  });

  it('errors name the section and entry, and nothing is applied', () => {
    const dir = new Directory();
    expect(() => applyProvisioning(dir, { partitions: [{ name: 'A' }], lines: [{ id: 'L', number: '5001', partition: 'B' }] }, 'f.yaml')).toThrow(
      'f.yaml: lines[0] (L): partition: "B" does not exist',
    );
    expect(dir.partitions.list()).toEqual([]);
    expect(() => applyProvisioning(dir, { trunk: [] }, 'f.yaml')).toThrow('f.yaml: trunk: unknown section');
    expect(() => applyProvisioning(dir, { users: [{ displayName: 'x' }] }, 'f.yaml')).toThrow('f.yaml: users[0]: userId: required');
    expect(() => applyProvisioning(dir, { serviceParameters: { callAwaitTimerS: 1 } }, 'f.yaml')).toThrow(
      'f.yaml: serviceParameters: mobility.callAwaitTimerS: must be between 5 and 120 (got 1)',
    );
    dir.close();
  });
});
