/**
 * G.711 μ-law (PCMU, PT 0) and A-law (PCMA, PT 8) per ITU-T G.711, table-driven: decoding is
 * a 256-entry lookup, encoding a 64 Ki-entry lookup on the 16-bit sample (built once, 64 KiB
 * each), so a 20 ms frame costs 160 array reads either way.
 */

export type G711Law = 'pcmu' | 'pcma';

function ulawDecodeByte(u: number): number {
  const x = ~u & 0xff;
  const sign = x & 0x80;
  const exponent = (x >> 4) & 0x07;
  const mantissa = x & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign !== 0 ? -magnitude : magnitude;
}

function ulawEncodeSample(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function alawDecodeByte(a: number): number {
  const x = a ^ 0x55;
  const sign = x & 0x80;
  const exponent = (x >> 4) & 0x07;
  const mantissa = x & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if (magnitude > 32767) magnitude = 32767;
  return sign !== 0 ? magnitude : -magnitude;
}

function alawEncodeSample(sample: number): number {
  let s = sample;
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  if (s > 32767) s = 32767;
  let out: number;
  if (s < 256) out = s >> 4;
  else {
    let exponent = 1;
    while (exponent < 7 && s >= 256 << exponent) exponent++;
    out = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  ULAW_DECODE[i] = ulawDecodeByte(i);
  ALAW_DECODE[i] = alawDecodeByte(i);
}
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let i = -32768; i < 32768; i++) {
  ULAW_ENCODE[i & 0xffff] = ulawEncodeSample(i);
  ALAW_ENCODE[i & 0xffff] = alawEncodeSample(i);
}

/** The encoded byte of digital silence. */
export const SILENCE: Readonly<Record<G711Law, number>> = { pcmu: 0xff, pcma: 0xd5 };

export function decodeSample(law: G711Law, byte: number): number {
  return (law === 'pcmu' ? ULAW_DECODE : ALAW_DECODE)[byte & 0xff]!;
}

export function encodeSample(law: G711Law, sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return (law === 'pcmu' ? ULAW_ENCODE : ALAW_ENCODE)[s & 0xffff]!;
}

/** Decode `src` into `out` (same length); returns out. */
export function decode(law: G711Law, src: Uint8Array, out: Int16Array = new Int16Array(src.length)): Int16Array {
  const table = law === 'pcmu' ? ULAW_DECODE : ALAW_DECODE;
  const n = Math.min(src.length, out.length);
  for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
  return out;
}

/** Encode samples (clipped to 16 bits) into `out`; returns out. */
export function encode(law: G711Law, samples: ArrayLike<number>, out: Uint8Array = new Uint8Array(samples.length)): Uint8Array {
  const table = law === 'pcmu' ? ULAW_ENCODE : ALAW_ENCODE;
  const n = Math.min(samples.length, out.length);
  for (let i = 0; i < n; i++) {
    const v = samples[i]!;
    const s = v > 32767 ? 32767 : v < -32768 ? -32768 : v | 0;
    out[i] = table[s & 0xffff]!;
  }
  return out;
}
