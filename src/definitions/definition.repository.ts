import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { ModelDefinitionEntity } from './entities/model-definition.entity';
import { withNumberingRetry } from '../database/unique-violation.util';

export type NewDefinitionRow = Pick<ModelDefinitionEntity, 'name' | 'action' | 'document' | 'actor' | 'reason'>;

/** The append-only history of definitions set through the admin API. */
@Injectable()
export class DefinitionRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(ModelDefinitionEntity) private readonly rows: Repository<ModelDefinitionEntity>,
  ) {}

  /** Appends the next revision of a model (numbering and insert in one transaction; again if a replica raced it). */
  append(values: NewDefinitionRow): Promise<ModelDefinitionEntity> {
    return withNumberingRetry(() =>
      this.dataSource.transaction(async (manager) => {
        const repo = manager.getRepository(ModelDefinitionEntity);
        const last = await repo.findOne({ where: { name: values.name }, order: { revision: 'DESC' } });
        return repo.save(repo.create({ ...values, revision: (last?.revision ?? 0) + 1 }));
      }),
    );
  }

  /** The latest row of every model that has one (a put or a retirement). */
  async latestPerModel(): Promise<ModelDefinitionEntity[]> {
    const rows = await this.rows.find({ order: { name: 'ASC', revision: 'DESC' } });
    const latest = new Map<string, ModelDefinitionEntity>();
    for (const row of rows) if (!latest.has(row.name)) latest.set(row.name, row);
    return [...latest.values()];
  }

  /** The latest revision number of every model that has rows (a cheap check for changes made elsewhere). */
  async latestRevisions(): Promise<Map<string, number>> {
    const rows = await this.rows
      .createQueryBuilder('d')
      .select('d.name', 'name')
      .addSelect('MAX(d.revision)', 'revision')
      .groupBy('d.name')
      .getRawMany<{ name: string; revision: number | string }>();
    return new Map(rows.map((r) => [r.name, Number(r.revision)]));
  }

  /** The row of one revision of a model. */
  findRevision(name: string, revision: number): Promise<ModelDefinitionEntity | null> {
    return this.rows.findOneBy({ name, revision });
  }

  /** A model's rows, oldest first. */
  history(name: string): Promise<ModelDefinitionEntity[]> {
    return this.rows.find({ where: { name }, order: { revision: 'ASC' } });
  }
}
