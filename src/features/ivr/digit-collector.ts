/**
 * DTMF digit collection for the IVR-style features (spec DTMF-04, DTMF-05; MVA, EFA):
 *  - digits arrive by SIP INFO (`application/dtmf-relay` or `application/dtmf`) on the leg,
 *    or as RFC 4733 events reported by rtpengine (`--dtmf-log-dest`);
 *  - DTMF-05: the first method that delivers a digit on the leg wins; digits by the other
 *    method are ignored for the rest of the call (a gateway that sends both reports each key
 *    press twice otherwise);
 *  - digits typed ahead (before the IVR asks) are kept in order;
 *  - a field ends with `#`; the wait for its first digit and between two digits is bounded
 *    (`ivrInputTimeoutS`); a timeout is a failed entry for the caller to handle.
 */
import { parseDtmfInfo } from '../../sip/extensions/dtmf-info.js';
import type { SipRequest } from '../../sip/message/message.js';

export type DtmfMethod = 'info' | 'rfc4733';

export type FieldResult = { kind: 'field'; value: string } | { kind: 'timeout'; partial: string } | { kind: 'closed' };
export type DigitResult = { kind: 'digit'; digit: string } | { kind: 'timeout' } | { kind: 'closed' };

export interface FieldOptions {
  /** Wait for the first digit and between digits. */
  timeoutMs: number;
  /** Wait for the first digit (default timeoutMs), e.g. extended by the prompt's length. */
  firstTimeoutMs?: number;
  /** Longest field kept (extra digits are dropped until `#`). Default 32. */
  maxLength?: number;
}

export class DigitCollector {
  private readonly queue: string[] = [];
  private waiter: ((d: string | undefined) => void) | undefined;
  private closed = false;
  /** DTMF-05: the method this leg uses, once one has delivered a digit. */
  method: DtmfMethod | undefined;
  /** Digits ignored because they came by the other method (for logs and tests). */
  ignored = 0;
  /** Every digit accepted, in order (logs, tests). */
  readonly history: string[] = [];
  onDigit: ((digit: string, via: DtmfMethod) => void) | undefined;

  /** An in-dialog INFO: a digit when the body is one of the DTMF formats. */
  feedInfo(info: SipRequest): boolean {
    const e = parseDtmfInfo(info.contentType, info.body);
    if (e === undefined) return false;
    return this.feed(e.digit, 'info');
  }

  /** A digit from the leg by `via`; false when DTMF-05 ignores it (or the collector is closed). */
  feed(digit: string, via: DtmfMethod): boolean {
    if (this.closed) return false;
    if (this.method === undefined) this.method = via;
    else if (this.method !== via) {
      this.ignored++;
      return false;
    }
    this.history.push(digit);
    this.onDigit?.(digit, via);
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(digit);
    } else this.queue.push(digit);
    return true;
  }

  /** Digits typed ahead and not consumed yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Drop digits typed ahead (e.g. after a failed entry, before asking again). */
  flush(): void {
    this.queue.length = 0;
  }

  /** The leg is gone: every wait resolves `closed`. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The next digit, or timeout / closed. */
  async nextDigit(timeoutMs: number): Promise<DigitResult> {
    const d = await this.take(timeoutMs);
    if (d === null) return { kind: 'timeout' };
    if (d === undefined) return { kind: 'closed' };
    return { kind: 'digit', digit: d };
  }

  /** Digits up to (not including) `#`. */
  async field(o: FieldOptions): Promise<FieldResult> {
    const max = o.maxLength ?? 32;
    let value = '';
    let first = true;
    for (;;) {
      const d = await this.take(first ? (o.firstTimeoutMs ?? o.timeoutMs) : o.timeoutMs);
      first = false;
      if (d === null) return { kind: 'timeout', partial: value };
      if (d === undefined) return { kind: 'closed' };
      if (d === '#') return { kind: 'field', value };
      if (value.length < max) value += d;
    }
  }

  /** undefined = closed, null = timeout. */
  private take(timeoutMs: number): Promise<string | undefined | null> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.waiter !== undefined) throw new Error('DigitCollector: one reader at a time');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(null);
      }, timeoutMs);
      this.waiter = (d) => {
        clearTimeout(timer);
        resolve(d);
      };
    });
  }
}
