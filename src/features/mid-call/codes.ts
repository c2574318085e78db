/**
 * Mid-call feature codes on a user-side PSTN leg (spec DTMF-03, DTMF-06, §9.1): digits are
 * buffered; `*` starts a new sequence; the buffer resets after `interDigitMs` without a digit;
 * a buffer equal to a configured code fires it (codes start with `*` and none is a prefix of
 * another, so the first exact match is the only one).
 */
export type MidCallCode = 'hold' | 'exclusiveHold' | 'resume' | 'transfer' | 'conference' | 'sessionHandoff';

export type FeatureCodes = Readonly<Record<MidCallCode, string>>;

export class FeatureCodeCollector {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly codes: () => FeatureCodes,
    private readonly interDigitMs: () => number,
    private readonly onCode: (code: MidCallCode) => void,
  ) {}

  /** One key press. */
  push(digit: string): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer = digit === '*' ? '*' : this.buffer === '' ? '' : this.buffer + digit;
    if (this.buffer === '') return;
    const codes = this.codes();
    for (const name of Object.keys(codes) as MidCallCode[]) {
      if (codes[name] === this.buffer) {
        this.buffer = '';
        this.onCode(name);
        return;
      }
    }
    // Nothing can match any more: start over at the next `*`.
    if (!Object.values(codes).some((c) => c.startsWith(this.buffer))) {
      this.buffer = '';
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.buffer = '';
    }, this.interDigitMs());
  }

  /** The digits waiting for more (for logs and tests). */
  get pending(): string {
    return this.buffer;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer = '';
  }
}
