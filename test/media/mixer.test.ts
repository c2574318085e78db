/**
 * The G.711 conference bridge (spec MID-08): three real UDP endpoints send different tones,
 * each must hear the other two and not itself; also through a real rtpengine, which anchors
 * each participant's leg to the bridge like any other endpoint.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSample, encodeSample } from '../../src/media/mixer/g711.js';
import { JitterBuffer } from '../../src/media/mixer/jitter-buffer.js';
import { type Conference, ConferenceSdpError, createConference, parseRemoteAudio } from '../../src/media/mixer/conference.js';
import { MediaAnchor } from '../../src/media/media-anchor.js';
import { type RtpengineHandle, startRtpengineOnFreePorts } from '../../src/media/rtpengine-process.js';
import { AudioEndpoint, every20ms, g711Sdp, rms, toneLevel } from './audio.js';
import { mediaPort } from './helpers.js';

const FREQS = [400, 700, 1100] as const;

function canBind(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('G.711', () => {
  it('decode(encode(x)) stays within the quantisation step; every code word round-trips', () => {
    for (const law of ['pcmu', 'pcma'] as const) {
      for (let s = -32768; s < 32768; s += 13) {
        const back = decodeSample(law, encodeSample(law, s));
        expect(Math.abs(back - s)).toBeLessThanOrEqual(Math.max(16, Math.abs(s) / 16));
      }
      for (let b = 0; b < 256; b++) {
        // μ-law has two zeros (0x7f and 0xff); 0 encodes to 0xff.
        if (law === 'pcmu' && b === 0x7f) continue;
        expect(encodeSample(law, decodeSample(law, b))).toBe(b);
      }
    }
    expect(decodeSample('pcmu', 0xff)).toBe(0);
    expect(encodeSample('pcmu', 100000)).toBe(encodeSample('pcmu', 32767)); // clipping
  });
});

describe('JitterBuffer', () => {
  const frame = (v: number): Int16Array => new Int16Array(160).fill(v);

  it('waits for the prefetch, plays in sequence order, drops late and duplicate packets', () => {
    const jb = new JitterBuffer(320, 1600);
    const out = new Int16Array(160);
    jb.push(10, frame(10));
    expect(jb.pull(out)).toBe(false); // 160 < 320 prefetch
    jb.push(12, frame(12));
    jb.push(11, frame(11)); // reordered
    jb.push(11, frame(99)); // duplicate
    expect(jb.stats.duplicates).toBe(1);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(jb.pull(out)).toBe(true);
      got.push(out[0]!);
    }
    expect(got).toEqual([10, 11, 12]);
    jb.push(11, frame(11)); // late now
    expect(jb.stats.late).toBe(1);
    expect(jb.pull(out)).toBe(false); // underrun
    expect(out.every((x) => x === 0)).toBe(true);
    expect(jb.stats.underruns).toBe(1);
  });

  it('handles sequence wrap, other packet sizes and bounds its depth', () => {
    const jb = new JitterBuffer(160, 800);
    const out = new Int16Array(160);
    jb.push(65535, new Int16Array(80).fill(1));
    jb.push(0, new Int16Array(80).fill(2)); // wrapped, 10 ms packets
    expect(jb.pull(out)).toBe(true);
    expect([out[0], out[79], out[80], out[159]]).toEqual([1, 1, 2, 2]);
    for (let s = 1; s < 20; s++) jb.push(s, frame(s));
    expect(jb.depth).toBeLessThanOrEqual(800);
    expect(jb.stats.overflowDropped).toBeGreaterThan(0);
    jb.pull(out);
    expect(out[0]).toBe(15); // the oldest were dropped, the newest 5 frames kept
  });
});

describe('parseRemoteAudio', () => {
  it('reads address, port, the first G.711 codec and the direction; refuses non-G.711', () => {
    expect(parseRemoteAudio(g711Sdp(4000, 'pcma'))).toEqual({ address: '127.0.0.1', port: 4000, law: 'pcma', direction: 'sendrecv' });
    const dyn = g711Sdp(4002).replace('RTP/AVP 0', 'RTP/AVP 96 0').replace('a=rtpmap:0', 'a=rtpmap:96 opus/48000/2\r\na=rtpmap:0').replace('a=sendrecv', 'a=sendonly');
    expect(parseRemoteAudio(dyn)).toMatchObject({ law: 'pcmu', direction: 'sendonly' });
    expect(() => parseRemoteAudio(g711Sdp(4004).replace(/RTP\/AVP 0\r\na=rtpmap:0 PCMU/, 'RTP/AVP 18\r\na=rtpmap:18 G729'))).toThrow(ConferenceSdpError);
  });
});

/** Each endpoint sends its own tone for `frames` × 20 ms; returns when done. */
async function talk(
  eps: readonly AudioEndpoint[],
  ports: readonly number[],
  laws: readonly ('pcmu' | 'pcma')[],
  frames: number,
  shuffle = false,
  freqs: readonly number[] = FREQS,
): Promise<void> {
  const held: { ep: AudioEndpoint; buf: Buffer; port: number }[] = [];
  await every20ms(frames, (i) => {
    eps.forEach((ep, k) => {
      const buf = ep.sineFrame(laws[k]!, freqs[k]!);
      if (shuffle && i % 2 === 0) held.push({ ep, buf, port: ports[k]! });
      else {
        ep.send(buf, ports[k]!);
        // Reordering: the held (earlier) packet goes out after the later one.
        for (const h of held.splice(0)) h.ep.send(h.buf, h.port);
      }
    });
  });
}

/** What endpoint k heard during [since, now): must be the other two tones, not its own. */
function expectHearsOthers(ep: AudioEndpoint, k: number, since: number): void {
  const audio = ep.audioSince(since);
  expect(audio.length).toBeGreaterThan(160 * 20);
  // Skip the first 100 ms (prefetch, start of the others' tones).
  const steady = audio.subarray(800);
  expect(rms(steady)).toBeGreaterThan(1000);
  for (let j = 0; j < FREQS.length; j++) {
    const level = toneLevel(steady, FREQS[j]!);
    if (j === k) expect(level, `participant ${k} hears itself at ${FREQS[j]} Hz`).toBeLessThan(0.02);
    else expect(level, `participant ${k} misses ${FREQS[j]} Hz`).toBeGreaterThan(0.2);
  }
}

describe('conference bridge, three direct RTP endpoints', () => {
  let conf: Conference;
  const eps: AudioEndpoint[] = [];
  afterAll(async () => {
    await conf?.close();
    for (const e of eps) e.close();
  });

  it('each participant hears the mix of the other two (PCMU and PCMA mixed), also with reordered packets', async () => {
    conf = await createConference();
    const laws = ['pcmu', 'pcma', 'pcmu'] as const;
    const ports: number[] = [];
    for (let k = 0; k < 3; k++) {
      const ep = await AudioEndpoint.open();
      eps.push(ep);
      const added = await conf.addParticipant(g711Sdp(ep.port, laws[k]));
      expect(added.localSdp).toContain(`RTP/AVP ${laws[k] === 'pcmu' ? 0 : 8}`);
      ports.push(mediaPort(added.localSdp));
    }
    const since = Date.now();
    await talk(eps, ports, laws, 40);
    eps.forEach((ep, k) => expectHearsOthers(ep, k, since));
    // Each receives in its own codec, from the port in its answer.
    expect(eps[1]!.packets.every((p) => p.pt === 8 && p.fromPort === ports[1])).toBe(true);
    expect(eps[0]!.packets.every((p) => p.pt === 0 && p.fromPort === ports[0])).toBe(true);

    // Pairs of packets swapped on the wire: the 40 ms playout delay absorbs it.
    for (const e of eps) e.clear();
    const since2 = Date.now();
    await talk(eps, ports, laws, 40, true);
    eps.forEach((ep, k) => expectHearsOthers(ep, k, since2));
    for (const p of conf.participants()) expect(p.jitter.late).toBe(0);

    // Random network delay of 0..30 ms per packet.
    for (const e of eps) e.clear();
    const since3 = Date.now();
    await every20ms(40, () => {
      eps.forEach((ep, k) => {
        const buf = ep.sineFrame(laws[k], FREQS[k]!);
        setTimeout(() => ep.send(buf, ports[k]!), Math.random() * 30);
      });
    });
    await new Promise((r) => setTimeout(r, 60));
    eps.forEach((ep, k) => expectHearsOthers(ep, k, since3));
  });

  it('a removed participant is no longer heard; close() releases every port', async () => {
    const [p0, p1] = conf.participants();
    await conf.removeParticipant(p1!.id);
    expect(conf.participants()).toHaveLength(2);
    for (const e of eps) e.clear();
    const since = Date.now();
    const ports = conf.participants().map((p) => p.localPort);
    // The removed party keeps sending to its old port: nobody may hear it.
    const oldPort1 = p1!.localPort;
    await talk([eps[0]!, eps[1]!, eps[2]!], [ports[0]!, oldPort1, ports[1]!], ['pcmu', 'pcma', 'pcmu'], 30);
    expect(p0!.localPort).toBe(ports[0]);
    const heard0 = eps[0]!.audioSince(since).subarray(800);
    expect(toneLevel(heard0, FREQS[2])).toBeGreaterThan(0.2);
    expect(toneLevel(heard0, FREQS[1])).toBeLessThan(0.02);
    expect(eps[1]!.packets.filter((p) => p.at > since + 100)).toHaveLength(0);
    await conf.close();
    expect(conf.participants()).toHaveLength(0);
    for (const port of ports) expect(await canBind(port)).toBe(true);
  });
});

describe('conference bridge anchored through a real rtpengine', () => {
  let rtp: RtpengineHandle;
  let anchor: MediaAnchor;
  let conf: Conference;
  const eps: AudioEndpoint[] = [];

  beforeAll(async () => {
    rtp = await startRtpengineOnFreePorts();
    anchor = await MediaAnchor.create({ instances: [{ host: '127.0.0.1', port: rtp.ngPort }] });
    conf = await createConference();
  });
  afterAll(async () => {
    await conf?.close();
    for (const e of eps) e.close();
    await anchor?.close();
    await rtp?.stop();
  });

  it('three parties, each on its own rtpengine call to a bridge port, hear the other two', async () => {
    const ports: number[] = [];
    const callIds: string[] = [];
    for (let k = 0; k < 3; k++) {
      const ep = await AudioEndpoint.open();
      eps.push(ep);
      // The party offers (as a far end would); rtpengine's offer goes to the bridge, whose
      // answer goes back through rtpengine: the bridge is just the other endpoint of the call.
      const callId = `conf-${process.pid}-${k}`;
      callIds.push(callId);
      const offer = await anchor.offer({ callId, fromTag: `party${k}`, sdp: g711Sdp(ep.port) });
      const added = await conf.addParticipant(offer.sdp);
      const answer = await anchor.answer({ callId, fromTag: `party${k}`, toTag: `bridge${k}`, sdp: added.localSdp });
      ports.push(mediaPort(answer.sdp));
    }
    const since = Date.now();
    await talk(eps, ports, ['pcmu', 'pcmu', 'pcmu'], 50);
    eps.forEach((ep, k) => expectHearsOthers(ep, k, since));
    // rtpengine relayed each party's audio to the bridge (query counters of the party tag).
    for (let k = 0; k < 3; k++) {
      const q = await anchor.query(callIds[k]!);
      const party = q.legs.find((l) => l.tag === `party${k}`)!;
      const bridge = q.legs.find((l) => l.tag === `bridge${k}`)!;
      expect(party.rtp.packets).toBeGreaterThanOrEqual(45);
      expect(bridge.rtp.packets).toBeGreaterThanOrEqual(45);
      await anchor.delete({ callId: callIds[k]! });
    }
  });
});
