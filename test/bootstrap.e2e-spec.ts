import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelBootstrapService } from '../src/retraining/model-bootstrap.service';
import { createTestApp } from './support/test-app';

/** A fresh machine: no champion, so the service trains, registers and promotes the best candidate, then serves. */
describe('start-up (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-bootstrap-'));
  const env = { AUTO_TRAIN_ON_START: 'true', DATA_DIR: join(dir, 'data'), MODELS_DIR: join(dir, 'models') };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains and serves the best candidate of each model when none exists, then reloads it on restart', async () => {
    const first = await createTestApp(env);
    try {
      const live = await first.app.inject({ url: '/health/live' });
      expect(live.statusCode).toBe(200);
      await first.app.get(ModelBootstrapService).settled();
      const models = (await first.app.inject({ url: '/models' })).json();
      expect(models).toEqual([
        expect.objectContaining({ name: 'california-housing', champion: 1, servedVersion: 1, versionCount: 1 }),
        expect.objectContaining({ name: 'iris', champion: 1, servedVersion: 1, versionCount: 1 }),
      ]);
      const history = (await first.app.inject({ url: '/models/california-housing/history' })).json();
      expect(history).toEqual([expect.objectContaining({ action: 'bootstrap', actor: 'system', toVersion: 1 })]);
      const res = await first.app.inject({
        method: 'POST',
        url: '/predict/iris',
        payload: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      });
      expect(res.json().prediction.label).toBe('setosa');
    } finally {
      await first.close();
    }
    const second = await createTestApp(env);
    try {
      await second.app.get(ModelBootstrapService).settled();
      expect((await second.app.inject({ url: '/models' })).json()[0]).toMatchObject({ champion: 1, servedVersion: 1 });
      const [{ n }] = await second.dataSource.query<{ n: number }[]>(
        "SELECT COUNT(*) AS n FROM runs WHERE model_name = 'iris'",
      );
      expect(n).toBe(2);
    } finally {
      await second.close();
    }
  }, 120_000);
});
