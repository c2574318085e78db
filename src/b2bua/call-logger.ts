/**
 * A call's logger, made on first use. A pino child per call costs a bindings string, a
 * closure and a few hundred bytes for the call's life (and µs at setup), while at the usual
 * level (info/warn) most calls never write a line of their own.
 */
import type { CallLogger } from './call.js';

/** What a CallLog needs of the base logger (pino's Logger fits). */
export interface ChildLoggerSource {
  child(bindings: { callId: string }): CallLogger;
  isLevelEnabled(level: string): boolean;
}

export class CallLog implements CallLogger {
  private child: CallLogger | undefined;

  constructor(
    private readonly base: ChildLoggerSource,
    readonly callId: string,
  ) {}

  private get log(): CallLogger {
    return (this.child ??= this.base.child({ callId: this.callId }));
  }

  debug(obj: object, msg?: string): void {
    if (this.base.isLevelEnabled('debug')) write(this.log, 'debug', obj, msg);
  }

  info(obj: object, msg?: string): void {
    if (this.base.isLevelEnabled('info')) write(this.log, 'info', obj, msg);
  }

  warn(obj: object, msg?: string): void {
    if (this.base.isLevelEnabled('warn')) write(this.log, 'warn', obj, msg);
  }

  error(obj: object, msg?: string): void {
    if (this.base.isLevelEnabled('error')) write(this.log, 'error', obj, msg);
  }
}

function write(log: CallLogger, level: keyof CallLogger, obj: object, msg: string | undefined): void {
  if (msg === undefined) log[level](obj);
  else log[level](obj, msg);
}
