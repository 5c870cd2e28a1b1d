import { DataSource, QueryFailedError } from 'typeorm';
import { isUniqueViolation } from '../src/database/unique-violation.util';
import { DefinitionRepository } from '../src/definitions/definition.repository';
import { ModelRegistryRepository } from '../src/registry/model-registry.repository';
import { AliasMovedError } from '../src/registry/registry.errors';
import { scratchDatabase, TEST_DATABASE_URL } from './support/scratch-database';
import { createTestApp, TestApp } from './support/test-app';

const parse = (text: unknown): unknown => JSON.parse(text as string);
/** The local PostgreSQL (CI and development machines run one); TEST_DATABASE_URL names another. */
const POSTGRES_ADMIN_URL = TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A duplicate insert is a unique-key conflict to `isUniqueViolation`; an unrelated failure is not. */
async function expectUniqueConflictsTold(dataSource: DataSource): Promise<void> {
  await dataSource.query(`INSERT INTO experiments (name) VALUES ('dup')`);
  const conflict: unknown = await dataSource
    .query(`INSERT INTO experiments (name) VALUES ('dup')`)
    .catch((e: unknown) => e);
  expect(isUniqueViolation(conflict)).toBe(true);
  const other: unknown = await dataSource.query(`INSERT INTO no_such_table VALUES (1)`).catch((e: unknown) => e);
  expect(other).toBeInstanceOf(QueryFailedError);
  expect((other as QueryFailedError).message).toMatch(/no_such_table/);
  expect(isUniqueViolation(other)).toBe(false);
  await dataSource.query(`DELETE FROM experiments WHERE name = 'dup'`);
}

describe('database migrations on SQLite (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DATABASE_URL: '' }); // SQLite even in the PostgreSQL pass
  });

  afterAll(async () => {
    await t.close();
  });

  it('ran at start and recorded themselves', async () => {
    const ran = await t.dataSource.query<{ name: string }[]>('SELECT name FROM migrations');
    expect(ran.map((m) => m.name)).toEqual(t.dataSource.migrations.map((m) => m.name));
    expect(await t.dataSource.showMigrations()).toBe(false);
  });

  it('produce exactly the schema the entities describe (no pending changes)', async () => {
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('tell a unique-key conflict from any other error (the one error a find-or-create retries)', () =>
    expectUniqueConflictsTold(t.dataSource));

  it('use a WAL journal and a busy timeout on the SQLite file', async () => {
    const [{ journal_mode }] = await t.dataSource.query<{ journal_mode: string }[]>('PRAGMA journal_mode');
    expect(journal_mode).toBe('wal');
    const [{ timeout }] = await t.dataSource.query<{ timeout: number }[]>('PRAGMA busy_timeout');
    expect(timeout).toBe(t.config.DATABASE_BUSY_TIMEOUT_MS);
  });

  /** Reverts migrations, newest first, through PredictionRequests1763895600000. */
  const undoPredictionRequests = async (): Promise<void> => {
    for (;;) {
      const [last] = await t.dataSource.query<{ name: string }[]>(
        'SELECT name FROM migrations ORDER BY id DESC LIMIT 1',
      );
      await t.dataSource.undoLastMigration();
      if (last.name === 'PredictionRequests1763895600000') return;
    }
  };

  it('turn the per-row prediction log into one row per request, and back', async () => {
    await undoPredictionRequests();
    const insert = (id: string, income: number) =>
      t.dataSource.query(
        `INSERT INTO predictions (created_at, model_name, model_version, request_id, inputs, output, latency_ms) ` +
          `VALUES ('2026-01-01 00:00:00.000', 'california-housing', 1, ?, ?, ?, 0.5)`,
        [id, JSON.stringify({ median_income: income, ocean_proximity: 'INLAND' }), JSON.stringify({ value: income })],
      );
    await insert('old-1', 1);
    await insert('old-2', 2);
    await t.dataSource.runMigrations();
    const requests = await t.dataSource.query<Record<string, unknown>[]>(
      'SELECT request_id, row_count, inputs, outputs FROM predictions ORDER BY id',
    );
    expect(requests.map((r) => [r.request_id, r.row_count, parse(r.inputs), parse(r.outputs)])).toEqual([
      ['old-1', 1, { fields: ['median_income', 'ocean_proximity'], rows: [[1, 'INLAND']] }, [1]],
      ['old-2', 1, { fields: ['median_income', 'ocean_proximity'], rows: [[2, 'INLAND']] }, [2]],
    ]);
    await t.dataSource.query(
      `INSERT INTO predictions (created_at, model_name, model_version, request_id, row_count, inputs, outputs, latency_ms) ` +
        `VALUES ('2026-01-01 00:00:01.000', 'california-housing', 1, 'new-batch', 2, ?, ?, 0.5)`,
      [
        JSON.stringify({
          fields: ['median_income', 'ocean_proximity'],
          rows: [
            [3, 'INLAND'],
            [4, null],
          ],
        }),
        JSON.stringify([{ label: 'a', probabilities: { a: 1 } }, 4]),
      ],
    );
    await undoPredictionRequests();
    const rows = await t.dataSource.query<Record<string, unknown>[]>(
      'SELECT request_id, inputs, output FROM predictions ORDER BY id',
    );
    expect(rows.map((r) => [r.request_id, parse(r.inputs), parse(r.output)])).toEqual([
      ['old-1', { median_income: 1, ocean_proximity: 'INLAND' }, 1],
      ['old-2', { median_income: 2, ocean_proximity: 'INLAND' }, 2],
      ['new-batch', { median_income: 3, ocean_proximity: 'INLAND' }, { label: 'a', probabilities: { a: 1 } }],
      ['new-batch', { median_income: 4, ocean_proximity: null }, 4],
    ]);
    await t.dataSource.runMigrations();
    await t.dataSource.query('DELETE FROM predictions');
  });

  it('can be reverted and applied again', async () => {
    for (let i = 0; i < t.dataSource.migrations.length; i++) await t.dataSource.undoLastMigration();
    const tables = await t.dataSource.query<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'datasets'",
    );
    expect(tables).toEqual([]);
    await t.dataSource.runMigrations();
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries).toEqual([]);
  });
});

describe('database migrations on PostgreSQL (e2e)', () => {
  let t: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const scratch = await scratchDatabase(POSTGRES_ADMIN_URL);
    drop = scratch.drop;
    t = await createTestApp({ DATABASE_URL: scratch.url });
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await drop();
  });

  const tables = async (): Promise<string[]> =>
    (
      await t.dataSource.query<{ table_name: string }[]>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      )
    ).map((r) => r.table_name);

  it('ran at start and recorded themselves', async () => {
    expect(t.dataSource.options.type).toBe('postgres');
    const ran = await t.dataSource.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id');
    expect(ran.map((m) => m.name)).toEqual(t.dataSource.migrations.map((m) => m.name));
    expect(await t.dataSource.showMigrations()).toBe(false);
  });

  it('produce exactly the schema the entities describe (no pending changes), plus the artifact store', async () => {
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await tables()).toEqual([
      'alias_events',
      'artifacts',
      'dataset_splits',
      'datasets',
      'decisions',
      'experiments',
      'feedback',
      'migrations',
      'model_aliases',
      'model_definitions',
      'model_versions',
      'prediction_outcomes',
      'predictions',
      'retrain_jobs',
      'runs',
      'traffic_events',
      'traffic_policies',
    ]);
  });

  it('give the prediction log 64-bit ids (one row per request outgrows 32 bits within days)', async () => {
    const [column] = await t.dataSource.query<{ data_type: string }[]>(
      `SELECT data_type FROM information_schema.columns WHERE table_name = 'predictions' AND column_name = 'id'`,
    );
    expect(column.data_type).toBe('bigint');
    await t.dataSource.query(`SELECT setval(pg_get_serial_sequence('predictions', 'id'), 3000000000)`);
    await t.dataSource.query(
      `INSERT INTO predictions (created_at, model_name, model_version, request_id, row_count, inputs, outputs, latency_ms) ` +
        `VALUES (now(), 'm', 1, 'big', 1, '{}', '[]', 1)`,
    );
    const [row] = await t.dataSource.query<{ id: number }[]>(`SELECT id FROM predictions WHERE request_id = 'big'`);
    expect(row.id).toBe(3000000001);
    await t.dataSource.query(`DELETE FROM predictions`);
  });

  it('keep one queued or running retraining job per model and one job per dedupe key', async () => {
    const insert = (id: string, model: string, status: string, key: string | null) =>
      t.dataSource.query(
        `INSERT INTO retrain_jobs (id, model_name, trigger, status, reason, stages, started_at, dedupe_key) ` +
          `VALUES ($1, $2, 'api', $3, 'test', '{}', now(), $4)`,
        [id, model, status, key],
      );
    await insert('00000000-0000-4000-8000-0000000000a1', 'm', 'queued', null);
    await expect(insert('00000000-0000-4000-8000-0000000000a2', 'm', 'running', null)).rejects.toThrow(
      /UQ_retrain_jobs_active_model/,
    );
    await insert('00000000-0000-4000-8000-0000000000a3', 'm', 'succeeded', 'cron:m:tick');
    await expect(insert('00000000-0000-4000-8000-0000000000a4', 'n', 'queued', 'cron:m:tick')).rejects.toThrow(
      /UQ_retrain_jobs_dedupe_key/,
    );
    await t.dataSource.query('DELETE FROM retrain_jobs');
  });

  it('number versions and definition revisions without gaps, and refuse an alias move that lost a race', async () => {
    const registry = t.app.get(ModelRegistryRepository);
    const version = (i: number) =>
      registry.createVersion({
        modelName: 'race',
        runId: `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`,
        candidate: 'linear',
        datasetVersion: 'd',
        metrics: {},
        artifactPath: 'p',
        artifactSha256: 's',
        inputSignature: [],
      });
    const versions = await Promise.all([1, 2, 3, 4, 5, 6].map(version));
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const definitions = t.app.get(DefinitionRepository);
    const rows = await Promise.all(
      [1, 2, 3, 4].map(() =>
        definitions.append({ name: 'race', action: 'retire', document: null, actor: 'test', reason: null }),
      ),
    );
    expect(rows.map((r) => r.revision).sort()).toEqual([1, 2, 3, 4]);
    // Alias moves are compare-and-set: of two first champions at once, one wins and the other is refused (409).
    const move = (toVersion: number) =>
      registry.moveAlias({
        modelName: 'race',
        alias: 'champion',
        fromVersion: null,
        toVersion,
        action: 'promote',
        reason: 'race',
        actor: 'test',
        forced: false,
      });
    const results = await Promise.allSettled([move(1), move(2)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(AliasMovedError);
    await expect(move(3)).rejects.toThrow(/moved while this change was decided \(expected none, found [12]\)/);
    await t.dataSource.query(`DELETE FROM alias_events WHERE model_name = 'race'`);
    await t.dataSource.query(`DELETE FROM model_aliases WHERE model_name = 'race'`);
    await t.dataSource.query(`DELETE FROM model_versions WHERE model_name = 'race'`);
    await t.dataSource.query(`DELETE FROM model_definitions WHERE name = 'race'`);
  });

  it('tell a unique-key conflict from any other error (the one error a find-or-create retries)', () =>
    expectUniqueConflictsTold(t.dataSource));

  it('store timestamps as UTC whatever the time zone of the session', async () => {
    const at = new Date('2026-06-01T12:34:56.789Z');
    await t.dataSource.query(
      `INSERT INTO model_aliases (model_name, alias, version, updated_at) VALUES ('tz', 'champion', 1, $1)`,
      [at],
    );
    const [row] = await t.dataSource.query<{ updated_at: Date; text: string }[]>(
      `SELECT updated_at, updated_at::text AS text FROM model_aliases WHERE model_name = 'tz'`,
    );
    expect(row.updated_at.toISOString()).toBe(at.toISOString());
    expect(row.text).toBe('2026-06-01 12:34:56.789');
    await t.dataSource.query(`DELETE FROM model_aliases WHERE model_name = 'tz'`);
  });

  it('can be reverted and applied again', async () => {
    for (let i = 0; i < t.dataSource.migrations.length; i++) await t.dataSource.undoLastMigration();
    expect(await tables()).toEqual(['migrations']);
    await t.dataSource.runMigrations();
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries).toEqual([]);
  });

  it('run once when several processes start on a new database at the same time', async () => {
    const scratch = await scratchDatabase(POSTGRES_ADMIN_URL);
    try {
      const apps = await Promise.all([1, 2, 3].map(() => createTestApp({ DATABASE_URL: scratch.url })));
      try {
        const ran = await apps[0].dataSource.query<{ name: string }[]>('SELECT name FROM migrations');
        expect(ran.map((m) => m.name)).toEqual(apps[0].dataSource.migrations.map((m) => m.name));
      } finally {
        await Promise.all(apps.map((a) => a.close()));
      }
    } finally {
      await scratch.drop();
    }
  }, 60_000);
});
