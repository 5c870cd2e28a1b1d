import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Artifact retention: a run records when its artifact was deleted (null while it is stored), so that its version,
 * metrics and lineage stay readable and the version is refused, with its reason, when asked to serve. Only the
 * timestamp type differs between the dialects.
 */
const up = (type: string): string => `ALTER TABLE "runs" ADD COLUMN "artifact_pruned_at" ${type}`;
const DOWN = `ALTER TABLE "runs" DROP COLUMN "artifact_pruned_at"`;

export class ArtifactRetentionSqlite1765152000000 implements MigrationInterface {
  name = 'ArtifactRetention1765152000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(up('datetime'));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(DOWN);
  }
}

export class ArtifactRetentionPostgres1765152000000 implements MigrationInterface {
  name = 'ArtifactRetention1765152000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(up('TIMESTAMP'));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(DOWN);
  }
}
