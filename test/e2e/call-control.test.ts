/**
 * Issue #3 end to end, part 2: hold/resume re-INVITEs, BYE from the caller,
 * REGISTER challenged by SIPp itself, trunk failover, ring timeout,
 * malformed SDP and a TCP call — through the running server and rtpengine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMessage, findMessages, header } from './harness/messages.js';
import { freePorts } from './harness/ports.js';
import { runSipp, startSippServer } from './harness/sipp.js';
import { registerContact, startTestServer, type TestServer } from './server-fixture.js';

let ts: TestServer;
let gwPort: number;
let altGwPort: number;
let pstnPort: number;
let phonePort: number;

beforeAll(async () => {
  [gwPort, altGwPort, pstnPort, phonePort] = await freePorts(4);
  // forwardNoAnswerTimerS is the line ring timeout; 1 s keeps the no-answer test short.
  ts = await startTestServer({ trunkPort: gwPort!, trunkAlternatePorts: [altGwPort!, pstnPort!], config: { mobility: { forwardNoAnswerTimerS: 1 } } });
  // The fixture's line L5001 has noAnswerRingDurationS 30 (voicemail); use L5002's user U2 (D2) as callee.
  expect(await registerContact(ts.udpPort, ts.fixture.credentials.D2, `sip:d2@127.0.0.1:${phonePort}`)).toBe(200);
});
afterAll(async () => {
  await ts?.stop();
});

const fromPstn = () => ({ remote: `127.0.0.1:${ts.udpPort}`, port: pstnPort, set: { from: '9725553456' } });

describe('call control through the B2BUA', () => {
  it('hold and resume by re-INVITE: the callee gets sendonly then sendrecv offers via rtpengine', async () => {
    const phone = await startSippServer({ scenario: 'uas-reinvite-aware', port: phonePort, calls: 1 });
    const r = await runSipp({ scenario: 'uac-hold-resume', ...fromPstn(), service: '4085552000', durationMs: 300, timeoutS: 15 });
    expect(r.code, r.describe()).toBe(0);
    const p = await phone.stop();
    const invites = findMessages(p.parsed, { direction: 'received', method: 'INVITE' });
    expect(invites.length, p.describe()).toBe(3);
    expect(invites[1]!.body).toMatch(/a=(sendonly|inactive)/);
    expect(invites[2]!.body).not.toMatch(/a=(sendonly|recvonly|inactive)/);
    // Anchored: every offer the callee sees points at rtpengine, which rewrote o= too.
    for (const inv of invites) expect(inv.body).toMatch(/c=IN IP4 127\.0\.0\.1/);
  });

  it('BYE from the caller is relayed to the callee', async () => {
    const phone = await startSippServer({ scenario: 'uas-basic', port: phonePort, calls: 1 });
    const r = await runSipp({ scenario: 'uac-basic', ...fromPstn(), service: '4085552000', durationMs: 200, timeoutS: 10 });
    expect(r.code, r.describe()).toBe(0);
    const p = await phone.stop();
    expect(findMessage(p.parsed, { direction: 'received', method: 'BYE' }), p.describe()).toBeDefined();
  });

  it('no answer: the line rings for its no-answer duration, the callee is CANCELled, the caller gets 480', async () => {
    // The line's noAnswerRingDurationS overrides forwardNoAnswerTimerS (spec §16).
    ts.server.directory.lines.update('L5002', { noAnswerRingDurationS: 1 });
    const phone = await startSippServer({ scenario: 'uas-noanswer', port: phonePort, calls: 1 });
    const r = await runSipp({ scenario: 'uac-basic', ...fromPstn(), service: '4085552000', timeoutS: 10 });
    expect(findMessage(r.parsed, { direction: 'received', status: 480 }), r.describe()).toBeDefined();
    const p = await phone.stop();
    expect(findMessage(p.parsed, { direction: 'received', method: 'CANCEL' }), p.describe()).toBeDefined();
    ts.server.directory.lines.update('L5002', { noAnswerRingDurationS: 30 });
  });

  it('trunk failover: the first gateway answers 503, the call completes on the alternate', async () => {
    const down = await startSippServer({ scenario: 'uas-reject-503', port: gwPort, calls: 1 });
    const up = await startSippServer({ scenario: 'uas-basic', port: altGwPort, calls: 1 });
    const d2 = ts.fixture.credentials.D2;
    const r = await runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.udpPort}`, service: '914085557000', set: { from: 'd2' }, authUser: d2.username, authPassword: d2.password, durationMs: 200, timeoutS: 15 });
    expect(r.code, r.describe()).toBe(0);
    const a = await down.stop();
    const b = await up.stop();
    expect(findMessage(a.parsed, { direction: 'received', method: 'INVITE' }), a.describe()).toBeDefined();
    expect(findMessage(b.parsed, { direction: 'received', method: 'INVITE' }), b.describe()).toBeDefined();
  });

  it('REGISTER with digest auth from SIPp (401 then 200), and the binding is listed', async () => {
    const d3 = ts.fixture.credentials.D3;
    const r = await runSipp({ scenario: 'uac-register-auth', remote: `127.0.0.1:${ts.udpPort}`, service: d3.username, authPassword: d3.password, timeoutS: 10 });
    expect(r.code, r.describe()).toBe(0);
    const ok = findMessage(r.parsed, { direction: 'received', status: 200 });
    expect(header(ok!, 'Contact')).toMatch(/expires=\d+/);
    expect(ts.server.registrar.lookup('d3').length).toBe(1);
  });

  it('a wrong password gets the same 401 challenge as an unknown user', async () => {
    const d3 = ts.fixture.credentials.D3;
    const wrong = await runSipp({ scenario: 'uac-register-auth', remote: `127.0.0.1:${ts.udpPort}`, service: d3.username, authPassword: 'nope', timeoutS: 10 });
    const unknown = await runSipp({ scenario: 'uac-register-auth', remote: `127.0.0.1:${ts.udpPort}`, service: 'nobody', authPassword: 'nope', timeoutS: 10 });
    const last = (r: typeof wrong) => findMessages(r.parsed, { direction: 'received' }).filter((m) => m.status !== undefined && m.status >= 200).pop();
    expect(last(wrong)?.status).toBe(401);
    expect(last(unknown)?.status).toBe(401);
  });

  it('malformed SDP → 488 naming the problem', async () => {
    const { createSipStack } = await import('../../src/sip/stack.js');
    const stack = await createSipStack({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: pstnPort }], timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 }, handlers: { onInvite: (i) => i.reject(480), onRequest: () => undefined } });
    try {
      const req = stack.ua.createRequest({ method: 'INVITE', uri: `sip:4085552000@127.0.0.1:${ts.udpPort}`, from: '<sip:+19725553456@127.0.0.1>', to: '<sip:4085552000@127.0.0.1>', options: { body: 'v=0\r\nthis is not sdp\r\n' } });
      const status = await new Promise<string>((resolve) => {
        stack.ua.invite(req, { protocol: 'udp', address: '127.0.0.1', port: ts.udpPort }, { onAnswer: () => resolve('200'), onFailure: (res) => resolve(`${res.status} ${res.reason}`) });
      });
      expect(status).toMatch(/^488 Not Acceptable Here - .+/);
    } finally {
      await stack.close();
    }
  });

  it('a call over TCP from the phone side works end to end', async () => {
    const gw = await startSippServer({ scenario: 'uas-basic', port: gwPort, calls: 1 });
    const d2 = ts.fixture.credentials.D2;
    const r = await runSipp({ scenario: 'uac-basic', remote: `127.0.0.1:${ts.tcpPort}`, transport: 't1', service: '914085557001', set: { from: 'd2' }, authUser: d2.username, authPassword: d2.password, durationMs: 200, timeoutS: 15 });
    expect(r.code, r.describe()).toBe(0);
    await gw.stop();
  });

  it('state returns to idle', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const s = ts.server.sizes();
    expect({ calls: s.calls, dialogs: s.dialogs, media: s.mediaCalls }).toEqual({ calls: 0, dialogs: 0, media: 0 });
  });
});
