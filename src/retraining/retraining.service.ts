import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SpanStatusCode } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { ClusterBus } from '../cluster/cluster-bus.service';
import '../cluster/cluster.events';
import { OnDomainEvent } from '../common/events/domain-events';
import { DomainError } from '../common/errors/domain.error';
import { inRootSpan, inSpan } from '../common/tracing/tracing';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ServiceMetrics } from '../metrics/service-metrics';
import { bestRun } from '../registry/best-run.util';
import { PromotionRefusedError } from '../registry/registry.errors';
import { RegistryService } from '../registry/registry.service';
import { RunRepository } from '../training/run.repository';
import { TrainingService } from '../training/training.service';
import { RETRAIN_OUTCOMES, RetrainJobEntity, RetrainOutcome, RetrainTrigger } from './entities/retrain-job.entity';
import { RetrainJobRepository } from './retrain-job.repository';
import { RetrainDuplicateError, RetrainInProgressError, RetrainJobNotFoundError } from './retraining.errors';

export interface RetrainRequest {
  trigger: RetrainTrigger;
  reason: string;
  /** Candidates to fit (default: the model's default candidates). */
  candidates?: string[];
  /** Promote even when the candidate loses the gate (recorded as forced in the alias history). */
  force?: boolean;
  /** At most one job per key, across every process (a cron tick); RetrainDuplicateError for the others. */
  dedupeKey?: string;
}

/**
 * The retraining pipeline of one model: refresh the data (a changed raw file becomes a new dataset version) →
 * train the candidates in a child process → pick the best on the holdout → register it → promote it through
 * the champion gate, which hot-swaps it → record the job, the metrics and a log line with the stage durations.
 * A candidate that loses the gate is registered as the challenger and the champion keeps serving; any failure
 * leaves the champion serving and marks the job failed with its reason.
 *
 * Jobs are a queue in the shared database (RetrainJobRepository): `start` queues one (at most one queued or running
 * job per model, whichever process asks) and, in a process that trains (SERVICE_ROLE all or worker), claims it at
 * once. Processes that train also claim queued jobs when told one was queued and every RETRAIN_POLL_INTERVAL_S. A
 * claim is a lease on the job's row, renewed by a heartbeat: when its process dies, the lease expires and any
 * process takes the job back, queued again while it has attempts left (RETRAIN_MAX_ATTEMPTS), interrupted after.
 */
@Injectable()
export class RetrainingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetrainingService.name);
  /**
   * Jobs running in this process, by id, with the token of their claim and whether they have started to commit
   * their result (register, promote): from then on a shutdown waits for them instead of giving them back.
   */
  private readonly running = new Map<string, RunningJob>();
  private sweeper?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;
  private polling = false;
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly data: DataService,
    private readonly training: TrainingService,
    private readonly registry: RegistryService,
    private readonly runs: RunRepository,
    private readonly jobs: RetrainJobRepository,
    private readonly metrics: ServiceMetrics,
    private readonly bus: ClusterBus,
    private readonly catalog: ModelCatalog,
  ) {
    metrics.onScrape(() => {
      for (const name of catalog.names) metrics.declareRetrainOutcomes(name, RETRAIN_OUTCOMES);
    });
  }

  private get ttlMs(): number {
    return this.config.RETRAIN_LEASE_TTL_S * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep().catch((e: unknown) => this.logger.warn(String(e))), this.ttlMs);
    this.sweeper.unref();
    if (!this.config.trains) return;
    this.poller = setInterval(() => void this.poll(), this.config.RETRAIN_POLL_INTERVAL_S * 1000);
    this.poller.unref();
    void this.poll();
  }

  /**
   * On shutdown a job of this process cannot finish: its runs are marked interrupted and the job is queued again
   * for another process (or interrupted when it has no attempts left).
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    clearInterval(this.poller);
    for (const [id, { claimant, committing, done }] of this.running) {
      if (committing) {
        await done.catch(() => undefined); // registering or promoting: a few ms, and then recorded
        continue;
      }
      const job = await this.jobs.find(id);
      if (job?.status !== 'running' || job.claimedBy !== claimant) continue;
      await this.takeBack(job, 'the service shut down before the job finished', claimant); // now, not at expiry
    }
  }

  /**
   * Queues a retraining of `model` and returns its job; in a process that trains, the job is claimed at once and
   * the pipeline goes on in the background (status running). RetrainInProgressError (409) when the model already
   * has a queued or running job; RetrainDuplicateError when the dedupe key was used.
   */
  async start(model: string, request: RetrainRequest): Promise<RetrainJobEntity> {
    this.registry.requireModel(model);
    const candidates = request.candidates?.length
      ? this.training.resolveCandidates(model, request.candidates)
      : undefined;
    await this.sweep();
    const id = randomUUID();
    const queued = await this.jobs.enqueue(
      Object.assign(new RetrainJobEntity(), {
        id,
        modelName: model,
        trigger: request.trigger,
        status: 'queued',
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
        claimedAt: null,
        claimedBy: null,
        leaseExpiresAt: null,
        attempts: 0,
        dedupeKey: request.dedupeKey ?? null,
        finishedAt: null,
      }),
    );
    if ('refused' in queued) {
      if (queued.refused === 'duplicate') throw new RetrainDuplicateError(request.dedupeKey ?? id);
      throw new RetrainInProgressError(model, queued.active?.id ?? 'unknown', queued.active?.status ?? 'queued');
    }
    this.logger.log(`Retraining ${model} queued (job ${id}, ${request.trigger}: ${request.reason})`);
    await this.bus.publish({ type: 'job', model });
    if (this.config.trains && !this.closing) {
      const claimed = await this.claim(id);
      if (claimed) return claimed;
    }
    return (await this.jobs.find(id)) ?? queued;
  }

  /**
   * Resolves with the finished job (for callers that wait, like the cron handler and tests): at once for a job of
   * this process, by reading the database every half second for one queued or run elsewhere.
   */
  async wait(id: string): Promise<RetrainJobEntity> {
    const running = this.running.get(id);
    if (running) return running.done;
    for (;;) {
      const job = await this.jobs.find(id);
      if (!job) throw new RetrainJobNotFoundError(id);
      if (job.status !== 'queued' && job.status !== 'running') return job;
      const local = this.running.get(id);
      if (local) return local.done;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
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

  /** Another process queued a job: look for work. */
  @OnDomainEvent('cluster.job')
  onJobQueued(): void {
    if (this.config.trains) void this.poll();
  }

  /**
   * Claims and runs queued jobs, one at a time: a process that trains claims a queued job only when it runs none,
   * so a worker's CPU goes to one training at a time. (A job this process queues itself, with role `all` or
   * `worker`, is claimed at once, as a retraining always started: two models may then train side by side.)
   */
  async poll(): Promise<void> {
    if (this.polling || this.closing || !this.config.trains) return;
    this.polling = true;
    try {
      await this.sweep();
      while (this.running.size === 0 && !this.closing) {
        const job = await this.claim();
        if (!job) return;
        await this.running.get(job.id)?.done;
      }
    } catch (error) {
      this.logger.warn(`Looking for retraining jobs failed: ${String(error)}`);
    } finally {
      this.polling = false;
    }
  }

  /** Claims the job `id` (or the oldest queued one) and starts its pipeline; null when there was none to take. */
  private async claim(id?: string): Promise<RetrainJobEntity | null> {
    const claimant = `${this.bus.instance}/${randomUUID().slice(0, 8)}`;
    const job = await this.jobs.claim(claimant, this.ttlMs, id);
    if (!job) return null;
    this.logger.log(`Retraining job ${job.id} of ${job.modelName} claimed (attempt ${job.attempts}, ${claimant})`);
    const entry: RunningJob = { claimant, committing: false, lost: false, done: Promise.resolve(job) };
    entry.done = this.traced(job, entry).finally(() => this.running.delete(job.id));
    this.running.set(job.id, entry);
    return job;
  }

  /**
   * Takes back jobs whose lease expired (their process died or hung): queued again while they have attempts left,
   * interrupted after; either way the runs of the lost attempt are marked interrupted.
   */
  async sweep(): Promise<void> {
    for (const job of await this.jobs.expired()) {
      if (this.running.has(job.id)) continue;
      await this.takeBack(job, 'the process running it ended before it finished (its lease expired)');
    }
  }

  /** `claimant`: this process gives up its own job (shutdown) instead of taking back an expired one. */
  private async takeBack(job: RetrainJobEntity, why: string, claimant?: string): Promise<void> {
    const retry = job.attempts < this.config.RETRAIN_MAX_ATTEMPTS;
    const finishedAt = new Date();
    const error = `Interrupted: ${why}`;
    const taken = await this.jobs.takeBack(
      job,
      retry ? { status: 'queued', error } : { status: 'interrupted', outcome: 'interrupted', error, finishedAt },
      claimant,
    );
    if (!taken) return; // another process took it back first
    const since = job.claimedAt ?? job.startedAt;
    const runs = await this.runs.listRuns({ model: job.modelName, status: 'running', limit: 1000 });
    for (const run of runs.filter((r) => r.startedAt >= since)) {
      await this.runs.finishRun(run.id, { status: 'interrupted', error, finishedAt });
    }
    const seconds = (finishedAt.getTime() - since.getTime()) / 1000;
    this.metrics.retrained(job.modelName, 'interrupted', seconds, false);
    if (retry) {
      this.logger.warn(`Retraining job ${job.id} of ${job.modelName} queued again (attempt ${job.attempts}): ${why}`);
      await this.bus.publish({ type: 'job', model: job.modelName });
      if (!this.closing) void this.poll();
    } else {
      this.logger.warn(`Retraining job ${job.id} of ${job.modelName} marked interrupted: ${why}`);
    }
  }

  /**
   * Before a job commits anything (a version, an alias move), it must still be this process's: not given back at
   * shutdown, not taken back by another process after a lost lease. From then on a shutdown waits for it.
   */
  private async startCommitting(job: RetrainJobEntity, entry: RunningJob): Promise<void> {
    const held = !this.closing && !entry.lost && (await this.jobs.holds(job.id, entry.claimant));
    // Taken back before the heartbeat noticed: the process that took it records it (counted once, as interrupted).
    if (!held && !this.closing) entry.lost = true;
    if (!held || this.closing || entry.lost) {
      throw new JobLostError(this.closing ? 'the service is shutting down' : 'another process took the job back');
    }
    entry.committing = true;
  }

  /**
   * The job's pipeline in a root span of its own (`retraining job`, with a child span per stage) when tracing is on:
   * the model, job id, trigger and attempt, then its status, outcome and version.
   */
  private traced(job: RetrainJobEntity, entry: RunningJob): Promise<RetrainJobEntity> {
    const attributes = {
      'mlops.model': job.modelName,
      'mlops.retraining.job_id': job.id,
      'mlops.retraining.trigger': job.trigger,
      'mlops.retraining.attempt': job.attempts,
    };
    return inRootSpan('retraining job', attributes, async (span) => {
      const done = await this.run(job, entry);
      span?.setAttributes({ 'mlops.retraining.status': done.status, 'mlops.retraining.outcome': done.outcome ?? '' });
      if (done.version !== null) span?.setAttribute('mlops.model.version', done.version);
      if (done.status === 'failed') span?.setStatus({ code: SpanStatusCode.ERROR, message: done.error ?? undefined });
      return done;
    });
  }

  private async run(job: RetrainJobEntity, entry: RunningJob): Promise<RetrainJobEntity> {
    const { claimant } = entry;
    const model = job.modelName;
    const heartbeat = setInterval(() => {
      void this.jobs.renew(job.id, claimant, this.ttlMs).then(
        (kept) =>
          kept || ((entry.lost = true), this.logger.error(`Retraining job ${job.id} of ${model} lost its lease`)),
        (error: unknown) => this.logger.warn(`Lease heartbeat of job ${job.id} failed: ${String(error)}`),
      );
    }, this.ttlMs / 3);
    heartbeat.unref();
    const stage = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await inSpan(`retraining ${name}`, { 'mlops.retraining.stage': name }, work);
      } finally {
        job.stages = { ...job.stages, [name]: round((performance.now() - started) / 1000) };
      }
    };
    let outcome: RetrainOutcome = 'failed';
    try {
      // The definition may have been set on another replica a moment ago: read it before training it.
      await this.catalog.sync(model);
      const prepared = await stage('data', () => this.data.prepare(model));
      job.datasetVersion = prepared.dataset.version;
      const runs = await stage('train', () =>
        this.training.train(model, {
          prepared,
          candidates: job.candidates ?? undefined,
          // A shutting-down process has handed the job back: no new run may start after that.
          shouldStop: () => this.closing,
        }),
      );
      job.runIds = runs.map((r) => r.id);
      const best = bestRun(prepared.model.definition.gate.metric, runs);
      job.bestRunId = best.id;
      await this.startCommitting(job, entry);
      const version = await stage('register', () => this.registry.register(model, best.id, prepared.model.definition));
      job.version = version.version;
      // A model's first training is the system's, as it was before jobs (the alias history says `bootstrap`).
      const actor = job.trigger === 'bootstrap' ? 'system' : `retraining:${job.trigger}`;
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
      if (error instanceof JobLostError) {
        this.logger.warn(`Retraining job ${job.id} of ${model} stopped before registering: ${error.message}`);
      } else {
        this.logger.error(`Retraining job ${job.id} of ${model} failed: ${job.error}`);
      }
    } finally {
      clearInterval(heartbeat);
    }
    job.outcome = outcome;
    job.finishedAt = new Date();
    const seconds = (job.finishedAt.getTime() - (job.claimedAt ?? job.startedAt).getTime()) / 1000;
    // Given back at shutdown, or taken back by another process: whoever has it now records it.
    if (!entry.committing && (this.closing || entry.lost)) return job;
    this.metrics.retrained(model, outcome, seconds, job.status === 'succeeded');
    if (!(await this.jobs.finish(job, claimant))) {
      this.logger.error(
        `Retraining job ${job.id} of ${model} was taken back before it finished; its result is not recorded`,
      );
      return job;
    }
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

interface RunningJob {
  claimant: string;
  done: Promise<RetrainJobEntity>;
  committing: boolean;
  /** The heartbeat found the lease gone (another process took the job back). */
  lost: boolean;
}

/** A job this process may no longer commit (it gave it back, or lost it): its result is not recorded. */
class JobLostError extends Error {}

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;
