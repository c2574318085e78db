/**
 * Issue #3 end to end: calls through the running server between SIPp peers,
 * media anchored in a real rtpengine (fixture F, spec §18.0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMessage, findMessages, header } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { runSipp, startSippServer } from './harness/sipp.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let gwPort: number; // SIPp playing gateway T
let pstnPort: number; // source port of inbound PSTN calls (an alternate gateway of T)
let phonePort: number; // SIPp playing D1 (U1's desk phone)

beforeAll(async () => {
  [gwPort, pstnPort, phonePort] = await freePorts(3);
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [pstnPort!] });
  const d1 = ts.fixture.credentials.D1;
  expect(await registerContact(ts.udpPort, d1, `sip:d1@127.0.0.1:${phonePort}`)).toBe(200);
});
afterAll(async () => {
  await ts?.stop();
});

describe('basic calls through the B2BUA', () => {
  it('phone → PSTN trunk: D1 dials 9-1-NANP, the gateway gets +E.164 with the DID as caller ID, RTP flows through rtpengine', async () => {
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1, rtpEcho: true });
    const d1 = ts.fixture.credentials.D1;
    const caller = runSipp({
      scenario: 'uac-basic',
      remote: `127.0.0.1:${ts.udpPort}`,
      service: '914085557000',
      set: { from: 'd1', media: 'pcap' },
      authUser: d1.username,
      authPassword: d1.password,
      durationMs: 2500,
      timeoutS: 20,
    });
    // Mid-call: rtpengine relays packets for this call.
    await new Promise((r) => setTimeout(r, 2000));
    const [callId] = [...ts.server.calls.keys()];
    expect(callId).toBeDefined();
    const stats = await ts.server.media.query(callId!);
    const packets = stats.legs.reduce((n, l) => n + l.rtp.packets, 0);
    expect(packets).toBeGreaterThan(20);
    const r = await caller;
    expect(r.code, r.describe()).toBe(0);
    const g = await gw.stop();
    const invite = findMessage(g.parsed, { direction: 'received', method: 'INVITE' });
    expect(invite, g.describe()).toBeDefined();
    // GEN-09: the 9.1XXXXXXXXXX pattern strips 9 and sends +E.164; CLI-05: the line's DID is presented.
    expect(invite!.startLine).toContain('sip:+14085557000@');
    expect(header(invite!, 'From')).toContain('+14085551234');
    expect(header(invite!, 'P-Asserted-Identity')).toContain('+14085551234');
    // Media anchored: the SDP the gateway got names rtpengine's address range, not SIPp's.
    expect(invite!.body).toMatch(/m=audio (\d+)/);
    // No header leaks from the caller's leg (its Call-ID and User-Agent stay on its side).
    const callerInvite = findMessage(r.parsed, { direction: 'sent', method: 'INVITE' })!;
    expect(header(invite!, 'Call-ID')).not.toBe(header(callerInvite, 'Call-ID'));
  });

  it('PSTN → phone: an inbound call to U1 DID reaches the registered desk phone, BYE from the callee side', async () => {
    const phone = await startSippServer({ scenario: 'uas-hangup', port: phonePort, calls: 1, durationMs: 300 });
    const r = await runSipp({ scenario: 'uac-wait-bye', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: '4085551234', set: { from: '9725553456' }, timeoutS: 15 });
    expect(r.code, r.describe()).toBe(0);
    const p = await phone.stop();
    const invite = findMessage(p.parsed, { direction: 'received', method: 'INVITE' });
    expect(invite, p.describe()).toBeDefined();
    // Globalised calling number (GEN-09) presented to the phone.
    expect(header(invite!, 'From')).toContain('+19725553456');
    expect(header(invite!, 'To')).toContain('5001');
  });

  it('busy: the callee answers 486 and the caller gets 486', async () => {
    const phone = await startSippServer({ scenario: 'uas-busy', port: phonePort, calls: 1 });
    const r = await runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: '4085551234', set: { from: '9725553456' }, timeoutS: 10 });
    expect(r.code).toBe(1);
    expect(findMessage(r.parsed, { direction: 'received', status: 486 }), r.describe()).toBeDefined();
    await phone.stop();
  });

  it('CANCEL before answer is relayed to the callee; the caller gets 487', async () => {
    const phone = await startSippServer({ scenario: 'uas-noanswer', port: phonePort, calls: 1 });
    const r = await runSipp({ scenario: 'uac-cancel', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: '4085551234', set: { from: '9725553456' }, durationMs: 300, timeoutS: 10 });
    expect(r.code, r.describe()).toBe(0);
    const p = await phone.stop();
    expect(findMessage(p.parsed, { direction: 'received', method: 'CANCEL' }), p.describe()).toBeDefined();
  });

  it('unroutable number → 404 with a reason', async () => {
    const r = await runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, service: '6999', set: { from: '9725553456' }, timeoutS: 10 });
    const res = findMessage(r.parsed, { direction: 'received', status: 404 });
    expect(res, r.describe()).toBeDefined();
    expect(res!.startLine).toMatch(/404 Not Found - .+/);
  });

  it('no call reaches the trunk without authentication: an unknown caller is challenged (407)', async () => {
    const r = await runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, service: '914085557000', set: { from: 'mallory' }, timeoutS: 10 });
    expect(findMessages(r.parsed, { direction: 'received', status: 407 }).length, r.describe()).toBeGreaterThan(0);
    expect(r.code).not.toBe(0);
  });

  it('leaves no call, dialog or media state behind', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const s = ts.server.sizes();
    expect(s.calls).toBe(0);
    expect(s.dialogs).toBe(0);
    expect(s.mediaCalls).toBe(0);
    expect(s.awaitingAck).toBe(0);
  });
});
