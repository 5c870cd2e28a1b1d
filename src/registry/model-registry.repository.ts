import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AliasEventEntity } from './entities/alias-event.entity';
import { Alias, ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';

export type NewVersion = Omit<ModelVersionEntity, 'id' | 'version' | 'createdAt'>;
export type AliasMove = Omit<AliasEventEntity, 'id' | 'createdAt'>;

/** Model versions, aliases and the alias audit trail. Alias moves and their events are written in one transaction. */
@Injectable()
export class ModelRegistryRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(ModelVersionEntity) private readonly versions: Repository<ModelVersionEntity>,
    @InjectRepository(ModelAliasEntity) private readonly aliases: Repository<ModelAliasEntity>,
    @InjectRepository(AliasEventEntity) private readonly events: Repository<AliasEventEntity>,
  ) {}

  /** Registers the next version number of the model (numbering and insert in one transaction). */
  createVersion(values: NewVersion): Promise<ModelVersionEntity> {
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(ModelVersionEntity);
      const last = await repo.findOne({ where: { modelName: values.modelName }, order: { version: 'DESC' } });
      return repo.save(repo.create({ ...values, version: (last?.version ?? 0) + 1 }));
    });
  }

  findVersion(modelName: string, version: number): Promise<ModelVersionEntity | null> {
    return this.versions.findOneBy({ modelName, version });
  }

  findVersionByRun(runId: string): Promise<ModelVersionEntity | null> {
    return this.versions.findOneBy({ runId });
  }

  listVersions(modelName: string): Promise<ModelVersionEntity[]> {
    return this.versions.find({ where: { modelName }, order: { version: 'DESC' } });
  }

  listAliases(modelName?: string): Promise<ModelAliasEntity[]> {
    return this.aliases.find({ where: modelName ? { modelName } : {}, order: { modelName: 'ASC', alias: 'ASC' } });
  }

  async findAlias(modelName: string, alias: Alias): Promise<number | undefined> {
    return (await this.aliases.findOneBy({ modelName, alias }))?.version;
  }

  /** Points the alias at `toVersion` and appends the event, atomically. */
  moveAlias(move: AliasMove): Promise<AliasEventEntity> {
    return this.dataSource.transaction(async (manager) => {
      if (move.toVersion === null) {
        await manager.delete(ModelAliasEntity, { modelName: move.modelName, alias: move.alias });
      } else {
        await manager.save(ModelAliasEntity, {
          modelName: move.modelName,
          alias: move.alias,
          version: move.toVersion,
          updatedAt: new Date(),
        });
      }
      return manager.save(AliasEventEntity, manager.create(AliasEventEntity, move));
    });
  }

  /** The alias history of a model, oldest first. */
  history(modelName: string): Promise<AliasEventEntity[]> {
    return this.events.find({ where: { modelName }, order: { id: 'ASC' } });
  }
}
