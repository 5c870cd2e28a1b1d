import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { isUniqueViolation, withNumberingRetry } from '../database/unique-violation.util';
import { ArtifactLock } from '../training/artifact-lock.service';
import { AliasMovedError, RunNotRegistrableError } from './registry.errors';
import { AliasEventEntity } from './entities/alias-event.entity';
import { Alias, ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { lockKeptArtifacts } from './kept-artifacts.util';

export type NewVersion = Omit<ModelVersionEntity, 'id' | 'version' | 'createdAt'>;
export type AliasMove = Omit<AliasEventEntity, 'id' | 'createdAt'>;

/**
 * Where a model's champion points, and the id of the alias event that put it there: event ids only grow, so of two
 * states the one with the higher sequence is the newer (a replica never goes back to an older champion).
 */
export interface ChampionState {
  model: string;
  version: number;
  sequence: number;
}

/** Model versions, aliases and the alias audit trail. Alias moves and their events are written in one transaction. */
@Injectable()
export class ModelRegistryRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(ModelVersionEntity) private readonly versions: Repository<ModelVersionEntity>,
    @InjectRepository(ModelAliasEntity) private readonly aliases: Repository<ModelAliasEntity>,
    @InjectRepository(AliasEventEntity) private readonly events: Repository<AliasEventEntity>,
    private readonly bus: ClusterBus,
    private readonly lock: ArtifactLock,
  ) {}

  /**
   * Registers the next version number of the model (numbering and insert in one transaction; again when another
   * replica took the number first).
   */
  createVersion(values: NewVersion): Promise<ModelVersionEntity> {
    return withNumberingRetry(() =>
      this.dataSource.transaction(async (manager) => {
        const repo = manager.getRepository(ModelVersionEntity);
        // Read again in the transaction: a concurrent registration of the same run (whose insert made this
        // attempt fail) is now visible, and the run is refused rather than numbered again.
        const taken = await repo.findOneBy({ runId: values.runId });
        if (taken) {
          throw new RunNotRegistrableError(
            `Run ${values.runId} is already version ${taken.version} of ${taken.modelName}`,
          );
        }
        const last = await repo.findOne({ where: { modelName: values.modelName }, order: { version: 'DESC' } });
        return repo.save(repo.create({ ...values, version: (last?.version ?? 0) + 1 }));
      }),
    );
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

  /** Every model's champion with its sequence, in one read. */
  async championStates(): Promise<ChampionState[]> {
    const rows = await this.dataSource.query<{ model_name: string; version: number; sequence: number | null }[]>(
      `SELECT a."model_name", a."version", (SELECT MAX(e."id") FROM "alias_events" e ` +
        `WHERE e."model_name" = a."model_name" AND e."alias" = 'champion') AS "sequence" ` +
        `FROM "model_aliases" a WHERE a."alias" = 'champion'`,
    );
    return rows.map((r) => ({ model: r.model_name, version: Number(r.version), sequence: Number(r.sequence ?? 0) }));
  }

  /**
   * Points the alias at `toVersion` and appends the event, atomically, if the alias still points at `fromVersion`
   * (compare-and-set: the alias row is read locked on PostgreSQL; SQLite serialises writers). A move that lost a
   * race with another process's move is refused (409) rather than recorded against a champion it never saw. A
   * version whose artifact was pruned by retention is refused (410; see lockKeptArtifacts). The other replicas are told
   * when it commits.
   */
  async moveAlias(move: AliasMove): Promise<AliasEventEntity> {
    try {
      return await this.lock.exclusive(() => this.moveAliasNow(move));
    } catch (error) {
      // Two first champions at once: the second insert meets the first's row.
      if (isUniqueViolation(error)) throw new AliasMovedError(move, undefined);
      throw error;
    }
  }

  private moveAliasNow(move: AliasMove): Promise<AliasEventEntity> {
    return this.dataSource.transaction(async (manager) => {
      const read = manager
        .getRepository(ModelAliasEntity)
        .createQueryBuilder('a')
        .where('a.model_name = :model AND a.alias = :alias', { model: move.modelName, alias: move.alias });
      if (manager.connection.options.type === 'postgres') read.setLock('pessimistic_write');
      const current = (await read.getOne())?.version ?? null;
      if (current !== move.fromVersion) throw new AliasMovedError(move, current);
      if (move.toVersion !== null) await lockKeptArtifacts(manager, move.modelName, [move.toVersion]);
      if (move.toVersion === null) {
        await manager.delete(ModelAliasEntity, { modelName: move.modelName, alias: move.alias });
      } else if (current === null) {
        await manager.insert(ModelAliasEntity, {
          modelName: move.modelName,
          alias: move.alias,
          version: move.toVersion,
          updatedAt: new Date(),
        });
      } else {
        await manager.update(
          ModelAliasEntity,
          { modelName: move.modelName, alias: move.alias },
          { version: move.toVersion, updatedAt: new Date() },
        );
      }
      const event = await manager.save(AliasEventEntity, manager.create(AliasEventEntity, move));
      await this.bus.publish({ type: 'alias', model: move.modelName }, manager);
      return event;
    });
  }

  /** The alias history of a model, oldest first. */
  history(modelName: string): Promise<AliasEventEntity[]> {
    return this.events.find({ where: { modelName }, order: { id: 'ASC' } });
  }
}
