import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tracked training runs (issue 3). */
export class ExperimentsAndRuns1763888400000 implements MigrationInterface {
  name = 'ExperimentsAndRuns1763888400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "experiments" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(64) NOT NULL, ` +
        `"created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
    );
    await runner.query(`CREATE UNIQUE INDEX "UQ_experiments_name" ON "experiments" ("name")`);
    await runner.query(
      `CREATE TABLE "runs" ("id" varchar(36) PRIMARY KEY NOT NULL, "experiment_id" integer NOT NULL, ` +
        `"model_name" varchar(64) NOT NULL, "candidate" varchar(32) NOT NULL, "status" varchar(16) NOT NULL, ` +
        `"params" json NOT NULL, "metrics" json, "cv_scores" json, "feature_importances" json, ` +
        `"train_seconds" double precision, "predict_us_per_row" double precision, ` +
        `"dataset_version" varchar(64) NOT NULL, "split" varchar(1024) NOT NULL, "train_rows" integer NOT NULL, ` +
        `"test_rows" integer NOT NULL, "artifact_path" varchar(1024), "artifact_sha256" varchar(64), "error" text, ` +
        `"started_at" datetime NOT NULL, "finished_at" datetime, ` +
        `CONSTRAINT "FK_d21a39ca415e338c03ca211b9a8" FOREIGN KEY ("experiment_id") REFERENCES "experiments" ("id") ` +
        `ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await runner.query(`CREATE INDEX "IDX_runs_model_started" ON "runs" ("model_name", "started_at")`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "IDX_runs_model_started"`);
    await runner.query(`DROP TABLE "runs"`);
    await runner.query(`DROP INDEX "UQ_experiments_name"`);
    await runner.query(`DROP TABLE "experiments"`);
  }
}
