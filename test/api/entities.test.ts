import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startApi, type Client, type TestApi } from './helpers.js';

let t: TestApi;
let admin: Client;
beforeAll(async () => {
  t = await startApi();
  admin = await t.login(ADMIN);
});
afterAll(async () => t.close());

interface Case {
  entity: string;
  key: string;
  create: Record<string, unknown>;
  patch: Record<string, unknown>;
  /** An invalid body and the field the 400 must name. */
  invalid: [Record<string, unknown>, string];
  /** A second invalid body only the directory can refuse (reference, uniqueness, rule). */
  refused?: [Record<string, unknown>, number, string];
}

const CASES: Case[] = [
  { entity: 'partitions', key: 'name', create: { name: 'PT-x', description: 'x' }, patch: { description: 'y' }, invalid: [{ name: '' }, 'name'], refused: [{ name: 'PT-all' }, 409, 'conflict'] },
  { entity: 'css', key: 'name', create: { name: 'CSS-x', partitions: ['PT-all'] }, patch: { description: 'd' }, invalid: [{ name: 'C', partitions: 'PT-all' }, 'partitions'], refused: [{ name: 'C2', partitions: ['nope'] }, 400, 'invalid'] },
  {
    entity: 'lines',
    key: 'id',
    create: { id: 'L7001', number: '7001', partition: 'PT-all', did: '+14085557001', noAnswerRingDurationS: 20 },
    patch: { displayName: 'Seven', noAnswerRingDurationS: null },
    invalid: [{ number: '70a1', partition: 'PT-all' }, 'number'],
    refused: [{ number: '5001', partition: 'PT-all' }, 409, 'conflict'],
  },
  {
    entity: 'users',
    key: 'userId',
    create: { userId: 'U7', displayName: 'Carol', enableMobility: true, primaryLine: 'L5002', pin: '4321', timeZone: 'Europe/Paris' },
    patch: { displayName: 'Carol C.', maxWaitTimeForDeskPickupMs: 5000 },
    invalid: [{ userId: 'U8', maxWaitTimeForDeskPickupMs: 30001 }, 'maxWaitTimeForDeskPickupMs'],
    refused: [{ userId: 'U8', primaryLine: 'L-none' }, 400, 'invalid'],
  },
  {
    entity: 'devices',
    key: 'id',
    create: { kind: 'desk', id: 'D7', ownerUser: 'U2', lines: ['L5002'], sipUsername: 'd7', sipPassword: 'd7-secret', aor: 'sip:d7@127.0.0.1' },
    patch: { css: 'CSS-all' },
    invalid: [{ kind: 'tablet', id: 'D8' }, 'kind'],
    refused: [{ kind: 'mobileClient', id: 'M8', ownerUser: 'U1' }, 400, 'invalid'],
  },
  {
    entity: 'sip-credentials',
    key: 'username',
    create: { username: 'extra', password: 'pw-extra', deviceId: 'D1' },
    patch: { password: 'pw-extra-2' },
    invalid: [{ username: 'a:b', password: 'x' }, 'username'],
    refused: [{ username: 'x2', password: 'p', deviceId: 'nope' }, 400, 'invalid'],
  },
  {
    entity: 'rd-profiles',
    key: 'id',
    create: { id: 'P2', name: 'Bob profile', ownerUser: 'U2', lines: ['L5002'], rerouteCss: 'CSS-all' },
    patch: { name: 'Bob RDP' },
    invalid: [{ name: 'x', ownerUser: 'U2', dndEnabled: 'no' }, 'dndEnabled'],
    refused: [{ name: 'x', ownerUser: 'nobody' }, 400, 'invalid'],
  },
  {
    entity: 'remote-destinations',
    key: 'id',
    create: { id: 'RD7', name: 'Alice home', number: '+14085550707', parent: { kind: 'rdProfile', id: 'P1' }, delayBeforeRingingMs: 0 },
    patch: { enableSnr: false, answerTooLateMs: 25000 },
    invalid: [{ number: '+14085550708', parent: { kind: 'rdProfile', id: 'P1' }, answerTooSoonMs: 60001 }, 'answerTooSoonMs'],
    refused: [{ number: '+14085557890', parent: { kind: 'rdProfile', id: 'P1' } }, 409, 'conflict'],
  },
  {
    entity: 'access-lists',
    key: 'id',
    create: { id: 'AL7', name: 'blocked', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'number', value: '+19725553456' }, { kind: 'private' }] },
    patch: { members: [{ kind: 'mask', value: '972XXXXXXX' }] },
    invalid: [{ name: 'x', ownerUser: 'U1', type: 'blocked', members: [{ kind: 'mask', value: '12ab' }] }, 'members.0.value'],
    refused: [{ name: 'x', ownerUser: 'nobody', type: 'allowed' }, 400, 'invalid'],
  },
  {
    entity: 'ring-schedules',
    key: 'id',
    create: { id: 'RS7', name: 'office hours', ownerUser: 'U1', entries: [{ days: ['mon', 'tue'], start: '08:00', end: '18:00' }] },
    patch: { entries: [{ days: ['sat'], start: '10:00', end: '12:00' }] },
    invalid: [{ name: 'x', entries: [{ days: ['mon'], start: '18:00', end: '08:00' }] }, 'entries.0.end'],
    refused: [{ name: 'x', ownerUser: 'nobody', entries: [] }, 400, 'invalid'],
  },
  {
    entity: 'mobility-profiles',
    key: 'id',
    create: { id: 'MP7', name: 'default', dvoRCallbackCallerId: '+14085556666' },
    patch: { mobileClientCallingOption: 'dvo' },
    invalid: [{ name: 'x', dvoRCallbackCallerId: '1234567890123456789012345' }, 'dvoRCallbackCallerId'],
    refused: [{ id: 'MP7', name: 'again' }, 409, 'conflict'],
  },
  {
    entity: 'route-patterns',
    key: 'id',
    create: { id: 'RP7', partition: 'PT-all', pattern: '7XXX', target: { kind: 'line', id: 'L5001' } },
    patch: { description: 'sevens' },
    invalid: [{ partition: 'PT-all', pattern: '[', target: { kind: 'line', id: 'L5001' } }, 'pattern'],
    refused: [{ partition: 'PT-all', pattern: '8XXX', target: { kind: 'trunk', id: 'nope' } }, 400, 'invalid'],
  },
  {
    entity: 'trunks',
    key: 'id',
    create: { id: 'T7', peerHost: '127.0.0.1', port: 5099, auth: { username: 'acct', realm: 'carrier', password: 'carrier-secret' }, inboundRules: [{ match: '0!', strip: 1, prefix: '+33' }] },
    patch: { maxConcurrentCalls: 10, dtmfMode: ['info'] },
    invalid: [{ id: 'T8', peerHost: 'h', port: 70000 }, 'port'],
    refused: [{ id: 'T', peerHost: 'h' }, 409, 'conflict'],
  },
  {
    entity: 'directed-parks',
    key: 'id',
    create: { id: 'PK7', firstNumber: '7100', lastNumber: '7109', retrievalPrefix: '*', partition: 'PT-all' },
    patch: { reversionTimeoutS: 60 },
    invalid: [{ firstNumber: '71a0', lastNumber: '7109', retrievalPrefix: '*', partition: 'PT-all' }, 'firstNumber'],
    refused: [{ firstNumber: '7100', lastNumber: '71000', retrievalPrefix: '*', partition: 'PT-all' }, 400, 'invalid'],
  },
];

describe.each(CASES)('$entity', (c) => {
  const base = `/api/v1/${c.entity}`;
  it('create, get, list, patch, delete', async () => {
    const created = await admin.req('POST', base, c.create);
    expect(created.statusCode, created.body).toBe(201);
    const id = String(created.json().record[c.key]);
    expect(created.json().warnings).toEqual([]);
    const got = await admin.req('GET', `${base}/${encodeURIComponent(id)}`);
    expect(got.statusCode).toBe(200);
    const list = (await admin.req('GET', base)).json() as Record<string, unknown>[];
    expect(list.some((r) => String(r[c.key]) === id)).toBe(true);
    const patched = await admin.req('PATCH', `${base}/${encodeURIComponent(id)}`, c.patch);
    expect(patched.statusCode, patched.body).toBe(200);
    for (const [k, v] of Object.entries(c.patch)) if (k !== 'password') expect(patched.json().record[k]).toEqual(v);
    expect(t.svc.audit.list({ limit: 1 })[0]).toMatchObject({ actor: 'admin', action: 'update', entity: c.entity, entityId: id, ok: true });
    expect((await admin.req('DELETE', `${base}/${encodeURIComponent(id)}`)).statusCode).toBe(204);
    expect((await admin.req('GET', `${base}/${encodeURIComponent(id)}`)).statusCode).toBe(404);
  });

  it('invalid input: 400 naming the field; nothing written', async () => {
    const before = JSON.stringify((await admin.req('GET', base)).json());
    const r = await admin.req('POST', base, c.invalid[0]);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json()).toMatchObject({ error: 'invalid', field: c.invalid[1] });
    expect(r.json().message).toContain(c.invalid[1]);
    expect(JSON.stringify((await admin.req('GET', base)).json())).toBe(before);
  });

  it('unknown fields are refused, PATCH too', async () => {
    const r = await admin.req('POST', base, { ...c.create, bogus: 1 });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('bogus');
  });

  it('refused by the directory: error code, audited as failed', async () => {
    if (!c.refused) return;
    const [body, status, code] = c.refused;
    if (c.entity === 'mobility-profiles') await admin.req('POST', base, c.create);
    const r = await admin.req('POST', base, body);
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json().error).toBe(code);
    expect(t.svc.audit.list({ limit: 1 })[0]).toMatchObject({ action: 'create', entity: c.entity, ok: false });
  });

  it('unknown id: 404 on GET, PATCH and DELETE', async () => {
    for (const m of ['GET', 'PATCH', 'DELETE'] as const) {
      const r = await admin.req(m, `${base}/no-such-id`, m === 'PATCH' ? {} : undefined);
      expect(r.statusCode, `${m}`).toBe(404);
      expect(r.json().error).toBe('not_found');
    }
  });
});

describe('entity details', () => {
  it('a device created with sipPassword gets digest credentials (HA1 only)', async () => {
    await admin.req('POST', '/api/v1/devices', { kind: 'desk', id: 'D9', ownerUser: 'U2', lines: ['L5002'], sipPassword: 'd9-secret' });
    expect(t.dir.devices.get('D9')!.sipUsername).toBe('D9');
    expect(t.dir.getHa1('D9', t.dir.domain, 'MD5')).toMatch(/^[0-9a-f]{32}$/);
    const creds = (await admin.req('GET', '/api/v1/sip-credentials')).body;
    expect(creds).not.toContain('d9-secret');
  });

  it('trunk views hide HA1; users never show the PIN hash', async () => {
    await admin.req('PATCH', '/api/v1/trunks/T', { auth: { username: 'u', realm: 'r', password: 'pw' } });
    const tr = (await admin.req('GET', '/api/v1/trunks/T')).json();
    expect(tr.auth).toEqual({ username: 'u', realm: 'r' });
    const u = (await admin.req('GET', '/api/v1/users/U1')).json();
    expect(u.hasPin).toBe(true);
    expect(JSON.stringify(u)).not.toMatch(/scrypt/);
  });

  it('a user created with webPassword can log in to self-care', async () => {
    const r = await admin.req('POST', '/api/v1/users', { userId: 'U10', enableMobility: true, webPassword: 'u10-pass-1' });
    expect(r.statusCode).toBe(201);
    const u10 = await t.login({ username: 'U10', password: 'u10-pass-1' });
    expect((await u10.req('GET', '/api/v1/me')).json().user.userId).toBe('U10');
    expect((await admin.req('POST', '/api/v1/users', { userId: 'U11', webPassword: 'short' })).json()).toMatchObject({ field: 'webPassword' });
    expect(t.dir.users.get('U11')).toBeUndefined();
  });

  it('list filters on top-level fields', async () => {
    const rds = (await admin.req('GET', '/api/v1/remote-destinations?ownerUser=U2')).json() as { id: string }[];
    expect(rds.map((r) => r.id)).toEqual(['MI2']);
    const mobiles = (await admin.req('GET', '/api/v1/devices?kind=mobileClient')).json() as { id: string }[];
    expect(mobiles.map((r) => r.id)).toEqual(['M1']);
  });

  it('an RD number that is not a number or a SIP URI: 400 naming number', async () => {
    const r = await admin.req('POST', '/api/v1/remote-destinations', { number: 'call me', parent: { kind: 'rdProfile', id: 'P1' } });
    expect(r.json()).toMatchObject({ error: 'invalid', field: 'number' });
    const uri = await admin.req('POST', '/api/v1/remote-destinations', { id: 'RDURI', number: 'sip:alice@home.example', parent: { kind: 'rdProfile', id: 'P1' } });
    expect(uri.statusCode, uri.body).toBe(201);
  });

  it('the 11th remote destination of a user is refused (SNR-03)', async () => {
    const existing = t.dir.remoteDestinations.listByUser('U1').length;
    let last = 0;
    for (let i = existing; i <= 10; i++) {
      const r = await admin.req('POST', '/api/v1/remote-destinations', { number: `+1408555${String(6000 + i)}`, parent: { kind: 'rdProfile', id: 'P1' } });
      last = r.statusCode;
      if (i < 10) expect(r.statusCode, r.body).toBe(201);
    }
    expect(last).toBe(400);
    expect(t.dir.remoteDestinations.listByUser('U1').length).toBe(10);
  });

  it('changes take effect on the next lookup without a restart (caller-ID index, dial plan)', async () => {
    expect(t.dir.findRemoteDestinationByNumber('+14085550999').kind).not.toBe('unique');
    await admin.req('POST', '/api/v1/remote-destinations', { id: 'RD999', number: '+14085550999', parent: { kind: 'rdProfile', id: 'P2b' } });
    await admin.req('POST', '/api/v1/rd-profiles', { id: 'P2b', name: 'p', ownerUser: 'U2' });
    await admin.req('POST', '/api/v1/remote-destinations', { id: 'RD999', number: '+14085550999', parent: { kind: 'rdProfile', id: 'P2b' } });
    const m = t.dir.findRemoteDestinationByNumber('+14085550999');
    expect(m.kind === 'unique' && m.value.id).toBe('RD999');
    expect(t.dir.resolve('7555', 'CSS-all')).toBeUndefined();
    await admin.req('POST', '/api/v1/route-patterns', { id: 'RP75', partition: 'PT-all', pattern: '75XX', target: { kind: 'line', id: 'L5002' } });
    expect(t.dir.resolve('7555', 'CSS-all')).toBeDefined();
  });
});
