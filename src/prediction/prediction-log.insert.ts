import type { Database } from 'better-sqlite3';
import { inputsText, PackedInputs } from './prediction-log.codec';

/**
 * One request's log entry as the prediction path hands it over, its rows already encoded as JSON text, or packed
 * (PackedInputs) for the writer thread to encode: a queued entry then holds flat strings or a typed array instead of
 * the request's row objects, which keeps the heap small under load.
 */
export interface NewPrediction {
  createdAt: Date;
  modelName: string;
  modelVersion: number;
  requestId: string;
  rowCount: number;
  /** The validated rows as `packInputs` gives them: their JSON text, or packed for the writer to write it. */
  inputsJson: string | PackedInputs;
  /** JSON array with the output of each row. */
  outputsJson: string;
  latencyMs: number;
  /** The client's `x-prediction-id`, if it sent one. */
  predictionId: string | null;
  /** The traffic policy the request was served under: its id (0: the default champion policy) and mode. */
  policyId: number;
  policy: string;
  /** A shadow version's predictions of a request another version answered. */
  shadow: boolean;
  /** The client's address (the connection's peer, or `x-forwarded-for` as TRUST_PROXY allows). */
  clientAddress: string | null;
}

const INSERT_COLUMNS =
  'INSERT INTO "predictions" ("created_at", "model_name", "model_version", "request_id", "row_count", "inputs", "outputs", "latency_ms", "prediction_id", "policy_id", "policy", "shadow", "client_address")';
const COLUMNS = 13;
/** Requests per PostgreSQL INSERT: 13 parameters each, well under the protocol's 65,535. */
const POSTGRES_ROWS_PER_INSERT = 1000;

/** The values of INSERT_COLUMNS for one entry, with its time and flag as the driver takes them (SQLite: 0/1). */
const columnValues = (r: NewPrediction, createdAt: Date | string, shadow: boolean | number): unknown[] => [
  createdAt,
  r.modelName,
  r.modelVersion,
  r.requestId,
  r.rowCount,
  inputsText(r.inputsJson),
  r.outputsJson,
  r.latencyMs,
  r.predictionId,
  r.policyId,
  r.policy,
  shadow,
  r.clientAddress,
];

/** TypeORM stores SQLite datetimes as UTC 'YYYY-MM-DD HH:MM:SS.SSS'; the log keeps the same text so its reads agree. */
const sqliteTime = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

/**
 * SQLite: one prepared better-sqlite3 statement run per entry inside one transaction per call (a few µs an entry,
 * where TypeORM's insert builder costs tens).
 */
export function sqliteInserter(db: Database): (rows: readonly NewPrediction[]) => void {
  const statement = db.prepare(`${INSERT_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return db.transaction((rows: readonly NewPrediction[]) => {
    for (const r of rows) statement.run(...columnValues(r, sqliteTime(r.createdAt), r.shadow ? 1 : 0));
  });
}

/**
 * PostgreSQL: multi-row INSERT statements (at most POSTGRES_ROWS_PER_INSERT entries each) with their parameters;
 * the JSON texts go as parameters, typed by their columns, without a parse.
 */
export function postgresInserts(rows: readonly NewPrediction[]): { sql: string; params: unknown[] }[] {
  const statements: { sql: string; params: unknown[] }[] = [];
  for (let start = 0; start < rows.length; start += POSTGRES_ROWS_PER_INSERT) {
    const params: unknown[] = [];
    const tuples = rows.slice(start, start + POSTGRES_ROWS_PER_INSERT).map((r) => {
      const n = params.push(...columnValues(r, r.createdAt, r.shadow));
      return `(${Array.from({ length: COLUMNS }, (_, i) => `$${n - COLUMNS + 1 + i}`).join(', ')})`;
    });
    statements.push({ sql: `${INSERT_COLUMNS} VALUES ${tuples.join(', ')}`, params });
  }
  return statements;
}
