import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/directory/index.js';
import { parseCsv, toCsv } from '../../src/api/csv.js';
import type { LiveCall } from '../../src/api/live-calls.js';
import { ADMIN, startApi, type Client, type TestApi } from './helpers.js';

let t: TestApi;
let admin: Client;
const calls = new Map<string, LiveCall>();
beforeAll(async () => {
  t = await startApi({ calls, callsStreamIntervalMs: 50 });
  admin = await t.login(ADMIN);
});
afterAll(async () => t.close());

describe('service parameters', () => {
  it('GET: effective values, spec defaults and ranges', async () => {
    const d = (await admin.req('GET', '/api/v1/service-parameters')).json();
    const p = (k: string) => d.parameters.find((x: { key: string }) => x.key === k);
    expect(p('callAwaitTimerS')).toMatchObject({ value: 30, default: 30, overridden: false, schema: { type: 'integer', minimum: 5, maximum: 120 } });
    expect(p('forwardNoAnswerTimerS')).toMatchObject({ default: 12, schema: { minimum: 1, maximum: 300 } });
    expect(p('voicemailSelectionPolicy').schema.enum).toEqual(['timerControl', 'userControl']);
    expect(p('sendToMobileUri').default).toBe(`sip:*9503@${t.dir.domain}`);
    expect(d.parameters.length).toBe(46);
  });

  it('PATCH validates each key (400 naming it), applies to the next call, DELETE resets', async () => {
    let r = await admin.req('PATCH', '/api/v1/service-parameters', { callAwaitTimerS: 121 });
    expect(r.json()).toMatchObject({ error: 'invalid', field: 'callAwaitTimerS' });
    expect(r.json().message).toMatch(/between 5 and 120/);
    r = await admin.req('PATCH', '/api/v1/service-parameters', { noSuchParameter: 1 });
    expect(r.json()).toMatchObject({ field: 'noSuchParameter' });
    r = await admin.req('PATCH', '/api/v1/service-parameters', { mobilityFeatureCodes: { hold: '81' } });
    expect(r.json().field).toBe('mobilityFeatureCodes.hold');
    r = await admin.req('PATCH', '/api/v1/service-parameters', { callAwaitTimerS: 45, voicemailSelectionPolicy: 'userControl' });
    expect(r.statusCode).toBe(200);
    expect(t.dir.mobilityParameters()).toMatchObject({ callAwaitTimerS: 45, voicemailSelectionPolicy: 'userControl' });
    expect((await admin.req('DELETE', '/api/v1/service-parameters/callAwaitTimerS')).statusCode).toBe(204);
    expect(t.dir.mobilityParameters().callAwaitTimerS).toBe(30);
    expect((await admin.req('DELETE', '/api/v1/service-parameters/nope')).statusCode).toBe(404);
    // Cross-field rules of §16 come back naming the key (the MVA number may not be an EFA number).
    r = await admin.req('PATCH', '/api/v1/service-parameters', { mvaDirectoryNumber: '+14085556666' });
    expect(r.json()).toMatchObject({ error: 'invalid', field: 'mvaDirectoryNumber' });
  });

  it('EFA numbers: over 24 dialable characters is a 400 naming the field; add, default, change, delete', async () => {
    let r = await admin.req('POST', '/api/v1/efa-numbers', { number: '1234567890123456789012345', partition: 'PT-all' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'invalid', field: 'number' });
    expect(r.json().message).toMatch(/at most 24 dialable characters/);
    r = await admin.req('PATCH', '/api/v1/service-parameters', { efaNumbers: [{ number: '\\+1234567890123456789012345', partition: 'PT-all' }] });
    expect(r.json()).toMatchObject({ error: 'invalid', field: 'efaNumbers.0.number' });
    // Fixture F has \+14085556666 (default).
    r = await admin.req('POST', '/api/v1/efa-numbers', { number: '\\+14085556666', partition: 'PT-all' });
    expect(r.json()).toMatchObject({ error: 'invalid', field: 'efaNumbers.1.number' });
    expect(r.json().message).toMatch(/^efaNumbers\.1\.number: .*already used/);
    expect((await admin.req('POST', '/api/v1/efa-numbers', { number: '\\+14085556670', partition: 'nope' })).json().error).toBe('invalid');
    expect((await admin.req('POST', '/api/v1/efa-numbers', { number: '\\+14085556670', partition: 'PT-all', isDefault: true })).statusCode).toBe(201);
    let list = (await admin.req('GET', '/api/v1/efa-numbers')).json();
    expect(list.map((e: { isDefault: boolean }) => e.isDefault)).toEqual([false, true]);
    expect(t.dir.dispatcherNumber('+14085556670')?.kind).toBe('efa');
    expect((await admin.req('PATCH', `/api/v1/efa-numbers/${encodeURIComponent('+14085556666')}`, { description: 'main', isDefault: true })).json().description).toBe('main');
    expect((await admin.req('DELETE', `/api/v1/efa-numbers/${encodeURIComponent('\\+14085556670')}`)).statusCode).toBe(204);
    expect(t.dir.dispatcherNumber('+14085556670')).toBeUndefined();
    list = (await admin.req('GET', '/api/v1/efa-numbers')).json();
    expect(list).toEqual([{ number: '\\+14085556666', partition: 'PT-all', description: 'main', isDefault: true }]);
    expect((await admin.req('DELETE', '/api/v1/efa-numbers/999')).statusCode).toBe(404);
  });
});

describe('bulk import / export', () => {
  it('JSON export re-imports into an empty directory unchanged', async () => {
    const doc = (await admin.req('GET', '/api/v1/export')).json();
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['users', 'lines', 'remoteDestinations', 'serviceParameters', 'trunks']));
    expect(JSON.stringify(doc)).not.toMatch(/scrypt/);
    const fresh = new Directory();
    const { createHttpApp } = await import('../../src/api/app.js');
    const { app } = await createHttpApp({ directory: fresh, localActor: { username: 'cli:test', role: 'admin', via: 'cli', userId: null } });
    const r = await app.inject({ method: 'POST', url: '/api/v1/import', payload: doc });
    expect(r.statusCode, r.body).toBe(200);
    const again = await app.inject({ method: 'GET', url: '/api/v1/export' });
    expect(again.json()).toEqual(doc);
    // Importing the same document again updates, creates nothing.
    const re = await app.inject({ method: 'POST', url: '/api/v1/import', payload: doc });
    expect(re.json().created).toBe(0);
    await app.close();
    fresh.close();
  });

  it('an import with one bad record names section, row and field, and changes nothing', async () => {
    const before = (await admin.req('GET', '/api/v1/export')).body;
    const bad = { users: [{ userId: 'N1' }, { userId: 'N2', enableMobility: 'maybe' }] };
    let r = await admin.req('POST', '/api/v1/import', bad);
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('users[1].enableMobility');
    // A record the directory refuses (reference): the earlier record is rolled back too.
    r = await admin.req('POST', '/api/v1/import', { users: [{ userId: 'N1' }, { userId: 'N2', primaryLine: 'L-none' }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe('users[1].primaryLine');
    expect(t.dir.users.get('N1')).toBeUndefined();
    expect((await admin.req('GET', '/api/v1/export')).body).toBe(before);
    expect((await admin.req('POST', '/api/v1/import', { gadgets: [] })).json().field).toBe('gadgets');
  });

  it('dry run validates without writing', async () => {
    const r = await admin.req('POST', '/api/v1/import?dryRun=true', { partitions: [{ name: 'PT-dry' }] });
    expect(r.json()).toMatchObject({ dryRun: true });
    expect(t.dir.partitions.get('PT-dry')).toBeUndefined();
  });

  it('CSV export and import of one entity; YAML import', async () => {
    const csv = await admin.req('GET', '/api/v1/export?format=csv&entity=remote-destinations');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parseCsv(csv.body);
    expect(rows[0]![0]).toBe('id');
    const header = rows[0]!;
    const rd1 = rows.find((r) => r[0] === 'RD1')!;
    expect(rd1[header.indexOf('parent')]).toBe('{"kind":"rdProfile","id":"P1"}');
    const text = toCsv(
      [{ id: 'RDCSV', number: '+14085550321', parent: { kind: 'rdProfile', id: 'P1' }, enableSnr: false, delayBeforeRingingMs: 1000, name: 'from, "csv"' }],
      ['id', 'number', 'parent', 'enableSnr', 'delayBeforeRingingMs', 'name'],
    );
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/import?entity=remote-destinations', headers: { ...admin.headers, 'content-type': 'text/csv' }, payload: text });
    expect(r.statusCode, r.body).toBe(200);
    expect(t.dir.remoteDestinations.get('RDCSV')).toMatchObject({ enableSnr: false, delayBeforeRingingMs: 1000, name: 'from, "csv"', ownerUser: 'U1' });
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/import?entity=users', headers: { ...admin.headers, 'content-type': 'text/csv' }, payload: 'userId,maxWaitTimeForDeskPickupMs\r\nZ1,99999\r\n' });
    expect(bad.json()).toMatchObject({ error: 'invalid', field: 'users[0].maxWaitTimeForDeskPickupMs' });
    const noEntity = await t.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...admin.headers, 'content-type': 'text/csv' }, payload: 'a\r\n' });
    expect(noEntity.json().field).toBe('entity');
    const yaml = await t.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...admin.headers, 'content-type': 'application/yaml' }, payload: 'partitions:\n  - name: PT-yaml\n' });
    expect(yaml.statusCode, yaml.body).toBe(200);
    expect(t.dir.partitions.get('PT-yaml')).toBeDefined();
    const xml = await t.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...admin.headers, 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(xml.statusCode).toBe(415);
  });

  it('backup download is a SQLite database', async () => {
    const r = await admin.req('POST', '/api/v1/backup');
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.subarray(0, 15).toString()).toBe('SQLite format 3');
    expect(t.svc.audit.list({ limit: 1 })[0]).toMatchObject({ action: 'backup', ok: true });
  });
});

describe('live calls', () => {
  const fakeCall = (id: string): LiveCall & { hungUp?: string } => {
    const c: LiveCall & { hungUp?: string } = {
      id,
      state: 'connected',
      startedAt: Date.now() - 5000,
      connectedAt: Date.now() - 3000,
      aDialog: { callId: id, state: 'confirmed', localUri: { toString: () => '<sip:5001@127.0.0.1>' }, remoteUri: { toString: () => '"C" <sip:+19725553456@127.0.0.1>' } },
      bDialog: { callId: `${id}-b`, state: 'confirmed', localUri: { toString: () => '<sip:+19725553456@127.0.0.1>' }, remoteUri: { toString: () => '<sip:+14085557890@127.0.0.1>' } },
      hangup: (_by, why) => {
        c.hungUp = why;
        calls.delete(id);
      },
    };
    return c;
  };

  it('lists calls with legs, feature and times', async () => {
    calls.set('call-1', Object.assign(fakeCall('call-1'), { origin: 'snr' }));
    const r = (await admin.req('GET', '/api/v1/calls')).json();
    expect(r.calls).toEqual([
      expect.objectContaining({
        id: 'call-1',
        feature: 'snr',
        state: 'connected',
        legs: [
          { leg: 'A', callId: 'call-1', from: '"C" <sip:+19725553456@127.0.0.1>', to: '<sip:5001@127.0.0.1>', state: 'confirmed' },
          { leg: 'B', callId: 'call-1-b', from: '<sip:+19725553456@127.0.0.1>', to: '<sip:+14085557890@127.0.0.1>', state: 'confirmed' },
        ],
      }),
    ]);
    expect(r.now - r.calls[0].connectedAt).toBeGreaterThanOrEqual(3000);
    calls.clear();
  });

  it('streams changes over server-sent events', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/calls/stream`, { headers: { cookie: admin.headers.cookie! }, signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let buf = '';
    const nextEvent = async (): Promise<{ calls: { id: string }[] }> => {
      for (;;) {
        const i = buf.indexOf('\n\n');
        if (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(block);
          if (/^event: calls$/m.test(block) && data) return JSON.parse(data[1]!);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += Buffer.from(value).toString();
      }
    };
    expect((await nextEvent()).calls).toEqual([]);
    calls.set('call-2', fakeCall('call-2'));
    expect((await nextEvent()).calls.map((c) => c.id)).toEqual(['call-2']);
    // Hang up through the API: the stream shows the call gone.
    const del = await admin.req('DELETE', '/api/v1/calls/call-2');
    expect(del.statusCode).toBe(204);
    expect((await nextEvent()).calls).toEqual([]);
    expect((await admin.req('DELETE', '/api/v1/calls/call-2')).statusCode).toBe(404);
    ac.abort();
  });
});

describe('documents and pages', () => {
  it('the OpenAPI document covers every entity and the self-care API', async () => {
    const doc = (await t.anon.req('GET', '/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const e of ['partitions', 'css', 'lines', 'users', 'devices', 'sip-credentials', 'rd-profiles', 'remote-destinations', 'access-lists', 'ring-schedules', 'mobility-profiles', 'route-patterns', 'trunks', 'directed-parks', 'efa-numbers']) {
      expect(doc.paths[`/api/v1/${e}`], e).toHaveProperty('post');
    }
    const rdCreate = doc.paths['/api/v1/remote-destinations'].post.requestBody.content['application/json'].schema;
    expect(rdCreate.properties.answerTooSoonMs).toMatchObject({ type: 'integer', minimum: 0, maximum: 60000 });
    expect(doc.paths['/api/v1/me/remote-destinations/{id}/snr'].put).toBeDefined();
    expect(doc.components.securitySchemes).toHaveProperty('bearerToken');
  });

  it('serves the pages with a strict CSP; no path traversal', async () => {
    for (const p of ['/ui/login.html', '/ui/admin.html', '/ui/self-care.html', '/ui/calls.html', '/ui/js/api.js', '/ui/css/app.css']) {
      const r = await t.anon.req('GET', p);
      expect(r.statusCode, p).toBe(200);
      expect(r.headers['content-security-policy']).toMatch(/script-src 'self'/);
    }
    expect((await t.anon.req('GET', '/')).headers.location).toBe('/ui/login.html');
    expect((await t.anon.req('GET', '/ui/..%2f..%2fpackage.json')).statusCode).toBe(404);
    expect((await t.anon.req('GET', '/ui/../src/api/app.ts')).statusCode).toBe(404);
    expect((await t.anon.req('GET', '/api/v1/nothing')).json()).toMatchObject({ error: 'not_found' });
    const broken = await t.app.inject({ method: 'POST', url: '/api/v1/partitions', headers: { ...admin.headers, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toBe('invalid');
  });
});
