import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataService } from '../src/data/data.service';
import { HOUSING_SPEC } from './support/builtin-models';
import { Rng } from '../src/ml/random';
import { PredictionLogRepository } from '../src/prediction/prediction-log.repository';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { TrainingService } from '../src/training/training.service';
import { REPO_ROOT } from './support/housing-data';
import { HOUSING_DATASET } from './support/housing-dataset';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

// Requests carry the admin key: admin endpoints need it (security.e2e-spec.ts tests the refusals).
const json = { 'content-type': 'application/json', ...ADMIN };
const INPUTS = HOUSING_SPEC.inputs.map((f) => f.name);

/** A request row (the raw CSV's input fields, a missing total_bedrooms left out) of a data record. */
function requestRow(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    INPUTS.filter((f) => record[f] !== null && record[f] !== undefined).map((f) => [f, record[f]]),
  );
}

/** `n` records drawn without replacement with a seeded shuffle. */
function sample<T>(records: readonly T[], n: number, seed: number): T[] {
  const rng = new Rng(seed);
  const copy = [...records];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/** The value of one sample of a Prometheus text exposition, or undefined. */
function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const PROMQL_WORDS = new Set(
  'sum by without on ignoring group_left group_right rate increase histogram_quantile time avg max min count and or unless abs'.split(
    ' ',
  ),
);

/** Metric names a PromQL expression reads: strings, label matchers, ranges, numbers and label lists removed. */
function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\b\d+(\.\d+)?(e\d+)?\b/g, '');
  return [...stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((t) => !PROMQL_WORDS.has(t));
}

/** Every sample name a /metrics text can hold, from its `# TYPE` lines (histograms add _bucket, _sum, _count). */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Requests to a test app, as an admin. */
function client(app: () => TestApp) {
  const get = (url: string) => app().app.inject({ method: 'GET', url });
  const post = (url: string, payload: unknown) =>
    app().app.inject({ method: 'POST', url, headers: json, payload: JSON.stringify(payload) });
  return { get, post };
}

/** Trains gbdt for both built-in models, registers it and promotes it: the state after a first start. */
async function serveFirstVersions(t: TestApp): Promise<void> {
  const { post } = client(() => t);
  for (const model of ['california-housing', 'iris']) {
    const [run] = await t.app.get(TrainingService).train(model, { candidates: ['gbdt'] });
    const version = await post(`/models/${model}/versions`, { runId: run.id });
    expect(version.statusCode).toBe(201);
    expect((await post(`/models/${model}/versions/${version.json().version}/promote`, {})).statusCode).toBe(200);
  }
}

describe('monitoring: metrics, drift, summary, health (e2e)', () => {
  let t: TestApp;
  let training: Record<string, unknown>[];
  const { get, post } = client(() => t);
  /** The version `model` serves now (blocks may promote another). */
  const servedVersion = async (model: string): Promise<number> => {
    const served = (await get(`/models/${model}`)).json().servedVersion as number | null;
    expect(served).toEqual(expect.any(Number));
    return served as number;
  };

  beforeAll(async () => {
    t = await createTestApp({ DRIFT_CHECK_INTERVAL_S: '0' });
    const prepared = await t.app.get(DataService).prepare('california-housing');
    training = prepared.train.map((r) => r.values);
    await serveFirstVersions(t);
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  it('is live at once, and not ready (503 naming the check) until every model is served', async () => {
    // A service of its own: in the shared one, the models are served from the start.
    const fresh = await createTestApp({ DRIFT_CHECK_INTERVAL_S: '0' });
    try {
      const { get: freshGet } = client(() => fresh);
      expect((await freshGet('/health/live')).statusCode).toBe(200);
      for (const url of ['/health/ready', '/health']) {
        const res = await freshGet(url);
        expect(res.statusCode).toBe(503);
        expect(res.json().message).toMatch(/^Not ready: models \(not served yet: california-housing, iris\)/);
        expect(res.json().details.info).toMatchObject({ database: { status: 'up' }, disk: { status: 'up' } });
      }
      const v2 = await freshGet('/v2/health/ready');
      expect(v2.statusCode).toBe(503);
      expect(v2.json().error).toContain('models (not served yet');

      await serveFirstVersions(fresh);
      const ready = await freshGet('/health/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().info.models).toMatchObject({
        'california-housing': { served: true, version: 1, candidate: 'gbdt' },
        iris: { served: true, version: 1 },
      });
      expect((await freshGet('/health')).statusCode).toBe(200);
      expect((await freshGet('/v2/health/ready')).json()).toEqual({ ready: true });
    } finally {
      await fresh.close();
    }
  }, 120_000);

  it('exports request, prediction and model metrics with bounded labels', async () => {
    const housingVersion = String(await servedVersion('california-housing'));
    const irisVersion = String(await servedVersion('iris'));
    // Every champion move of this service swapped the served model (prom-client's registry is per process: a
    // service another block boots counts its own swaps too).
    const championMoves = (await get('/models/california-housing/history'))
      .json()
      .filter((e: { alias: string }) => e.alias === 'champion').length;
    const before = (await get('/metrics')).body;
    const sent = 7;
    for (let i = 0; i < sent; i++) expect((await post('/predict/housing', HOUSING_SPEC.example)).statusCode).toBe(200);
    expect(
      (await post('/predict/housing/batch', { rows: [HOUSING_SPEC.example, HOUSING_SPEC.example] })).statusCode,
    ).toBe(200);
    expect(
      (await post('/predict/iris', { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }))
        .statusCode,
    ).toBe(200);
    expect((await post('/predict/housing', { ...HOUSING_SPEC.example, median_income: 'x' })).statusCode).toBe(400);
    expect((await get('/no/such/path/12345')).statusCode).toBe(404);
    expect((await get('/models/iris')).statusCode).toBe(200);

    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    const delta = (name: string, labels: Record<string, string>) =>
      (metricValue(text, name, labels) ?? 0) - (metricValue(before, name, labels) ?? 0);

    const housing = { model: 'california-housing', version: housingVersion };
    expect(delta('predictions_total', { ...housing, outcome: 'ok' })).toBe(sent + 2);
    expect(delta('prediction_duration_seconds_count', { ...housing, outcome: 'ok' })).toBe(sent + 1);
    expect(delta('predicted_value_count', housing)).toBe(sent + 2);
    expect(delta('predicted_class_total', { model: 'iris', version: irisVersion, class: 'setosa' })).toBe(1);
    // One route pattern for every model's single-row predictions: the 7 housing rows and the iris row.
    expect(delta('http_requests_total', { method: 'POST', route: '/predict/:name', status: '200' })).toBe(sent + 1);
    expect(delta('http_requests_total', { method: 'POST', route: '/predict/:name/batch', status: '200' })).toBe(1);
    expect(delta('http_requests_total', { method: 'POST', route: '/predict/:name', status: '400' })).toBe(1);
    expect(delta('http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta('http_requests_total', { method: 'GET', route: '/models/:name', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/predict/:name', status: '200' })).toBe(sent + 1);
    expect(metricValue(text, 'model_info', { ...housing, alias: 'champion' })).toBe(1);
    expect(metricValue(text, 'model_swaps_total', { model: 'california-housing' })).toBeGreaterThanOrEqual(
      championMoves,
    );
    expect(metricValue(text, 'model_last_swap_timestamp_seconds', { model: 'iris' })).toBeGreaterThan(1.7e9);
    expect(metricValue(text, 'model_last_swap_timestamp_seconds', { model: 'iris' })).toBeLessThanOrEqual(
      Date.now() / 1000,
    );
    expect(metricValue(text, 'prediction_log_dropped_total', {})).toBe(0);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).not.toContain('12345'); // raw paths never become label values
    // The queue depth is sampled at each scrape: empty once the log is flushed.
    await t.app.get(PredictionLogService).flush();
    expect(metricValue((await get('/metrics')).body, 'prediction_log_queue_depth', {})).toBe(0);
  });

  it('has a Grafana dashboard and alert rules that query only metrics the service exports', async () => {
    const exported = exportedNames((await get('/metrics')).body);
    exported.add('up'); // written by Prometheus itself for every target
    const dashboard = JSON.parse(
      readFileSync(join(REPO_ROOT, 'deploy/grafana/dashboards/nest-mlops.json'), 'utf8'),
    ) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const alerts = readFileSync(join(REPO_ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
    const alertExprs = [...alerts.matchAll(/expr: (\|\n((?: {10}.*\n)+)|.*)/g)].map((m) => m[2] ?? m[1]);
    const queries = [...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...alertExprs];
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    expect(alertExprs.length).toBeGreaterThanOrEqual(8);
    const used = new Set(queries.flatMap(metricNamesOf));
    for (const name of [
      'http_requests_total',
      'prediction_duration_seconds_bucket',
      'feature_drift_psi',
      'retrain_runs_total',
      'model_swaps_total',
    ]) {
      expect(used).toContain(name);
    }
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(metricNamesOf('sum by (route) (rate(no_such_metric{a="b"}[5m])) * 1e9')).toEqual(['no_such_metric']);
  });

  it('flags median_income × 1.5 as drift on MedInc while the untouched features stay ok', async () => {
    const version = await servedVersion('california-housing');
    const rows = sample(
      training.filter((r) => Number(r.median_income) * 1.5 <= 15),
      1000,
      7,
    ).map((r) => ({ ...requestRow(r), median_income: Number(r.median_income) * 1.5 }));
    expect((await post('/predict/housing/batch', { rows })).statusCode).toBe(200);

    const res = await get('/monitoring/drift?model=california-housing');
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      model: 'california-housing',
      version,
      status: 'drift',
      window: { rows: 1000, size: 1000 },
      reference: { split: HOUSING_DATASET.split.label, rows: HOUSING_DATASET.split.trainRows },
      thresholds: { psiWarn: 0.1, psiDrift: 0.25 },
    });
    const byName = new Map<string, { status: string; psi: number }>(
      report.features.map((f: { feature: string }) => [f.feature, f]),
    );
    expect(byName.get('MedInc')).toMatchObject({ status: 'drift', psiStatus: 'drift' });
    expect(byName.get('MedInc')?.psi).toBeGreaterThan(0.25);
    const others = report.features.filter((f: { feature: string }) => f.feature !== 'MedInc');
    expect(others.length).toBe(HOUSING_SPEC.features.length - 1);
    for (const f of others) expect([f.feature, f.status]).toEqual([f.feature, 'ok']);

    const metrics = (await get('/metrics')).body;
    expect(metricValue(metrics, 'feature_drift_psi', { model: 'california-housing', feature: 'MedInc' })).toBeCloseTo(
      byName.get('MedInc')?.psi ?? NaN,
      6,
    );
    expect(metricValue(metrics, 'feature_drift_status', { model: 'california-housing', feature: 'MedInc' })).toBe(2);
    expect(metricValue(metrics, 'feature_drift_status', { model: 'california-housing', feature: 'HouseAge' })).toBe(0);
    expect(
      metricValue(metrics, 'feature_drift_ks', { model: 'california-housing', feature: 'MedInc' }),
    ).toBeGreaterThan(0.1);
  });

  it('sees no drift in rows drawn from the training data', async () => {
    const rows = sample(training, 1000, 11).map(requestRow);
    expect((await post('/predict/housing/batch', { rows })).statusCode).toBe(200);
    const report = (await get('/monitoring/drift?model=california-housing')).json();
    expect(report.window.rows).toBe(1000);
    expect(report.status).toBe('ok');
    for (const f of report.features) {
      expect([f.feature, f.status]).toEqual([f.feature, 'ok']);
      expect(f.psi).toBeLessThan(0.1);
    }
  });

  it('takes the drift window from the newest entries of the version, newest first, over pages of entries', async () => {
    const log = t.app.get(PredictionLogRepository);
    const entry = (version: number, rowCount: number, n: number) => ({
      createdAt: new Date(),
      modelName: 'california-housing',
      modelVersion: version,
      requestId: `window-${version}-${n}`,
      rowCount,
      inputsJson: '[]',
      outputsJson: '[]',
      latencyMs: 1,
      predictionId: null,
      policyId: 0,
      policy: 'champion',
      shadow: false,
      clientAddress: null,
    });
    // Version 901: entries of 1, 100, 3 and 2 rows, oldest first, another version's entry between them.
    await log.insert([entry(901, 1, 0), entry(901, 100, 1), entry(902, 50, 0), entry(901, 3, 2), entry(901, 2, 3)]);
    const window = async (version: number, rows: number) =>
      (await log.latestRows('california-housing', version, rows)).map((e) => [e.requestId, e.rowCount]);
    expect(await window(901, 4)).toEqual([
      ['window-901-3', 2],
      ['window-901-2', 3],
    ]);
    expect(await window(901, 105)).toEqual([
      ['window-901-3', 2],
      ['window-901-2', 3],
      ['window-901-1', 100],
    ]);
    expect((await window(901, 10_000)).length).toBe(4);
    // More entries than one page of ids (1,000): the window goes on into the next page, still newest first.
    await log.insert(Array.from({ length: 1500 }, (_, n) => entry(903, 1, n)));
    const many = await window(903, 1200);
    expect(many.length).toBe(1200);
    expect(many[0][0]).toBe('window-903-1499');
    expect(many.at(-1)?.[0]).toBe('window-903-300');
  });

  it('reports insufficient data below DRIFT_MIN_ROWS, and 404/400 for unknown or missing models', async () => {
    const [run] = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear'] });
    const version = (await post('/models/california-housing/versions', { runId: run.id })).json().version;
    expect((await post(`/models/california-housing/versions/${version}/promote`, { force: true })).statusCode).toBe(
      200,
    );
    expect((await post('/predict/housing', HOUSING_SPEC.example)).statusCode).toBe(200);
    const report = (await get('/monitoring/drift?model=california-housing')).json();
    expect(report).toMatchObject({ version, status: 'insufficient_data', window: { rows: 1, minRows: 200 } });
    expect((await get('/metrics')).body).not.toContain('feature_drift_psi{model="california-housing"');

    expect((await get('/monitoring/drift?model=nope')).statusCode).toBe(404);
    const missing = await get('/monitoring/drift');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0]).toMatchObject({ field: 'model' });
  }, 60_000);

  it('summarises prediction traffic over a window: volume, errors, latency, per version', async () => {
    const version = await servedVersion('california-housing');
    interface Summary {
      windowSeconds: number;
      requests: {
        total: number;
        clientErrors: number;
        serverErrors: number;
        errorRate: number;
        latencyMs: { p50: number | null; p90: number | null; p99: number | null };
      };
      versions: { model: string; version: number; requests: number; rows: number }[];
    }
    // The whole hour the service keeps: the traffic of other blocks is in both summaries, this block's in one.
    const summary = async (): Promise<Summary> => {
      const res = await get('/monitoring/summary?windowSeconds=3600');
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    const served = (s: Summary) =>
      s.versions.find((v) => v.model === 'california-housing' && v.version === version) ?? { requests: 0, rows: 0 };
    const before = await summary();
    const singles = 4;
    for (let i = 0; i < singles; i++)
      expect((await post('/predict/housing', HOUSING_SPEC.example)).statusCode).toBe(200);
    const batch = [HOUSING_SPEC.example, HOUSING_SPEC.example, HOUSING_SPEC.example];
    expect((await post('/predict/housing/batch', { rows: batch })).statusCode).toBe(200);
    expect((await post('/predict/housing', { ...HOUSING_SPEC.example, median_income: 'x' })).statusCode).toBe(400);
    expect((await get('/models/california-housing')).statusCode).toBe(200); // not a prediction route
    const after = await summary();

    expect(after.windowSeconds).toBe(3600);
    expect(after.requests.total - before.requests.total).toBe(singles + 2);
    expect(after.requests.clientErrors - before.requests.clientErrors).toBe(1);
    expect(after.requests.serverErrors - before.requests.serverErrors).toBe(0);
    expect(after.requests.errorRate).toBeCloseTo(
      (after.requests.clientErrors + after.requests.serverErrors) / after.requests.total,
      12,
    );
    const { p50, p90, p99 } = after.requests.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect(p90).toBeGreaterThanOrEqual(p50 as number);
    expect(p99).toBeGreaterThanOrEqual(p90 as number);
    // Successful predictions only, per request and per row.
    expect(served(after).requests - served(before).requests).toBe(singles + 1);
    expect(served(after).rows - served(before).rows).toBe(singles + batch.length);
    expect((await get('/monitoring/summary?windowSeconds=0')).statusCode).toBe(400);
    expect((await get('/monitoring/summary?windowSeconds=99999')).statusCode).toBe(400);
  });
});

describe('readiness with too little disk (e2e)', () => {
  it('answers 503 naming the disk check', async () => {
    const t = await createTestApp({ MIN_FREE_DISK_MB: '10000000' });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toMatch(/disk \(data folder .* MB free \(needs 10000000\)/);
      expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  }, 60_000);
});
