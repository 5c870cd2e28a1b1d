import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, MoreThanOrEqual, Repository } from 'typeorm';
import { DecisionEntity } from '../entities/decision.entity';

export type NewDecision = Pick<DecisionEntity, 'modelName' | 'kind' | 'policyId' | 'summary' | 'evidence'>;

/** The decisions of the online evaluation: an append-only audit trail, each with its evidence. */
@Injectable()
export class DecisionRepository {
  constructor(@InjectRepository(DecisionEntity) private readonly decisions: Repository<DecisionEntity>) {}

  append(decision: NewDecision): Promise<DecisionEntity> {
    return this.decisions.save(this.decisions.create(decision));
  }

  /** Decisions, newest first: of one model, or of every model. */
  list(model: string | undefined, limit: number): Promise<DecisionEntity[]> {
    return this.decisions.find({ where: model ? { modelName: model } : {}, order: { id: 'DESC' }, take: limit });
  }

  /** The latest decision of `model` of one of `kinds` taken since `since`, if any. */
  latest(model: string, kinds: readonly string[], since: Date): Promise<DecisionEntity | null> {
    return this.decisions.findOne({
      where: { modelName: model, kind: In([...kinds]), createdAt: MoreThanOrEqual(since) },
      order: { id: 'DESC' },
    });
  }
}
