/** Errors raised by directory writes; `code` maps onto HTTP status in the REST API. */
export type DirectoryErrorCode = 'invalid' | 'not_found' | 'conflict' | 'in_use';

export class DirectoryError extends Error {
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

export const invalid = (msg: string) => new DirectoryError('invalid', msg);
export const notFound = (what: string, id: string) => new DirectoryError('not_found', `${what} "${id}" not found`);

/** Runs a write, turning SQLite constraint failures into DirectoryError. */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (e instanceof DirectoryError) throw e;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new DirectoryError('conflict', `${what}: already exists (${(e as Error).message.replace(/^UNIQUE constraint failed: /, '')})`);
    }
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
      throw new DirectoryError('in_use', `${what}: refers to a missing record, or is still referenced by another record`);
    }
    if (code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_NOTNULL') {
      throw new DirectoryError('invalid', `${what}: ${(e as Error).message}`);
    }
    throw e;
  }
}
