/**
 * The logger the transport layer writes to: pino's `(obj, msg)` call shape so a
 * pino logger (or child) can be passed as is. Default: discard.
 */
export interface TransportLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;
export const noopLogger: TransportLogger = { debug: noop, info: noop, warn: noop, error: noop };

export function errorInfo(e: unknown): { err: string } {
  return { err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

/**
 * Call an application handler so that nothing it does (a throw, a rejected
 * promise it returns although typed void) can take the process down.
 */
export function callSafely(logger: TransportLogger, what: string, fn: () => unknown): void {
  try {
    const r = fn();
    if (r instanceof Promise) r.catch((e: unknown) => logger.error(errorInfo(e), `${what} handler rejected`));
  } catch (e) {
    logger.error(errorInfo(e), `${what} handler threw`);
  }
}
