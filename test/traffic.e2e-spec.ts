import { rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { ShadowScorer } from '../src/prediction/shadow-scorer.service';
import { ModelRegistryRepository } from '../src/registry/model-registry.repository';
import { TrafficRouter } from '../src/registry/traffic/traffic-router.service';
import { ModelBootstrapService } from '../src/retraining/model-bootstrap.service';
import { TrainingService } from '../src/training/training.service';
import { HOUSING_SPEC } from './support/builtin-models';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const MODEL = 'california-housing';
const row = { ...HOUSING_SPEC.example };
const json = { 'content-type': 'application/json', ...ADMIN };

interface LogRow {
  request_id: string;
  model_version: number;
  policy_id: number;
  policy: string;
  shadow: boolean | number;
  prediction_id: string | null;
  outputs: unknown;
}

/** Traffic policies: weighted and sticky splits, shadow versions, refusals, the audit trail, restarts. */
describe('traffic policies (e2e)', () => {
  let t: TestApp;
  let dataDir: string;
  const put = (body: unknown, headers: Record<string, string> = json) =>
    t.app.inject({ method: 'PUT', url: `/models/${MODEL}/traffic`, headers, payload: JSON.stringify(body) });
  const predict = (headers: Record<string, string> = {}, body: unknown = row) =>
    t.app.inject({
      method: 'POST',
      url: '/predict/housing',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(body),
    });
  const logged = async (requestId: string): Promise<LogRow[]> => {
    await t.app.get(PredictionLogService).flush();
    return t.dataSource.query<LogRow[]>(
      `SELECT request_id, model_version, policy_id, policy, shadow, prediction_id, outputs FROM predictions ` +
        `WHERE request_id = $1 ORDER BY id`.replace('$1', t.dataSource.options.type === 'postgres' ? '$1' : '?'),
      [requestId],
    );
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nest-mlops-traffic-'));
    t = await createTestApp({ DATA_DIR: dataDir, MODELS_DIR: join(dataDir, 'models') });
    // Version 1 (linear) is the champion, versions 2 (gbdt) and 3 (linear) are registered beside it.
    const training = t.app.get(TrainingService);
    const runs = [
      ...(await training.train(MODEL, { candidates: ['linear'] })),
      ...(await training.train(MODEL, { candidates: ['gbdt'] })),
      ...(await training.train(MODEL, { candidates: ['linear'] })),
    ];
    for (const run of runs) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/models/${MODEL}/versions`,
        headers: json,
        payload: { runId: run.id },
      });
      expect(res.statusCode).toBe(201);
    }
    const promoted = await t.app.inject({
      method: 'POST',
      url: `/models/${MODEL}/versions/1/promote`,
      headers: json,
      payload: {},
    });
    expect(promoted.statusCode).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is the champion policy until one is set', async () => {
    await put({ mode: 'champion' });
    const answer = await predict();
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ version: 1, alias: 'champion' });
    const res = await t.app.inject({ url: '/models/housing/traffic' });
    expect(res.json()).toMatchObject({ model: MODEL, mode: 'champion', arms: [], shadow: [], champion: 1 });
  });

  it('splits 50/50 between two versions: each answers 50 % ± 10 % of 400 requests, named in body and header', async () => {
    const set = await put({ mode: 'ab', weights: { '1': 50, '2': 50 } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({
      mode: 'ab',
      arms: [
        { version: 1, weight: 50, share: 0.5 },
        { version: 2, weight: 50, share: 0.5 },
      ],
      stickyHeader: null,
    });
    const counts = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const answer = await predict();
      expect(answer.statusCode).toBe(200);
      const { version, alias, policy } = answer.json<{ version: number; alias: string | null; policy: object }>();
      expect(answer.headers['x-model-version']).toBe(String(version));
      expect(alias).toBe(version === 1 ? 'champion' : null);
      expect(policy).toEqual({ mode: 'ab', id: set.json().policyId });
      counts.set(version, (counts.get(version) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2]);
    for (const n of counts.values()) expect(Math.abs(n / 400 - 0.5)).toBeLessThanOrEqual(0.1);
    const answer = await predict();
    const [entry] = await logged(answer.json().requestId);
    expect(entry).toMatchObject({ policy_id: set.json().policyId, policy: 'ab', model_version: answer.json().version });
  });

  it('keeps a client on one version by its sticky header, and spreads the clients over both', async () => {
    expect((await put({ mode: 'canary', weights: { '1': 50, '2': 50 }, stickyHeader: 'X-User-Id' })).statusCode).toBe(
      200,
    );
    const seen = new Set<number>();
    for (let user = 0; user < 20; user++) {
      const versions = new Set<number>();
      for (let i = 0; i < 5; i++) versions.add((await predict({ 'x-user-id': `user-${user}` })).json().version);
      expect(versions.size).toBe(1);
      seen.add([...versions][0]);
    }
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it('shadows: the champion answers as before, the shadow version scores the same row, logged with the request', async () => {
    await put({ mode: 'champion' });
    const before = (await predict()).json().prediction;
    const set = await put({ mode: 'shadow', shadow: [2] });
    expect(set.statusCode).toBe(200);
    const answer = await predict({ 'x-prediction-id': 'client-id-1' });
    expect(answer.json()).toMatchObject({ version: 1, alias: 'champion', prediction: before });
    const requestId = answer.json().requestId as string;
    await waitFor(() => t.app.get(ShadowScorer).pending === 0);
    const entries = await logged(requestId);
    expect(entries.map((e) => [e.model_version, Boolean(e.shadow), e.policy, e.prediction_id])).toEqual([
      [1, false, 'shadow', 'client-id-1'],
      [2, true, 'shadow', 'client-id-1'],
    ]);
    // The shadow's logged output is what version 2 answers for the row.
    const v2 = await t.app.inject({
      method: 'POST',
      url: `/v2/models/${MODEL}/versions/2/infer`,
      headers: { 'content-type': 'application/json' },
      payload: {
        inputs: Object.entries(row).map(([name, value]) => ({
          name,
          shape: [1],
          datatype: typeof value === 'string' ? 'BYTES' : 'FP64',
          data: [value],
        })),
      },
    });
    expect(v2.statusCode).toBe(200);
    const outputs = entries[1].outputs;
    expect(typeof outputs === 'string' ? JSON.parse(outputs) : outputs).toEqual(v2.json().outputs[0].data);
  });

  it('refuses a policy it cannot apply, with the field or the reason, and keeps the one in force', async () => {
    const inForce = (await put({ mode: 'ab', weights: { '1': 90, '2': 10 } })).json().policyId as number;
    const refusals: [unknown, number, RegExp][] = [
      [{ mode: 'ab', weights: { '1': 100 } }, 400, /weights must name 2 to 8 versions/],
      [{ mode: 'ab', weights: { '1': 50, two: 50 } }, 400, /weights keys must be version numbers/],
      [{ mode: 'ab', weights: { '1': 50, '2': -1 } }, 400, /weights\.2 must be a number greater than 0/],
      [{ mode: 'shadow' }, 400, /shadow must name at least one version/],
      [{ mode: 'champion', shadow: [2] }, 400, /shadow applies to mode shadow/],
      [{ mode: 'shadow', shadow: [2], stickyHeader: 'x-user-id' }, 400, /stickyHeader applies to modes canary and ab/],
      [{ mode: 'split' }, 400, /mode must be one of/],
      [{ mode: 'ab', weights: { '1': 50, '9': 50 } }, 404, /has no version 9/],
      [{ mode: 'shadow', shadow: [1] }, 409, /Version 1 is the champion/],
      [{ mode: 'shadow', shadow: [10_000_000_000] }, 400, /shadow/],
    ];
    for (const [body, status, message] of refusals) {
      const res = await put(body);
      expect([JSON.stringify(body), res.statusCode]).toEqual([JSON.stringify(body), status]);
      expect(res.json().message).toMatch(message);
    }
    expect((await put({ mode: 'champion' }, { 'content-type': 'application/json' })).statusCode).toBe(401);
    // A model without a champion (iris: nothing trained here) cannot split or shadow: nothing would answer.
    const iris = await t.app.inject({
      method: 'PUT',
      url: '/models/iris/traffic',
      headers: json,
      payload: { mode: 'ab', weights: { '1': 50, '2': 50 } },
    });
    expect(iris.statusCode).toBe(409);
    expect(iris.json().message).toMatch(/has no champion yet/);
    expect((await t.app.inject({ url: `/models/${MODEL}/traffic` })).json().policyId).toBe(inForce);
  });

  it('refuses a version whose artifact cannot be loaded (422), and the policy in force stays', async () => {
    const inForce = (await put({ mode: 'champion' })).json().policyId as number;
    const version = await t.app.get(ModelRegistryRepository).findVersion(MODEL, 3);
    if (t.dataSource.options.type === 'postgres') {
      await t.dataSource.query(`DELETE FROM artifacts WHERE sha256 = $1`, [version!.artifactSha256]);
    } else {
      rmSync(version!.artifactPath);
    }
    const res = await put({ mode: 'shadow', shadow: [3] });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'REGISTRY.ARTIFACT_REFUSED' });
    expect((await t.app.inject({ url: `/models/${MODEL}/traffic` })).json().policyId).toBe(inForce);
  });

  it('answers with the champion when an arm fails at run time, and counts it', async () => {
    await put({ mode: 'ab', weights: { '1': 1, '2': 1000000 } });
    const arm = t.app.get(TrafficRouter).policy(MODEL)!.arms[1]!;
    const predictArm = arm.predict.bind(arm);
    arm.predict = () => {
      throw new Error('broken arm');
    };
    try {
      const answer = await predict();
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ version: 1, alias: 'champion' });
      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/traffic_fallbacks_total\{model="california-housing",version="2"\} [1-9]/);
    } finally {
      arm.predict = predictArm;
    }
  });

  it('keeps every change in the audit trail, and routes by the stored policy after a restart', async () => {
    const set = await put({ mode: 'ab', weights: { '1': 50, '2': 50 }, stickyHeader: 'x-user-id', reason: 'try gbdt' });
    const history = (await t.app.inject({ url: `/models/housing/traffic/history` })).json<Record<string, unknown>[]>();
    expect(history.at(-1)).toMatchObject({
      policyId: set.json().policyId,
      mode: 'ab',
      arms: [
        { version: 1, weight: 50 },
        { version: 2, weight: 50 },
      ],
      stickyHeader: 'x-user-id',
      reason: 'try gbdt',
      actor: 'api',
    });
    expect(history.every((e, i) => i === 0 || (e.policyId as number) > (history[i - 1].policyId as number))).toBe(true);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain(
      `traffic_policy_info{model="california-housing",mode="ab",policy_id="${set.json().policyId}"} 1`,
    );
    const restarted = await createTestApp({ DATA_DIR: dataDir, MODELS_DIR: join(dataDir, 'models') });
    try {
      await restarted.app.get(ModelBootstrapService).settled();
      const versions = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const answer = await restarted.app.inject({
          method: 'POST',
          url: '/predict/housing',
          headers: { 'content-type': 'application/json', 'x-user-id': `u${i}` },
          payload: JSON.stringify(row),
        });
        expect(answer.json().policy).toEqual({ mode: 'ab', id: set.json().policyId });
        // The champion's arm is the served champion: its answers say so.
        expect(answer.json().alias).toBe(answer.json().version === 1 ? 'champion' : null);
        versions.add(answer.json().version);
      }
      expect([...versions].sort()).toEqual([1, 2]);
    } finally {
      await restarted.app.close();
    }
  });
});

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
}
