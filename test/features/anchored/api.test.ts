/** GET /api/v1/call-records (admin only) and the feature column of the live calls view. */
import { afterEach, describe, expect, it } from 'vitest';
import { AnchoredCallRegistry } from '../../../src/features/anchored/index.js';
import { ADMIN, ALICE, startApi, type TestApi } from '../../api/helpers.js';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('call records API', () => {
  it('serves recent records, most recent first, to administrators only', async () => {
    const reg = new AnchoredCallRegistry();
    for (const id of ['c1', 'c2', 'c3']) {
      reg.register(undefined, { id, origin: id === 'c2' ? 'dvoR' : 'snr', user: 'U1', line: '5001', farLeg: { role: 'FAR', callId: `${id}-far` } });
      reg.end(id, { result: 'answered' });
    }
    api = await startApi({ callRecords: (limit) => reg.records(limit) });
    const admin = await api.login(ADMIN);
    const r = await admin.req('GET', '/api/v1/call-records');
    expect(r.statusCode).toBe(200);
    const body = r.json() as { records: { id: string; origin: string; farLeg: { callId: string } }[] };
    expect(body.records.map((x) => `${x.id}:${x.origin}`)).toEqual(['c3:snr', 'c2:dvoR', 'c1:snr']);
    expect(body.records[0]!.farLeg.callId).toBe('c3-far');
    const one = await admin.req('GET', '/api/v1/call-records?limit=1');
    expect((one.json() as { records: unknown[] }).records).toHaveLength(1);
    expect((await admin.req('GET', '/api/v1/call-records?limit=0')).statusCode).toBe(400);

    const alice = await api.login(ALICE);
    expect((await alice.req('GET', '/api/v1/call-records')).statusCode).toBe(403);
    expect((await api.anon.req('GET', '/api/v1/call-records')).statusCode).toBe(401);
  });

  it('the live calls view names the feature that created the call', async () => {
    const calls = new Map([
      ['a-1', { id: 'a-1', state: 'connected', startedAt: 1, a: { request: { get: () => undefined } } }],
      ['a-2', { id: 'a-2', state: 'early', startedAt: 2, a: { request: { get: () => undefined } } }],
    ]);
    const reg = new AnchoredCallRegistry();
    reg.register({ id: 'a-1' }, { origin: 'snr' });
    api = await startApi({ calls, callFeature: (id) => reg.byCallRef(id)?.origin });
    const admin = await api.login(ADMIN);
    const r = await admin.req('GET', '/api/v1/calls');
    const list = (r.json() as { calls: { id: string; feature: string }[] }).calls;
    expect(list.map((c) => `${c.id}:${c.feature}`)).toEqual(['a-1:snr', 'a-2:basic']);
  });
});
