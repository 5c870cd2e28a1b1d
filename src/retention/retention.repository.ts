import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { AliasEventEntity } from '../registry/entities/alias-event.entity';
import { ModelAliasEntity } from '../registry/entities/model-alias.entity';
import { ModelVersionEntity } from '../registry/entities/model-version.entity';
import { TrafficPolicyEntity } from '../registry/entities/traffic-policy.entity';
import { ACTIVE_RETRAIN_STATUSES, RetrainJobEntity } from '../retraining/entities/retrain-job.entity';
import type { ArtifactRef } from '../training/artifact-store.service';
import { RunEntity } from '../training/entities/run.entity';
import { jobReferences, RetentionDecision, RetentionJob, RetentionState } from './retention-plan.util';
import { exclusivelyAcrossProcesses } from '../database/advisory-lock.util';

/** Any constant: the advisory lock one sweep holds, so replicas sharing PostgreSQL never sweep at once. */
const RETENTION_LOCK = 7_412_003;

/** A run whose artifact is stored: where, and who it belongs to. */
export interface StoredArtifact extends ArtifactRef {
  runId: string;
  model: string;
}

/** A run whose artifact was pruned by retention. */
export interface PrunedArtifact extends StoredArtifact {
  version: number | null;
}

/** How marking one artifact pruned ended: marked, referenced meanwhile (kept), or marked by someone else already. */
export type MarkOutcome = 'marked' | 'in_use' | 'already_pruned';

/** Thrown inside the marking transaction to roll it back: the artifact became referenced since the plan. */
class StillInUse extends Error {}

/**
 * What artifact retention reads (versions, aliases, the champion's history, traffic policies, unfinished retraining
 * jobs, runs with stored artifacts) and writes (a run's `artifact_pruned_at`), and its lock across replicas.
 */
@Injectable()
export class RetentionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` as the only sweep of every process sharing the database: on PostgreSQL under a transaction-level
   * advisory lock, taken without waiting (undefined when another process holds it); SQLite is one process, which
   * serialises its own sweeps.
   */
  exclusively<T>(work: () => Promise<T>): Promise<T | undefined> {
    return exclusivelyAcrossProcesses(this.dataSource, RETENTION_LOCK, work);
  }

  /** The state retention decides on, and where each stored artifact is (by run id). */
  async state(): Promise<{ state: RetentionState; stored: Map<string, StoredArtifact> }> {
    const manager = this.dataSource.manager;
    const runs = await this.storedRuns();
    const versions = await manager.find(ModelVersionEntity, {
      select: { modelName: true, version: true, runId: true },
    });
    const aliases = await manager.find(ModelAliasEntity);
    const moves = await manager.find(AliasEventEntity, { where: { alias: 'champion' }, order: { id: 'ASC' } });
    const policies = await manager.find(TrafficPolicyEntity);
    const jobs = await this.activeJobs(manager);
    const state: RetentionState = {
      runs: runs.map((r) => ({
        id: r.id,
        model: r.modelName,
        status: r.status,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
      })),
      versions: versions.map((v) => ({ model: v.modelName, version: v.version, runId: v.runId })),
      aliases: aliases.map((a) => ({ model: a.modelName, alias: a.alias, version: a.version })),
      championMoves: moves.map((e) => ({
        model: e.modelName,
        fromVersion: e.fromVersion,
        toVersion: e.toVersion,
        at: e.createdAt,
      })),
      policies: policies.map((p) => ({
        model: p.modelName,
        versions: [...p.arms.map((a) => a.version), ...p.shadow],
      })),
      jobs,
    };
    return { state, stored: new Map(runs.map((r) => [r.id, storedArtifact(r)])) };
  }

  /** Every stored artifact (of a run that finished writing it, not pruned). */
  async stored(): Promise<StoredArtifact[]> {
    return (await this.storedRuns()).map(storedArtifact);
  }

  private storedRuns(): Promise<RunEntity[]> {
    return this.dataSource.manager.find(RunEntity, {
      select: {
        id: true,
        modelName: true,
        status: true,
        startedAt: true,
        finishedAt: true,
        artifactPath: true,
        artifactSha256: true,
      },
      where: { artifactPath: Not(IsNull()), artifactSha256: Not(IsNull()), artifactPrunedAt: IsNull() },
    });
  }

  /** The ids of the runs that record an artifact (pruned or not). */
  async recordingRuns(): Promise<Set<string>> {
    const runs = await this.dataSource.manager.find(RunEntity, {
      select: { id: true, artifactPath: true },
      where: { artifactPath: Not(IsNull()) },
    });
    return new Set(runs.map((r) => r.id));
  }

  /** Every run whose artifact was pruned by retention, with the version it was registered as. */
  async pruned(): Promise<PrunedArtifact[]> {
    const runs = await this.dataSource.manager.find(RunEntity, {
      select: { id: true, modelName: true, artifactPath: true, artifactSha256: true },
      where: { artifactPrunedAt: Not(IsNull()), artifactPath: Not(IsNull()), artifactSha256: Not(IsNull()) },
    });
    const versions = runs.length
      ? await this.dataSource.manager.find(ModelVersionEntity, {
          select: { runId: true, version: true },
          where: { runId: In(runs.map((r) => r.id)) },
        })
      : [];
    const versionOf = new Map(versions.map((v) => [v.runId, v.version]));
    return runs.map((r) => ({
      runId: r.id,
      model: r.modelName,
      path: r.artifactPath!,
      sha256: r.artifactSha256!,
      version: versionOf.get(r.id) ?? null,
    }));
  }

  /**
   * Marks the artifact of a run pruned, unless it became referenced since the plan (registered, pointed at by an
   * alias or a traffic policy, claimed by a retraining job): the mark is written first (on PostgreSQL it locks the
   * run's row, which a transaction pointing an alias or a policy at the version takes too), then the references
   * are read again in the same transaction, which is rolled back if one appeared.
   */
  async markPruned(decision: RetentionDecision, at: Date): Promise<MarkOutcome> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const marked = await manager.update(
          RunEntity,
          { id: decision.runId, artifactPrunedAt: IsNull() },
          { artifactPrunedAt: at },
        );
        if (!marked.affected) return 'already_pruned';
        if (await this.referenced(manager, decision)) throw new StillInUse();
        return 'marked';
      });
    } catch (error) {
      if (error instanceof StillInUse) return 'in_use';
      throw error;
    }
  }

  private async referenced(manager: EntityManager, decision: RetentionDecision): Promise<boolean> {
    const run = await manager.findOneByOrFail(RunEntity, { id: decision.runId });
    const version = (await manager.findOneBy(ModelVersionEntity, { runId: decision.runId }))?.version;
    if (decision.version === null && version !== undefined) return true; // registered meanwhile
    if (version !== undefined) {
      if (await manager.existsBy(ModelAliasEntity, { modelName: run.modelName, version })) return true;
      const policy = await manager.findOneBy(TrafficPolicyEntity, { modelName: run.modelName });
      if (policy && [...policy.arms.map((a) => a.version), ...policy.shadow].includes(version)) return true;
    }
    const jobs = await this.activeJobs(manager, run.modelName);
    return jobs.some((job) =>
      jobReferences(job, { id: run.id, model: run.modelName, startedAt: run.startedAt }, version),
    );
  }

  private async activeJobs(manager: EntityManager, model?: string): Promise<RetentionJob[]> {
    const jobs = await manager.find(RetrainJobEntity, {
      where: { status: In([...ACTIVE_RETRAIN_STATUSES]), ...(model === undefined ? {} : { modelName: model }) },
    });
    return jobs.map((j) => ({
      model: j.modelName,
      startedAt: j.startedAt,
      runIds: [...(j.runIds ?? []), ...(j.bestRunId ? [j.bestRunId] : [])],
      versions: [j.version, j.fromVersion].filter((v): v is number => v !== null),
    }));
  }
}

const storedArtifact = (run: RunEntity): StoredArtifact => ({
  runId: run.id,
  model: run.modelName,
  path: run.artifactPath!,
  sha256: run.artifactSha256!,
});
