import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOUSING_SPEC } from './support/builtin-models';
import { TrainingService } from '../src/training/training.service';
import { freePort } from './support/free-port';
import { REPO_ROOT } from './support/housing-data';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const available = existsSync(PROMETHEUS);
if (!available && process.env.REQUIRE_PROMETHEUS) {
  throw new Error(`REQUIRE_PROMETHEUS is set but ${PROMETHEUS} does not exist (apt-get install prometheus)`);
}
if (!available) {
  process.stderr.write(`prometheus.e2e: ${PROMETHEUS} not found, skipped (apt-get install prometheus to run it)\n`);
}

/** A real Prometheus on loopback scrapes the running service; its HTTP API sees what the service exported. */
(available ? describe : describe.skip)('Prometheus scraping the service (e2e)', () => {
  let t: TestApp;
  let prometheus: ChildProcess | undefined;
  let api: string;
  let service: string;
  let log = '';

  async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  async function eventually<T>(probe: () => Promise<T | undefined>, what: string, seconds = 60): Promise<T> {
    for (let i = 0; i < seconds * 4; i++) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`Timed out waiting for ${what}; Prometheus said:\n${log.slice(-2000)}`);
  }

  beforeAll(async () => {
    t = await createTestApp({ DRIFT_CHECK_INTERVAL_S: '0' });
    const [run] = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear'] });
    await t.app.inject({
      method: 'POST',
      url: '/models/california-housing/versions',
      headers: ADMIN,
      payload: { runId: run.id },
    });
    await t.app.inject({
      method: 'POST',
      url: '/models/california-housing/versions/1/promote',
      headers: ADMIN,
      payload: {},
    });
    const port = await freePort();
    await t.app.listen(port, '127.0.0.1');
    service = `http://127.0.0.1:${port}`;

    // The repository's alert rules, and a scrape config pointing at this service every second.
    copyFileSync(join(REPO_ROOT, 'deploy/prometheus/alerts.yml'), join(t.dir, 'alerts.yml'));
    writeFileSync(
      join(t.dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [alerts.yml]',
        'scrape_configs:',
        '  - job_name: nest-mlops',
        `    static_configs: [{ targets: ['127.0.0.1:${port}'] }]`,
        '',
      ].join('\n'),
    );
    const prometheusPort = await freePort();
    api = `http://127.0.0.1:${prometheusPort}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(t.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(t.dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  }, 120_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await t.close();
  });

  it('scrapes the service (up == 1) and counts exactly the predictions sent', async () => {
    const sent = 5;
    for (let i = 0; i < sent; i++) {
      const res = await fetch(`${service}/predict/housing`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(HOUSING_SPEC.example),
      });
      expect(res.status).toBe(200);
    }
    const batch = await t.app.inject({
      method: 'POST',
      url: '/predict/housing/batch',
      payload: { rows: [HOUSING_SPEC.example, HOUSING_SPEC.example, HOUSING_SPEC.example] },
    });
    expect(batch.statusCode).toBe(200);

    const up = await eventually(async () => {
      const result = await query('up{job="nest-mlops"}');
      return result.length === 1 && result[0].value[1] === '1' ? result : undefined;
    }, 'up == 1');
    expect(up[0].metric).toMatchObject({ job: 'nest-mlops' });

    // A scrape after the predictions: the counter Prometheus stored equals the rows predicted.
    const predicted = await eventually(
      async () => {
        const result = await query('sum(predictions_total{job="nest-mlops",model="california-housing",outcome="ok"})');
        return result.length === 1 && result[0].value[1] === String(sent + 3) ? result : undefined;
      },
      `predictions_total == ${sent + 3}`,
    );
    expect(Number(predicted[0].value[1])).toBe(sent + 3);

    const requests = await query('sum(http_requests_total{job="nest-mlops",route="/predict/:name",status="200"})');
    expect(Number(requests[0].value[1])).toBe(sent);
    const info = await query('model_info{job="nest-mlops"}');
    expect(info.map((r) => r.metric)).toEqual([
      expect.objectContaining({ model: 'california-housing', version: '1', alias: 'champion' }),
    ]);

    // Prometheus loaded the repository's alert rules.
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { name: string }[] } };
    expect(rules.data.groups.map((g) => g.name).sort()).toEqual(['nest-mlops-model-quality', 'nest-mlops-serving']);
  }, 120_000);
});
