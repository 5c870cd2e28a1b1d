import { adHocDefinition } from '../../test/support/builtin-models';
import {
  aliasEventEntity,
  asInstance,
  ClusterBusMock,
  datasetEntity,
  datasetSplitEntity,
  MockOf,
  modelVersionEntity,
  newClusterBusMock,
  newRetrainJobRepositoryMock,
  newRunRepositoryMock,
  newServiceMetricsMock,
  RetrainJobRepositoryMock,
  retrainJobEntity,
  RunRepositoryMock,
  runEntity,
  ServiceMetricsMock,
} from '../../test/support/mock-repositories';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { AppConfig } from '../config/app-config';
import { DataFileError } from '../data/data.errors';
import { DataService, PreparedDataset } from '../data/data.service';
import { ModelDataset } from '../data/model-dataset';
import { ModelNotFoundError } from '../definitions/definition.errors';
import { ModelCatalog } from '../definitions/model-catalog.service';
import type { ModelDefinition } from '../definitions/model-definition';
import { ServiceMetrics } from '../metrics/service-metrics';
import { AliasMovedError, PromotionRefusedError } from '../registry/registry.errors';
import { RegistryService } from '../registry/registry.service';
import { RunEntity } from '../training/entities/run.entity';
import { RunRepository } from '../training/run.repository';
import { TrainingInputError } from '../training/training.errors';
import { TrainingService } from '../training/training.service';
import { RetrainJobEntity } from './entities/retrain-job.entity';
import { RetrainJobRepository } from './retrain-job.repository';
import { RetrainDuplicateError, RetrainInProgressError, RetrainJobNotFoundError } from './retraining.errors';
import { RetrainingService } from './retraining.service';

const definition: ModelDefinition = adHocDefinition({
  name: 'toy',
  features: [{ name: 'x', type: 'number', required: true }],
  columns: [{ op: 'input', field: 'x', name: 'x' }],
  gate: { metric: 'rmse' },
});

const DATASET_VERSION = 'f'.repeat(64);

function preparedDataset(): PreparedDataset {
  const model = new ModelDataset(definition, { rawDir: '', timeoutMs: 1, maxRejectedFraction: 0 });
  return {
    model,
    dataset: datasetEntity({ name: 'toy', version: DATASET_VERSION }),
    split: datasetSplitEntity(),
    table: {
      name: 'toy',
      version: DATASET_VERSION,
      source: 'toy.csv',
      rowsRead: 0,
      rejected: [],
      valuesImputed: 0,
      records: [],
    },
    pipeline: model.pipeline({}),
    train: [],
    test: [],
  };
}

/** A promise and the functions that settle it, for work that a test finishes when it wants. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run (real timers only). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe(RetrainingService.name, () => {
  const worse = runEntity({ id: 'run-worse', candidate: 'linear', metrics: { rmse: 0.6 } });
  const best = runEntity({ id: 'run-best', candidate: 'gbdt', metrics: { rmse: 0.4 } });

  let sut: RetrainingService;
  let config: AppConfig;
  let data: MockOf<DataService, 'prepare'>;
  let training: MockOf<TrainingService, 'train' | 'resolveCandidates'>;
  let registry: MockOf<RegistryService, 'requireModel' | 'register' | 'promote'>;
  let runs: RunRepositoryMock;
  let jobs: RetrainJobRepositoryMock;
  let metrics: ServiceMetricsMock;
  let bus: ClusterBusMock;
  let catalog: MockOf<ModelCatalog, 'sync'> & Pick<ModelCatalog, 'names'>;
  /** The rows of the job table, as the repository mock keeps them. */
  let stored: Map<string, RetrainJobEntity>;

  const build = (): RetrainingService =>
    new RetrainingService(
      config,
      asInstance<DataService>(data),
      asInstance<TrainingService>(training),
      asInstance<RegistryService>(registry),
      asInstance<RunRepository>(runs),
      asInstance<RetrainJobRepository>(jobs),
      asInstance<ServiceMetrics>(metrics),
      asInstance<ClusterBus>(bus),
      asInstance<ModelCatalog>(catalog),
    );

  beforeEach(() => {
    config = Object.assign(new AppConfig(), {
      SERVICE_ROLE: 'all',
      RETRAIN_LEASE_TTL_S: 120,
      RETRAIN_MAX_ATTEMPTS: 2,
      RETRAIN_POLL_INTERVAL_S: 5,
    });
    data = { prepare: jest.fn().mockImplementation(() => Promise.resolve(preparedDataset())) };
    training = { train: jest.fn().mockResolvedValue([worse, best]), resolveCandidates: jest.fn() };
    registry = {
      requireModel: jest.fn((name: string) => {
        if (name !== 'toy') throw new ModelNotFoundError(name, ['toy']);
      }),
      register: jest.fn().mockResolvedValue(modelVersionEntity({ version: 7, runId: best.id })),
      promote: jest.fn(),
    };
    registry.promote.mockImplementation((model, version, options) =>
      Promise.resolve({
        model,
        alias: options.alias ?? 'champion',
        fromVersion: 6,
        toVersion: version,
        forced: Boolean(options.force),
        comparison: { metric: 'rmse', higherIsBetter: false, candidate: 0.4, champion: 0.5, rows: 20 },
        event: aliasEventEntity({ modelName: model, fromVersion: 6, toVersion: version, actor: options.actor }),
      }),
    );
    runs = newRunRepositoryMock();
    runs.listRuns.mockResolvedValue([]);
    runs.finishRun.mockImplementation((id) => Promise.resolve(runEntity({ id })));
    metrics = newServiceMetricsMock();
    bus = newClusterBusMock('host:1:abcd');
    catalog = { names: ['toy'], sync: jest.fn().mockResolvedValue(undefined) };

    stored = new Map();
    jobs = newRetrainJobRepositoryMock();
    jobs.expired.mockResolvedValue([]);
    jobs.enqueue.mockImplementation((job) => (stored.set(job.id, job), Promise.resolve(job)));
    jobs.claim.mockImplementation((claimant, _ttl, id) => {
      const job = [...stored.values()].find((j) => j.status === 'queued' && (id === undefined || j.id === id));
      if (!job) return Promise.resolve(null);
      const claimed = retrainJobEntity({
        ...job,
        status: 'running',
        claimedBy: claimant,
        claimedAt: new Date(),
        attempts: job.attempts + 1,
      });
      stored.set(job.id, claimed);
      return Promise.resolve(claimed);
    });
    jobs.holds.mockResolvedValue(true);
    jobs.renew.mockResolvedValue(true);
    jobs.finish.mockImplementation((job) => (stored.set(job.id, job), Promise.resolve(true)));
    jobs.find.mockImplementation((id) => Promise.resolve(stored.get(id) ?? null));
    jobs.takeBack.mockResolvedValue(true);

    sut = build();
  });

  afterEach(async () => {
    await sut.onModuleDestroy(); // stops timers; gives back whatever a test left running
    jest.useRealTimers();
  });

  it('declares the retraining outcomes of every model at each scrape', () => {
    const [hook] = metrics.onScrape.mock.calls[0];
    hook();
    expect(metrics.declareRetrainOutcomes).toHaveBeenCalledWith('toy', [
      'promoted',
      'not_promoted',
      'failed',
      'interrupted',
    ]);
  });

  describe('start', () => {
    it('queues a job with the request, tells the other processes, and claims it at once in a process that trains', async () => {
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked', dedupeKey: 'api:1' });

      expect(jobs.enqueue).toHaveBeenCalledTimes(1);
      const [queued] = jobs.enqueue.mock.calls[0];
      expect(queued).toBeInstanceOf(RetrainJobEntity);
      expect(queued).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        modelName: 'toy',
        trigger: 'api',
        status: 'queued',
        outcome: null,
        reason: 'asked',
        candidates: null,
        force: false,
        attempts: 0,
        dedupeKey: 'api:1',
        claimedBy: null,
        finishedAt: null,
      });
      expect(bus.publish).toHaveBeenCalledWith({ type: 'job', model: 'toy' });
      expect(jobs.claim).toHaveBeenCalledWith(expect.stringMatching(/^host:1:abcd\/[0-9a-f]{8}$/), 120_000, queued.id);
      expect(job).toBe(await jobs.claim.mock.results[0].value); // the claimed job, its pipeline under way
      expect(job).toMatchObject({ id: queued.id, claimedBy: jobs.claim.mock.calls[0][0], attempts: 1 });
      await sut.wait(job.id);
    });

    it('queues the candidates asked for, as the training service resolves them', async () => {
      training.resolveCandidates.mockReturnValue(['gbdt']);
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked', candidates: ['gbdt'], force: true });
      expect(training.resolveCandidates).toHaveBeenCalledWith('toy', ['gbdt']);
      expect(jobs.enqueue).toHaveBeenCalledWith(expect.objectContaining({ candidates: ['gbdt'], force: true }));
      await sut.wait(job.id);
      expect(training.train).toHaveBeenCalledWith('toy', expect.objectContaining({ candidates: ['gbdt'] }));
    });

    it('treats an empty candidate list as the defaults', async () => {
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked', candidates: [] });
      expect(training.resolveCandidates).not.toHaveBeenCalled();
      expect(jobs.enqueue).toHaveBeenCalledWith(expect.objectContaining({ candidates: null }));
      await sut.wait(job.id);
      expect(training.train).toHaveBeenCalledWith('toy', expect.objectContaining({ candidates: undefined }));
    });

    it('only queues in a process that does not train, returning the stored job', async () => {
      config.SERVICE_ROLE = 'api';
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked' });
      expect(jobs.claim).not.toHaveBeenCalled();
      expect(bus.publish).toHaveBeenCalledWith({ type: 'job', model: 'toy' });
      expect(jobs.find).toHaveBeenCalledWith(job.id);
      expect(job.status).toBe('queued');
      expect(data.prepare).not.toHaveBeenCalled();
    });

    it('returns the job as stored when another process claimed it first', async () => {
      jobs.claim.mockResolvedValue(null);
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked' });
      expect(jobs.find).toHaveBeenCalledWith(job.id);
      expect(job.status).toBe('queued');
      expect(data.prepare).not.toHaveBeenCalled();
    });

    it('takes back expired jobs before queueing', async () => {
      config.SERVICE_ROLE = 'api';
      const expired = retrainJobEntity({ id: 'old', status: 'running', attempts: 2, claimedBy: 'dead' });
      jobs.expired.mockResolvedValueOnce([expired]);
      await sut.start('toy', { trigger: 'api', reason: 'asked' });
      expect(jobs.takeBack).toHaveBeenCalledWith(
        expired,
        expect.objectContaining({ status: 'interrupted' }),
        undefined,
      );
      expect(jobs.takeBack.mock.invocationCallOrder[0]).toBeLessThan(jobs.enqueue.mock.invocationCallOrder[0]);
    });

    it('throws REGISTRY.MODEL_NOT_FOUND for an unknown model, queueing nothing', async () => {
      const call = sut.start('nope', { trigger: 'api', reason: 'asked' });
      await expect(call).rejects.toBeInstanceOf(ModelNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
      expect(jobs.enqueue).not.toHaveBeenCalled();
    });

    it('passes on TRAINING.INVALID_INPUT for an unknown candidate, queueing nothing', async () => {
      training.resolveCandidates.mockImplementation(() => {
        throw new TrainingInputError('Unknown candidate svm');
      });
      const call = sut.start('toy', { trigger: 'api', reason: 'asked', candidates: ['svm'] });
      await expect(call).rejects.toBeInstanceOf(TrainingInputError);
      await expect(call).rejects.toMatchObject({ code: 'TRAINING.INVALID_INPUT' });
      expect(jobs.enqueue).not.toHaveBeenCalled();
    });

    it('throws RETRAIN.IN_PROGRESS, naming the active job, when the model has one queued or running', async () => {
      const active = retrainJobEntity({ id: 'job-running', status: 'running' });
      jobs.enqueue.mockResolvedValue({ refused: 'busy', active });

      const call = sut.start('toy', { trigger: 'api', reason: 'asked' });

      await expect(call).rejects.toBeInstanceOf(RetrainInProgressError);
      await expect(call).rejects.toMatchObject({
        code: 'RETRAIN.IN_PROGRESS',
        message: 'A retraining of toy is already running (job job-running); one runs at a time per model',
      });
      expect(bus.publish).not.toHaveBeenCalled();
      expect(jobs.claim).not.toHaveBeenCalled();
    });

    it('throws RETRAIN.DUPLICATE, naming the key, when the dedupe key was used', async () => {
      jobs.enqueue.mockResolvedValue({ refused: 'duplicate' });
      const call = sut.start('toy', { trigger: 'cron', reason: 'tick', dedupeKey: 'cron:toy:0 3 * * *:1700000000000' });
      await expect(call).rejects.toBeInstanceOf(RetrainDuplicateError);
      await expect(call).rejects.toMatchObject({
        code: 'RETRAIN.DUPLICATE',
        message: 'A retraining for cron:toy:0 3 * * *:1700000000000 was queued already',
      });
      expect(bus.publish).not.toHaveBeenCalled();
      expect(jobs.claim).not.toHaveBeenCalled();
    });
  });

  describe('the pipeline of a claimed job', () => {
    const run = async (request: Parameters<RetrainingService['start']>[1] = { trigger: 'api', reason: 'asked' }) => {
      const started = await sut.start('toy', request);
      return { started, done: await sut.wait(started.id) };
    };

    it('syncs the definition, prepares the data, trains, registers the best run and promotes it, then records the job', async () => {
      const { started, done } = await run();
      const claimant = jobs.claim.mock.calls[0][0];

      expect(catalog.sync).toHaveBeenCalledWith('toy');
      expect(catalog.sync.mock.invocationCallOrder[0]).toBeLessThan(data.prepare.mock.invocationCallOrder[0]);
      expect(data.prepare).toHaveBeenCalledWith('toy');
      const prepared = await data.prepare.mock.results[0].value;
      expect(training.train).toHaveBeenCalledWith('toy', {
        prepared,
        candidates: undefined,
        shouldStop: expect.any(Function) as unknown,
      });
      expect(jobs.holds).toHaveBeenCalledWith(started.id, claimant);
      expect(jobs.holds.mock.invocationCallOrder[0]).toBeLessThan(registry.register.mock.invocationCallOrder[0]);
      expect(registry.register).toHaveBeenCalledWith('toy', 'run-best', definition);
      expect(registry.promote).toHaveBeenCalledTimes(1);
      expect(registry.promote).toHaveBeenCalledWith('toy', 7, {
        actor: 'retraining:api',
        reason: `retraining job ${started.id} (asked): best of 2 on dataset ${DATASET_VERSION.slice(0, 12)}`,
        force: false,
      });
      expect(jobs.finish).toHaveBeenCalledWith(done, claimant);
      expect(done).toMatchObject({
        status: 'succeeded',
        outcome: 'promoted',
        datasetVersion: DATASET_VERSION,
        runIds: ['run-worse', 'run-best'],
        bestRunId: 'run-best',
        version: 7,
        fromVersion: 6,
        comparison: { metric: 'rmse', candidate: 0.4, champion: 0.5, rows: 20 },
        error: null,
        errorDetails: null,
        finishedAt: expect.any(Date),
      });
      expect(Object.keys(done.stages)).toEqual(['data', 'train', 'register', 'promote']);
      expect(metrics.retrained).toHaveBeenCalledWith('toy', 'promoted', expect.any(Number), true);
    });

    it("promotes a model's first training as the system, forced when asked", async () => {
      await run({ trigger: 'bootstrap', reason: 'no champion', force: true });
      expect(registry.promote).toHaveBeenCalledWith(
        'toy',
        7,
        expect.objectContaining({ actor: 'system', force: true }),
      );
    });

    it('registers a candidate that loses the gate as the challenger, the champion keeping its place', async () => {
      registry.promote.mockRejectedValueOnce(new PromotionRefusedError('Version 7 (rmse 0.6) does not beat champion'));

      const { started, done } = await run();

      expect(registry.promote).toHaveBeenCalledTimes(2);
      expect(registry.promote).toHaveBeenLastCalledWith('toy', 7, {
        alias: 'challenger',
        actor: 'retraining:api',
        reason: expect.stringContaining(`retraining job ${started.id}`),
      });
      expect(done).toMatchObject({
        status: 'succeeded',
        outcome: 'not_promoted',
        version: 7,
        fromVersion: null,
        error: 'Version 7 (rmse 0.6) does not beat champion',
      });
      expect(metrics.retrained).toHaveBeenCalledWith('toy', 'not_promoted', expect.any(Number), true);
    });

    it('records a failure with its reason and row problems, committing nothing', async () => {
      const problems = [{ field: 'x', rule: 'finite', message: 'x must be a finite number', line: 3 }];
      data.prepare.mockRejectedValue(new DataFileError('toy.csv', 'too many bad rows', problems));

      const { done } = await run();

      expect(training.train).not.toHaveBeenCalled();
      expect(registry.register).not.toHaveBeenCalled();
      expect(registry.promote).not.toHaveBeenCalled();
      expect(done).toMatchObject({
        status: 'failed',
        outcome: 'failed',
        error: 'toy.csv: too many bad rows',
        errorDetails: problems,
        version: null,
      });
      expect(jobs.finish).toHaveBeenCalledWith(done, expect.any(String));
      expect(metrics.retrained).toHaveBeenCalledWith('toy', 'failed', expect.any(Number), false);
    });

    it('fails on a promotion error other than the gate, without trying the challenger', async () => {
      registry.promote.mockRejectedValue(
        new AliasMovedError({ modelName: 'toy', alias: 'champion', fromVersion: 6 }, 8),
      );
      const { done } = await run();
      expect(registry.promote).toHaveBeenCalledTimes(1);
      expect(done).toMatchObject({
        status: 'failed',
        outcome: 'failed',
        version: 7,
        error: expect.stringContaining('moved'),
      });
    });

    it('commits nothing once another process took the job back, and leaves the job to record to it', async () => {
      jobs.holds.mockResolvedValue(false);
      const { done } = await run();
      expect(registry.register).not.toHaveBeenCalled();
      expect(registry.promote).not.toHaveBeenCalled();
      expect(done).toMatchObject({ status: 'failed', error: 'another process took the job back' });
      // The process that took it back counts it (as interrupted): counted here too, it would be counted twice.
      expect(metrics.retrained).not.toHaveBeenCalled();
      expect(jobs.finish).not.toHaveBeenCalled();
    });
  });

  describe('wait, job, list and lastDriftRetrain', () => {
    it('wait returns a job finished elsewhere as stored', async () => {
      const finished = retrainJobEntity({ id: 'j1', status: 'succeeded', outcome: 'promoted' });
      stored.set('j1', finished);
      await expect(sut.wait('j1')).resolves.toBe(finished);
    });

    it('wait reads a job run elsewhere again every half second until it is over', async () => {
      jest.useFakeTimers();
      stored.set('j2', retrainJobEntity({ id: 'j2', status: 'running' }));
      const waited = sut.wait('j2');
      await jest.advanceTimersByTimeAsync(500);
      expect(jobs.find).toHaveBeenCalledTimes(2);
      stored.set('j2', retrainJobEntity({ id: 'j2', status: 'failed', outcome: 'failed' }));
      await jest.advanceTimersByTimeAsync(500);
      await expect(waited).resolves.toMatchObject({ id: 'j2', status: 'failed' });
      expect(jobs.find).toHaveBeenCalledTimes(3);
    });

    it.each(['wait', 'job'] as const)('%s throws RETRAIN.JOB_NOT_FOUND for an unknown id', async (method) => {
      const call = sut[method]('missing');
      await expect(call).rejects.toBeInstanceOf(RetrainJobNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'RETRAIN.JOB_NOT_FOUND', message: 'No retraining job missing' });
    });

    it('job returns the stored job', async () => {
      const found = retrainJobEntity({ id: 'j3' });
      stored.set('j3', found);
      await expect(sut.job('j3')).resolves.toBe(found);
    });

    it('list asks the repository for the model and limit', async () => {
      jobs.list.mockResolvedValue([]);
      await sut.list('toy', 5);
      expect(jobs.list).toHaveBeenCalledWith('toy', 5);
    });

    it('lastDriftRetrain is when the newest drift-triggered job started, if any', async () => {
      const startedAt = new Date('2024-05-01T00:00:00Z');
      jobs.latest.mockResolvedValueOnce(retrainJobEntity({ trigger: 'drift', startedAt })).mockResolvedValueOnce(null);
      await expect(sut.lastDriftRetrain('toy')).resolves.toEqual(startedAt);
      await expect(sut.lastDriftRetrain('toy')).resolves.toBeUndefined();
      expect(jobs.latest).toHaveBeenCalledWith('toy', 'drift');
    });
  });

  describe('sweep: jobs whose lease expired', () => {
    const claimedAt = new Date('2024-06-01T10:00:00Z');
    const expiredJob = (attempts: number) =>
      retrainJobEntity({ id: 'lost', status: 'running', attempts, claimedBy: 'dead:1/x', claimedAt });

    beforeEach(() => {
      runs.listRuns.mockResolvedValue([
        runEntity({ id: 'r-lost', status: 'running', startedAt: new Date('2024-06-01T10:01:00Z') }),
        runEntity({ id: 'r-older', status: 'running', startedAt: new Date('2024-06-01T09:00:00Z') }),
      ]);
    });

    it('queues a job with attempts left again, marks the runs of the lost attempt interrupted and looks for work', async () => {
      const job = expiredJob(1);
      jobs.expired.mockResolvedValueOnce([job]);
      stored.set(job.id, retrainJobEntity({ ...job, status: 'queued' })); // as takeBack leaves it

      await sut.sweep();

      const error = 'Interrupted: the process running it ended before it finished (its lease expired)';
      expect(jobs.takeBack).toHaveBeenCalledWith(job, { status: 'queued', error }, undefined);
      expect(runs.listRuns).toHaveBeenCalledWith({ model: 'toy', status: 'running', limit: 1000 });
      expect(runs.finishRun).toHaveBeenCalledTimes(1);
      expect(runs.finishRun).toHaveBeenCalledWith('r-lost', {
        status: 'interrupted',
        error,
        finishedAt: expect.any(Date),
      });
      expect(metrics.retrained).toHaveBeenCalledWith('toy', 'interrupted', expect.any(Number), false);
      expect(bus.publish).toHaveBeenCalledWith({ type: 'job', model: 'toy' });
      await settle();
      expect(jobs.claim).toHaveBeenCalled(); // this process trains: it takes the job again
      await sut.wait(job.id);
    });

    it('marks a job with no attempts left interrupted, for good', async () => {
      const job = expiredJob(2);
      jobs.expired.mockResolvedValueOnce([job]);

      await sut.sweep();

      expect(jobs.takeBack).toHaveBeenCalledWith(
        job,
        {
          status: 'interrupted',
          outcome: 'interrupted',
          error: 'Interrupted: the process running it ended before it finished (its lease expired)',
          finishedAt: expect.any(Date),
        },
        undefined,
      );
      expect(runs.finishRun).toHaveBeenCalledWith('r-lost', expect.objectContaining({ status: 'interrupted' }));
      expect(bus.publish).not.toHaveBeenCalled();
      await settle();
      expect(jobs.claim).not.toHaveBeenCalled();
    });

    it('leaves the job to the process that took it back first', async () => {
      jobs.expired.mockResolvedValueOnce([expiredJob(1)]);
      jobs.takeBack.mockResolvedValue(false);
      await sut.sweep();
      expect(runs.finishRun).not.toHaveBeenCalled();
      expect(metrics.retrained).not.toHaveBeenCalled();
      expect(bus.publish).not.toHaveBeenCalled();
    });

    it('does not take back a job this process is running', async () => {
      const training$ = deferred<RunEntity[]>();
      training.train.mockReturnValue(training$.promise);
      const running = await sut.start('toy', { trigger: 'api', reason: 'asked' });
      jobs.expired.mockResolvedValueOnce([running]);

      await sut.sweep();

      expect(jobs.takeBack).not.toHaveBeenCalled();
      training$.resolve([best]);
      await sut.wait(running.id);
    });
  });

  describe('poll', () => {
    it('claims queued jobs one after another until none is left', async () => {
      stored.set('a', retrainJobEntity({ id: 'a', modelName: 'toy' }));
      stored.set('b', retrainJobEntity({ id: 'b', modelName: 'toy' }));

      await sut.poll();

      expect(jobs.claim).toHaveBeenCalledTimes(3);
      expect(jobs.claim.mock.calls.map(([, , id]) => id)).toEqual([undefined, undefined, undefined]);
      expect(jobs.finish.mock.calls.map(([job]) => job.id)).toEqual(['a', 'b']);
      // the second job is claimed only once the first is over
      expect(jobs.finish.mock.invocationCallOrder[0]).toBeLessThan(jobs.claim.mock.invocationCallOrder[1]);
    });

    it('does nothing in a process that does not train', async () => {
      config.SERVICE_ROLE = 'api';
      await sut.poll();
      expect(jobs.expired).not.toHaveBeenCalled();
      expect(jobs.claim).not.toHaveBeenCalled();
    });

    it('logs a failed look instead of throwing, and looks again next time', async () => {
      jobs.expired.mockRejectedValueOnce(new Error('database is locked'));
      await expect(sut.poll()).resolves.toBeUndefined();
      expect(jobs.claim).not.toHaveBeenCalled();
      await sut.poll();
      expect(jobs.claim).toHaveBeenCalledTimes(1);
    });

    it('onJobQueued looks for work in a process that trains only', async () => {
      sut.onJobQueued();
      await settle();
      expect(jobs.claim).toHaveBeenCalledTimes(1);

      config.SERVICE_ROLE = 'api';
      sut.onJobQueued();
      await settle();
      expect(jobs.claim).toHaveBeenCalledTimes(1);
    });
  });

  describe('lifecycle', () => {
    it('sweeps and polls at start, sweeps every lease TTL and polls every interval, until the module is destroyed', async () => {
      config.RETRAIN_POLL_INTERVAL_S = 300; // the lease TTL is 120 s
      jest.useFakeTimers();
      await sut.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);
      expect(jobs.expired).toHaveBeenCalledTimes(2); // the start's sweep, then the first poll's
      expect(jobs.claim).toHaveBeenCalledTimes(1);

      await jest.advanceTimersByTimeAsync(120_000); // a sweep, no poll
      expect(jobs.expired).toHaveBeenCalledTimes(3);
      expect(jobs.claim).toHaveBeenCalledTimes(1);

      await jest.advanceTimersByTimeAsync(180_000); // a sweep at 240 s, a poll (with its sweep) at 300 s
      expect(jobs.expired).toHaveBeenCalledTimes(5);
      expect(jobs.claim).toHaveBeenCalledTimes(2);

      await sut.onModuleDestroy();
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(3_600_000);
      expect(jobs.expired).toHaveBeenCalledTimes(5);
      expect(jobs.claim).toHaveBeenCalledTimes(2);
    });

    it('gives back a job still training at shutdown, queued again, and records nothing of it after', async () => {
      const training$ = deferred<RunEntity[]>();
      training.train.mockReturnValue(training$.promise);
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked' });
      await settle();
      expect(training.train).toHaveBeenCalled();
      const claimant = jobs.claim.mock.calls[0][0];
      jobs.find.mockResolvedValue(job);
      // The training is asked before each candidate whether to stop: yes, once the process is closing.
      const { shouldStop } = training.train.mock.calls[0][1] as { shouldStop: () => boolean };
      expect(shouldStop()).toBe(false);

      await sut.onModuleDestroy();

      expect(shouldStop()).toBe(true);
      expect(jobs.takeBack).toHaveBeenCalledWith(
        job,
        { status: 'queued', error: 'Interrupted: the service shut down before the job finished' },
        claimant,
      );
      training$.resolve([best]);
      await expect(sut.wait(job.id)).resolves.toMatchObject({
        status: 'failed',
        error: 'the service is shutting down',
      });
      expect(registry.register).not.toHaveBeenCalled();
      expect(jobs.finish).not.toHaveBeenCalled();
      expect(metrics.retrained.mock.calls.map(([, outcome]) => outcome)).toEqual(['interrupted']);
      await sut.poll();
      expect(jobs.claim).toHaveBeenCalledTimes(1); // a closing process claims nothing more
    });

    it('renews the lease every third of its TTL and commits nothing once it was lost', async () => {
      jest.useFakeTimers();
      const training$ = deferred<RunEntity[]>();
      training.train.mockReturnValue(training$.promise);
      const job = await sut.start('toy', { trigger: 'api', reason: 'asked' });
      const claimant = jobs.claim.mock.calls[0][0];

      await jest.advanceTimersByTimeAsync(40_000);
      expect(jobs.renew).toHaveBeenCalledWith(job.id, claimant, 120_000);

      jobs.renew.mockResolvedValue(false);
      await jest.advanceTimersByTimeAsync(40_000);
      training$.resolve([best]);

      await expect(sut.wait(job.id)).resolves.toMatchObject({
        status: 'failed',
        error: 'another process took the job back',
      });
      expect(registry.register).not.toHaveBeenCalled();
      expect(jobs.finish).not.toHaveBeenCalled();
      expect(metrics.retrained).not.toHaveBeenCalled();
    });
  });
});
