import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { HOUSING_SPEC } from './support/builtin-models';
import { REPO_ROOT } from './support/housing-data';
import { scratchDatabase, ScratchDatabase, TEST_DATABASE_URL } from './support/scratch-database';
import {
  buildService,
  call,
  PROCESS_ADMIN_KEY,
  ServiceProcess,
  sleep,
  startService,
  stopService,
} from './support/service-process';

const HOUSING = 'california-housing';
const DIABETES = {
  name: 'diabetes',
  task: 'regression',
  source: { path: 'diabetes.csv' },
  target: 'progression',
  features: [
    { name: 'age', type: 'number' },
    { name: 'sex', type: 'category' },
    ...['bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'].map((name) => ({ name, type: 'number' })),
  ],
  candidates: ['linear'],
};

interface JobBody {
  status: string;
  claimedBy: string | null;
  attempts: number;
  [key: string]: unknown;
}

/**
 * Three real processes on one PostgreSQL database, as docker-compose runs them: two `api` replicas and a `worker`.
 * The registry is one, a champion moved on one replica is served by the other within a second, training happens
 * on the worker only, a worker killed mid-job leaves the job to be finished by the next one, and a cron tick seen
 * by both replicas makes one job.
 */
describe('replicas and a training worker on PostgreSQL (e2e)', () => {
  let db: ScratchDatabase;
  let pg: Client;
  const dirs: string[] = [];
  const started: ServiceProcess[] = [];
  let a: ServiceProcess;
  let b: ServiceProcess;
  let worker: ServiceProcess;

  const folder = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-replica-'));
    mkdirSync(join(dir, 'data', 'raw'), { recursive: true });
    dirs.push(dir);
    return dir;
  };
  const workerDir = (): string => {
    const dir = folder();
    copyFileSync(resolve(REPO_ROOT, 'data', 'raw', 'diabetes.csv'), join(dir, 'data', 'raw', 'diabetes.csv'));
    return dir;
  };
  const start = async (role: 'api' | 'worker', env: Record<string, string> = {}) => {
    const service = await startService(role === 'worker' ? workerDir() : folder(), {
      SERVICE_ROLE: role,
      DATABASE_URL: db.url,
      RETRAIN_LEASE_TTL_S: '5',
      RETRAIN_POLL_INTERVAL_S: '1',
      ...env,
    });
    started.push(service);
    return service;
  };
  const jobs = async (model: string) =>
    (
      await pg.query<{ id: string; trigger: string; status: string; claimed_by: string | null; attempts: number }>(
        'SELECT id, trigger, status, claimed_by, attempts FROM retrain_jobs WHERE model_name = $1 ORDER BY started_at',
        [model],
      )
    ).rows;
  const finished = async (service: ServiceProcess, id: string, timeoutMs = 180_000): Promise<JobBody> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { json } = await call(service, `/retrain/jobs/${id}`);
      const job = json as JobBody;
      if (job.status !== 'queued' && job.status !== 'running') return job;
      if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(json)}`);
      await sleep(250);
    }
  };
  const predictVersion = async (service: ServiceProcess) =>
    (await call(service, '/predict/housing', HOUSING_SPEC.example)).version;
  /** Milliseconds from `since` until `service` answers with `version` (Infinity after 5 s). */
  const servedAfter = async (service: ServiceProcess, version: number, since: number): Promise<number> => {
    while (Date.now() - since < 5000) {
      if ((await predictVersion(service)) === version) return Date.now() - since;
      await sleep(20);
    }
    return Infinity;
  };

  beforeAll(async () => {
    buildService();
    db = await scratchDatabase(TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    pg = new Client({ connectionString: db.url });
    // Two api replicas and a worker start together on an empty database: the migrations run once, one replica
    // queues the first training of each model, the worker runs it, and both replicas serve the result.
    worker = await startService(workerDir(), {
      SERVICE_ROLE: 'worker',
      DATABASE_URL: db.url,
      RETRAIN_LEASE_TTL_S: '5',
      RETRAIN_POLL_INTERVAL_S: '1',
    }).then((s) => (started.push(s), s));
    [a, b] = await Promise.all([start('api'), start('api')]);
    await pg.connect();
  }, 600_000);

  afterAll(async () => {
    await pg?.end().catch(() => undefined);
    await Promise.all(started.map((s) => stopService(s, 'SIGKILL')));
    await db?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('trained each model once, on the worker, and both replicas serve it; the worker serves no predictions', async () => {
    for (const model of [HOUSING, 'iris']) {
      const rows = await jobs(model);
      expect(rows).toEqual([expect.objectContaining({ trigger: 'bootstrap', status: 'succeeded', attempts: 1 })]);
      expect(rows[0].claimed_by).toContain(`:${worker.child.pid}:`);
    }
    expect(await predictVersion(a)).toBe(1);
    expect(await predictVersion(b)).toBe(1);
    const [{ n }] = (await pg.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM artifacts')).rows;
    expect(n).toBeGreaterThanOrEqual(5); // every run's artifact is in the database, none on a replica's disk
    expect((await call(worker, '/predict/housing', HOUSING_SPEC.example)).status).toBe(404);
    expect((await call(worker, '/health/ready')).status).toBe(200);
    expect((await fetch(`${worker.base}/metrics`)).status).toBe(200);
    expect((await fetch(`${a.base}/metrics`).then((r) => r.text())).match(/^cluster_listener_up 1$/m)).not.toBeNull();
  });

  it('runs a retraining asked of replica A on the worker; a promotion on A is served by B within a second', async () => {
    // A linear model loses the gate against the gbdt champion: registered as the challenger, not promoted.
    const queued = await call(a, '/retrain', { model: HOUSING, candidates: ['linear'] });
    expect(queued.status).toBe(202);
    // The answer is the job as stored when A read it back: queued, or already running if the worker (told by A's
    // notification) claimed it first. Either way the worker, not A, runs it: an api replica never trains.
    expect(['queued', 'running']).toContain(queued.json.status);
    expect(queued.json.claimedBy ?? `:${worker.child.pid}:`).toContain(`:${worker.child.pid}:`);
    const job = await finished(a, queued.json.id);
    expect(job).toMatchObject({ status: 'succeeded', outcome: 'not_promoted', version: 2 });
    expect(job.claimedBy).toContain(`:${worker.child.pid}:`);

    const committed = Date.now();
    const promoted = await call(a, `/models/${HOUSING}/versions/2/promote`, { force: true, reason: 'replica test' });
    expect(promoted.status).toBe(200);
    const seenAfter = await servedAfter(b, 2, committed);
    expect(seenAfter).toBeLessThan(1000);
    expect(await predictVersion(a)).toBe(2);

    const rolledBack = Date.now();
    expect((await call(b, `/models/${HOUSING}/rollback`, { reason: 'back' })).status).toBe(200);
    const backAfter = await servedAfter(a, 1, rolledBack);
    expect(backAfter).toBeLessThan(1000);
    process.stdout.write(
      `replicas: promotion on A served by B after ${seenAfter} ms, rollback on B by A after ${backAfter} ms\n`,
    );
  }, 240_000);

  it('routes by a traffic policy set on A on replica B within a second, and back to the champion', async () => {
    const versions = async () => ((await call(a, `/models/${HOUSING}`)).json.versions as { version: number }[]).length;
    if ((await versions()) < 2) {
      const queued = await call(a, '/retrain', { model: HOUSING, candidates: ['linear'] });
      await finished(a, queued.json.id);
    }
    const put = (body: unknown) =>
      fetch(`${a.base}/models/${HOUSING}/traffic`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${PROCESS_ADMIN_KEY}` },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, json: (await res.json()) as { policyId: number } }));
    const policyOnB = async (id: number, since: number): Promise<number> => {
      while (Date.now() - since < 5000) {
        const answer = await call(b, '/predict/housing', HOUSING_SPEC.example);
        if (((answer.json.policy as { id?: number } | undefined)?.id ?? 0) === id) return Date.now() - since;
        await sleep(20);
      }
      return Infinity;
    };
    const committed = Date.now();
    const set = await put({ mode: 'ab', weights: { '1': 50, '2': 50 }, stickyHeader: 'x-user-id' });
    expect(set.status).toBe(200);
    expect(await policyOnB(set.json.policyId, committed)).toBeLessThan(1000);
    const versionsOnB = new Set<number | null>();
    for (let user = 0; user < 30; user++) {
      const answers = await Promise.all(
        [a, b].map((replica) => call(replica, '/predict/housing', HOUSING_SPEC.example, { 'x-user-id': `u${user}` })),
      );
      expect(answers[0].version).toBe(answers[1].version); // a sticky key lands on the same version on every replica
      versionsOnB.add(answers[1].version);
    }
    expect([...versionsOnB].sort()).toEqual([1, 2]);
    const reset = Date.now();
    const back = await put({ mode: 'champion' });
    expect(await policyOnB(back.json.policyId, reset)).toBeLessThan(1000);
  }, 240_000);

  it('reconnects a dropped notification connection and catches up with what it missed', async () => {
    // Every process's LISTEN connection is cut; a promotion is made before they are back.
    const { rowCount } = await pg.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity ` +
        `WHERE datname = current_database() AND application_name = 'nest-mlops:listen'`,
    );
    expect(rowCount).toBe(3);
    const committed = Date.now();
    expect((await call(a, `/models/${HOUSING}/versions/2/promote`, { force: true })).status).toBe(200);
    const seenAfter = await servedAfter(b, 2, committed);
    expect(seenAfter).toBeLessThan(2000); // reconnect (first retry after 250 ms) + the resync it triggers
    // B caught up (by its resync or, on a loaded machine, its periodic check); its new connection is up soon after.
    let metrics = '';
    for (let i = 0; i < 100 && !/^cluster_listener_up 1$/m.test(metrics); i++) {
      if (i > 0) await sleep(100);
      metrics = await fetch(`${b.base}/metrics`).then((r) => r.text());
    }
    expect(metrics).toMatch(/^cluster_listener_up 1$/m);
    // Back to version 1 for the tests that follow, seen by B through its new connection.
    expect((await call(a, `/models/${HOUSING}/rollback`, { reason: 'back' })).status).toBe(200);
    for (let i = 0; i < 50 && (await predictVersion(b)) !== 1; i++) await sleep(20);
    expect(await predictVersion(b)).toBe(1);
  }, 60_000);

  it('reaches every replica with a definition set on one, and the worker trains it', async () => {
    const put = await fetch(`${a.base}/models/diabetes/definition`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PROCESS_ADMIN_KEY}` },
      body: JSON.stringify(DIABETES),
    });
    expect(put.status).toBe(200);
    const deadline = Date.now() + 1000;
    let known = false;
    while (!known && Date.now() < deadline) {
      known = (await call(b, '/models/diabetes')).status === 200;
      if (!known) await sleep(20);
    }
    expect(known).toBe(true);
    const [job] = await jobs('diabetes');
    expect(job).toMatchObject({ trigger: 'definition' });
    await finished(b, job.id);
    const row = { age: 0.02, sex: '1', bmi: 0.05, bp: 0.02, s1: -0.01, s2: 0.01, s3: -0.02, s4: 0.03, s5: 0.02, s6: 0 };
    let answered = 0;
    for (let i = 0; i < 100 && answered === 0; i++) {
      const res = await call(b, '/predict/diabetes', row);
      if (res.status === 200) answered = res.version ?? 0;
      else await sleep(50);
    }
    expect(answered).toBe(1);
  }, 240_000);

  it('finishes a job whose worker was killed mid-training on the next worker; the champion never stops', async () => {
    const queued = await call(a, '/retrain', { model: HOUSING, reason: 'crash test' });
    expect(queued.status).toBe(202);
    let status = 'queued';
    for (let i = 0; i < 100 && status !== 'running'; i++) {
      await sleep(100);
      status = (await call(a, `/retrain/jobs/${queued.json.id}`)).json.status;
    }
    expect(status).toBe('running');
    await sleep(1500); // inside the training
    expect((await stopService(worker, 'SIGKILL')).signal).toBe('SIGKILL');

    // While no worker runs, both replicas keep answering with the champion, and new jobs wait in the queue.
    const served: (number | null)[] = [];
    for (let i = 0; i < 20; i++) served.push(await predictVersion(i % 2 ? a : b));
    expect(served.every((v) => v === 1)).toBe(true);

    worker = await start('worker');
    const job = await finished(a, queued.json.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(job.claimedBy).toContain(`:${worker.child.pid}:`);
    const runs = (await call(a, `/runs?model=${HOUSING}&limit=100`)).json as { status: string }[];
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    expect(runs.some((r) => r.status === 'interrupted')).toBe(true); // the killed attempt's runs
    // A later job runs on the new worker too.
    const later = await call(b, '/retrain', { model: 'iris', candidates: ['gbdt'] });
    expect(await finished(b, later.json.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  }, 300_000);

  it('makes one retraining of a cron tick that fires on both replicas', async () => {
    // Both replicas get the same schedule: one second, a few seconds from now.
    const at = new Date(Date.now() + 8000);
    const cron = `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`;
    const c = await start('api', { RETRAIN_CRON: cron });
    const d = await start('api', { RETRAIN_CRON: cron });
    await sleep(Math.max(0, at.getTime() - Date.now()) + 3000);
    const cronJobs = (await jobs(HOUSING)).filter((j) => j.trigger === 'cron');
    expect(cronJobs).toHaveLength(1);
    const { rows } = await pg.query<{ dedupe_key: string }>('SELECT dedupe_key FROM retrain_jobs WHERE id = $1', [
      cronJobs[0].id,
    ]);
    expect(rows[0].dedupe_key).toBe(
      `cron:${HOUSING}:${cron}:${new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString()}`,
    );
    expect(await finished(d, cronJobs[0].id)).toMatchObject({ status: 'succeeded' });
    await Promise.all([stopService(c), stopService(d)]);
  }, 300_000);
});
