import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ACTIVE_RETRAIN_STATUSES, RetrainJobEntity, RetrainTrigger } from './entities/retrain-job.entity';

/** Why a job could not be queued: the model has a queued or running job, or its dedupe key was used already. */
/** Column values of a job (its JSON columns hold plain records, which TypeORM's deep-partial type cannot see). */
const values = (job: Partial<RetrainJobEntity>): QueryDeepPartialEntity<RetrainJobEntity> =>
  job as QueryDeepPartialEntity<RetrainJobEntity>;

export type EnqueueRefusal = { refused: 'busy'; active: RetrainJobEntity | null } | { refused: 'duplicate' };

/**
 * Retraining jobs as a queue in the shared database. Single-flight is the database's: a unique partial index
 * allows one queued or running job per model, and a unique dedupe key one job per cron tick, so processes racing
 * to queue cannot both win. A claim is one UPDATE of the oldest queued job (on PostgreSQL its row is picked with
 * `FOR UPDATE SKIP LOCKED`, so workers claiming at once take different jobs; SQLite serialises writers).
 */
@Injectable()
export class RetrainJobRepository {
  constructor(@InjectRepository(RetrainJobEntity) private readonly jobs: Repository<RetrainJobEntity>) {}

  private get postgres(): boolean {
    return this.jobs.manager.connection.options.type === 'postgres';
  }

  save(job: RetrainJobEntity): Promise<RetrainJobEntity> {
    return this.jobs.save(job);
  }

  /** Inserts a queued job, or says why it cannot be. */
  async enqueue(job: RetrainJobEntity): Promise<RetrainJobEntity | EnqueueRefusal> {
    try {
      await this.jobs.insert(values(job));
      return job;
    } catch (error) {
      if (job.dedupeKey !== null && (await this.jobs.existsBy({ dedupeKey: job.dedupeKey }))) {
        return { refused: 'duplicate' };
      }
      const active = await this.active(job.modelName);
      if (active) return { refused: 'busy', active };
      throw error;
    }
  }

  /** The queued or running job of `model`, if any. */
  active(model: string): Promise<RetrainJobEntity | null> {
    return this.jobs.findOneBy({ modelName: model, status: In([...ACTIVE_RETRAIN_STATUSES]) });
  }

  /**
   * Claims a queued job for `claimant` (a token unique to this claim) until now + ttl: the job `id`, or the
   * oldest queued one. Returns the claimed job, or null when there was none to take.
   */
  async claim(claimant: string, ttlMs: number, id?: string): Promise<RetrainJobEntity | null> {
    const pick = this.jobs
      .createQueryBuilder('j')
      .select('j.id')
      .where(`j.status = 'queued'`)
      .orderBy('j.started_at', 'ASC')
      .limit(1);
    if (id !== undefined) pick.andWhere('j.id = :id', { id });
    if (this.postgres) pick.setLock('pessimistic_write').setOnLocked('skip_locked');
    const result = await this.jobs
      .createQueryBuilder()
      .update()
      .set({
        status: 'running',
        claimedBy: claimant,
        leaseExpiresAt: Date.now() + ttlMs,
        attempts: () => '"attempts" + 1',
        error: null, // a previous attempt's interruption; this attempt writes its own
        errorDetails: null,
      })
      .where(`"id" = (${pick.getQuery()}) AND "status" = 'queued'`)
      .setParameters(pick.getParameters())
      .execute();
    if (!result.affected) return null;
    const claimed = await this.jobs.findOneBy({ claimedBy: claimant, status: 'running' });
    if (claimed) await this.jobs.update({ id: claimed.id }, { claimedAt: (claimed.claimedAt = new Date()) });
    return claimed;
  }

  /** Extends the lease of a job its claimant still holds; false when it was lost (expired and taken back). */
  async renew(id: string, claimant: string, ttlMs: number): Promise<boolean> {
    const result = await this.jobs.update(
      { id, claimedBy: claimant, status: 'running' },
      { leaseExpiresAt: Date.now() + ttlMs },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Whether `claimant` still holds the running job `id`. */
  holds(id: string, claimant: string): Promise<boolean> {
    return this.jobs.existsBy({ id, claimedBy: claimant, status: 'running' });
  }

  /** Records how the attempt of `claimant` ended; false when the job was no longer its own. */
  async finish(job: RetrainJobEntity, claimant: string): Promise<boolean> {
    const { id: _id, ...rest } = job;
    const result = await this.jobs.update(
      { id: job.id, claimedBy: claimant, status: 'running' },
      values({ ...rest, leaseExpiresAt: null }),
    );
    return (result.affected ?? 0) > 0;
  }

  /** Running jobs whose lease expired (their process stopped renewing it). */
  expired(now = Date.now()): Promise<RetrainJobEntity[]> {
    return this.jobs.findBy({ status: 'running', leaseExpiresAt: LessThan(now) });
  }

  /**
   * Takes a job back from the process that held it: queued again, or over when `changes` say so. Only while its
   * lease is expired (another process died) or, with `claimant`, from that claimant itself (a process giving up its
   * own job at shutdown); the condition is in the UPDATE, so only one process takes a job back.
   */
  async takeBack(job: RetrainJobEntity, changes: Partial<RetrainJobEntity>, claimant?: string): Promise<boolean> {
    const result = await this.jobs
      .createQueryBuilder()
      .update()
      .set(values({ ...changes, claimedBy: null, leaseExpiresAt: null }))
      .where(`"id" = :id AND "status" = 'running' AND "claimed_by" = :claimedBy`, {
        id: job.id,
        claimedBy: claimant ?? job.claimedBy,
      })
      .andWhere(claimant === undefined ? `"lease_expires_at" < :now` : '1 = 1', { now: Date.now() })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  find(id: string): Promise<RetrainJobEntity | null> {
    return this.jobs.findOneBy({ id });
  }

  list(model: string | undefined, limit: number): Promise<RetrainJobEntity[]> {
    return this.jobs.find({
      where: model ? { modelName: model } : {},
      order: { startedAt: 'DESC' },
      take: limit,
    });
  }

  /** The newest job of `model` started by `trigger`. */
  latest(model: string, trigger: RetrainTrigger): Promise<RetrainJobEntity | null> {
    return this.jobs.findOne({ where: { modelName: model, trigger }, order: { startedAt: 'DESC' } });
  }
}
