/**
 * Per-leg DTMF (spec DTMF-01, DTMF-05): SIP INFO digits and RFC 4733 digits reported by a real
 * rtpengine (--dtmf-log-dest) for one leg, each key press once: the first method that delivers
 * a digit on the leg wins and the other is ignored on that leg for the rest of the call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpengineDtmfEvents as FromSnr } from '../../src/features/snr/dtmf-events.js';
import { RtpengineDtmfEvents, dtmfLogDestArg, resolveDtmfEventsSettings } from '../../src/media/dtmf-events.js';
import { DtmfLegs, type LegDigit } from '../../src/media/dtmf-leg.js';
import { MediaAnchor } from '../../src/media/media-anchor.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import type { SipRequest } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/parser/parse-message.js';
import { RtpEndpoint, audioSdp, mediaPort, sleep, waitFor } from './helpers.js';

describe('DTMF event settings', () => {
  const cfg = { enabled: true, host: '127.0.0.1', port: 0 };
  it('config unless MA_DTMF_EVENTS / MA_SNR_DTMF_EVENTS override it', () => {
    expect(resolveDtmfEventsSettings(cfg, {})).toEqual(cfg);
    expect(resolveDtmfEventsSettings(cfg, { MA_SNR_DTMF_EVENTS: '127.0.0.2:4000' })).toEqual({ enabled: true, host: '127.0.0.2', port: 4000 });
    expect(resolveDtmfEventsSettings({ ...cfg, enabled: false }, { MA_DTMF_EVENTS: '127.0.0.1:4001', MA_SNR_DTMF_EVENTS: '127.0.0.1:9' })).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 4001,
    });
    expect(resolveDtmfEventsSettings(cfg, { MA_DTMF_EVENTS: 'off' }).enabled).toBe(false);
    expect(resolveDtmfEventsSettings(cfg, { MA_DTMF_EVENTS: 'garbage' })).toEqual(cfg);
    expect(resolveDtmfEventsSettings(undefined, {}).enabled).toBe(false);
    expect(dtmfLogDestArg('127.0.0.1', 5000)).toBe('--dtmf-log-dest=127.0.0.1:5000');
    expect(dtmfLogDestArg('0.0.0.0', 5000)).toBe('--dtmf-log-dest=127.0.0.1:5000');
  });
  it('the SNR module still exports the listener (moved to src/media)', () => {
    expect(FromSnr).toBe(RtpengineDtmfEvents);
  });
});

function info(callId: string, fromTag: string, contentType: string, body: string): SipRequest {
  const raw =
    `INFO sip:gw@127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-${Math.random().toString(36).slice(2)}\r\n` +
    `From: <sip:rd@127.0.0.1>;tag=${fromTag}\r\n` +
    `To: <sip:ma@127.0.0.1>;tag=x\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: 2 INFO\r\n` +
    `Max-Forwards: 70\r\n` +
    `Content-Type: ${contentType}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return parseMessage(Buffer.from(raw)) as SipRequest;
}

describe('DtmfLegs with a real rtpengine', () => {
  let rtp: RtpengineHandle;
  let anchor: MediaAnchor;
  let events: RtpengineDtmfEvents;
  let legs: DtmfLegs;
  const endpoints: RtpEndpoint[] = [];
  let n = 0;

  beforeAll(async () => {
    events = await RtpengineDtmfEvents.open('127.0.0.1', 0);
    rtp = await startRtpengineOnFreePorts({ extraArgs: [dtmfLogDestArg('127.0.0.1', events.port)] });
    anchor = await MediaAnchor.create({ instances: [{ host: '127.0.0.1', port: rtp.ngPort }] });
    legs = new DtmfLegs(events);
  });
  afterAll(async () => {
    for (const e of endpoints) e.close();
    events?.close();
    await anchor?.close();
    await rtp?.stop();
  });

  function eventPacket(seq: number, ts: number, event: number, end: boolean, duration: number, ssrc: number): Buffer {
    const b = Buffer.alloc(16);
    b[0] = 0x80;
    b[1] = 101;
    b.writeUInt16BE(seq & 0xffff, 2);
    b.writeUInt32BE(ts, 4);
    b.writeUInt32BE(ssrc, 8);
    b[12] = event;
    b[13] = (end ? 0x80 : 0) | 10;
    b.writeUInt16BE(duration, 14);
    return b;
  }

  /** One RFC 4733 key press (audio, event packets, end packets, audio). */
  async function press(from: RtpEndpoint, to: number, event: number, state: { seq: number; ts: number }): Promise<void> {
    const ssrc = 0xbbbb0002;
    await from.sendRtp(to, 3, ssrc, { firstSeq: state.seq, gapMs: 20 });
    state.seq += 3;
    state.ts += 4000;
    for (let i = 1; i <= 4; i++) {
      from.sendRaw(eventPacket(state.seq++, state.ts, event, false, 160 * i, ssrc), to);
      await sleep(20);
    }
    for (let i = 0; i < 3; i++) {
      from.sendRaw(eventPacket(state.seq++, state.ts, event, true, 800, ssrc), to);
      await sleep(10);
    }
    await from.sendRtp(to, 2, ssrc, { firstSeq: state.seq, gapMs: 20 });
    state.seq += 2;
  }

  async function call(): Promise<{ callId: string; b: RtpEndpoint; bSendsTo: number }> {
    const a = await RtpEndpoint.open();
    const b = await RtpEndpoint.open();
    endpoints.push(a, b);
    const callId = `dtmfleg-${process.pid}-${++n}`;
    const offer = await anchor.offer({ callId, fromTag: 'tagA', sdp: audioSdp(a.port) });
    await anchor.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(b.port) });
    return { callId, b, bSendsTo: mediaPort(offer.sdp) };
  }

  it('RFC 4733 first: the leg locks to it, INFO digits on that leg are ignored', async () => {
    const { callId, b, bSendsTo } = await call();
    const got: LegDigit[] = [];
    const off = legs.subscribe(callId, 'tagB', (d) => got.push(d));
    const st = { seq: 100, ts: 1000 };
    await press(b, bSendsTo, 5, st);
    expect(await waitFor(() => got.length === 1, 2000)).toBe(true);
    expect(got[0]).toMatchObject({ digit: '5', via: 'rfc4733' });
    expect(legs.methodOf(callId, 'tagB')).toBe('rfc4733');
    // The gateway sends the same key press as INFO too (explicit leg: B2BUA media names).
    expect(legs.feedInfo(info('b-leg-call-id', 'gwtag', 'application/dtmf-relay', 'Signal=6\r\nDuration=160\r\n'), { callId, tag: 'tagB' })).toBe(true);
    await press(b, bSendsTo, 6, st);
    expect(await waitFor(() => got.length === 2, 2000)).toBe(true);
    await sleep(100);
    expect(got.map((d) => `${d.digit}/${d.via}`)).toEqual(['5/rfc4733', '6/rfc4733']);
    expect(legs.stats.ignored).toBeGreaterThanOrEqual(1);
    off();
    expect(legs.size).toBe(0);
    expect(events.size).toBe(0);
    await anchor.delete({ callId });
  });

  it('INFO first: the leg locks to INFO (both body types), RFC 4733 on that leg is ignored; other legs are independent', async () => {
    const { callId, b, bSendsTo } = await call();
    const got: LegDigit[] = [];
    const gotOther: LegDigit[] = [];
    const off = legs.subscribe(callId, 'tagB', (d) => got.push(d));
    const offOther = legs.subscribe(callId, 'tagA', (d) => gotOther.push(d));
    // Default leg key: the INFO's own Call-ID and From tag.
    expect(legs.feedInfo(info(callId, 'tagB', 'application/dtmf-relay', 'Signal=1\r\nDuration=200\r\n'))).toBe(true);
    expect(got).toEqual([{ digit: '1', via: 'info', durationMs: 200 }]);
    const ignoredBefore = legs.stats.ignored;
    await press(b, bSendsTo, 2, { seq: 500, ts: 9000 });
    await sleep(300);
    expect(legs.stats.ignored).toBe(ignoredBefore + 1); // rtpengine did report it, DTMF-05 dropped it
    expect(legs.feedInfo(info(callId, 'tagB', 'application/dtmf', '#'))).toBe(true);
    expect(got.map((d) => d.digit)).toEqual(['1', '#']);
    expect(gotOther).toEqual([]);
    expect(legs.methodOf(callId, 'tagA')).toBeUndefined();
    // Not DTMF: false (the caller answers 415), nothing delivered.
    expect(legs.feedInfo(info(callId, 'tagB', 'application/json', '{}'))).toBe(false);
    expect(legs.feedInfo(info(callId, 'tagB', 'application/dtmf-relay', 'Signal=x'))).toBe(false);
    off();
    offOther();
    expect(legs.size).toBe(0);
    await anchor.delete({ callId });
  });

  it('an INFO for a leg nobody listens to is counted, not delivered; unsubscribe is idempotent', () => {
    const before = legs.stats.unclaimedInfo;
    expect(legs.feedInfo(info('nobody', 't', 'application/dtmf', '3'))).toBe(true);
    expect(legs.stats.unclaimedInfo).toBe(before + 1);
    const got: string[] = [];
    const off1 = legs.subscribe('c', 't', (d) => got.push(`1:${d.digit}`));
    const off2 = legs.subscribe('c', 't', (d) => got.push(`2:${d.digit}`));
    legs.feedInfo(info('c', 't', 'application/dtmf', '4'));
    off1();
    off1();
    legs.feedInfo(info('c', 't', 'application/dtmf', '7'));
    expect(got).toEqual(['1:4', '2:4', '2:7']);
    off2();
    expect(legs.size).toBe(0);
  });
});
