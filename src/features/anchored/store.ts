/**
 * Where AnchoredCall entities and call records live. The registry keeps its own in-memory view
 * for the call path and writes through to an AnchoredCallStore (asynchronous, like the stores in
 * src/state, so a shared Redis store can take the local one's place); call records go to a
 * CallRecordSink (a bounded ring buffer here; a database or CDR exporter later).
 */
import type { AnchoredCall, CallRecord } from './types.js';

export interface AnchoredCallStore {
  put(call: AnchoredCall): Promise<void>;
  get(id: string): Promise<AnchoredCall | undefined>;
  remove(id: string): Promise<boolean>;
  list(): Promise<AnchoredCall[]>;
}

export interface CallRecordSink {
  add(record: CallRecord): void;
  /** Most recent first, at most `limit`. */
  recent(limit?: number): CallRecord[];
}

const clone = <T>(v: T): T => structuredClone(v);

export class MemoryAnchoredCallStore implements AnchoredCallStore {
  private readonly calls = new Map<string, AnchoredCall>();

  async put(call: AnchoredCall): Promise<void> {
    this.calls.set(call.id, clone(call));
  }

  async get(id: string): Promise<AnchoredCall | undefined> {
    const c = this.calls.get(id);
    return c === undefined ? undefined : clone(c);
  }

  async remove(id: string): Promise<boolean> {
    return this.calls.delete(id);
  }

  async list(): Promise<AnchoredCall[]> {
    return [...this.calls.values()].map(clone);
  }

  get size(): number {
    return this.calls.size;
  }
}

/** The most recent `capacity` records, oldest dropped first. */
export class RingBufferRecordSink implements CallRecordSink {
  private readonly buf: CallRecord[] = [];

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  add(record: CallRecord): void {
    this.buf.push(clone(record));
    if (this.buf.length > this.capacity) this.buf.splice(0, this.buf.length - this.capacity);
  }

  recent(limit = this.capacity): CallRecord[] {
    const n = Math.max(0, Math.min(limit, this.buf.length));
    return this.buf.slice(this.buf.length - n).reverse().map(clone);
  }

  get size(): number {
    return this.buf.length;
  }
}
