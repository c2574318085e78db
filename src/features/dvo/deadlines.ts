/**
 * One-shot timers keyed by id, armed from absolute deadlines (epoch ms), so that a record
 * persisted before a restart gets its remaining time, never a fresh full period
 * (Call Await Timer DVO-F-05, Session Resumption Await Timer SR-02). A deadline already
 * past fires on the next tick. Timers are unref'd: they never keep the process alive.
 */
export class Deadlines<K = string> {
  private readonly timers = new Map<K, NodeJS.Timeout>();

  constructor(private readonly now: () => number = Date.now) {}

  /** (Re-)arm `key` to fire at `at`; an earlier timer of the same key is replaced. */
  arm(key: K, at: number, fire: () => void): void {
    this.cancel(key);
    const t = setTimeout(
      () => {
        if (this.timers.get(key) !== t) return;
        this.timers.delete(key);
        fire();
      },
      Math.max(0, at - this.now()),
    );
    t.unref();
    this.timers.set(key, t);
  }

  cancel(key: K): boolean {
    const t = this.timers.get(key);
    if (t === undefined) return false;
    clearTimeout(t);
    this.timers.delete(key);
    return true;
  }

  has(key: K): boolean {
    return this.timers.has(key);
  }

  get size(): number {
    return this.timers.size;
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
