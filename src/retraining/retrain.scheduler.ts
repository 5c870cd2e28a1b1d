import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { OnDomainEvent } from '../common/events/domain-events';
import { AppConfig } from '../config/app-config';
import { DefinitionChangedEvent, DefinitionRetiredEvent } from '../definitions/definition.events';
import { ModelCatalog } from '../definitions/model-catalog.service';
import type { DriftReportDto } from '../monitoring/dto/monitoring.dto';
import { PerformanceDegradedEvent } from '../monitoring/evaluation/evaluation.events';
import { DriftCheckedEvent } from '../monitoring/monitoring.events';
import type { RetrainJobEntity } from './entities/retrain-job.entity';
import { RetrainDuplicateError, RetrainInProgressError } from './retraining.errors';
import { RetrainingService } from './retraining.service';

export const RETRAIN_CRON_JOB = 'retrain';
/** How often a new definition's retraining tries again while another process holds the model's lease. */
const DEFINITION_ATTEMPTS = 720;
const RETRY_MS = 5000;
/** The dedupe key of a cron tick: one job per model, schedule and scheduled time, across every replica. */
export const cronKey = (model: string, schedule: string, tick: Date): string =>
  `cron:${model}:${schedule}:${new Date(Math.round(tick.getTime() / 1000) * 1000).toISOString()}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
/** The cron job of a model whose definition has its own `retrain.schedule`. */
export const modelCronJob = (model: string): string => `retrain:${model}`;

/**
 * The automatic triggers of the retraining pipeline: the RETRAIN_CRON schedule for every model without a schedule
 * of its own, each definition's own `retrain.schedule` (both registered with @nestjs/schedule), RETRAIN_DRIFT_CHECKS
 * consecutive drift reports of a model outside its cooldown (RETRAIN_ON_DRIFT, or the definition's
 * `retrain.on_drift`), a champion whose live error degraded (`performance.degraded`, from the online evaluation), and
 * a definition set through the admin API (trained like at a first start). A trigger that finds a retraining
 * already running logs a skip.
 */
@Injectable()
export class RetrainScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetrainScheduler.name);
  private readonly driftStreak = new Map<string, number>();
  /** Models whose new definition waits for a running retraining to end. */
  private readonly definitionWaiting = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly retraining: RetrainingService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const expression = this.config.RETRAIN_CRON;
    if (expression === 'off') {
      this.logger.log('Scheduled retraining is off (RETRAIN_CRON=off)');
    } else {
      this.schedule(RETRAIN_CRON_JOB, expression, (tick) => this.runScheduled(tick));
    }
    for (const name of this.catalog.names) this.scheduleModel(name);
  }

  /**
   * The RETRAIN_CRON handler: retrains every model without a schedule of its own, one after another. `tick` (the
   * time the schedule fired for) makes the jobs' dedupe keys, so every replica firing the same tick queues one job
   * per model.
   */
  async runScheduled(tick?: Date): Promise<RetrainJobEntity[]> {
    const finished: RetrainJobEntity[] = [];
    const expression = this.config.RETRAIN_CRON;
    for (const model of this.catalog.names) {
      if (this.catalog.require(model).retrain.schedule !== undefined) continue;
      const key = tick ? cronKey(model, expression, tick) : undefined;
      const job = await this.trigger(model, 'cron', `cron: ${expression}`, key);
      if (job) finished.push(await this.retraining.wait(job.id));
    }
    return finished;
  }

  /**
   * A definition set through the admin API: its model is prepared and trained like at a first start. When a
   * retraining of the model is running, this one waits for it and then starts, so the definition in force is
   * always the one trained last; definitions set while it waits share that one retraining.
   */
  @OnDomainEvent('definition.changed')
  async onDefinitionChanged(event: DefinitionChangedEvent): Promise<void> {
    this.scheduleModel(event.name);
    // The replica that took the definition queues its retraining; the others only follow its schedule.
    if (event.remote || this.definitionWaiting.has(event.name)) return;
    this.definitionWaiting.add(event.name);
    try {
      const reason = `${event.previous ? 'changed' : 'new'} definition (${event.actor})`;
      for (let attempt = 0; attempt < DEFINITION_ATTEMPTS; attempt++) {
        const [latest] = await this.retraining.list(event.name, 1);
        if (latest?.status === 'running' || latest?.status === 'queued') {
          await this.retraining.wait(latest.id).catch(() => undefined);
        }
        if (!this.catalog.entry(event.name)) return; // retired meanwhile
        try {
          this.definitionWaiting.delete(event.name);
          await this.retraining.start(event.name, { trigger: 'definition', reason });
          return;
        } catch (error) {
          this.definitionWaiting.add(event.name);
          if (!(error instanceof RetrainInProgressError)) throw error;
          await sleep(RETRY_MS); // another process holds the lease: wait for it
        }
      }
      this.logger.error(`Gave up training the new definition of ${event.name}: its retraining stayed busy`);
    } catch (error) {
      this.logger.error(`Could not train the new definition of ${event.name}: ${String(error)}`);
    } finally {
      this.definitionWaiting.delete(event.name);
    }
  }

  @OnDomainEvent('definition.retired')
  onDefinitionRetired(event: DefinitionRetiredEvent): void {
    this.unschedule(modelCronJob(event.name));
    this.driftStreak.delete(event.name);
  }

  /** Registers (or replaces, or removes) the cron job of a model's own `retrain.schedule`. */
  private scheduleModel(name: string): void {
    const key = modelCronJob(name);
    this.unschedule(key);
    const schedule = this.catalog.entry(name)?.definition.retrain.schedule;
    if (schedule === undefined || schedule === 'off') return;
    this.schedule(key, schedule, async (tick) => {
      const reason = `cron: ${schedule} (its definition's)`;
      const job = await this.trigger(name, 'cron', reason, cronKey(name, schedule, tick));
      if (job) await this.retraining.wait(job.id);
    });
  }

  /** Registers a cron job whose handler gets the time each tick was scheduled for (the same on every replica). */
  private schedule(key: string, cronTime: string, onTick: (tick: Date) => Promise<unknown>): void {
    let next: Date | undefined;
    const job = CronJob.from({
      cronTime,
      onTick: () => {
        const tick = next ?? new Date();
        next = job.nextDate().toJSDate();
        // A database outage while a tick waits for its jobs is logged, never an unhandled rejection.
        onTick(tick).catch((error: unknown) =>
          this.logger.error(`Scheduled retraining ${key} failed: ${String(error)}`),
        );
      },
    });
    this.scheduler.addCronJob(key, job);
    job.start();
    next = job.nextDate().toJSDate();
    this.logger.log(`Scheduled retraining ${key}: "${cronTime}", next at ${job.nextDate().toISO() ?? 'never'}`);
  }

  private unschedule(key: string): void {
    if (!this.scheduler.doesExist('cron', key)) return;
    void this.scheduler.getCronJob(key).stop();
    this.scheduler.deleteCronJob(key);
  }

  /** Each periodic drift report: RETRAIN_DRIFT_CHECKS consecutive `drift` reports outside the cooldown retrain. */
  @OnDomainEvent('drift.checked')
  async onDriftChecked({ report }: DriftCheckedEvent): Promise<void> {
    await this.onDrift(report);
  }

  private async onDrift(report: DriftReportDto): Promise<void> {
    const onDrift = this.catalog.entry(report.model)?.definition.retrain.onDrift ?? this.config.RETRAIN_ON_DRIFT;
    if (!onDrift) return;
    const streak = report.status === 'drift' ? (this.driftStreak.get(report.model) ?? 0) + 1 : 0;
    this.driftStreak.set(report.model, streak);
    if (streak < this.config.RETRAIN_DRIFT_CHECKS) return;
    const last = await this.retraining.lastDriftRetrain(report.model);
    const cooldownMs = this.config.RETRAIN_DRIFT_COOLDOWN_S * 1000;
    if (last && Date.now() - last.getTime() < cooldownMs) {
      this.logger.log(`${report.model} drifts, but its last drift retraining (${last.toISOString()}) is in cooldown`);
      return;
    }
    const drifting = report.features.filter((f) => f.status === 'drift').map((f) => f.feature);
    const job = await this.trigger(
      report.model,
      'drift',
      `drift: ${streak} consecutive checks, features ${drifting.join(', ')}`,
    );
    if (job) this.driftStreak.set(report.model, 0);
  }

  /** The online evaluation judged a champion degraded and chose to retrain: one job per decision (its dedupe key). */
  @OnDomainEvent('performance.degraded')
  async onPerformanceDegraded(event: PerformanceDegradedEvent): Promise<void> {
    await this.trigger(event.model, 'performance', event.reason, `performance:${event.model}:${event.decisionId}`);
  }

  private async trigger(
    model: string,
    trigger: 'cron' | 'drift' | 'performance',
    reason: string,
    dedupeKey?: string,
  ): Promise<RetrainJobEntity | null> {
    try {
      return await this.retraining.start(model, { trigger, reason, dedupeKey });
    } catch (error) {
      if (error instanceof RetrainDuplicateError) {
        this.logger.log(`Skipped the ${trigger} retraining of ${model}: another replica queued this tick`);
      } else if (error instanceof RetrainInProgressError) {
        this.logger.warn(`Skipped the ${trigger} retraining of ${model}: ${error.message}`);
      } else {
        this.logger.error(`Could not start the ${trigger} retraining of ${model}: ${String(error)}`);
      }
      return null;
    }
  }
}
