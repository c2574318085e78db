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

  it('lists calls features run outside the call map (trackLive: a conference) with their own legs, hangs them up, drops them on untrackLive', async () => {
    const reg = new AnchoredCallRegistry();
    let hungUp: string | undefined;
    const conf = {
      id: 'conference-m1',
      state: 'connected',
      startedAt: 5,
      feature: 'conference',
      legs: [
        { leg: 'FAR', callId: 'c-far', from: '<sip:+19725553456@x>', to: '<sip:5001@x>', state: 'confirmed' },
        { leg: 'EFA2', callId: 'c-efa2', from: '<sip:+14085557890@x>', to: '<sip:+14085556666@x>', state: 'confirmed' },
      ],
      hangup: (_by: string, why: string) => {
        hungUp = why;
        reg.untrackLive('conference-m1');
      },
    };
    reg.trackLive(conf);
    const calls = new Map([['a-1', { id: 'a-1', state: 'connected', startedAt: 1, a: { request: { get: () => undefined } } }]]);
    api = await startApi({ calls, otherCalls: () => reg.liveCalls() });
    const admin = await api.login(ADMIN);
    const list = (await admin.req('GET', '/api/v1/calls')).json() as { calls: { id: string; feature: string; legs: { leg: string; callId: string }[] }[] };
    expect(list.calls.map((c) => `${c.id}:${c.feature}`)).toEqual(['a-1:basic', 'conference-m1:conference']);
    // Its parties are its legs: no stand-in A leg.
    expect(list.calls[1]!.legs.map((l) => `${l.leg}:${l.callId}`)).toEqual(['FAR:c-far', 'EFA2:c-efa2']);
    expect((await admin.req('DELETE', '/api/v1/calls/conference-m1')).statusCode).toBe(204);
    expect(hungUp).toMatch(/via API/);
    const after = (await admin.req('GET', '/api/v1/calls')).json() as { calls: { id: string }[] };
    expect(after.calls.map((c) => c.id)).toEqual(['a-1']);
    expect(reg.liveSize).toBe(0);
  });
});
