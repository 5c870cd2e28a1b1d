import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retraining jobs become a queue shared by every process (SQLite): a job is queued, claimed by one process that
 * trains and holds it by a lease on its own row, and queued again when that process dies with attempts left. At
 * most one queued or running job per model (a unique partial index, which replaces the per-model lease table), and
 * one job per dedupe key (a cron tick seen by several replicas). Columns are added in place: no job row is copied.
 */
export class JobQueue1764720000000 implements MigrationInterface {
  name = 'JobQueue1764720000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "retrain_jobs" ADD COLUMN "claimed_at" datetime`);
    await runner.query(`ALTER TABLE "retrain_jobs" ADD COLUMN "claimed_by" varchar(128)`);
    await runner.query(`ALTER TABLE "retrain_jobs" ADD COLUMN "lease_expires_at" bigint`);
    await runner.query(`ALTER TABLE "retrain_jobs" ADD COLUMN "attempts" integer NOT NULL DEFAULT (0)`);
    await runner.query(`ALTER TABLE "retrain_jobs" ADD COLUMN "dedupe_key" varchar(255)`);
    // A job left running under the old lease table ends here: its process is gone with the table.
    await runner.query(
      `UPDATE "retrain_jobs" SET "status" = 'interrupted', "outcome" = 'interrupted', ` +
        `"error" = 'Interrupted: the service was upgraded while it ran' WHERE "status" = 'running'`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "UQ_retrain_jobs_active_model" ON "retrain_jobs" ("model_name") ` +
        `WHERE "status" IN ('queued', 'running')`,
    );
    await runner.query(`CREATE UNIQUE INDEX "UQ_retrain_jobs_dedupe_key" ON "retrain_jobs" ("dedupe_key")`);
    await runner.query(`DROP TABLE "retrain_leases"`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "retrain_leases" ("model_name" varchar(64) PRIMARY KEY NOT NULL, "holder" varchar(36) NOT NULL, ` +
        `"expires_at" bigint NOT NULL)`,
    );
    await runner.query(`DROP INDEX "UQ_retrain_jobs_dedupe_key"`);
    await runner.query(`DROP INDEX "UQ_retrain_jobs_active_model"`);
    await runner.query(`DELETE FROM "retrain_jobs" WHERE "status" = 'queued'`);
    for (const column of ['dedupe_key', 'attempts', 'lease_expires_at', 'claimed_by', 'claimed_at']) {
      await runner.query(`ALTER TABLE "retrain_jobs" DROP COLUMN "${column}"`);
    }
  }
}
