import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../config/app-config';
import { encodeInputs, PACK_FROM_ROWS, packInputs } from './prediction-log.codec';
import type { NewPrediction } from './prediction-log.insert';
import type { PredictionLogRepository } from './prediction-log.repository';
import { PredictionLogWriter } from './prediction-log.writer';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = {
  file: join(__dirname, 'prediction-log.worker.ts'),
  execArgv: ['--require', join(ROOT, 'test', 'support', 'register-ts.js')],
};

const entry = (requestId: string, rows = 1): NewPrediction => ({
  createdAt: new Date('2026-12-03T08:00:00.123Z'),
  modelName: 'california-housing',
  modelVersion: 3,
  requestId,
  rowCount: rows,
  inputsJson: '{"fields":["a"],"rows":[[1]]}',
  outputsJson: '[2.5]',
  latencyMs: 0.25,
  predictionId: null,
  policyId: 0,
  policy: 'champion',
  shadow: false,
  clientAddress: '127.0.0.1',
});

describe('PredictionLogWriter (a writer thread with its own SQLite connection)', () => {
  let dir: string;
  let path: string;
  let writer: PredictionLogWriter;
  const notUsed = {} as PredictionLogRepository;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-writer-'));
    path = join(dir, 'service.sqlite');
    writer = new PredictionLogWriter(loadAppConfig({ DATABASE_PATH: path }), notUsed, SCRIPT);
  });
  afterEach(async () => {
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const createTable = (): void => {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec(
      `CREATE TABLE "predictions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "created_at" datetime NOT NULL,
        "model_name" varchar(64) NOT NULL, "model_version" integer NOT NULL, "request_id" varchar(128) NOT NULL,
        "row_count" integer NOT NULL DEFAULT 1, "inputs" json NOT NULL, "outputs" json NOT NULL,
        "latency_ms" double precision NOT NULL, "prediction_id" varchar(128), "policy_id" integer NOT NULL DEFAULT (0),
        "policy" varchar(16) NOT NULL DEFAULT ('champion'), "shadow" boolean NOT NULL DEFAULT (0),
        "client_address" varchar(64))`,
    );
    db.close();
  };
  const stored = (): Record<string, unknown>[] => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT * FROM predictions ORDER BY id').all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  };

  it('resolves once the batch is committed, in the columns and time format the application reads', async () => {
    createTable();
    await writer.write([entry('a'), entry('b', 100)]);
    expect(stored()).toEqual([
      {
        id: 1,
        created_at: '2026-12-03 08:00:00.123',
        model_name: 'california-housing',
        model_version: 3,
        request_id: 'a',
        row_count: 1,
        inputs: '{"fields":["a"],"rows":[[1]]}',
        outputs: '[2.5]',
        latency_ms: 0.25,
        prediction_id: null,
        policy_id: 0,
        policy: 'champion',
        shadow: 0,
        client_address: '127.0.0.1',
      },
      expect.objectContaining({ id: 2, request_id: 'b', row_count: 100 }),
    ]);
  });

  it('writes the text of rows packed for it, as the event loop would have written it', async () => {
    createTable();
    const fields = ['longitude', 'ocean_proximity', 'total_bedrooms'];
    const rows = Array.from({ length: PACK_FROM_ROWS + 4 }, (_, i) => ({
      longitude: -122.25 - i / 3,
      ocean_proximity: i % 2 === 0 ? 'NEAR BAY' : 'café "ÿ"',
      total_bedrooms: i % 5 === 0 ? null : i * 1e21,
    }));
    const packed = { ...entry('packed', rows.length), inputsJson: packInputs(fields, rows) };
    expect(typeof packed.inputsJson).not.toBe('string');
    await writer.write([packed, entry('text')]);
    expect(stored().map((row) => row.inputs)).toEqual([encodeInputs(fields, rows), '{"fields":["a"],"rows":[[1]]}']);
  });

  it('rejects a batch it could not write, writes nothing of it, and starts a new thread for the next one', async () => {
    // No database file yet: the thread cannot open it, answers with the error and ends.
    await expect(writer.write([entry('lost')])).rejects.toThrow(/unable to open|does not exist|directory/i);
    createTable();
    await writer.write([entry('kept')]);
    expect(stored().map((row) => row.request_id)).toEqual(['kept']);
  });

  it('keeps a batch whose transaction fails out of the table entirely', async () => {
    createTable();
    const broken = { ...entry('x'), modelName: null as unknown as string };
    await expect(writer.write([entry('first'), broken])).rejects.toThrow(/NOT NULL/);
    expect(stored()).toEqual([]);
    await writer.write([entry('again')]);
    expect(stored().map((row) => row.request_id)).toEqual(['again']);
  });
});
