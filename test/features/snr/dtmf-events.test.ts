/**
 * RFC 4733 digits through rtpengine (DTMF-01, VMA-03): the installed rtpengine, started with
 * --dtmf-log-dest, reports each digit of a pass-through call as a JSON datagram; the SNR
 * listener hands it to the subscriber of that call and tag, also while the sender's media is
 * blocked (user control blocks the RD's media until the key press).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaAnchor } from '../../../src/media/media-anchor.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../../src/media/rtpengine-process.js';
import { RtpengineDtmfEvents, parseDtmfLog } from '../../../src/features/snr/dtmf-events.js';
import { freePort } from '../../e2e/harness/ports.js';
import { RtpEndpoint, audioSdp, mediaPort, sleep, waitFor } from '../../media/helpers.js';

describe('parseDtmfLog', () => {
  it('reads rtpengine 10.5 DTMF events and ignores anything else', () => {
    const raw = '{"callid":"c1","source_tag":"tagB","tags":["tagA","tagB"],"type":"DTMF","timestamp":1,"source_ip":"127.0.0.1","event":5,"duration":120,"volume":10}';
    expect(parseDtmfLog(raw)).toEqual({ callId: 'c1', sourceTag: 'tagB', digit: '5', durationMs: 120 });
    expect(parseDtmfLog(raw.replace('"event":5', '"event":11'))?.digit).toBe('#');
    expect(parseDtmfLog(raw.replace('"event":5', '"event":10'))?.digit).toBe('*');
    expect(parseDtmfLog(raw.replace('"event":5', '"event":16'))).toBeUndefined();
    expect(parseDtmfLog(raw.replace('"DTMF"', '"other"'))).toBeUndefined();
    expect(parseDtmfLog('not json')).toBeUndefined();
    expect(parseDtmfLog('{"callid":"c"}')).toBeUndefined();
  });
});

describe('rtpengine --dtmf-log-dest (real rtpengine)', () => {
  let rtp: RtpengineHandle;
  let anchor: MediaAnchor;
  let events: RtpengineDtmfEvents;
  const endpoints: RtpEndpoint[] = [];

  beforeAll(async () => {
    events = await RtpengineDtmfEvents.open('127.0.0.1', await freePort({ tcp: false }));
    rtp = await startRtpengineOnFreePorts({ extraArgs: [`--dtmf-log-dest=127.0.0.1:${events.port}`] });
    anchor = await MediaAnchor.create({ instances: [{ host: '127.0.0.1', port: rtp.ngPort }] });
  });
  afterAll(async () => {
    for (const e of endpoints) e.close();
    events?.close();
    await anchor?.close();
    await rtp?.stop();
  });

  /** A 4733 event packet (RFC 4733 §2.3) with the end bit on the last ones. */
  function eventPacket(seq: number, ts: number, event: number, end: boolean, duration: number): Buffer {
    const b = Buffer.alloc(16);
    b[0] = 0x80;
    b[1] = 101;
    b.writeUInt16BE(seq & 0xffff, 2);
    b.writeUInt32BE(ts, 4);
    b.writeUInt32BE(0xbbbb0001, 8);
    b[12] = event;
    b[13] = (end ? 0x80 : 0) | 10;
    b.writeUInt16BE(duration, 14);
    return b;
  }

  async function press(from: RtpEndpoint, to: number, event: number, firstSeq: number): Promise<void> {
    await from.sendRtp(to, 3, 0xbbbb0001, { firstSeq, gapMs: 20 });
    let seq = firstSeq + 3;
    for (let i = 1; i <= 5; i++) {
      from.sendRaw(eventPacket(seq++, 48000, event, false, 160 * i), to);
      await sleep(20);
    }
    for (let i = 0; i < 3; i++) {
      from.sendRaw(eventPacket(seq++, 48000, event, true, 960), to);
      await sleep(10);
    }
    await from.sendRtp(to, 3, 0xbbbb0001, { firstSeq: seq, gapMs: 20 });
  }

  it('a digit sent by B reaches the subscriber of (call, B) and nobody else; unsubscribe cleans up', async () => {
    const a = await RtpEndpoint.open();
    const b = await RtpEndpoint.open();
    endpoints.push(a, b);
    const callId = `dtmf-${process.pid}-1`;
    const offer = await anchor.offer({ callId, fromTag: 'tagA', sdp: audioSdp(a.port) });
    await anchor.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(b.port) });
    const fromB: string[] = [];
    const fromA: string[] = [];
    const offB = events.subscribe(callId, 'tagB', (d) => fromB.push(d));
    const offA = events.subscribe(callId, 'tagA', (d) => fromA.push(d));
    expect(events.size).toBe(2);
    await press(b, mediaPort(offer.sdp), 5, 100);
    expect(await waitFor(() => fromB.length > 0, 2000)).toBe(true);
    expect(fromB).toEqual(['5']);
    expect(fromA).toEqual([]);
    offA();
    offB();
    expect(events.size).toBe(0);
    await anchor.delete({ callId });
  });

  it('digits are still reported while the sender media is blocked (user control before the key press)', async () => {
    const a = await RtpEndpoint.open();
    const b = await RtpEndpoint.open();
    endpoints.push(a, b);
    const callId = `dtmf-${process.pid}-2`;
    const offer = await anchor.offer({ callId, fromTag: 'tagA', sdp: audioSdp(a.port) });
    await anchor.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: audioSdp(b.port) });
    await anchor.blockMedia({ callId, fromTag: 'tagB' });
    const got: string[] = [];
    const off = events.subscribe(callId, 'tagB', (d) => got.push(d));
    await press(b, mediaPort(offer.sdp), 9, 300);
    expect(await waitFor(() => got.length > 0, 2000)).toBe(true);
    expect(got).toEqual(['9']);
    // Finding (10.5.3.5): `block media` drops B's audio but still relays its telephone-events
    // (rtpengine has a separate `block DTMF`); audio from B never reached A.
    expect(a.received.filter((p) => p.pt !== 101)).toEqual([]);
    off();
    await anchor.delete({ callId });
  });
});
