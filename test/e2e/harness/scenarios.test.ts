// Proves the SIPp scenarios in sipp-scenarios/ are right on their own: each caller scenario is
// run straight against its far-end scenario (SIPp -> SIPp, no server in between), and the
// message traces are checked for the details the server tests will rely on.
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cseqMethod, expectMessage, findMessages, header, summarize, tagOf, topViaBranch } from './messages.js';
import { LOOPBACK, freePort } from './ports.js';
import { SCENARIO_DIR, runSipp, startSippServer, uasRejectScenario, writeScenarioVariant, type SippOptions, type SippResult } from './sipp.js';
import { UdpCounter } from './udp-counter.js';

/** Start `uas` in the background, run `uac` against it, wait for both. */
async function pair(uas: SippOptions, uac: SippOptions): Promise<{ uas: SippResult; uac: SippResult }> {
  const server = await startSippServer({ timeoutS: 15, ...uas });
  const client = await runSipp({ remote: server.address, timeoutS: 10, ...uac });
  // The far end exits by itself after its -m calls; stop it if the caller failed early.
  const far = await Promise.race([server.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
  return { uac: client, uas: far ?? (await server.stop(300)) };
}

function ok(r: SippResult, calls: number): void {
  expect(r.code, r.describe()).toBe(0);
  expect(r.stats?.successful, r.describe()).toBe(calls);
  expect(r.stats?.failed, r.describe()).toBe(0);
}

function userOf(uri: string | undefined): string | undefined {
  return uri ? /sips?:([^@;>]+)@/.exec(uri)?.[1] : undefined;
}

describe('uac-basic', () => {
  it('places 5 calls against uas-basic: 0 failed on both sides, INVITE/180/200/ACK/BYE/200 in order', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-basic', calls: 5 }, { scenario: 'uac-basic', calls: 5, rate: 50, service: '0611223344', set: { from: '1000' } });
    ok(uac, 5);
    ok(uas, 5);
    expect(uac.stats?.retransmissions).toBe(0);
    const got = uas.parsed.filter((m) => m.direction === 'received');
    expect(findMessages(got, { method: 'INVITE' })).toHaveLength(5);
    expect(findMessages(got, { method: 'ACK' })).toHaveLength(5);
    expect(findMessages(got, { method: 'BYE' })).toHaveLength(5);
    const invite = expectMessage(got, { method: 'INVITE' });
    expect(userOf(invite.startLine)).toBe('0611223344');
    expect(userOf(header(invite, 'From'))).toBe('1000');
    expect(header(invite, 'Content-Type')).toBe('application/sdp');
    expect(invite.body).toMatch(/^m=audio \d+ RTP\/AVP 8 0 101$/m);
    // The caller's view of one call: provisional, answer, then its own ACK and BYE.
    const callId = header(invite, 'Call-ID');
    const mine = uac.parsed.filter((m) => header(m, 'Call-ID') === callId).map((m) => (m.method ?? String(m.status)) + ':' + cseqMethod(m));
    expect(mine, summarize(uac.parsed)).toEqual(['INVITE:INVITE', '100:INVITE', '180:INVITE', '200:INVITE', 'ACK:ACK', 'BYE:BYE', '200:BYE']);
    // ACK and BYE go to the Contact of the 200.
    const ack = expectMessage(got, { method: 'ACK', callId });
    expect(ack.startLine).toMatch(/^ACK sip:gw@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0$/);
  });

  it('takes called and calling numbers from the injection file (field0, field1)', async () => {
    const { uac, uas } = await pair(
      { scenario: 'uas-basic', calls: 2 },
      { scenario: 'uac-basic', calls: 2, rate: 20, inf: [['0611000001', '2001'], ['0611000002', '2002']] },
    );
    ok(uac, 2);
    ok(uas, 2);
    const invites = findMessages(uas.parsed, { direction: 'received', method: 'INVITE' });
    expect(invites.map((m) => userOf(m.startLine)).sort()).toEqual(['0611000001', '0611000002']);
    expect(invites.map((m) => userOf(header(m, 'From'))).sort()).toEqual(['2001', '2002']);
  });

  it('-set domain puts the domain in the Request-URI, From and To', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-basic', calls: 1 }, { scenario: 'uac-basic', service: '2001', set: { from: '2002', domain: 'anchor.example' } });
    ok(uac, 1);
    ok(uas, 1);
    const invite = expectMessage(uas.parsed, { direction: 'received', method: 'INVITE' });
    expect(invite.startLine).toBe('INVITE sip:2001@anchor.example SIP/2.0');
    expect(header(invite, 'From')).toMatch(/^<sip:2002@anchor\.example>;tag=/);
    expect(header(invite, 'To')).toBe('<sip:2001@anchor.example>');
  });

  it('with -set media pcap sends RTP to the address in the SDP answer', async () => {
    const sink = await UdpCounter.open();
    try {
      const { uac, uas } = await pair(
        { scenario: 'uas-basic', calls: 1, set: { rtp_port: sink.port } },
        { scenario: 'uac-basic', set: { media: 'pcap' }, durationMs: 800 },
      );
      ok(uac, 1);
      ok(uas, 1);
      const answer = expectMessage(uac.parsed, { direction: 'received', status: 200, cseqMethod: 'INVITE' });
      expect(answer.body).toContain(`m=audio ${sink.port} RTP/AVP`);
      expect(sink.rtpCount).toBeGreaterThan(10);
      expect(sink.packets[0]!.rtp!.payloadType).toBe(8); // g711a.pcap is PCMA
      expect(sink.packets[0]!.fromPort).toBe(uac.mediaPort); // sent from the -mp port
    } finally {
      sink.close();
    }
  });

  it('fails against uas-busy, and the 486 is in its trace', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-busy', calls: 1 }, { scenario: 'uac-basic' });
    expect(uac.code, uac.describe()).toBe(1);
    expect(uac.stats?.failed).toBe(1);
    expect(uac.stats?.successful).toBe(0);
    expectMessage(uac.parsed, { direction: 'received', status: 486 });
    // SIPp ACKs the unexpected 486, so the busy far end completes its call.
    ok(uas, 1);
    expectMessage(uas.parsed, { direction: 'received', method: 'ACK' });
  });

  it('fails against uas-reject-503 (503 seen) and a generated 480 variant of uas-busy', async () => {
    const r503 = await pair({ scenario: 'uas-reject-503', calls: 1 }, { scenario: 'uac-basic' });
    expect(r503.uac.code, r503.uac.describe()).toBe(1);
    expectMessage(r503.uac.parsed, { direction: 'received', status: 503 });
    ok(r503.uas, 1);

    const r480 = await pair({ scenario: await uasRejectScenario(480, 'Temporarily Unavailable'), calls: 1 }, { scenario: 'uac-basic' });
    expect(r480.uac.code, r480.uac.describe()).toBe(1);
    const resp = expectMessage(r480.uac.parsed, { direction: 'received', status: 480 });
    expect(resp.reason).toBe('Temporarily Unavailable');
    ok(r480.uas, 1);
  });

  it('answers a 401 challenge with -au/-ap (uas-auth-challenge), and fails with a wrong password', async () => {
    const creds = { auth_user: 'acme-trunk', auth_pass: 's3cret', realm: 'carrier.example' };
    const good = await pair({ scenario: 'uas-auth-challenge', calls: 1, set: creds }, { scenario: 'uac-basic', authUser: 'acme-trunk', authPassword: 's3cret' });
    ok(good.uac, 1);
    ok(good.uas, 1);
    const invites = findMessages(good.uas.parsed, { direction: 'received', method: 'INVITE' });
    expect(invites).toHaveLength(2);
    expect(header(invites[0]!, 'Authorization')).toBeUndefined();
    expect(header(invites[1]!, 'Authorization')).toMatch(/^Digest username="acme-trunk",realm="carrier\.example"/);
    // The ACK for the 401 reuses the first INVITE's branch (same transaction).
    const ack401 = expectMessage(good.uas.parsed, { direction: 'received', method: 'ACK' });
    expect(topViaBranch(ack401)).toBe(topViaBranch(invites[0]!));
    expect(header(invites[1]!, 'CSeq')).toBe('2 INVITE');

    const bad = await pair({ scenario: 'uas-auth-challenge', calls: 1, set: creds }, { scenario: 'uac-basic', authUser: 'acme-trunk', authPassword: 'wrong' });
    expect(bad.uac.code, bad.uac.describe()).toBe(1);
    expectMessage(bad.uac.parsed, { direction: 'received', status: 403 });
    expect(bad.uas.stats?.failed, bad.uas.describe()).toBe(1);
  });

  it('absorbs a 180 that arrives after the 200 (reordering by a multi-worker server)', async () => {
    // A minimal far end written here, because a SIPp UAS cannot send two messages back to back
    // without the ACK overtaking them: 100, 200 and then a late 180 in one go; 200 to BYE.
    const port = await freePort({ tcp: false });
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(port, LOOPBACK, () => r()));
    const got: string[] = [];
    sock.on('message', (buf, rinfo) => {
      const text = buf.toString('utf8');
      const method = text.slice(0, text.indexOf(' '));
      got.push(method);
      const hdrs = text.split('\r\n\r\n')[0]!.split('\r\n');
      const pick = (re: RegExp): string[] => hdrs.filter((h) => re.test(h));
      const base = [...pick(/^via:/i), ...pick(/^from:/i), ...pick(/^call-id:/i), ...pick(/^cseq:/i)];
      const to = pick(/^to:/i)[0]!;
      const toTagged = /;tag=/.test(to) ? to : `${to};tag=late180`;
      const send = (lines: string[]): void => {
        sock.send(lines.join('\r\n'), rinfo.port, rinfo.address);
      };
      if (method === 'INVITE') {
        const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 9 RTP/AVP 8', ''].join('\r\n');
        send(['SIP/2.0 100 Trying', ...base, to, 'Content-Length: 0', '', '']);
        send(['SIP/2.0 200 OK', ...base, toTagged, `Contact: <sip:late@${LOOPBACK}:${port}>`, 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp]);
        send(['SIP/2.0 180 Ringing', ...base, toTagged, 'Content-Length: 0', '', '']);
      } else if (method === 'BYE') {
        send(['SIP/2.0 200 OK', ...base, to, 'Content-Length: 0', '', '']);
      }
    });
    try {
      const uac = await runSipp({ scenario: 'uac-basic', remote: `${LOOPBACK}:${port}`, calls: 3, rate: 30, timeoutS: 5 });
      ok(uac, 3);
      expect(got.filter((m) => m === 'ACK')).toHaveLength(3);
      const callId = header(expectMessage(uac.parsed, { direction: 'sent', method: 'INVITE' }), 'Call-ID');
      const seen = uac.parsed.filter((m) => header(m, 'Call-ID') === callId && m.direction === 'received').map((m) => `${m.status}:${cseqMethod(m)}`);
      expect(seen.slice(0, 3), seen.join(' ')).toEqual(['100:INVITE', '200:INVITE', '180:INVITE']);
    } finally {
      sock.close();
    }
  });

  it('-rtp_echo on a far end echoes RTP sent to its -mp port', async () => {
    const server = await startSippServer({ scenario: 'uas-basic', rtpEcho: true });
    const probe = await UdpCounter.open();
    try {
      await probe.sendRtp(server.mediaPort, 10);
      expect(await probe.waitFor(10, 1000), `echoed ${probe.count}`).toBe(true);
      expect(probe.countFrom(server.mediaPort)).toBe(10);
    } finally {
      probe.close();
      await server.stop(200);
    }
  });

  it('runs over TCP (-t t1)', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-basic', calls: 2, transport: 't1' }, { scenario: 'uac-basic', calls: 2, transport: 't1' });
    ok(uac, 2);
    ok(uas, 2);
    const invite = expectMessage(uas.parsed, { direction: 'received', method: 'INVITE' });
    expect(invite.transport).toBe('TCP');
    expect(header(invite, 'Via')).toMatch(/^SIP\/2\.0\/TCP /);
  });
});

describe('uac-cancel / uas-noanswer', () => {
  it('cancels while ringing: 200 to CANCEL, 487, ACK, all on the INVITE branch', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-noanswer', calls: 2 }, { scenario: 'uac-cancel', calls: 2, rate: 20, durationMs: 100 });
    ok(uac, 2);
    ok(uas, 2);
    const got = uas.parsed.filter((m) => m.direction === 'received');
    for (const invite of findMessages(got, { method: 'INVITE' })) {
      const callId = header(invite, 'Call-ID')!;
      const cancel = expectMessage(got, { method: 'CANCEL', callId });
      const ack = expectMessage(got, { method: 'ACK', callId });
      expect(topViaBranch(cancel)).toBe(topViaBranch(invite));
      expect(topViaBranch(ack)).toBe(topViaBranch(invite));
      expect(header(cancel, 'CSeq')).toBe(`${header(invite, 'CSeq')!.split(' ')[0]} CANCEL`);
      expect(header(ack, 'CSeq')).toBe(`${header(invite, 'CSeq')!.split(' ')[0]} ACK`);
      expect(tagOf(header(cancel, 'To'))).toBeUndefined();
      expect(tagOf(header(ack, 'To'))).toBeDefined();
    }
    expectMessage(uac.parsed, { direction: 'received', status: 487 });
    expectMessage(uac.parsed, { direction: 'received', status: 200, cseqMethod: 'CANCEL' });
  });

  it('uac-basic against uas-noanswer times out (exit 255) instead of hanging', async () => {
    const server = await startSippServer({ scenario: 'uas-noanswer', timeoutS: 5 });
    const uac = await runSipp({ scenario: 'uac-basic', remote: server.address, timeoutS: 1 });
    await server.stop(200);
    expect(uac.code, uac.describe()).toBe(255);
    expect(uac.stats?.successful ?? 0).toBe(0);
    expectMessage(uac.parsed, { direction: 'received', status: 180 });
  });
});

describe('uac-hold-resume / uas-reinvite-aware', () => {
  it('holds (sendonly -> recvonly) and resumes (sendrecv -> sendrecv), then BYE', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-reinvite-aware', calls: 2 }, { scenario: 'uac-hold-resume', calls: 2, rate: 20, durationMs: 50 });
    ok(uac, 2);
    ok(uas, 2);
    const invites = findMessages(uas.parsed, { direction: 'received', method: 'INVITE' });
    expect(invites).toHaveLength(6);
    const callId = header(invites[0]!, 'Call-ID');
    const offers = invites.filter((m) => header(m, 'Call-ID') === callId);
    expect(offers.map((m) => /a=(sendrecv|sendonly|recvonly|inactive)/.exec(m.body)?.[1])).toEqual(['sendrecv', 'sendonly', 'sendrecv']);
    expect(offers.map((m) => /^o=\S+ \S+ (\d+)/m.exec(m.body)?.[1])).toEqual(['1', '2', '3']);
    const answers = findMessages(uas.parsed, { direction: 'sent', status: 200, cseqMethod: 'INVITE', callId });
    expect(answers.map((m) => /a=(sendrecv|sendonly|recvonly|inactive)/.exec(m.body)?.[1])).toEqual(['sendrecv', 'recvonly', 'sendrecv']);
    // re-INVITEs are in-dialog: To tag of the first 200.
    expect(tagOf(header(offers[1]!, 'To'))).toBe(tagOf(header(answers[0]!, 'To')));
  });

  it('uas-reinvite-aware accepts a call without re-INVITEs (BYE straight away)', async () => {
    const plain = await pair({ scenario: 'uas-reinvite-aware', calls: 1 }, { scenario: 'uac-basic' });
    ok(plain.uac, 1);
    ok(plain.uas, 1);
  });

  it('uas-reinvite-aware fails the call when the first re-INVITE is not a hold', async () => {
    // A copy of uac-hold-resume whose "hold" offers sendrecv.
    const file = await writeScenarioVariant('uac-hold-resume', [['a=sendonly', 'a=sendrecv']], 'uac-no-hold');
    const { uac, uas } = await pair({ scenario: 'uas-reinvite-aware', calls: 1 }, { scenario: file, timeoutS: 4 });
    expect(uas.stats?.failedRegexpDoesntMatch, uas.describe()).toBe(1);
    expect(uac.code, uac.describe()).not.toBe(0);
  });
});

describe('uac-wait-bye / uas-hangup', () => {
  it('the far end hangs up: BYE from the callee with swapped tags, 200 from the caller', async () => {
    const { uac, uas } = await pair({ scenario: 'uas-hangup', calls: 2, durationMs: 100 }, { scenario: 'uac-wait-bye', calls: 2, rate: 20 });
    ok(uac, 2);
    ok(uas, 2);
    const bye = expectMessage(uac.parsed, { direction: 'received', method: 'BYE' });
    const callId = header(bye, 'Call-ID');
    const invite = expectMessage(uac.parsed, { direction: 'sent', method: 'INVITE', callId });
    const answer = expectMessage(uac.parsed, { direction: 'received', status: 200, cseqMethod: 'INVITE', callId });
    expect(bye.startLine).toMatch(/^BYE sip:sipp@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0$/); // the caller's Contact
    expect(tagOf(header(bye, 'To'))).toBe(tagOf(header(invite, 'From')));
    expect(tagOf(header(bye, 'From'))).toBe(tagOf(header(answer, 'To')));
    expectMessage(uas.parsed, { direction: 'received', status: 200, cseqMethod: 'BYE', callId });
  });
});

describe('uac-register-auth', () => {
  it('registers against uas-register-auth (401, then 200 with the Contact echoed)', async () => {
    const { uac, uas } = await pair(
      { scenario: 'uas-register-auth', calls: 1, set: { auth_user: 'carol-desk', auth_pass: 'carol-secret', realm: '127.0.0.1' } },
      { scenario: 'uac-register-auth', service: 'carol-desk', authPassword: 'carol-secret', set: { expires: 120 } },
    );
    ok(uac, 1);
    ok(uas, 1);
    const regs = findMessages(uas.parsed, { direction: 'received', method: 'REGISTER' });
    expect(regs).toHaveLength(2);
    expect(header(regs[0]!, 'Expires')).toBe('120');
    expect(header(regs[1]!, 'CSeq')).toBe('2 REGISTER');
    expect(header(regs[1]!, 'Call-ID')).toBe(header(regs[0]!, 'Call-ID'));
    const ok200 = expectMessage(uac.parsed, { direction: 'received', status: 200 });
    expect(header(ok200, 'Contact')).toBe(header(regs[1]!, 'Contact'));

    const bad = await pair(
      { scenario: 'uas-register-auth', calls: 1, set: { auth_user: 'carol-desk', auth_pass: 'carol-secret' } },
      { scenario: 'uac-register-auth', service: 'carol-desk', authPassword: 'nope' },
    );
    expect(bad.uac.code).toBe(1);
    expectMessage(bad.uac.parsed, { direction: 'received', status: 403 });
    expect(bad.uas.stats?.failed).toBe(1);
  });

  it('computes a correct MD5 digest (checked by an independent registrar in this test)', async () => {
    const port = await freePort({ tcp: false });
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(port, LOOPBACK, () => r()));
    const seen: string[] = [];
    let verdict = 'no second REGISTER';
    sock.on('message', (buf, rinfo) => {
      const text = buf.toString('utf8');
      seen.push(text);
      const hdrs = text.split('\r\n\r\n')[0]!.split('\r\n');
      const keep = hdrs.filter((h) => /^(via|from|to|call-id|cseq):/i.test(h));
      const auth = hdrs.find((h) => /^authorization:/i.test(h));
      let reply: string;
      if (!auth) {
        reply = ['SIP/2.0 401 Unauthorized', ...keep, 'WWW-Authenticate: Digest realm="anchor.test", nonce="n0nce42", algorithm=MD5, qop="auth"', 'Content-Length: 0', '', ''].join('\r\n');
      } else {
        const p = Object.fromEntries([...auth.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1]!, m[2] ?? m[3] ?? '']));
        const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
        const ha1 = md5(`${p['username']}:anchor.test:pa55`);
        const ha2 = md5(`REGISTER:${p['uri']}`);
        const expected = md5(`${ha1}:${p['nonce']}:${p['nc']}:${p['cnonce']}:${p['qop']}:${ha2}`);
        verdict = p['response'] === expected ? 'valid' : `invalid: ${auth}`;
        reply = [p['response'] === expected ? 'SIP/2.0 200 OK' : 'SIP/2.0 403 Forbidden', ...keep.map((h) => (/^to:/i.test(h) ? `${h};tag=reg1` : h)), 'Content-Length: 0', '', ''].join('\r\n');
      }
      sock.send(reply, rinfo.port, rinfo.address);
    });
    try {
      const r = await runSipp({ scenario: 'uac-register-auth', remote: `${LOOPBACK}:${port}`, service: 'dave-phone', authPassword: 'pa55', set: { domain: 'anchor.test' }, authUri: 'anchor.test', timeoutS: 5 });
      ok(r, 1);
      expect(verdict).toBe('valid');
      expect(seen[1]).toMatch(/^REGISTER sip:anchor\.test SIP\/2\.0\r\n/);
      expect(seen[1]).toContain('uri="sip:anchor.test"');
      expect(seen[1]).toContain('username="dave-phone"');
    } finally {
      sock.close();
    }
  });
});

describe('scenario files', () => {
  // The harness's own scenarios (other files in the folder belong to feature tests).
  const OWN = [
    'uac-basic', 'uac-cancel', 'uac-hold-resume', 'uac-register-auth', 'uac-wait-bye',
    'uas-auth-challenge', 'uas-basic', 'uas-busy', 'uas-hangup', 'uas-noanswer',
    'uas-register-auth', 'uas-reinvite-aware', 'uas-reject-503',
  ];

  it('each has a header comment naming what it plays and its inputs', async () => {
    const present = (await readdir(SCENARIO_DIR)).filter((f) => f.endsWith('.xml')).map((f) => f.replace(/\.xml$/, ''));
    for (const name of OWN) {
      expect(present, name).toContain(name);
      const xml = await readFile(path.join(SCENARIO_DIR, `${name}.xml`), 'utf8');
      expect(xml, name).toMatch(new RegExp(`<scenario name="${name}">\\s*<!--\\s*\\n\\s+${name}\\.xml: `));
      expect(xml, name).toMatch(/Inputs/);
      expect(xml, name).toMatch(/Asserts|Fails the call on/);
    }
  });
});
