import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { DriftService } from '../monitoring/drift.service';
import type { DriftReportDto } from '../monitoring/dto/monitoring.dto';
import type { RetrainJobEntity } from './entities/retrain-job.entity';
import { RetrainInProgressError } from './retraining.errors';
import { RetrainingService } from './retraining.service';

export const RETRAIN_CRON_JOB = 'retrain';

/**
 * The automatic triggers of the retraining pipeline: the RETRAIN_CRON schedule (registered with @nestjs/schedule
 * from configuration at start) and, with RETRAIN_ON_DRIFT, RETRAIN_DRIFT_CHECKS consecutive drift reports of a
 * model outside its cooldown. A trigger that finds a retraining already running logs a skip.
 */
@Injectable()
export class RetrainScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetrainScheduler.name);
  private readonly driftStreak = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly data: DataService,
    private readonly retraining: RetrainingService,
    private readonly drift: DriftService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const expression = this.config.RETRAIN_CRON;
    if (expression === 'off') {
      this.logger.log('Scheduled retraining is off (RETRAIN_CRON=off)');
    } else {
      const job = CronJob.from({ cronTime: expression, onTick: () => void this.runScheduled() });
      this.scheduler.addCronJob(RETRAIN_CRON_JOB, job);
      job.start();
      this.logger.log(`Scheduled retraining: "${expression}", next at ${job.nextDate().toISO() ?? 'never'}`);
    }
    if (this.config.RETRAIN_ON_DRIFT) this.drift.onPeriodicReport((report) => void this.onDrift(report));
  }

  /** The cron handler: retrains every model, one after another; a model already retraining is skipped. */
  async runScheduled(): Promise<RetrainJobEntity[]> {
    const finished: RetrainJobEntity[] = [];
    for (const model of this.data.names) {
      const job = await this.trigger(model, 'cron', `cron: ${this.config.RETRAIN_CRON}`);
      if (job) finished.push(await this.retraining.wait(job.id));
    }
    return finished;
  }

  private async onDrift(report: DriftReportDto): Promise<void> {
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

  private async trigger(model: string, trigger: 'cron' | 'drift', reason: string): Promise<RetrainJobEntity | null> {
    try {
      return await this.retraining.start(model, { trigger, reason });
    } catch (error) {
      if (error instanceof RetrainInProgressError) {
        this.logger.warn(`Skipped the ${trigger} retraining of ${model}: ${error.message}`);
      } else {
        this.logger.error(`Could not start the ${trigger} retraining of ${model}: ${String(error)}`);
      }
      return null;
    }
  }
}
