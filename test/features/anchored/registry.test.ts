/** AnchoredCall registry (§17.2) and call records (GEN-07): one record per call, legs linked, metrics. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AnchoredCallRegistry, type CallLike, MemoryAnchoredCallStore, RingBufferRecordSink } from '../../../src/features/anchored/index.js';

function dialog(callId: string, localTag: string, remoteTag: string, remote: string) {
  return { callId, localTag, remoteTag, remoteUri: { toString: () => `<${remote}>;tag=${remoteTag}` } };
}

/** A B2BCall-shaped object: A-leg INVITE first, dialogs appear as the call progresses. */
function fakeCall(id: string): CallLike & { connect(): void } {
  const c: CallLike & { connect(): void } = {
    id,
    startedAt: 1000,
    a: { request: { callId: id, get: (n: string) => (n === 'from' ? '<sip:+19725553456@example.com>;tag=far-tag' : undefined) } },
    connect() {
      c.aDialog = dialog(id, 'our-a', 'far-tag', 'sip:+19725553456@example.com');
      c.bDialog = dialog('b-leg-1', 'our-b', 'rd-tag', 'sip:+14085557890@127.0.0.1');
      c.connectedAt = 2000;
    },
  };
  return c;
}

async function counter(reg: Registry, labels: Record<string, string>): Promise<number> {
  const m = await reg.getSingleMetric('ma_call_records_total')!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

describe('AnchoredCallRegistry', () => {
  it('follows a B2BCall: FAR from the A-leg, the answering leg as user leg, one record at the end', async () => {
    let now = 1000;
    const metrics = new Registry();
    const store = new MemoryAnchoredCallStore();
    const reg = new AnchoredCallRegistry({ metrics, store, now: () => now });
    const call = fakeCall('a-leg-1');
    const ac = reg.register(call, { origin: 'snr', user: 'U1', line: '5001' });
    expect(ac).toMatchObject({ id: 'a-leg-1', origin: 'snr', state: 'alerting', anchored: true, callRef: 'a-leg-1' });
    expect(ac.farLeg).toEqual({ role: 'FAR', callId: 'a-leg-1', peer: '<sip:+19725553456@example.com>' });
    expect(reg.byCallRef('a-leg-1')?.origin).toBe('snr');
    expect(store.size).toBe(1);

    call.connect();
    reg.update('a-leg-1', { userRole: 'RD', state: 'connected' });
    const up = reg.get('a-leg-1')!;
    expect(up.state).toBe('connected');
    expect(up.farLeg).toMatchObject({ role: 'FAR', callId: 'a-leg-1', localTag: 'our-a', remoteTag: 'far-tag' });
    expect(up.userLegs).toEqual([{ role: 'RD', callId: 'b-leg-1', localTag: 'our-b', remoteTag: 'rd-tag', peer: '<sip:+14085557890@127.0.0.1>', connectedAt: 2000 }]);

    now = 7000;
    const rec = reg.end('a-leg-1', { result: 'answered', by: 'far' })!;
    expect(rec).toMatchObject({ id: 'a-leg-1', origin: 'snr', user: 'U1', line: '5001', anchored: true, result: 'answered', by: 'far', connectedAt: 2000, endedAt: 7000, durationMs: 5000 });
    expect(rec.farLeg?.releasedAt).toBe(7000);
    expect(rec.userLegs[0]?.releasedAt).toBe(7000);
    // Exactly one record: a second end() is a no-op.
    expect(reg.end('a-leg-1')).toBeUndefined();
    expect(reg.records()).toHaveLength(1);
    expect(reg.size).toBe(0);
    expect(store.size).toBe(0);
    expect(reg.byCallRef('a-leg-1')).toBeUndefined();
    expect(await counter(metrics, { origin: 'snr', anchored: 'true' })).toBe(1);
    expect(await counter(metrics, { origin: 'dvoR' })).toBe(0);
  });

  it('takes legs from features without a B2BCall (DVO-R: CTRL, callback, target)', () => {
    const reg = new AnchoredCallRegistry();
    reg.register(undefined, { id: 'ctrl-1', origin: 'dvoR', user: 'U2', line: '5002', anchored: false, userLegs: [{ role: 'CTRL', callId: 'ctrl-1' }] });
    reg.update('ctrl-1', { addUserLeg: { role: 'RD', callId: 'cb-1', label: 'callback' } });
    reg.update('ctrl-1', { farLeg: { role: 'RD', callId: 'target-1' }, state: 'connected' });
    reg.update('ctrl-1', { releaseUserLeg: 'cb-1' });
    const rec = reg.end('ctrl-1')!;
    expect(rec.origin).toBe('dvoR');
    expect(rec.anchored).toBe(false);
    expect(rec.farLeg).toMatchObject({ role: 'FAR', callId: 'target-1' });
    expect(rec.userLegs.map((l) => `${l.role}:${l.callId}`)).toEqual(['CTRL:ctrl-1', 'RD:cb-1']);
    expect(rec.result).toBe('answered');
    expect(rec.callRef).toBeUndefined();
  });

  it('a call that never connected is recorded as failed with zero duration', () => {
    const reg = new AnchoredCallRegistry();
    reg.register(fakeCall('x'), { origin: 'dvoF', farSide: 'b' });
    const rec = reg.end('x', { status: 486 })!;
    expect(rec).toMatchObject({ result: 'failed', status: 486, connectedAt: null, durationMs: 0, farLeg: null });
  });

  it('registering the same id twice keeps one call (one record)', () => {
    const reg = new AnchoredCallRegistry();
    reg.register(fakeCall('y'), { origin: 'snr' });
    reg.register(fakeCall('y'), { origin: 'mva' });
    expect(reg.list()).toHaveLength(1);
    expect(reg.get('y')!.origin).toBe('snr');
    reg.end('y');
    reg.end('y');
    expect(reg.records()).toHaveLength(1);
  });

  it('the record ring buffer keeps the most recent, newest first', () => {
    const sink = new RingBufferRecordSink(3);
    const reg = new AnchoredCallRegistry({ sink });
    for (let i = 0; i < 5; i++) {
      reg.register(undefined, { id: `c${i}`, origin: 'efa' });
      reg.end(`c${i}`);
    }
    expect(reg.records().map((r) => r.id)).toEqual(['c4', 'c3', 'c2']);
    expect(reg.records(1).map((r) => r.id)).toEqual(['c4']);
    expect(() => new RingBufferRecordSink(0)).toThrow(RangeError);
  });

  it('returned objects are copies: callers cannot change the registry by accident', () => {
    const reg = new AnchoredCallRegistry();
    const a = reg.register(undefined, { id: 'z', origin: 'isc' });
    a.state = 'parked';
    a.userLegs.push({ role: 'DESK', callId: 'evil' });
    expect(reg.get('z')).toMatchObject({ state: 'alerting', userLegs: [] });
  });
});
