import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RetrainLeaseEntity } from './entities/retrain-lease.entity';

/**
 * Per-model leases in the shared database. Taking one is a single statement (insert, or take over a lease past
 * its expiry), so two processes racing for it cannot both win: SQLite serialises writers.
 */
@Injectable()
export class RetrainLeaseRepository {
  constructor(@InjectRepository(RetrainLeaseEntity) private readonly leases: Repository<RetrainLeaseEntity>) {}

  /** Takes the lease of `model` for `holder` until now + ttl; false when someone else holds a live one. */
  async acquire(model: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    await this.leases.query(
      `INSERT INTO "retrain_leases" ("model_name", "holder", "expires_at") VALUES (?, ?, ?) ` +
        `ON CONFLICT ("model_name") DO UPDATE SET "holder" = excluded."holder", "expires_at" = excluded."expires_at" ` +
        `WHERE "retrain_leases"."expires_at" < ?`,
      [model, holder, now + ttlMs, now],
    );
    return (await this.holder(model))?.holder === holder;
  }

  /** Extends a lease its holder still has; false when it was lost (expired and taken). */
  async renew(model: string, holder: string, ttlMs: number): Promise<boolean> {
    const result = await this.leases.update({ modelName: model, holder }, { expiresAt: Date.now() + ttlMs });
    return (result.affected ?? 0) > 0;
  }

  async release(model: string, holder: string): Promise<void> {
    await this.leases.delete({ modelName: model, holder });
  }

  /** The live lease of `model`, if any. */
  async holder(model: string): Promise<RetrainLeaseEntity | null> {
    const lease = await this.leases.findOneBy({ modelName: model });
    return lease && Number(lease.expiresAt) >= Date.now() ? lease : null;
  }
}
