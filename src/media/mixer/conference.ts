/**
 * A small G.711 audio conference bridge (spec MID-08): the installed rtpengine 10.5 cannot mix
 * audio (no `connect` command; `subscribe request` with several from-tags gives one m= line per
 * source, not a mix; see docs/media.md and test/media/rtpengine-capabilities.test.ts), so the
 * three-party conference of MID-08 mixes here.
 *
 * Each participant gets its own UDP port (an ordinary RTP endpoint, to be anchored through
 * rtpengine like any other). Every 20 ms the bridge takes one frame from each participant's
 * jitter buffer, decodes it (PCMU or PCMA, per participant), sums all of them and sends each
 * participant the sum minus its own contribution, clipped to 16 bits and encoded in its codec,
 * so everybody hears everybody else and not themselves. Telephone-events and other payload
 * types are ignored. Symmetric RTP: the bridge sends to where a participant's packets come
 * from once it has seen one (the SDP address before).
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseSdp, type Direction } from '../sdp.js';
import { type G711Law, decode, encode } from './g711.js';
import { JitterBuffer, type JitterStats } from './jitter-buffer.js';

const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const FRAME_MS = 20;
const PT: Readonly<Record<G711Law, number>> = { pcmu: 0, pcma: 8 };

export interface ConferenceOptions {
  /** Address the participant sockets bind and the local SDP announces (default 127.0.0.1). */
  readonly host?: string;
  /** Bind ports from this range (default: any free port). */
  readonly portMin?: number;
  readonly portMax?: number;
  /** Playout delay before a participant is heard (default 40 ms); absorbs jitter and reordering. */
  readonly jitterMs?: number;
  /** Most audio buffered per participant before the oldest is dropped (default 200 ms). */
  readonly maxJitterMs?: number;
}

export interface ParticipantInfo {
  readonly id: string;
  readonly localPort: number;
  readonly law: G711Law;
  readonly remote: { readonly address: string; readonly port: number } | undefined;
  readonly direction: Direction;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly jitter: JitterStats;
}

export interface AddedParticipant {
  readonly id: string;
  /** The SDP answer to give the participant (or to rtpengine for its leg). */
  readonly localSdp: string;
}

export interface Conference {
  readonly id: string;
  addParticipant(remoteSdp: string): Promise<AddedParticipant>;
  /** A re-offer from the participant (hold, new address or codec); returns the new answer. */
  updateParticipant(id: string, remoteSdp: string): string;
  removeParticipant(id: string): Promise<void>;
  participants(): ParticipantInfo[];
  close(): Promise<void>;
}

export class ConferenceSdpError extends Error {
  constructor(reason: string) {
    super(`conference: ${reason}`);
    this.name = 'ConferenceSdpError';
  }
}

interface RemoteMedia {
  address: string;
  port: number;
  law: G711Law;
  direction: Direction;
}

interface Participant {
  readonly id: string;
  readonly sock: dgram.Socket;
  readonly localPort: number;
  readonly ssrc: number;
  seq: number;
  ts: number;
  law: G711Law;
  direction: Direction;
  remote: { address: string; port: number } | undefined;
  latched: boolean;
  readonly jitter: JitterBuffer;
  readonly frame: Int16Array;
  /** Whether `frame` holds audio this tick. */
  active: boolean;
  packetsIn: number;
  packetsOut: number;
  sdpVersion: number;
}

/** Media of the first audio section of an SDP offer: address, port, G.711 codec, direction. */
export function parseRemoteAudio(sdp: string): RemoteMedia {
  let desc;
  try {
    desc = parseSdp(sdp);
  } catch (e) {
    throw new ConferenceSdpError(`unparsable SDP: ${(e as Error).message}`);
  }
  const m = desc.media.find((x) => x.type === 'audio' && x.port !== 0);
  if (m === undefined) throw new ConferenceSdpError('no active audio section');
  const address = m.connection?.ip ?? desc.connection?.ip;
  if (address === undefined) throw new ConferenceSdpError('no connection address');
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter((x) => x !== '')
    .map(Number);
  let law: G711Law | undefined;
  for (const pt of pts) {
    const name = m.rtp.find((r) => r.payload === pt)?.codec.toUpperCase();
    if (pt === 0 || name === 'PCMU') law = 'pcmu';
    else if (pt === 8 || name === 'PCMA') law = 'pcma';
    if (law !== undefined) break;
  }
  if (law === undefined) throw new ConferenceSdpError('no G.711 codec (PCMU/PCMA) offered');
  const dir = (m.direction ?? desc.direction ?? 'sendrecv') as Direction;
  return { address, port: m.port, law, direction: dir };
}

/** Our direction is the mirror of theirs. */
function answerDirection(theirs: Direction): Direction {
  return theirs === 'sendonly' ? 'recvonly' : theirs === 'recvonly' ? 'sendonly' : theirs;
}

export async function createConference(opts: ConferenceOptions = {}): Promise<Conference> {
  const host = opts.host ?? '127.0.0.1';
  const prefetch = Math.max(0, Math.round(((opts.jitterMs ?? 40) * 8000) / 1000));
  const maxSamples = Math.max(prefetch + FRAME_SAMPLES, Math.round(((opts.maxJitterMs ?? 200) * 8000) / 1000));
  const confId = randomBytes(6).toString('hex');
  const sessionId = Date.now();
  const parts = new Map<string, Participant>();
  let closed = false;
  let nextPort = opts.portMin;
  let seqId = 0;

  // ---- clock: one tick per 20 ms, corrected against drift; a stalled loop catches up a little
  let tickTimer: NodeJS.Timeout | undefined;
  let nextTickAt = 0;
  const mix = new Int32Array(FRAME_SAMPLES);
  const out = new Int16Array(FRAME_SAMPLES);
  const schedule = (): void => {
    if (closed || parts.size === 0) {
      tickTimer = undefined;
      return;
    }
    const delay = Math.max(0, nextTickAt - performance.now());
    tickTimer = setTimeout(onTimer, delay);
  };
  const onTimer = (): void => {
    const now = performance.now();
    let ticks = 0;
    while (nextTickAt <= now && ticks < 5) {
      tick();
      nextTickAt += FRAME_MS;
      ticks++;
    }
    if (nextTickAt <= now) nextTickAt = now + FRAME_MS; // too far behind: skip, don't burst
    schedule();
  };
  const startClock = (): void => {
    if (tickTimer !== undefined || closed) return;
    nextTickAt = performance.now() + FRAME_MS;
    schedule();
  };

  const tick = (): void => {
    mix.fill(0);
    for (const p of parts.values()) {
      const hearable = p.direction === 'sendrecv' || p.direction === 'sendonly';
      p.active = p.jitter.pull(p.frame) && hearable;
      if (p.active) for (let i = 0; i < FRAME_SAMPLES; i++) mix[i]! += p.frame[i]!;
    }
    for (const p of parts.values()) {
      p.ts = (p.ts + FRAME_SAMPLES) >>> 0;
      if (p.remote === undefined || p.direction === 'sendonly' || p.direction === 'inactive') continue;
      const payload = Buffer.allocUnsafe(12 + FRAME_SAMPLES);
      if (p.active) {
        for (let i = 0; i < FRAME_SAMPLES; i++) {
          const v = mix[i]! - p.frame[i]!;
          out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      } else {
        for (let i = 0; i < FRAME_SAMPLES; i++) {
          const v = mix[i]!;
          out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      }
      payload[0] = 0x80;
      payload[1] = PT[p.law];
      payload.writeUInt16BE(p.seq, 2);
      payload.writeUInt32BE(p.ts, 4);
      payload.writeUInt32BE(p.ssrc, 8);
      encode(p.law, out, payload.subarray(12));
      p.seq = (p.seq + 1) & 0xffff;
      p.packetsOut++;
      p.sock.send(payload, p.remote.port, p.remote.address, () => undefined);
    }
  };

  const onPacket = (p: Participant, msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return; // RTCP on the RTP port (rtcp-mux)
    // Either G.711 law is decoded by its payload type (a re-offer may switch codecs).
    if (pt !== PT.pcmu && pt !== PT.pcma) return;
    const cc = msg[0]! & 0x0f;
    let off = 12 + 4 * cc;
    if ((msg[0]! & 0x10) !== 0 && msg.length >= off + 4) off += 4 + 4 * msg.readUInt16BE(off + 2);
    let end = msg.length;
    if ((msg[0]! & 0x20) !== 0) end -= msg[msg.length - 1]!;
    if (end <= off) return;
    p.packetsIn++;
    if (!p.latched || p.remote?.port !== rinfo.port || p.remote.address !== rinfo.address) {
      p.remote = { address: rinfo.address, port: rinfo.port };
      p.latched = true;
    }
    const law: G711Law = pt === PT.pcma ? 'pcma' : 'pcmu';
    p.jitter.push(msg.readUInt16BE(2), decode(law, msg.subarray(off, end)));
  };

  const bindSocket = async (): Promise<dgram.Socket> => {
    const tryBind = (port: number): Promise<dgram.Socket | undefined> =>
      new Promise((resolve) => {
        const s = dgram.createSocket('udp4');
        s.once('error', () => {
          s.close();
          resolve(undefined);
        });
        s.bind(port, host, () => {
          s.removeAllListeners('error');
          s.on('error', () => undefined);
          resolve(s);
        });
      });
    if (opts.portMin === undefined || opts.portMax === undefined) {
      const s = await tryBind(0);
      if (s === undefined) throw new Error(`conference: cannot bind a UDP port on ${host}`);
      return s;
    }
    const span = opts.portMax - opts.portMin + 1;
    for (let i = 0; i < span; i++) {
      const port = nextPort!;
      nextPort = port + 1 > opts.portMax ? opts.portMin : port + 1;
      if (port % 2 !== 0) continue; // RTP on even ports
      const s = await tryBind(port);
      if (s !== undefined) return s;
    }
    throw new Error(`conference: no free port in ${opts.portMin}-${opts.portMax}`);
  };

  const localSdp = (p: Participant): string =>
    [
      'v=0',
      `o=- ${sessionId} ${p.sdpVersion} IN IP4 ${host}`,
      's=conference',
      `c=IN IP4 ${host}`,
      't=0 0',
      `m=audio ${p.localPort} RTP/AVP ${PT[p.law]}`,
      `a=rtpmap:${PT[p.law]} ${p.law === 'pcmu' ? 'PCMU' : 'PCMA'}/8000`,
      'a=ptime:20',
      `a=${answerDirection(p.direction)}`,
      '',
    ].join('\r\n');

  const conf: Conference = {
    id: confId,
    async addParticipant(remoteSdp) {
      if (closed) throw new Error('conference closed');
      const r = parseRemoteAudio(remoteSdp);
      const sock = await bindSocket();
      const p: Participant = {
        id: `${confId}-${++seqId}`,
        sock,
        localPort: sock.address().port,
        ssrc: randomBytes(4).readUInt32BE(0),
        seq: randomBytes(2).readUInt16BE(0),
        ts: randomBytes(4).readUInt32BE(0),
        law: r.law,
        direction: r.direction,
        remote: { address: r.address, port: r.port },
        latched: false,
        jitter: new JitterBuffer(prefetch, maxSamples),
        frame: new Int16Array(FRAME_SAMPLES),
        active: false,
        packetsIn: 0,
        packetsOut: 0,
        sdpVersion: 1,
      };
      sock.on('message', (msg, rinfo) => onPacket(p, msg, rinfo));
      parts.set(p.id, p);
      startClock();
      return { id: p.id, localSdp: localSdp(p) };
    },
    updateParticipant(id, remoteSdp) {
      const p = parts.get(id);
      if (p === undefined) throw new Error(`conference: no participant ${id}`);
      const r = parseRemoteAudio(remoteSdp);
      p.law = r.law;
      p.direction = r.direction;
      if (!p.latched || p.remote?.address !== r.address || p.remote.port !== r.port) {
        p.remote = { address: r.address, port: r.port };
        p.latched = false;
      }
      p.sdpVersion++;
      return localSdp(p);
    },
    async removeParticipant(id) {
      const p = parts.get(id);
      if (p === undefined) return;
      parts.delete(id);
      await new Promise<void>((resolve) => p.sock.close(() => resolve()));
    },
    participants() {
      return [...parts.values()].map((p) => ({
        id: p.id,
        localPort: p.localPort,
        law: p.law,
        remote: p.remote,
        direction: p.direction,
        packetsIn: p.packetsIn,
        packetsOut: p.packetsOut,
        jitter: { ...p.jitter.stats },
      }));
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(tickTimer);
      tickTimer = undefined;
      const all = [...parts.values()];
      parts.clear();
      await Promise.all(all.map((p) => new Promise<void>((resolve) => p.sock.close(() => resolve()))));
    },
  };
  return conf;
}
