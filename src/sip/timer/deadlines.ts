/**
 * Many long-lived deadlines behind one Node timer: a binary min-heap keyed by due time.
 *
 * Why: every established call runs an RFC 4028 session timer per leg, each with a refresh and
 * an expiry deadline. As Node Timeouts that is four objects of ~150 B (with their argument
 * arrays) per call, held for the call's life. Here a deadline is two numbers on its owner
 * and one heap slot, and only the earliest one arms a real timer. Fires at the same
 * millisecond a setTimeout would (same clock), so timing is unchanged.
 */

/** An owner of one deadline at a time (its fields are the heap's bookkeeping). */
export interface Deadline {
  /** @internal When it is due (ms since epoch); meaningful while deadlineSlot >= 0. */
  deadlineAt: number;
  /** @internal Index in the heap, -1 when not scheduled. */
  deadlineSlot: number;
  /** Called once when due (already removed from the heap). */
  fireDeadline(): void;
}

export class Deadlines {
  private readonly heap: Deadline[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  get size(): number {
    return this.heap.length;
  }

  /** Schedule (or move) `item`'s deadline to `at`. */
  schedule(item: Deadline, at: number): void {
    if (item.deadlineSlot >= 0) this.removeAt(item.deadlineSlot);
    item.deadlineAt = at;
    item.deadlineSlot = this.heap.length;
    this.heap.push(item);
    this.up(item.deadlineSlot);
    this.arm();
  }

  /** Forget `item`'s deadline, if it has one. */
  cancel(item: Deadline): void {
    if (item.deadlineSlot < 0) return;
    this.removeAt(item.deadlineSlot);
    this.arm();
  }

  /** @internal The timer's callback. */
  fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    for (let top = this.heap[0]; top !== undefined && top.deadlineAt <= now; top = this.heap[0]) {
      this.removeAt(0);
      try {
        top.fireDeadline();
      } catch {
        // An owner's failure must not stop the other deadlines (owners handle their own errors).
      }
    }
    this.arm();
  }

  /** Keep one timer armed for the earliest deadline. */
  private arm(): void {
    const top = this.heap[0];
    if (top === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer !== undefined && this.armedFor === top.deadlineAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = top.deadlineAt;
    this.timer = setTimeout(fireDeadlines, Math.max(0, top.deadlineAt - Date.now()), this);
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    item.deadlineSlot = -1;
    const last = heap.pop()!;
    if (last === item) return;
    heap[i] = last;
    last.deadlineSlot = i;
    this.up(i);
    this.down(last.deadlineSlot);
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (parent.deadlineAt <= item.deadlineAt) break;
      heap[i] = parent;
      parent.deadlineSlot = i;
      i = p;
    }
    heap[i] = item;
    item.deadlineSlot = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.deadlineAt < heap[l]!.deadlineAt ? r : l;
      const child = heap[c]!;
      if (child.deadlineAt >= item.deadlineAt) break;
      heap[i] = child;
      child.deadlineSlot = i;
      i = c;
    }
    heap[i] = item;
    item.deadlineSlot = i;
  }
}

/** A module function, not a closure: nothing per arm but the Timeout. */
function fireDeadlines(d: Deadlines): void {
  d.fire();
}
