/**
 * RFC 4733 telephone-event captures for SIPp's `play_pcap_audio` (Debian ships only the
 * digits 0-9, one per file; mid-call codes need `*` and `#` and whole sequences). A key
 * press is 5 packets 20 ms apart with growing duration, then the end packet three times
 * (RFC 4733 §2.5.1.4); keys follow each other after `gapMs` of silence. Written as a
 * classic pcap (Ethernet/IPv4/UDP); SIPp replaces the addresses and ports.
 */
import { writeFile } from 'node:fs/promises';

const EVENTS = '0123456789*#ABCD';
const PT = 101;

function packet(seq: number, ts: number, ssrc: number, event: number, end: boolean, duration: number, marker: boolean): Buffer {
  const rtp = Buffer.alloc(16);
  rtp[0] = 0x80;
  rtp[1] = (marker ? 0x80 : 0) | PT;
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE(ts >>> 0, 4);
  rtp.writeUInt32BE(ssrc, 8);
  rtp[12] = event;
  rtp[13] = (end ? 0x80 : 0) | 10; // volume -10 dBm0
  rtp.writeUInt16BE(duration, 14);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(6000, 0);
  udp.writeUInt16BE(6002, 2);
  udp.writeUInt16BE(8 + rtp.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + rtp.length, 2);
  ip[8] = 64;
  ip[9] = 17; // UDP
  Buffer.from([127, 0, 0, 1]).copy(ip, 12);
  Buffer.from([127, 0, 0, 1]).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, rtp]);
}

/** A pcap playing `keys` (0-9 * # A-D) as RFC 4733 events, payload type 101. */
export function dtmfPcap(keys: string, gapMs = 120): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20); // Ethernet
  const records: Buffer[] = [head];
  let t = 0; // ms since the start
  let seq = 1;
  let rtpTs = 1000;
  const ssrc = 0x4d41_0001;
  const add = (p: Buffer): void => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(t / 1000), 0);
    rec.writeUInt32LE((t % 1000) * 1000, 4);
    rec.writeUInt32LE(p.length, 8);
    rec.writeUInt32LE(p.length, 12);
    records.push(rec, p);
  };
  for (const k of keys) {
    const event = EVENTS.indexOf(k);
    if (event < 0) throw new Error(`not a DTMF key: ${k}`);
    for (let i = 1; i <= 5; i++) {
      add(packet(seq++, rtpTs, ssrc, event, false, i * 160, i === 1));
      t += 20;
    }
    for (let i = 0; i < 3; i++) add(packet(seq++, rtpTs, ssrc, event, true, 960, false));
    t += gapMs;
    rtpTs += 960 + gapMs * 8;
  }
  return Buffer.concat(records);
}

export async function writeDtmfPcap(file: string, keys: string, gapMs?: number): Promise<string> {
  await writeFile(file, dtmfPcap(keys, gapMs));
  return file;
}
