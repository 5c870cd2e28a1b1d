import { createTestApp, TestApp } from './support/test-app';

const parse = (text: unknown): unknown => JSON.parse(text as string);

describe('database migrations (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
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
