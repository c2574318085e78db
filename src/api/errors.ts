/**
 * API errors: one JSON shape for every failure,
 *   { error: <code>, message: <text>, field?: <key path>, issues?: [{ field, message }] }
 * and the mapping from directory / validation / SQLite errors onto HTTP status codes.
 */
import type { z } from 'zod';
import { DirectoryError } from '../directory/errors.js';
import { formatIssues } from '../config/errors.js';

export type ApiErrorCode =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'in_use'
  | 'unauthenticated'
  | 'forbidden'
  | 'csrf'
  | 'rate_limited'
  | 'store_unavailable'
  | 'unsupported_media_type'
  | 'internal';

const STATUS: Record<ApiErrorCode, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  in_use: 409,
  unauthenticated: 401,
  forbidden: 403,
  csrf: 403,
  rate_limited: 429,
  store_unavailable: 503,
  unsupported_media_type: 415,
  internal: 500,
};

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS[code];
  }

  get field(): string | undefined {
    return this.issues[0]?.field;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.issues.length > 0 ? { issues: this.issues } : {}),
    };
  }
}

/** "field: why" → { field, message }; directory and config messages all start with the key path. */
export function splitFieldMessage(line: string): FieldIssue | undefined {
  const m = /^([A-Za-z_][\w.[\]-]*): (.*)$/s.exec(line);
  if (!m) return undefined;
  // Service-parameter messages come from the config schema and carry its "mobility." prefix.
  return { field: m[1]!.replace(/^mobility\./, ''), message: m[2]! };
}

/** Zod issues → ApiError('invalid'), each issue naming its key path (`prefix` e.g. "users[2]"). */
export function fromZod(error: z.ZodError, input: unknown, prefix = ''): ApiError {
  const lines = formatIssues(error.issues, input, prefix);
  const issues = lines.map((l) => splitFieldMessage(l) ?? { field: prefix || '(root)', message: l });
  return new ApiError('invalid', lines[0] ?? 'invalid input', issues);
}

/** SQLite codes meaning "the store cannot be written right now" (SNR-14: fail visibly, change nothing). */
const STORE_CODES = /^SQLITE_(READONLY|BUSY|LOCKED|FULL|IOERR|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof DirectoryError) {
    // A multi-problem message ("a: x; b: y") keeps every problem as an issue.
    const issues = e.message
      .split('; ')
      .map((p) => splitFieldMessage(p))
      .filter((x): x is FieldIssue => x !== undefined);
    return new ApiError(e.code, e.message.replace(/(^|; )mobility\./g, '$1'), issues);
  }
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && STORE_CODES.test(code)) {
    return new ApiError('store_unavailable', `the configuration store cannot be written (${code}); nothing was changed`);
  }
  return new ApiError('internal', 'internal error');
}
