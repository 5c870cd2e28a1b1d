import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Retraining jobs and the per-model lease that keeps retraining single-flight across processes (issue 6). */
export class Retraining1763899200000 implements MigrationInterface {
  name = 'Retraining1763899200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "retrain_jobs" ("id" varchar(36) PRIMARY KEY NOT NULL, "model_name" varchar(64) NOT NULL, ` +
        `"trigger" varchar(16) NOT NULL, "status" varchar(16) NOT NULL, "outcome" varchar(16), ` +
        `"reason" varchar(1024) NOT NULL, "candidates" json, "force" boolean NOT NULL DEFAULT (0), ` +
        `"dataset_version" varchar(64), "run_ids" json, "best_run_id" varchar(36), "version" integer, ` +
        `"from_version" integer, "comparison" json, "stages" json NOT NULL, "error" text, "error_details" json, ` +
        `"started_at" datetime NOT NULL, "finished_at" datetime)`,
    );
    await runner.query(`CREATE INDEX "IDX_retrain_jobs_model" ON "retrain_jobs" ("model_name", "started_at")`);
    await runner.query(
      `CREATE TABLE "retrain_leases" ("model_name" varchar(64) PRIMARY KEY NOT NULL, "holder" varchar(36) NOT NULL, ` +
        `"expires_at" bigint NOT NULL)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE "retrain_leases"`);
    await runner.query(`DROP INDEX "IDX_retrain_jobs_model"`);
    await runner.query(`DROP TABLE "retrain_jobs"`);
  }
}
