import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * With TEST_DATABASE_URL set (an administrative URL of a PostgreSQL server, e.g.
 * `postgres://postgres@127.0.0.1:5432/postgres`), every test app gets a PostgreSQL database of its own instead of
 * a SQLite file: the whole e2e suite then runs against PostgreSQL (`.ci/run` does it as its second pass).
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** The prefix of every scratch database (`.ci/run` drops leftovers by it). */
export const SCRATCH_PREFIX = 'nest_mlops_test_';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database on the server of `adminUrl` and returns its URL. With `key`, the name is derived from it and
 * an existing database is reused (a test that restarts a service on the same state); without, it is new.
 */
export async function scratchDatabase(adminUrl: string, key?: string): Promise<ScratchDatabase> {
  const suffix = key
    ? createHash('sha256').update(key).digest('hex').slice(0, 16)
    : randomUUID().replace(/-/g, '').slice(0, 16);
  const name = `${SCRATCH_PREFIX}${suffix}`;
  await admin(adminUrl, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(),
  };
}
