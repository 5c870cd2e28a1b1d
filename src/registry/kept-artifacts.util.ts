import { EntityManager, In } from 'typeorm';
import { RunEntity } from '../training/entities/run.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ArtifactPrunedError } from './registry.errors';

/**
 * In a transaction that points an alias or a traffic policy at `versions` of `model`: refuses (ArtifactPrunedError,
 * 410) when retention has pruned the artifact of one of them, and on PostgreSQL locks their runs' rows until the
 * transaction ends, so that retention cannot mark them pruned before the reference is committed (retention takes
 * the same row when it marks one; within a process, ArtifactLock keeps the two transactions apart). Versions
 * without a run row are let through (their artifact is not retention's).
 */
export async function lockKeptArtifacts(
  manager: EntityManager,
  model: string,
  versions: readonly number[],
): Promise<void> {
  if (versions.length === 0) return;
  const rows = await manager.findBy(ModelVersionEntity, { modelName: model, version: In([...new Set(versions)]) });
  if (rows.length === 0) return;
  const postgres = manager.connection.options.type === 'postgres';
  const runs = await manager.find(RunEntity, {
    where: { id: In(rows.map((v) => v.runId)) },
    ...(postgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  const pruned = new Map(runs.filter((r) => r.artifactPrunedAt).map((r) => [r.id, r.artifactPrunedAt!]));
  const refused = rows.find((v) => pruned.has(v.runId));
  if (refused) throw new ArtifactPrunedError(model, refused.version, pruned.get(refused.runId)!);
}
