import { QueryFailedError } from 'typeorm';

/**
 * Whether a database error is a unique-constraint violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE):
 * the one error a find-or-create or a numbered insert answers by reading (or numbering) again; any other is thrown.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code } = error.driverError as { code?: unknown };
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs `insert` (which numbers a new row from the current maximum, in a transaction) again when a concurrent writer
 * — another replica — took the same number first: the next attempt reads the new maximum.
 */
export async function withNumberingRetry<T>(insert: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insert();
    } catch (error) {
      if (attempt >= attempts || !isUniqueViolation(error)) throw error;
      // A short random pause, so writers that collided do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
