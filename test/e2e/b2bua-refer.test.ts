/**
 * Issue #3 item 3, REFER handled by the B2BUA: a REFER is never relayed to the other leg
 * (a REFER relayed to a trunk bounces into a 483 storm, siphon-sip PR#110); the server
 * performs the transfer itself (RFC 3515, RFC 5589): blind (Refer-To a number, routed with
 * the transferor's identity) and attended (Refer-To with Replaces naming the transferor's
 * consultation call anchored here). Peers are real UAs on our own stack; media through a
 * real rtpengine.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../src/sip/dialog/dialog.js';
import { buildReferTo } from '../../src/sip/extensions/refer.js';
import { replacesFor } from '../../src/sip/extensions/replaces.js';
import { parseSipFrag } from '../../src/sip/extensions/sipfrag.js';
import type { SipRequest } from '../../src/sip/message/message.js';
import { freePorts } from './harness/ports.js';
import { type Peer, authenticatedCall, bind, call, sdp, sleep, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let pstn: Peer; // the transferee: a PSTN caller on trunk T
let d2: Peer; // Bob's desk phone (5002): the transferor
let d3: Peer; // X's desk phone (2000): the transfer target

beforeAll(async () => {
  const [gwPort, pstnPort, d2Port, d3Port] = await freePorts(4);
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [pstnPort!] });
  pstn = await startPeer(pstnPort!);
  d2 = await startPeer(d2Port!);
  d3 = await startPeer(d3Port!);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D2, `sip:d2@127.0.0.1:${d2Port}`)).toBe(200);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D3, `sip:d3@127.0.0.1:${d3Port}`)).toBe(200);
});
afterAll(async () => {
  for (const p of [pstn, d2, d3]) await p?.close();
  await ts?.stop();
});
beforeEach(() => {
  for (const p of [pstn, d2, d3]) {
    p.received.length = 0;
    p.onDialogRequest = () => 200;
    p.dialogs.length = 0;
    p.onInvite = (inv) => bind(p, inv.accept({ body: sdp(p.port + 2), contentType: 'application/sdp' }));
    p.onReinvite = (inv) => inv.accept({ body: sdp(p.port + 2), contentType: 'application/sdp' });
  }
});

const notifies = (p: Peer): { status: number; state: string }[] =>
  p.received
    .filter((m) => m.method === 'NOTIFY')
    .map((m) => ({ status: parseSipFrag(m.body)!.status, state: (m.get('subscription-state') ?? '').split(';')[0]! }));
const received = (p: Peer, method: string): SipRequest[] => p.received.filter((m) => m.method === method);

/** PSTN → Bob (5002 via his DID): the call a transfer starts from. */
async function pstnToBob(): Promise<{ pstnLeg: Dialog; bobLeg: Dialog }> {
  const r = await call(pstn, ts.udpPort, { from: '+19725553456', to: '4085552000' });
  expect(r.res.status).toBe(200);
  await until(() => d2.dialogs.length === 1);
  return { pstnLeg: r.dialog!, bobLeg: d2.dialogs[0]! };
}


async function idle(): Promise<void> {
  await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === 0, 5000);
}

describe('REFER: the B2BUA performs the transfer (issue #3)', () => {
  it('blind transfer by the callee: 202, NOTIFY 100/200, the target is called, the transferee re-INVITEd towards it, the transferor BYEd', async () => {
    const { pstnLeg, bobLeg } = await pstnToBob();
    const stateAtNotify: string[] = [];
    d2.onDialogRequest = (req, dialog) => {
      if (req.method === 'NOTIFY') stateAtNotify.push(dialog.state);
      return 200;
    };
    const res = await d2.stack.ua.dialogRequest(bobLeg, 'REFER', { headers: { 'refer-to': '<sip:2000@127.0.0.1>', 'referred-by': '<sip:5002@127.0.0.1>' } });
    expect(res.status).toBe(202);
    await until(() => bobLeg.state === 'terminated', 5000);
    // The REFER never reached the other party; the target got a fresh INVITE (late offer) with Referred-By.
    expect(received(pstn, 'REFER')).toHaveLength(0);
    const inv = received(d3, 'INVITE')[0]!;
    expect(inv.body.length).toBe(0);
    expect(inv.get('referred-by')).toBe('<sip:5002@127.0.0.1>');
    expect(inv.from.uri.toString()).toContain('5002'); // routed and presented as a call from Bob's line
    // Progress reported on the transferor's leg, final NOTIFY before its BYE.
    expect(notifies(d2).map((n) => n.status)).toEqual([100, 200]);
    expect(notifies(d2).at(-1)!.state).toBe('terminated');
    expect(stateAtNotify).toEqual(['confirmed', 'confirmed']); // the final NOTIFY came before the BYE
    // The transferee was re-INVITEd with a sendrecv offer from the anchor; the target got the answer in its ACK.
    const reinv = received(pstn, 'INVITE');
    expect(reinv).toHaveLength(1);
    expect(reinv[0]!.bodyText).toContain('a=sendrecv');
    expect(reinv[0]!.bodyText).not.toContain(`m=audio ${d3.port + 2}`); // anchored: the target's own port is hidden
    // One call remains: PSTN ↔ X. The transferee's BYE reaches the target.
    expect(ts.server.calls.size).toBe(1);
    await pstn.stack.ua.bye(pstnLeg);
    await until(() => d3.dialogs.at(-1)!.state === 'terminated');
    await idle();
  });

  it('blind transfer by the caller (trunk side) is routed with the trunk identity', async () => {
    const { pstnLeg } = await pstnToBob();
    const res = await pstn.stack.ua.dialogRequest(pstnLeg, 'REFER', { headers: { 'refer-to': '<sip:+14085552999@127.0.0.1>' } });
    expect(res.status).toBe(202);
    await until(() => pstnLeg.state === 'terminated', 5000);
    expect(received(d3, 'INVITE')).toHaveLength(1);
    expect(received(d2, 'INVITE')).toHaveLength(2); // the call, then a re-INVITE towards X
    expect(notifies(pstn).map((n) => n.status)).toEqual([100, 200]);
    await d2.stack.ua.bye(d2.dialogs[0]!);
    await until(() => d3.dialogs.at(-1)!.state === 'terminated');
    await idle();
  });

  it('the transferor may hang up right after 202: the transfer still completes', async () => {
    const { pstnLeg, bobLeg } = await pstnToBob();
    d3.onInvite = (inv) => setTimeout(() => bind(d3, inv.accept({ body: sdp(d3.port + 2), contentType: 'application/sdp' })), 300);
    const res = await d2.stack.ua.dialogRequest(bobLeg, 'REFER', { headers: { 'refer-to': '<sip:2000@127.0.0.1>' } });
    expect(res.status).toBe(202);
    await d2.stack.ua.bye(bobLeg);
    await until(() => d3.dialogs.length === 1, 5000);
    await until(() => received(pstn, 'INVITE').length === 1);
    await sleep(100);
    expect(ts.server.calls.size).toBe(1);
    expect(pstnLeg.state).toBe('confirmed');
    await d3.stack.ua.bye(d3.dialogs[0]!);
    await until(() => pstnLeg.state === 'terminated');
    await idle();
  });

  it('a busy target: NOTIFY 486 and the call stays as it was', async () => {
    const { pstnLeg, bobLeg } = await pstnToBob();
    d3.onInvite = (inv) => inv.reject(486);
    const res = await d2.stack.ua.dialogRequest(bobLeg, 'REFER', { headers: { 'refer-to': '<sip:2000@127.0.0.1>' } });
    expect(res.status).toBe(202);
    await until(() => notifies(d2).some((n) => n.status === 486), 5000);
    expect(notifies(d2).at(-1)).toEqual({ status: 486, state: 'terminated' });
    expect(bobLeg.state).toBe('confirmed');
    expect(received(pstn, 'INVITE')).toHaveLength(0);
    expect(ts.server.calls.size).toBe(1);
    await pstn.stack.ua.bye(pstnLeg);
    await until(() => bobLeg.state === 'terminated');
    await idle();
  });

  it('refused REFERs: an unroutable target gets 404, a missing Refer-To 400; the call is untouched', async () => {
    const { pstnLeg, bobLeg } = await pstnToBob();
    expect((await d2.stack.ua.dialogRequest(bobLeg, 'REFER', { headers: { 'refer-to': '<sip:77777@127.0.0.1>' } })).status).toBe(404);
    expect((await d2.stack.ua.dialogRequest(bobLeg, 'REFER', {})).status).toBe(400);
    await sleep(100);
    expect(received(pstn, 'REFER')).toHaveLength(0);
    expect(ts.server.calls.size).toBe(1);
    await pstn.stack.ua.bye(pstnLeg);
    await idle();
  });

  it('attended transfer: Refer-To with Replaces joins the transferee with the consulted party, both transferor legs are released', async () => {
    const { pstnLeg, bobLeg } = await pstnToBob();
    // Bob consults X: a second call through the server.
    const consult = await authenticatedCall(d2, ts.udpPort, ts.fixture.credentials.D2, '2000');
    expect(consult.res.status).toBe(200);
    await until(() => d3.dialogs.length === 1);
    expect(ts.server.calls.size).toBe(2);
    const referTo = buildReferTo('sip:2000@127.0.0.1', { replaces: replacesFor(consult.dialog!) });
    const res = await d2.stack.ua.dialogRequest(bobLeg, 'REFER', { headers: { 'refer-to': referTo } });
    expect(res.status).toBe(202);
    await until(() => bobLeg.state === 'terminated' && consult.dialog!.state === 'terminated', 5000);
    // X got an offerless re-INVITE (it offered, the ACK carried the answer); the PSTN party a re-INVITE.
    const xReinvite = received(d3, 'INVITE').at(-1)!;
    expect(xReinvite.body.length).toBe(0);
    expect(received(pstn, 'INVITE')).toHaveLength(1);
    expect(notifies(d2).map((n) => n.status)).toEqual([100, 200]);
    expect(ts.server.calls.size).toBe(1);
    await pstn.stack.ua.bye(pstnLeg);
    await until(() => d3.dialogs.at(-1)!.state === 'terminated');
    await idle();
  });
});
