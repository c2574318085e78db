import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, BOB, startApi, type Client, type TestApi } from './helpers.js';

let t: TestApi;
let alice: Client;
let bob: Client;
beforeEach(async () => {
  t = await startApi();
  [alice, bob] = await Promise.all([t.login(ALICE), t.login(BOB)]);
});
afterEach(async () => t.close());

describe('self-care (/api/v1/me)', () => {
  it('shows only my own data', async () => {
    const me = (await alice.req('GET', '/api/v1/me')).json();
    expect(me.user.userId).toBe('U1');
    expect(me.remoteDestinations.map((r: { id: string }) => r.id)).toEqual(['RD1']);
    expect(me.rdProfiles).toEqual([{ id: 'P1', name: 'Alice RD profile' }]);
    expect(me.defaults).toMatchObject({ delayBeforeRingingMs: 4000, answerTooSoonMs: 1500, answerTooLateMs: 19000 });
    const b = (await bob.req('GET', '/api/v1/me/remote-destinations')).json();
    expect(b.map((r: { id: string }) => r.id)).toEqual(['MI2']);
  });

  it("another user's destination answers 404 and is not changed", async () => {
    for (const [m, url, body] of [
      ['PUT', '/api/v1/me/remote-destinations/RD1/snr', { enabled: false }],
      ['PATCH', '/api/v1/me/remote-destinations/RD1', { name: 'mine now' }],
      ['DELETE', '/api/v1/me/remote-destinations/RD1', undefined],
    ] as const) {
      const r = await bob.req(m, url, body);
      expect(r.statusCode, `${m} ${url}`).toBe(404);
    }
    expect(t.dir.remoteDestinations.get('RD1')).toMatchObject({ enableSnr: true, name: 'Alice mobile' });
  });

  it('SNR off and on per destination (SNR-10) and for all; audited with the user as actor', async () => {
    const r = await alice.req('PUT', '/api/v1/me/remote-destinations/RD1/snr', { enabled: false });
    expect(r.statusCode).toBe(200);
    expect(r.json().enableSnr).toBe(false);
    expect(t.dir.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
    expect(t.svc.audit.list({ limit: 1 })[0]).toMatchObject({ actor: 'U1', role: 'user', action: 'snr-off', entityId: 'RD1', ok: true });
    expect((await alice.req('PUT', '/api/v1/me/snr', { enabled: true })).statusCode).toBe(200);
    expect(t.dir.remoteDestinations.get('RD1')!.enableSnr).toBe(true);
    // SNR-13: the mobile client's MI through the same API.
    expect((await bob.req('PUT', '/api/v1/me/remote-destinations/MI2/snr', { enabled: false })).json().enableSnr).toBe(false);
    expect((await alice.req('PUT', '/api/v1/me/snr', { enabled: 'off' })).json()).toMatchObject({ error: 'invalid', field: 'enabled' });
  });

  it('SNR-14: when the store cannot be written the change fails visibly and nothing changes', async () => {
    const before = t.dir.remoteDestinations.get('RD1')!;
    expect(t.dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('unique');
    t.dir.db.pragma('query_only = ON');
    try {
      const r = await alice.req('PUT', '/api/v1/me/remote-destinations/RD1/snr', { enabled: false });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ error: 'store_unavailable' });
      expect(r.json().message).toMatch(/cannot be written.*nothing was changed/);
      // Current behaviour carries on: reads and lookups still work.
      expect(t.dir.remoteDestinations.get('RD1')).toEqual(before);
      expect(t.dir.findRemoteDestinationByNumber('+14085557890').kind).toBe('unique');
      expect((await alice.req('GET', '/api/v1/me')).statusCode).toBe(200);
    } finally {
      t.dir.db.pragma('query_only = OFF');
    }
    expect((await alice.req('PUT', '/api/v1/me/remote-destinations/RD1/snr', { enabled: false })).statusCode).toBe(200);
  });

  it('a multi-record change is all or nothing', async () => {
    const admin = await t.login(ADMIN);
    await admin.req('POST', '/api/v1/remote-destinations', { id: 'RD2', number: '+14085550002', parent: { kind: 'rdProfile', id: 'P1' } });
    // Make the second update fail inside the transaction: a trigger refuses RD2.
    t.dir.db.exec("CREATE TEMP TRIGGER no_rd2 BEFORE UPDATE ON remote_destinations WHEN NEW.id = 'RD2' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const r = await alice.req('PUT', '/api/v1/me/snr', { enabled: false });
    expect(r.statusCode).toBeGreaterThanOrEqual(400);
    expect(t.dir.remoteDestinations.get('RD1')!.enableSnr).toBe(true);
    t.dir.db.exec('DROP TRIGGER no_rd2');
  });

  it('add, edit and delete my remote destinations with the timers', async () => {
    const r = await alice.req('POST', '/api/v1/me/remote-destinations', { name: 'Home', number: '+14085550123', delayBeforeRingingMs: 2000, answerTooSoonMs: 0, answerTooLateMs: 30000, snrVoicemailPolicy: 'userControl' });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().record.id as string;
    expect(t.dir.remoteDestinations.get(id)).toMatchObject({ ownerUser: 'U1', parent: { kind: 'rdProfile', id: 'P1' }, delayBeforeRingingMs: 2000, answerTooSoonMs: 0, snrVoicemailPolicy: 'userControl' });
    expect((await alice.req('PATCH', `/api/v1/me/remote-destinations/${id}`, { answerTooLateMs: 60001 })).json()).toMatchObject({ field: 'answerTooLateMs' });
    expect((await alice.req('PATCH', `/api/v1/me/remote-destinations/${id}`, { name: 'Home phone', enableSnr: false })).json().record).toMatchObject({ name: 'Home phone', enableSnr: false });
    expect((await alice.req('POST', '/api/v1/me/remote-destinations', { number: '+14085550124', isMobilityIdentity: true })).json()).toMatchObject({ field: 'isMobilityIdentity' });
    expect((await alice.req('POST', '/api/v1/me/remote-destinations', { number: '+14085550125', parent: { kind: 'mobileClient', id: 'M1' } })).json()).toMatchObject({ field: 'parent' });
    expect((await alice.req('POST', '/api/v1/me/remote-destinations', { number: '5002' })).json()).toMatchObject({ error: 'invalid', field: 'number' });
    expect((await alice.req('DELETE', `/api/v1/me/remote-destinations/${id}`)).statusCode).toBe(204);
    expect(t.dir.remoteDestinations.get(id)).toBeUndefined();
    // The MI is the administrator's.
    expect((await bob.req('DELETE', '/api/v1/me/remote-destinations/MI2')).statusCode).toBe(403);
    expect((await bob.req('PATCH', '/api/v1/me/remote-destinations/MI2', { number: '+14085559999' })).statusCode).toBe(403);
  });

  it('access lists and ring schedules of my own; others cannot be referenced', async () => {
    const al = await alice.req('POST', '/api/v1/me/access-lists', { name: 'family', type: 'allowed', members: [{ kind: 'number', value: '+19725553456' }] });
    expect(al.statusCode, al.body).toBe(201);
    const rs = await alice.req('POST', '/api/v1/me/ring-schedules', { name: 'weekdays', entries: [{ days: ['mon', 'fri'], start: '09:00', end: '17:30' }] });
    expect(rs.statusCode, rs.body).toBe(201);
    const p = await alice.req('PATCH', '/api/v1/me/remote-destinations/RD1', { ringSchedule: rs.json().id, accessPolicy: { allowedList: al.json().id } });
    expect(p.statusCode, p.body).toBe(200);
    expect(t.dir.remoteDestinations.get('RD1')).toMatchObject({ ringSchedule: rs.json().id, accessPolicy: { allowedList: al.json().id } });
    // Bob may not use Alice's list, nor see or change it.
    expect((await bob.req('PATCH', '/api/v1/me/remote-destinations/MI2', { accessPolicy: { allowedList: al.json().id } })).json()).toMatchObject({ field: 'accessPolicy' });
    expect((await bob.req('PATCH', `/api/v1/me/access-lists/${al.json().id}`, { name: 'x' })).statusCode).toBe(404);
    expect((await bob.req('DELETE', `/api/v1/me/ring-schedules/${rs.json().id}`)).statusCode).toBe(404);
    expect((await alice.req('PATCH', `/api/v1/me/ring-schedules/${rs.json().id}`, { entries: [{ days: ['xyz'], start: '09:00', end: '10:00' }] })).json()).toMatchObject({ field: 'entries.0.days.0' });
    expect((await alice.req('PATCH', `/api/v1/me/access-lists/${al.json().id}`, { members: [{ kind: 'private' }] })).statusCode).toBe(200);
    expect((await alice.req('GET', '/api/v1/me/access-lists')).json()[0].members).toEqual([{ kind: 'private', value: null }]);
    // In use by RD1: refused; after unlinking: deleted.
    expect((await alice.req('DELETE', `/api/v1/me/access-lists/${al.json().id}`)).statusCode).toBe(409);
    await alice.req('PATCH', '/api/v1/me/remote-destinations/RD1', { accessPolicy: 'always', ringSchedule: null });
    expect((await alice.req('DELETE', `/api/v1/me/access-lists/${al.json().id}`)).statusCode).toBe(204);
    expect((await alice.req('DELETE', `/api/v1/me/ring-schedules/${rs.json().id}`)).statusCode).toBe(204);
  });

  it('PIN change (hashed, checked with verifyPin); wrong current PIN refused', async () => {
    expect((await alice.req('PUT', '/api/v1/me/pin', { newPin: '12' })).json()).toMatchObject({ field: 'newPin' });
    expect((await alice.req('PUT', '/api/v1/me/pin', { currentPin: '0000', newPin: '5555' })).json()).toMatchObject({ field: 'currentPin' });
    expect((await alice.req('PUT', '/api/v1/me/pin', { currentPin: '1234', newPin: '5555' })).statusCode).toBe(204);
    expect(await t.dir.users.verifyPin('U1', '5555')).toBe(true);
    expect(t.svc.audit.list({ limit: 1 })[0]!.detail).toEqual({ pin: '***' });
  });

  it('password change: needs the current one; the session continues with a new cookie', async () => {
    expect((await alice.req('PUT', '/api/v1/me/password', { currentPassword: 'wrong', newPassword: 'alice-pass-2' })).json()).toMatchObject({ field: 'currentPassword' });
    const r = await alice.req('PUT', '/api/v1/me/password', { currentPassword: ALICE.password, newPassword: 'alice-pass-2' });
    expect(r.statusCode).toBe(204);
    expect((await alice.req('GET', '/api/v1/me')).statusCode).toBe(401);
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
    await t.login({ username: 'U1', password: 'alice-pass-2' });
  });

  it('display name and time zone; an admin account has no self-care', async () => {
    expect((await alice.req('PATCH', '/api/v1/me', { timeZone: 'Mars/Olympus' })).json()).toMatchObject({ field: 'timeZone' });
    expect((await alice.req('PATCH', '/api/v1/me', { timeZone: 'Europe/Paris' })).json().timeZone).toBe('Europe/Paris');
    expect((await alice.req('PATCH', '/api/v1/me', { enableMobility: false })).json()).toMatchObject({ field: 'enableMobility' });
    const admin = await t.login(ADMIN);
    expect((await admin.req('GET', '/api/v1/me')).statusCode).toBe(403);
  });

  it('admin SNR switch for a user (all or one destination)', async () => {
    const admin = await t.login(ADMIN);
    expect((await admin.req('PUT', '/api/v1/users/U1/snr', { enabled: false })).statusCode).toBe(200);
    expect(t.dir.remoteDestinations.get('RD1')!.enableSnr).toBe(false);
    expect((await admin.req('PUT', '/api/v1/users/U1/snr', { enabled: true, remoteDestination: 'MI2' })).statusCode).toBe(404);
    expect((await admin.req('PUT', '/api/v1/users/nobody/snr', { enabled: true })).statusCode).toBe(404);
  });
});
