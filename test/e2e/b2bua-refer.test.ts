/**
 * Issue #3 item 3, REFER: the B2BUA never relays an in-dialog REFER to the other
 * leg (a REFER relayed to a trunk bounces into a 483 storm, siphon-sip PR#110).
 * Transfer performed by the B2BUA itself is not implemented yet: the REFER is
 * answered 501 on its own leg and the call stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from './harness/ports.js';
import { type Peer, call, startPeer, until } from './b2bua-peers.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let caller: Peer;
let callee: Peer;

beforeAll(async () => {
  const [gwPort, pstnPort, phonePort] = await freePorts(3);
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [pstnPort!] });
  callee = await startPeer(phonePort!);
  caller = await startPeer(pstnPort!);
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D2, `sip:d2@127.0.0.1:${phonePort}`)).toBe(200);
});
afterAll(async () => {
  await caller?.close();
  await callee?.close();
  await ts?.stop();
});

describe('REFER on a connected B2B call', () => {
  for (const from of ['callee', 'caller'] as const) {
    it(`a REFER from the ${from} is answered on its own leg and never reaches the other party`, async () => {
      const r = await call(caller, ts.udpPort, { from: '+19725553456', to: '4085552000' });
      expect(r.res.status).toBe(200);
      const referrer = from === 'caller' ? caller : callee;
      const other = from === 'caller' ? callee : caller;
      const dialog = from === 'caller' ? r.dialog! : callee.dialogs.at(-1)!;
      const res = await referrer.stack.ua.dialogRequest(dialog, 'REFER', { headers: { 'refer-to': '<sip:4085552001@127.0.0.1>', 'referred-by': '<sip:x@127.0.0.1>' } });
      expect(res.status).toBe(501);
      await new Promise((ok) => setTimeout(ok, 300));
      expect(other.received.filter((m) => m.method === 'REFER')).toHaveLength(0);
      expect(ts.server.calls.size).toBe(1); // the call is untouched
      await caller.stack.ua.bye(r.dialog!);
      await until(() => ts.server.sizes().calls === 0 && ts.server.sizes().dialogs === 0);
    });
  }
});
