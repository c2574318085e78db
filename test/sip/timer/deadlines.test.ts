import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Deadline, Deadlines } from '../../../src/sip/timer/deadlines.js';

function item(log: string[], name: string): Deadline & { name: string } {
  return { name, deadlineAt: 0, deadlineSlot: -1, fireDeadline: () => log.push(name) };
}

describe('Deadlines (one timer for many long deadlines)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires each deadline once, in due order, at its millisecond', () => {
    const d = new Deadlines();
    const log: string[] = [];
    const now = Date.now();
    d.schedule(item(log, 'c'), now + 300);
    d.schedule(item(log, 'a'), now + 100);
    d.schedule(item(log, 'b'), now + 200);
    expect(d.size).toBe(3);
    vi.advanceTimersByTime(99);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['a']);
    vi.advanceTimersByTime(200);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(d.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancel and reschedule move an item; nothing stays armed when empty', () => {
    const d = new Deadlines();
    const log: string[] = [];
    const now = Date.now();
    const a = item(log, 'a');
    const b = item(log, 'b');
    d.schedule(a, now + 100);
    d.schedule(b, now + 200);
    d.schedule(a, now + 300); // moved after b
    d.cancel(b);
    d.cancel(b); // twice is harmless
    expect(a.deadlineSlot).toBe(0);
    expect(b.deadlineSlot).toBe(-1);
    vi.advanceTimersByTime(250);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(log).toEqual(['a']);
    d.schedule(b, Date.now() + 10);
    d.cancel(b);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps heap order under many random schedules and cancels', () => {
    const d = new Deadlines();
    const fired: number[] = [];
    const now = Date.now();
    const items = Array.from({ length: 500 }, (_, i) => ({ deadlineAt: 0, deadlineSlot: -1, fireDeadline: () => fired.push(i) }));
    const due = new Map<number, number>();
    for (let k = 0; k < 2000; k++) {
      const i = Math.floor(Math.random() * items.length);
      if (Math.random() < 0.2) {
        d.cancel(items[i]!);
        due.delete(i);
      } else {
        const at = now + 1 + Math.floor(Math.random() * 10_000);
        d.schedule(items[i]!, at);
        due.set(i, at);
      }
    }
    vi.advanceTimersByTime(10_001);
    expect(fired.length).toBe(due.size);
    const times = fired.map((i) => due.get(i)!);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('an owner that throws does not stop the others', () => {
    const d = new Deadlines();
    const log: string[] = [];
    const now = Date.now();
    d.schedule({ deadlineAt: 0, deadlineSlot: -1, fireDeadline: () => { throw new Error('boom'); } }, now + 10);
    d.schedule(item(log, 'after'), now + 10);
    vi.advanceTimersByTime(10);
    expect(log).toEqual(['after']);
  });
});
