/**
 * A small playout buffer for one mixer participant: packets are kept in sequence order and
 * played out as a sample stream, one 20 ms frame per mixer tick, so reordering within the
 * buffer depth, other packet sizes (10/30 ms) and sender clock drift are absorbed.
 * - Playout starts once `prefetchSamples` are buffered; an underrun plays silence and
 *   prefetches again.
 * - A packet older than the last one played out is late and dropped; a duplicate is dropped.
 * - More than `maxSamples` buffered (a sender running fast, or a burst after a stall): the
 *   oldest audio is dropped so the delay stays bounded.
 */

interface Buffered {
  /** Extended (32-bit wrap-free) sequence number. */
  readonly seq: number;
  readonly samples: Int16Array;
}

export interface JitterStats {
  received: number;
  late: number;
  duplicates: number;
  underruns: number;
  overflowDropped: number;
}

export class JitterBuffer {
  readonly stats: JitterStats = { received: 0, late: 0, duplicates: 0, underruns: 0, overflowDropped: 0 };
  private packets: Buffered[] = [];
  private buffered = 0;
  private fifo: Int16Array = new Int16Array(0);
  private lastPlayed: number | undefined;
  private highest: number | undefined;
  private playing = false;

  constructor(
    private readonly prefetchSamples = 320,
    private readonly maxSamples = 1600,
  ) {}

  /** Samples waiting (packets plus the partly played one). */
  get depth(): number {
    return this.buffered + this.fifo.length;
  }

  /** Add the decoded samples of RTP packet `seq16`. */
  push(seq16: number, samples: Int16Array): void {
    this.stats.received++;
    const seq = this.extend(seq16);
    if (this.lastPlayed !== undefined && seq <= this.lastPlayed) {
      this.stats.late++;
      return;
    }
    // Insert in order (the buffer is short: a linear scan from the end is cheapest).
    let i = this.packets.length;
    while (i > 0 && this.packets[i - 1]!.seq > seq) i--;
    if (i > 0 && this.packets[i - 1]!.seq === seq) {
      this.stats.duplicates++;
      return;
    }
    this.packets.splice(i, 0, { seq, samples });
    this.buffered += samples.length;
    while (this.depth > this.maxSamples && this.packets.length > 0) {
      const dropped = this.packets.shift()!;
      this.buffered -= dropped.samples.length;
      this.lastPlayed = dropped.seq;
      this.stats.overflowDropped++;
    }
  }

  /** Fill `out` with the next samples; false (and silence) while prefetching or after an underrun. */
  pull(out: Int16Array): boolean {
    if (!this.playing) {
      if (this.depth < this.prefetchSamples) {
        out.fill(0);
        return false;
      }
      this.playing = true;
    }
    let filled = 0;
    while (filled < out.length) {
      if (this.fifo.length === 0) {
        const next = this.packets.shift();
        if (next === undefined) break;
        this.buffered -= next.samples.length;
        this.lastPlayed = next.seq;
        this.fifo = next.samples;
      }
      const n = Math.min(out.length - filled, this.fifo.length);
      out.set(this.fifo.subarray(0, n), filled);
      this.fifo = this.fifo.subarray(n);
      filled += n;
    }
    if (filled < out.length) {
      out.fill(0, filled);
      this.stats.underruns++;
      this.playing = false;
      return filled > 0;
    }
    return true;
  }

  /** 16-bit sequence numbers → monotonic ones, tolerant of wrap and of reordering. */
  private extend(seq16: number): number {
    if (this.highest === undefined) {
      this.highest = seq16;
      return seq16;
    }
    const base = this.highest & ~0xffff;
    let cand = base | seq16;
    if (cand - this.highest > 0x8000) cand -= 0x10000;
    else if (this.highest - cand > 0x8000) cand += 0x10000;
    if (cand > this.highest) this.highest = cand;
    return cand;
  }
}
