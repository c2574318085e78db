/**
 * An SNR fork fails over to the trunk's next gateway by itself (issue #4): gateway 1 of
 * trunk T answers the RD1 fork 503, the fork is re-sent to gateway 2, which answers; the
 * caller gets 200. Peers are UAs on our own SIP stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../src/sip/message/message.js';
import { freePorts } from './harness/ports.js';
import { type Peer, bind, call, sdp, startPeer, until } from './b2bua-peers.js';
import { startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let gw1: Peer;
let gw2: Peer;
let caller: Peer;

beforeAll(async () => {
  const [gw1Port, gw2Port, callerPort] = await freePorts(3);
  ts = await startTestServer({ trunkPort: gw1Port!, trunkAlternatePorts: [gw2Port!, callerPort!] });
  gw1 = await startPeer(gw1Port!);
  gw2 = await startPeer(gw2Port!);
  caller = await startPeer(callerPort!);
  ts.server.directory.remoteDestinations.update('RD1', { delayBeforeRingingMs: 0, answerTooSoonMs: 0, answerTooLateMs: 5000, snrVoicemailPolicy: 'timerControl', enableSnr: true, accessPolicy: 'always', ringSchedule: null });
});
afterAll(async () => {
  for (const p of [gw1, gw2, caller]) await p?.close();
  await ts?.stop();
});

const invites = (p: Peer): SipRequest[] => p.received.filter((m) => m.method === 'INVITE');

describe('SNR fork gateway failover', () => {
  it('a 503 from the first gateway sends the RD fork to the next one, which answers', async () => {
    gw1.onInvite = (inv) => inv.reject(503);
    gw2.onInvite = (inv) => bind(gw2, inv.accept({ body: sdp(gw2.port + 2), contentType: 'application/sdp' }));
    const r = await call(caller, ts.udpPort, { from: '+19725553456', to: '4085551234' });
    expect(r.res.status).toBe(200);
    expect(invites(gw1)).toHaveLength(1);
    expect(invites(gw2)).toHaveLength(1);
    expect(invites(gw2)[0]!.uri.toString()).toContain('+14085557890');
    expect(invites(gw2)[0]!.get('diversion') ?? '').toBe(invites(gw1)[0]!.get('diversion') ?? '');
    await caller.stack.ua.bye(r.dialog!);
    await until(() => gw2.dialogs[0]!.state === 'terminated');
    await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === 0, 5000);
  });
});
