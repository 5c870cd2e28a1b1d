import { realHousingCsvPath } from './support/housing-data';
import { DataService } from '../src/data/data.service';
import { HOUSING_DATASET } from './support/housing-dataset';
import { createTestApp, TestApp } from './support/test-app';

const HOUSING_VERSION = HOUSING_DATASET.sha256;
const { split: SPLIT } = HOUSING_DATASET;

describe('service (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const json = await get('/docs-json');
    expect(json.statusCode).toBe(200);
    const doc = json.json();
    expect(doc.info.title).toBe('nest-mlops');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/datasets', '/datasets/{version}', '/health/live', '/health/ready']),
    );
    // The CLI plugin documents DTOs from their types and comments.
    const summary = doc.components.schemas.DatasetSummaryDto;
    expect(summary.required).toEqual(expect.arrayContaining(['name', 'version', 'rowsRead', 'splits']));
    expect(summary.properties.version.description).toBe('sha256 of the raw bytes.');
    const ui = await get('/docs');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('answers the health probes', async () => {
    expect((await get('/health/live')).json()).toMatchObject({ status: 'ok' });
    // No model is served in this app (nothing trained): ready is 503 naming that check, the database is up.
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      message: expect.stringContaining('models (not served yet'),
      details: { info: { database: { status: 'up' }, disk: { status: 'up' } }, error: { models: { status: 'down' } } },
    });
  });

  it('exports the per-model counters at 0 before anything happens, so increase() alerts work from the first scrape', async () => {
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    for (const model of ['california-housing', 'iris']) {
      for (const outcome of ['promoted', 'not_promoted', 'failed', 'interrupted']) {
        expect(metrics).toContain(`retrain_runs_total{model="${model}",outcome="${outcome}"} 0\n`);
      }
      expect(metrics).toContain(`model_swaps_total{model="${model}"} 0\n`);
      expect(metrics).toContain(`model_load_failures_total{model="${model}"} 0\n`);
      expect(metrics).toContain(`champion_syncs_total{model="${model}",via="periodic"} 0\n`);
    }
  });

  it('lists nothing before any dataset is prepared', async () => {
    const res = await get('/datasets');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  describe('after preparing california-housing', () => {
    beforeAll(async () => {
      await t.app.get(DataService).prepare('california-housing');
    });

    it('stores the dataset version and its split', async () => {
      const [dataset] = await t.dataSource.query<Record<string, unknown>[]>('SELECT * FROM datasets');
      expect(dataset).toMatchObject({
        name: 'california-housing',
        version: HOUSING_VERSION,
        rows_read: HOUSING_DATASET.rows,
        rows_rejected: 0,
        values_imputed: HOUSING_DATASET.valuesImputed,
      });
      const splits = await t.dataSource.query<{ train_rows: number; test_rows: number; seed: number }[]>(
        'SELECT seed, train_rows, test_rows FROM dataset_splits',
      );
      expect(splits).toEqual([{ seed: SPLIT.seed, train_rows: SPLIT.trainRows, test_rows: SPLIT.testRows }]);
    });

    it('lists it at GET /datasets', async () => {
      const res = await get('/datasets');
      expect(res.json()).toEqual([
        expect.objectContaining({
          name: 'california-housing',
          version: HOUSING_VERSION,
          source: realHousingCsvPath(),
          rowsRead: HOUSING_DATASET.rows,
          rowsRejected: 0,
          valuesImputed: HOUSING_DATASET.valuesImputed,
          splits: [
            expect.objectContaining({
              seed: SPLIT.seed,
              testFraction: SPLIT.testFraction,
              trainRows: SPLIT.trainRows,
              testRows: SPLIT.testRows,
            }),
          ],
        }),
      ]);
      expect((await get('/datasets?name=iris')).json()).toEqual([]);
    });

    it('shows the profile at GET /datasets/:version, with counts that add up', async () => {
      const res = await get(`/datasets/${HOUSING_VERSION}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const [split] = body.splits;
      expect(split.preprocessing.bedrooms_per_household_median).toBeCloseTo(1.05, 1);
      expect(split.profile.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['MedInc', 'AveBedrms', 'Latitude', 'ocean_proximity=INLAND']),
      );
      for (const profile of split.profile) {
        expect(profile.count).toBe(SPLIT.trainRows);
        const binned = profile.bins.counts.reduce((a: number, b: number) => a + b, 0);
        expect(binned + profile.missing).toBe(profile.count);
      }
      const medInc = split.profile.find((p: { name: string }) => p.name === 'MedInc');
      expect(medInc.bins.counts).toHaveLength(10);
      expect(medInc.mean).toBeCloseTo(3.87, 1);
    });

    it('reuses the stored version and split when prepared again, and makes a new split for a new seed', async () => {
      const data = t.app.get(DataService);
      const again = await data.prepare('california-housing');
      expect(again.split.trainIndices).toHaveLength(SPLIT.trainRows);
      const other = await data.prepare('california-housing', { seed: 7 });
      expect(other.split.testIndices).not.toEqual(again.split.testIndices);
      const [{ n }] = await t.dataSource.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM datasets');
      expect(n).toBe(1);
      const splits = await t.dataSource.query<{ seed: number }[]>('SELECT seed FROM dataset_splits ORDER BY seed');
      expect(splits).toEqual([{ seed: 7 }, { seed: 42 }]);
    });
  });

  describe('errors', () => {
    it('answers an unknown version with 404 and the error shape', async () => {
      const res = await get(`/datasets/${'0'.repeat(64)}`, { 'x-request-id': 'req-123' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['x-request-id']).toBe('req-123');
      expect(res.json()).toEqual({
        statusCode: 404,
        code: 'DATA.DATASET_NOT_FOUND',
        message: `No dataset with version ${'0'.repeat(64)}`,
        requestId: 'req-123',
      });
    });

    it('names the field and rule of a bad path or query parameter, without echoing the value', async () => {
      const res = await get('/datasets/not-a-version');
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.code).toBe('REQUEST.VALIDATION_FAILED');
      expect(body.errors).toEqual([
        { field: 'version', rule: 'matches', message: 'version must be 64 lowercase hex digits (a sha256)' },
      ]);
      expect(JSON.stringify(body)).not.toContain('not-a-version');
      const query = await get('/datasets?name=Wine!&extra=1');
      expect(query.statusCode).toBe(400);
      expect(query.json().errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'name', rule: 'matches' }),
          expect.objectContaining({ field: 'extra', rule: 'whitelistValidation' }),
        ]),
      );
      expect(JSON.stringify(query.json())).not.toContain('Wine!');
    });

    it('answers unknown routes, malformed JSON and oversized bodies with 4xx in the error shape', async () => {
      const missing = await get('/nope');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ statusCode: 404, code: 'HTTP.NOT_FOUND' });
      const headers = { 'content-type': 'application/json' };
      const malformed = await t.app.inject({ method: 'POST', url: '/datasets', headers, payload: '{"a":' });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toMatchObject({ statusCode: 400, code: 'HTTP.BAD_REQUEST' });
      expect(typeof malformed.json().requestId).toBe('string');
      const huge = await t.app.inject({
        method: 'POST',
        url: '/datasets',
        headers,
        payload: JSON.stringify({ x: 'a'.repeat(2_000_000) }),
      });
      expect(huge.statusCode).toBe(413);
      expect(huge.json()).toMatchObject({ statusCode: 413, code: 'HTTP.PAYLOAD_TOO_LARGE' });
    });
  });
});
