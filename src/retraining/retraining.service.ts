import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../common/errors/domain.error';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { ServiceMetrics } from '../monitoring/service-metrics';
import { bestRun } from '../registry/best-run.util';
import { PromotionRefusedError } from '../registry/registry.errors';
import { RegistryService } from '../registry/registry.service';
import { RunRepository } from '../training/run.repository';
import { TrainingService } from '../training/training.service';
import { RetrainJobEntity, RetrainOutcome, RetrainTrigger } from './entities/retrain-job.entity';
import { RetrainJobRepository } from './retrain-job.repository';
import { RetrainLeaseRepository } from './retrain-lease.repository';
import { RetrainInProgressError, RetrainJobNotFoundError } from './retraining.errors';

export interface RetrainRequest {
  trigger: RetrainTrigger;
  reason: string;
  /** Candidates to fit (default: the model's default candidates). */
  candidates?: string[];
  /** Promote even when the candidate loses the gate (recorded as forced in the alias history). */
  force?: boolean;
}

/**
 * The retraining pipeline of one model: refresh the data (a changed raw file becomes a new dataset version) →
 * train the candidates in the worker thread → pick the best on the holdout → register it → promote it through
 * the champion gate, which hot-swaps it → record the job, the metrics and a log line with the stage durations.
 * A candidate that loses the gate is registered as the challenger and the champion keeps serving; any failure
 * leaves the champion serving and marks the job failed with its reason.
 *
 * Single-flight per model across every process on the database: a job holds the model's lease (renewed by a
 * heartbeat) from start to end. Jobs left `running` without a live lease belong to a process that died: they are
 * marked `interrupted` at start and by a periodic sweep.
 */
@Injectable()
export class RetrainingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetrainingService.name);
  /** Jobs running in this process, by id. */
  private readonly running = new Map<string, Promise<RetrainJobEntity>>();
  private sweeper?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly data: DataService,
    private readonly training: TrainingService,
    private readonly registry: RegistryService,
    private readonly runs: RunRepository,
    private readonly jobs: RetrainJobRepository,
    private readonly leases: RetrainLeaseRepository,
    private readonly metrics: ServiceMetrics,
  ) {}

  private get ttlMs(): number {
    return this.config.RETRAIN_LEASE_TTL_S * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep().catch((e: unknown) => this.logger.warn(String(e))), this.ttlMs);
    this.sweeper.unref();
  }

  /** On shutdown a job of this process cannot finish: it is marked interrupted and its lease released. */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    for (const id of this.running.keys()) {
      const job = await this.jobs.find(id);
      if (job?.status !== 'running') continue;
      await this.finishInterrupted(job, 'the service shut down before the job finished');
      await this.leases.release(job.modelName, job.id);
    }
  }

  /**
   * Starts a retraining of `model` and returns its job at once (status running); the pipeline goes on in the
   * background. RetrainInProgressError (409) when another retraining of the model holds the lease.
   */
  async start(model: string, request: RetrainRequest): Promise<RetrainJobEntity> {
    this.registry.requireModel(model);
    const candidates = request.candidates?.length
      ? this.training.resolveCandidates(model, request.candidates)
      : undefined;
    await this.sweep();
    const id = randomUUID();
    if (!(await this.leases.acquire(model, id, this.ttlMs))) {
      const lease = await this.leases.holder(model);
      throw new RetrainInProgressError(model, lease?.holder ?? 'unknown');
    }
    let job: RetrainJobEntity;
    try {
      job = await this.jobs.save(
        Object.assign(new RetrainJobEntity(), {
          id,
          modelName: model,
          trigger: request.trigger,
          status: 'running',
          outcome: null,
          reason: request.reason,
          candidates: candidates ?? null,
          force: request.force ?? false,
          datasetVersion: null,
          runIds: null,
          bestRunId: null,
          version: null,
          fromVersion: null,
          comparison: null,
          stages: {},
          error: null,
          errorDetails: null,
          startedAt: new Date(),
          finishedAt: null,
        }),
      );
    } catch (error) {
      await this.leases.release(model, id);
      throw error;
    }
    this.logger.log(`Retraining ${model} started (job ${id}, ${request.trigger}: ${request.reason})`);
    const done = this.run(job).finally(() => this.running.delete(id));
    this.running.set(id, done);
    return job;
  }

  /** Resolves with the finished job (for callers that wait, like the cron handler and tests). */
  async wait(id: string): Promise<RetrainJobEntity> {
    const running = this.running.get(id);
    if (running) return running;
    const job = await this.jobs.find(id);
    if (!job) throw new RetrainJobNotFoundError(id);
    return job;
  }

  async job(id: string): Promise<RetrainJobEntity> {
    const job = await this.jobs.find(id);
    if (!job) throw new RetrainJobNotFoundError(id);
    return job;
  }

  list(model: string | undefined, limit: number): Promise<RetrainJobEntity[]> {
    return this.jobs.list(model, limit);
  }

  /** When a drift-triggered retraining of `model` last started. */
  async lastDriftRetrain(model: string): Promise<Date | undefined> {
    return (await this.jobs.latest(model, 'drift'))?.startedAt;
  }

  /** Marks `running` jobs with no live lease (their process died) as interrupted, with their training runs. */
  async sweep(): Promise<void> {
    for (const job of await this.jobs.running()) {
      if (this.running.has(job.id)) continue;
      const lease = await this.leases.holder(job.modelName);
      if (lease?.holder === job.id) continue;
      await this.finishInterrupted(job, 'the process running it ended before it finished (its lease expired)');
    }
  }

  private async finishInterrupted(job: RetrainJobEntity, why: string): Promise<void> {
    job.status = 'interrupted';
    job.outcome = 'interrupted';
    job.error = `Interrupted: ${why}`;
    job.finishedAt = new Date();
    await this.jobs.save(job);
    const runs = await this.runs.listRuns({ model: job.modelName, status: 'running', limit: 1000 });
    for (const run of runs.filter((r) => r.startedAt >= job.startedAt)) {
      await this.runs.finishRun(run.id, { status: 'interrupted', error: job.error, finishedAt: new Date() });
    }
    const seconds = (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000;
    this.metrics.retrained(job.modelName, 'interrupted', seconds, false);
    this.logger.warn(`Retraining job ${job.id} of ${job.modelName} marked interrupted: ${why}`);
  }

  private async run(job: RetrainJobEntity): Promise<RetrainJobEntity> {
    const model = job.modelName;
    const heartbeat = setInterval(() => {
      void this.leases.renew(model, job.id, this.ttlMs).then(
        (kept) => kept || this.logger.error(`Retraining job ${job.id} lost the lease of ${model}`),
        (error: unknown) => this.logger.warn(`Lease heartbeat of job ${job.id} failed: ${String(error)}`),
      );
    }, this.ttlMs / 3);
    heartbeat.unref();
    const stage = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        job.stages = { ...job.stages, [name]: round((performance.now() - started) / 1000) };
      }
    };
    let outcome: RetrainOutcome = 'failed';
    try {
      const prepared = await stage('data', () => this.data.prepare(model));
      job.datasetVersion = prepared.dataset.version;
      const runs = await stage('train', () =>
        this.training.train(model, { prepared, candidates: job.candidates ?? undefined }),
      );
      job.runIds = runs.map((r) => r.id);
      const best = bestRun(prepared.model.definition.gate.metric, runs);
      job.bestRunId = best.id;
      const version = await stage('register', () => this.registry.register(model, best.id, prepared.model.definition));
      job.version = version.version;
      const actor = `retraining:${job.trigger}`;
      const reason = `retraining job ${job.id} (${job.reason}): best of ${runs.length} on dataset ${prepared.dataset.version.slice(0, 12)}`;
      outcome = await stage('promote', async () => {
        try {
          const move = await this.registry.promote(model, version.version, { actor, reason, force: job.force });
          job.fromVersion = move.fromVersion;
          job.comparison = (move.comparison as unknown as Record<string, unknown> | undefined) ?? null;
          return 'promoted';
        } catch (error) {
          if (!(error instanceof PromotionRefusedError)) throw error;
          job.error = error.message;
          await this.registry.promote(model, version.version, { alias: 'challenger', actor, reason });
          return 'not_promoted';
        }
      });
      job.status = 'succeeded';
    } catch (error) {
      job.status = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
      job.errorDetails = error instanceof DomainError && error.errors?.length ? error.errors.slice(0, 100) : null;
      this.logger.error(`Retraining job ${job.id} of ${model} failed: ${job.error}`);
    } finally {
      clearInterval(heartbeat);
    }
    job.outcome = outcome;
    job.finishedAt = new Date();
    const seconds = (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000;
    this.metrics.retrained(model, outcome, seconds, job.status === 'succeeded');
    if (this.closing) return job; // onModuleDestroy recorded it as interrupted; the database is closing
    await this.jobs.save(job);
    await this.leases.release(model, job.id);
    const stages = Object.entries(job.stages)
      .map(([name, s]) => `${name} ${s.toFixed(2)} s`)
      .join(', ');
    this.logger.log(
      `Retraining job ${job.id} of ${model}: ${outcome} in ${seconds.toFixed(2)} s (${stages})` +
        (job.version !== null ? `, version ${job.version}` : '') +
        (outcome === 'not_promoted' ? `: ${job.error}` : ''),
    );
    return job;
  }
}

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;
