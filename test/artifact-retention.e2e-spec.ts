import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AliasEventEntity } from '../src/registry/entities/alias-event.entity';
import { RetrainingService } from '../src/retraining/retraining.service';
import { RunEntity } from '../src/training/entities/run.entity';
import { TrainingService } from '../src/training/training.service';
import { IRIS_SPEC } from './support/builtin-models';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const MODEL = 'iris';
const KEEP_VERSIONS = 3;
const json = { 'content-type': 'application/json', ...ADMIN };
const DAY_MS = 86_400_000;

interface VersionView {
  version: number;
  runId: string;
  aliases: string[];
  artifactPath: string;
  artifactPrunedAt: string | null;
}

interface SweepView {
  ran: boolean;
  dryRun: boolean;
  deleted: { model: string; runId: string; version: number | null; bytes: number; reason: string }[];
  kept: { model: string; runId: string; version: number | null; bytes: number | null; reasons: string[] }[];
  strays: { model: string; path: string; bytes: number; reason: string }[];
  deletedBytes: number;
  keptBytes: number;
}

/**
 * Artifact retention on a model that trains in a second (iris, gbdt): many retrainings keep the artifact store
 * flat, what is referenced stays loadable, a pruned version answers 410, and the deletions are counted.
 */
describe('artifact retention (e2e)', () => {
  let t: TestApp;
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const send = (method: 'POST' | 'PUT', url: string, payload: unknown = {}) =>
    t.app.inject({ method, url, headers: json, payload: JSON.stringify(payload) });
  const postgres = (): boolean => t.dataSource.options.type === 'postgres';

  const sweep = async (query = ''): Promise<SweepView> => {
    const res = await send('POST', `/retention/sweep${query}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<SweepView>();
    expect(body.ran).toBe(true);
    return body;
  };
  const retrain = async (force = false, candidates = ['gbdt']): Promise<number> => {
    const res = await send('POST', '/retrain', { model: MODEL, candidates, force, reason: 'retention test' });
    expect(res.statusCode).toBe(202);
    const job = await t.app.get(RetrainingService).wait(res.json<{ id: string }>().id);
    expect(job.status).toBe('succeeded');
    return job.version!;
  };
  const versions = async (): Promise<VersionView[]> =>
    (await get(`/models/${MODEL}`)).json<{ versions: VersionView[] }>().versions;
  const aliasOf = async (alias: string): Promise<number | null> =>
    (await get(`/models/${MODEL}`)).json<Record<string, number | null>>()[alias];
  /** Bytes the artifact store takes: the files under MODELS_DIR (SQLite), the `artifacts` rows (PostgreSQL). */
  const storeBytes = async (): Promise<number> => {
    if (postgres()) {
      const [row] = await t.dataSource.query<{ bytes: number | string }[]>(
        'SELECT COALESCE(SUM(bytes), 0) AS bytes FROM artifacts',
      );
      return Number(row.bytes);
    }
    return directoryBytes(t.config.MODELS_DIR);
  };
  const metric = async (series: string): Promise<number> => {
    const line = (await get('/metrics')).body.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  /** The artifact of a run is still stored (its file, or its database row). */
  const stored = async (path: string): Promise<boolean> => {
    if (!path.startsWith('db://')) return existsSync(path);
    const sha = path.slice('db://artifacts/'.length);
    const rows = await t.dataSource.query<unknown[]>(`SELECT 1 FROM artifacts WHERE sha256 = $1`, [sha]);
    return rows.length > 0;
  };
  const backdate = async (runId: string, days: number): Promise<void> => {
    const at = new Date(Date.now() - days * DAY_MS);
    await t.dataSource.getRepository(RunEntity).update({ id: runId }, { startedAt: at, finishedAt: at });
  };

  beforeAll(async () => {
    t = await createTestApp({
      ARTIFACT_RETENTION_KEEP_VERSIONS: String(KEEP_VERSIONS),
      ARTIFACT_RETENTION_CHAMPION_DAYS: '30',
      ARTIFACT_RETENTION_UNREGISTERED_DAYS: '7',
      ARTIFACT_RETENTION_INTERVAL_S: '0', // sweeps only when the test asks
      DRIFT_CHECK_INTERVAL_S: '0',
      EVALUATION_INTERVAL_S: '0',
    });
  }, 60_000);

  afterAll(() => t.close());

  it('keeps the store flat over 12 retrainings and keeps champions, challenger, policy versions and the newest', async () => {
    // Exported at 0 for every model before anything is deleted (increase() alerts work from the first scrape).
    const text = (await get('/metrics')).body;
    expect(text).toContain('artifacts_pruned_total{model="california-housing"} 0\n');
    expect(text).toContain('artifact_bytes_pruned_total{model="california-housing"} 0\n');
    const prunedBefore = await metric(`artifacts_pruned_total{model="${MODEL}"}`);
    const bytesPrunedBefore = await metric(`artifact_bytes_pruned_total{model="${MODEL}"}`);
    const created: number[] = [];
    const forced: number[] = [];
    const figures: { retrain: number; version: number; bytes: number; stored: number; deleted: number }[] = [];
    let deletedCount = 0;
    let deletedBytes = 0;
    let policyVersion: number | undefined;
    for (let i = 1; i <= 12; i++) {
      // A champion at the first retraining (none before) and at the 3rd and 5th (forced); the others lose the
      // gate and become the challenger.
      const force = i === 3 || i === 5;
      const version = await retrain(force);
      created.push(version);
      if (force || i === 1) forced.push(version);
      if (i === 3) {
        // An old version shadows the champion from now on: the policy keeps it.
        policyVersion = created[1];
        const res = await send('PUT', `/models/${MODEL}/traffic`, { mode: 'shadow', shadow: [policyVersion] });
        expect(res.statusCode).toBe(200);
      }
      const result = await sweep();
      deletedCount += result.deleted.length;
      deletedBytes += result.deletedBytes;
      const bytes = await storeBytes();
      figures.push({ retrain: i, version, bytes, stored: result.kept.length, deleted: result.deleted.length });
      // The store holds exactly what the sweep says it keeps.
      expect(bytes).toBe(result.keptBytes);
    }
    process.stdout.write(
      `artifact store after each retraining (${t.dataSource.options.type}):\n` +
        figures
          .map((f) => `  retrain ${f.retrain} → v${f.version}: ${f.bytes} B, ${f.stored} kept, ${f.deleted} deleted`)
          .join('\n') +
        '\n',
    );

    // Bounded: never more than the newest 3 + the 3 champions + the policy's version + the challenger. Flat: once
    // the last champion and the policy's version have left the newest 3 (the 8th retraining), every retraining
    // adds one artifact and the sweep deletes one, so the store keeps its size however many retrainings follow.
    const bound = KEEP_VERSIONS + forced.length + 2;
    const perArtifact = Math.max(...figures.map((f) => f.bytes / Math.max(1, f.stored)));
    for (const f of figures) {
      expect(f.stored).toBeLessThanOrEqual(bound);
      expect(f.bytes).toBeLessThanOrEqual(bound * perArtifact);
    }
    const plateau = figures[7];
    for (const f of figures.slice(8)) {
      expect(f.stored).toBe(plateau.stored);
      expect(Math.abs(f.bytes - plateau.bytes)).toBeLessThanOrEqual(plateau.bytes * 0.01);
      expect(f.deleted).toBe(1);
    }
    // Without retention the store would hold all 12 versions.
    expect(plateau.stored).toBeLessThan(12);
    expect(deletedCount).toBeGreaterThanOrEqual(4);

    // What is kept and what is pruned, by the rules.
    const all = await versions();
    const byVersion = new Map(all.map((v) => [v.version, v]));
    const champion = await aliasOf('champion');
    const challenger = await aliasOf('challenger');
    const newest = created.slice(-KEEP_VERSIONS);
    const mustKeep = new Set([...forced, ...newest, champion!, challenger!, policyVersion!]);
    for (const version of mustKeep) expect(byVersion.get(version)?.artifactPrunedAt).toBeNull();
    const pruned = created.filter((v) => !mustKeep.has(v));
    expect(pruned.length).toBeGreaterThanOrEqual(4);
    for (const version of pruned) {
      const view = byVersion.get(version)!;
      expect(view.artifactPrunedAt).not.toBeNull();
      expect(await stored(view.artifactPath)).toBe(false);
    }

    // Every kept version still loads (its sha256 checked) and predicts; the champion answers requests.
    for (const view of all.filter((v) => v.artifactPrunedAt === null)) {
      const holdout = await get(`/models/${MODEL}/versions/${view.version}/holdout`);
      expect(holdout.statusCode).toBe(200);
      expect(holdout.json<{ predicted: unknown[] }>().predicted.length).toBeGreaterThan(0);
    }
    const predicted = await send('POST', `/predict/${MODEL}`, IRIS_SPEC.example);
    expect(predicted.statusCode).toBe(200);
    expect(predicted.json()).toMatchObject({ version: champion });

    // Counted: the deletions, their bytes, and the size of what is kept.
    expect(await metric(`artifacts_pruned_total{model="${MODEL}"}`)).toBe(prunedBefore + deletedCount);
    expect(await metric(`artifact_bytes_pruned_total{model="${MODEL}"}`)).toBe(bytesPrunedBefore + deletedBytes);
    expect(await metric(`artifact_store_bytes{model="${MODEL}"}`)).toBe(await storeBytes());
    // The dashboard's source.
    const status = (await get('/retention')).json<{ models: Record<string, unknown>[] }>();
    expect(status.models.find((m) => m.model === MODEL)).toMatchObject({
      storedBytes: await storeBytes(),
      prunedVersions: expect.arrayContaining(pruned) as unknown,
    });
  }, 300_000);

  it('prunes a champion older than the window; a pruned version stays readable and answers 410 when served', async () => {
    // Two champions of this test, then every champion move pushed back 40 days: the newest of them is the champion
    // when the 30-day window opens (kept), the one before it was champion only before the window.
    const before = await retrain(true);
    const current = await retrain(true);
    for (let i = 0; i < KEEP_VERSIONS; i++) await retrain(false);
    await t.dataSource
      .getRepository(AliasEventEntity)
      .update({ modelName: MODEL, alias: 'champion' }, { createdAt: new Date(Date.now() - 40 * DAY_MS) });
    await send('PUT', `/models/${MODEL}/traffic`, { mode: 'champion' });
    // Addressed by version in the Open Inference protocol it is loaded (and kept loaded) beside the champion.
    const v2 = () =>
      send('POST', `/v2/models/${MODEL}/versions/${before}/infer`, {
        inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [[6.7, 3.0, 5.2, 2.3]] }],
      });
    expect((await v2()).json()).toMatchObject({ model_version: String(before) });
    const result = await sweep();
    expect(result.deleted).toContainEqual(expect.objectContaining({ version: before, reason: 'old_version' }));
    expect(result.kept).toContainEqual(
      expect.objectContaining({ version: current, reasons: expect.arrayContaining(['alias:champion']) as unknown }),
    );

    // Its record, metrics and lineage stay, marked pruned.
    const view = (await get(`/models/${MODEL}/versions/${before}`)).json<VersionView & { metrics: object }>();
    expect(view.artifactPrunedAt).not.toBeNull();
    expect(Object.keys(view.metrics).length).toBeGreaterThan(0);
    expect((await get(`/runs/${view.runId}`)).json()).toMatchObject({ artifactPrunedAt: view.artifactPrunedAt });
    expect(await stored(view.artifactPath)).toBe(false);

    // Serving it is refused with 410, naming the version and why: rollback, promote (either alias), traffic
    // policy, holdout, export.
    const gone = (res: { statusCode: number; json: () => unknown }) => {
      expect(res.statusCode).toBe(410);
      expect(res.json()).toMatchObject({
        code: 'REGISTRY.ARTIFACT_PRUNED',
        message: expect.stringContaining(
          `Model ${MODEL} version ${before} cannot be served: its artifact was removed by retention`,
        ) as unknown,
      });
    };
    gone(await send('POST', `/models/${MODEL}/rollback`, { reason: 'back to a pruned version' }));
    gone(await send('POST', `/models/${MODEL}/versions/${before}/promote`, { force: true }));
    gone(await send('POST', `/models/${MODEL}/versions/${before}/promote`, { alias: 'challenger' }));
    gone(await send('PUT', `/models/${MODEL}/traffic`, { mode: 'shadow', shadow: [before] }));
    gone(await get(`/models/${MODEL}/versions/${before}/holdout`));
    gone(await get(`/models/${MODEL}/versions/${before}/export`));
    // The Open Inference protocol's error body: {error}.
    const v2Gone = await v2();
    expect([v2Gone.statusCode, v2Gone.json<{ error: string }>().error]).toEqual([
      410,
      expect.stringContaining(
        `Model ${MODEL} version ${before} cannot be served: its artifact was removed by retention`,
      ),
    ]);
    // Nothing moved: the champion still serves.
    expect(await aliasOf('champion')).toBe(current);
    const predicted = await send('POST', `/predict/${MODEL}`, IRIS_SPEC.example);
    expect(predicted.json()).toMatchObject({ version: current });
  }, 300_000);

  it('deletes the artifact of a run never registered only once it is older than the age; dry runs delete nothing', async () => {
    const [run] = await t.app.get(TrainingService).train(MODEL, { candidates: ['random_forest'] });
    const young = await sweep();
    expect(young.kept).toContainEqual(expect.objectContaining({ runId: run.id, reasons: ['recent_unregistered'] }));
    expect(await stored(run.artifactPath!)).toBe(true);

    await backdate(run.id, 8);
    const dry = await sweep('?dryRun=true');
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted).toContainEqual(
      expect.objectContaining({ runId: run.id, version: null, reason: 'unregistered_expired' }),
    );
    expect(await stored(run.artifactPath!)).toBe(true);

    const result = await sweep();
    const deleted = result.deleted.find((d) => d.runId === run.id);
    expect(deleted).toMatchObject({ version: null, reason: 'unregistered_expired' });
    expect(deleted!.bytes).toBeGreaterThan(0);
    expect(await stored(run.artifactPath!)).toBe(false);
    expect((await get(`/runs/${run.id}`)).json<{ artifactPrunedAt: string | null }>().artifactPrunedAt).not.toBeNull();
    const register = await send('POST', `/models/${MODEL}/versions`, { runId: run.id });
    expect(register.statusCode).toBe(409);
    expect(register.json<{ message: string }>().message).toContain('removed by retention');
  }, 120_000);

  it('deletes artifacts no run records once they are an hour old (a process stopped while storing them)', async () => {
    const content = (runId: string) => Buffer.from(JSON.stringify({ kind: 'artifact', model: MODEL, runId }));
    /** Stores an artifact no run records, written `hours` ago; returns its path. */
    const strayArtifact = async (hours: number): Promise<string> => {
      const data = content(randomUUID());
      const at = new Date(Date.now() - hours * 3_600_000);
      if (postgres()) {
        const sha = createHash('sha256').update(data).digest('hex');
        await t.dataSource.query(`INSERT INTO artifacts (sha256, bytes, content, created_at) VALUES ($1, $2, $3, $4)`, [
          sha,
          data.length,
          data,
          at,
        ]);
        return `db://artifacts/${sha}`;
      }
      const folder = join(t.config.MODELS_DIR, MODEL, 'runs');
      mkdirSync(folder, { recursive: true });
      const path = join(folder, `${randomUUID()}.json`);
      writeFileSync(path, data);
      utimesSync(path, at, at);
      return path;
    };
    const old = await strayArtifact(2);
    const young = await strayArtifact(0);
    const temporary = join(t.config.MODELS_DIR, MODEL, 'runs', `${randomUUID()}.json.4242.0a1b2c3d4e5f.tmp`);
    if (!postgres()) {
      writeFileSync(temporary, 'half an artifact');
      utimesSync(temporary, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    }
    const expected = [
      { model: MODEL, path: old, bytes: content(randomUUID()).length, reason: 'unreferenced' },
      ...(postgres() ? [] : [{ model: MODEL, path: temporary, bytes: 16, reason: 'interrupted_write' }]),
    ];

    const dry = await sweep('?dryRun=true');
    expect(sortByPath(dry.strays)).toEqual(sortByPath(expected));
    expect(await stored(old)).toBe(true);

    const before = await metric(`artifact_bytes_pruned_total{model="${MODEL}"}`);
    const result = await sweep();
    expect(sortByPath(result.strays)).toEqual(sortByPath(expected));
    expect(await stored(old)).toBe(false);
    if (!postgres()) expect(existsSync(temporary)).toBe(false);
    // Younger than an hour (a write that may still be recorded), and every run's artifact, stay.
    expect(await stored(young)).toBe(true);
    for (const version of await versions()) {
      if (!version.artifactPrunedAt)
        expect([version.version, await stored(version.artifactPath)]).toEqual([version.version, true]);
    }
    const freed = expected.reduce((sum, s) => sum + s.bytes, 0);
    expect(await metric(`artifact_bytes_pruned_total{model="${MODEL}"}`)).toBe(before + freed);
    expect((await sweep()).strays.map((s) => s.path)).not.toContain(young);
  });

  it('sweeps while a retraining is in flight without touching its runs', async () => {
    const res = await send('POST', '/retrain', { model: MODEL, candidates: ['gbdt', 'random_forest'], force: true });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    const service = t.app.get(RetrainingService);
    let sweeps = 0;
    for (;;) {
      await sweep();
      sweeps++;
      const job = await service.job(id);
      if (job.status !== 'queued' && job.status !== 'running') break;
    }
    const job = await service.wait(id);
    expect(job).toMatchObject({ status: 'succeeded', outcome: 'promoted' });
    expect(sweeps).toBeGreaterThan(0);
    // Both of its runs keep their artifacts: the registered one (champion) and the other (young, never registered).
    for (const runId of job.runIds ?? []) {
      const run = (await get(`/runs/${runId}`)).json<{ artifactPath: string; artifactPrunedAt: string | null }>();
      expect(run.artifactPrunedAt).toBeNull();
      expect(await stored(run.artifactPath)).toBe(true);
    }
    const predicted = await send('POST', `/predict/${MODEL}`, IRIS_SPEC.example);
    expect(predicted.json()).toMatchObject({ version: job.version });
  }, 120_000);
});

function sortByPath<T extends { path: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.path.localeCompare(b.path));
}

/** Bytes of the files under `dir` (what the store takes on disk, file by file). */
function directoryBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const path = join(dir, entry.name);
    return sum + (entry.isDirectory() ? directoryBytes(path) : statSync(path).size);
  }, 0);
}
