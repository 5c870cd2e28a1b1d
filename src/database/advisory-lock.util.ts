import type { DataSource } from 'typeorm';

/**
 * Runs `work` as the only one of its kind among every process sharing the database: on PostgreSQL under the
 * transaction-level advisory lock `lock`, taken without waiting (undefined when another process holds it, and `work`
 * does not run); SQLite is one process, which serialises its own work.
 */
export async function exclusivelyAcrossProcesses<T>(
  dataSource: DataSource,
  lock: number,
  work: () => Promise<T>,
): Promise<T | undefined> {
  if (dataSource.options.type !== 'postgres') return work();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction();
    const rows = (await runner.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [lock])) as {
      locked: boolean;
    }[];
    const result = rows[0]?.locked === true ? await work() : undefined;
    await runner.commitTransaction(); // releases the lock
    return result;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}
