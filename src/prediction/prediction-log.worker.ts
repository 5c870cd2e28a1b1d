// The prediction log's writer thread (see PredictionLogWriter): owns a database connection of its own and writes
// each batch of entries it is sent in one transaction, answering when it is committed, so the event loop that
// serves predictions never runs an INSERT.
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import { POSTGRES_UTC_SESSION, usePostgresUtc } from '../database/postgres-utc';
import { NewPrediction, postgresInserts, sqliteInserter } from './prediction-log.insert';
import type { LogWriterRequest, LogWriterResponse, LogWriterTarget } from './prediction-log.writer';

async function open(target: LogWriterTarget): Promise<{
  write: (rows: readonly NewPrediction[]) => Promise<void>;
  close: () => Promise<void>;
}> {
  if (target.kind === 'sqlite') {
    const db = new Database(target.path, { fileMustExist: true, timeout: target.busyTimeoutMs });
    db.pragma('synchronous = NORMAL');
    const insert = sqliteInserter(db);
    return { write: (rows) => Promise.resolve(insert(rows)), close: () => Promise.resolve(void db.close()) };
  }
  // As the application's pool does (DatabaseModule): Dates are written as UTC, in a UTC session.
  usePostgresUtc();
  const client = new Client({
    connectionString: target.url,
    options: POSTGRES_UTC_SESSION,
    application_name: target.applicationName,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  return {
    write: async (rows) => {
      await client.query('BEGIN');
      try {
        for (const { sql, params } of postgresInserts(rows)) await client.query(sql, params);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: () => client.end(),
  };
}

const port = parentPort!;
const reply = (message: LogWriterResponse): void => port.postMessage(message);
const connection = open(workerData as LogWriterTarget);
// A connection that cannot be opened is reported with the first request it fails, not as an unhandled rejection.
connection.catch(() => undefined);
// Requests are answered one at a time, in order (the service sends one batch at a time anyway). After a failure the
// thread answers it and ends: the service starts a new one, with a new connection, for its next batch.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: LogWriterRequest) => {
  queue = queue.then(async () => {
    try {
      const db = await connection;
      if (request.type === 'write') await db.write(request.entries);
      else await db.close();
      reply({ id: request.id, ok: true });
      if (request.type === 'close') port.close();
    } catch (error) {
      reply({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) });
      await connection.then((db) => db.close()).catch(() => undefined);
      port.close();
    }
  });
});
