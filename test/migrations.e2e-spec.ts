import { createTestApp, TestApp } from './support/test-app';

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
