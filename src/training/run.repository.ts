import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { isUniqueViolation } from '../database/unique-violation.util';
import { ExperimentEntity } from './entities/experiment.entity';
import { RunEntity, RunStatus } from './entities/run.entity';

export interface RunFilter {
  model?: string;
  candidate?: string;
  status?: RunStatus;
  limit: number;
}

/** Experiments and their runs. */
@Injectable()
export class RunRepository {
  constructor(
    @InjectRepository(ExperimentEntity) private readonly experiments: Repository<ExperimentEntity>,
    @InjectRepository(RunEntity) private readonly runs: Repository<RunEntity>,
  ) {}

  async findOrCreateExperiment(name: string): Promise<ExperimentEntity> {
    const existing = await this.experiments.findOneBy({ name });
    if (existing) return existing;
    try {
      return await this.experiments.save(this.experiments.create({ name }));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error; // another process created it first
      return this.experiments.findOneByOrFail({ name });
    }
  }

  /** Experiments with their number of runs, oldest first. */
  async listExperiments(): Promise<{ experiment: ExperimentEntity; runCount: number }[]> {
    const experiments = await this.experiments.find({ order: { id: 'ASC' } });
    const counts = await this.runs
      .createQueryBuilder('run')
      .select('run.experimentId', 'experimentId')
      .addSelect('COUNT(*)', 'count')
      .groupBy('run.experimentId')
      .getRawMany<{ experimentId: number; count: number | string }>();
    const byId = new Map(counts.map((c) => [Number(c.experimentId), Number(c.count)]));
    return experiments.map((experiment) => ({ experiment, runCount: byId.get(experiment.id) ?? 0 }));
  }

  startRun(values: Omit<RunEntity, 'experiment'>): Promise<RunEntity> {
    return this.runs.save(this.runs.create(values));
  }

  async finishRun(id: string, values: Partial<Omit<RunEntity, 'id' | 'experiment'>>): Promise<RunEntity> {
    const run = await this.runs.preload({ id, ...values });
    if (!run) throw new Error(`run ${id} disappeared from the database`);
    return this.runs.save(run);
  }

  findRun(id: string): Promise<RunEntity | null> {
    return this.runs.findOneBy({ id });
  }

  /** The runs of these ids that exist, in no particular order. */
  findRuns(ids: readonly string[]): Promise<RunEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.runs.findBy({ id: In([...ids]) });
  }

  listRuns({ model, candidate, status, limit }: RunFilter): Promise<RunEntity[]> {
    // TypeORM 1.x refuses undefined values in a where condition: only the filters given.
    const where = Object.fromEntries(
      Object.entries({ modelName: model, candidate, status }).filter(([, value]) => value !== undefined),
    );
    return this.runs.find({
      where,
      order: { startedAt: 'DESC' },
      take: limit,
    });
  }
}
