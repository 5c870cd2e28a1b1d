import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run becomes at most one version: two processes registering the same run at once used to both pass the
 * "already registered?" read and create two versions of one artifact. Same statement on SQLite and PostgreSQL.
 */
export class VersionRunUnique1764806400000 implements MigrationInterface {
  name = 'VersionRunUnique1764806400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE UNIQUE INDEX "UQ_model_versions_run" ON "model_versions" ("run_id")`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "UQ_model_versions_run"`);
  }
}
