import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RetrainJobEntity, RetrainTrigger } from './entities/retrain-job.entity';

@Injectable()
export class RetrainJobRepository {
  constructor(@InjectRepository(RetrainJobEntity) private readonly jobs: Repository<RetrainJobEntity>) {}

  save(job: RetrainJobEntity): Promise<RetrainJobEntity> {
    return this.jobs.save(job);
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

  running(): Promise<RetrainJobEntity[]> {
    return this.jobs.findBy({ status: 'running' });
  }

  /** The newest job of `model` started by `trigger`. */
  latest(model: string, trigger: RetrainTrigger): Promise<RetrainJobEntity | null> {
    return this.jobs.findOne({ where: { modelName: model, trigger }, order: { startedAt: 'DESC' } });
  }
}
