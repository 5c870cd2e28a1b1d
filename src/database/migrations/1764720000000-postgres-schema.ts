import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema on PostgreSQL, as the SQLite migrations before it leave it (a PostgreSQL database starts at
 * this release, so it needs no history of its own), plus the content-addressed artifact store that lets replicas
 * share model artifacts without a shared volume. Timestamps are written and read as UTC, and the prediction log's ids
are 64-bit (see DatabaseModule).
 */
export class PostgresSchema1764720000000 implements MigrationInterface {
  name = 'PostgresSchema1764720000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of UP) await runner.query(sql);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const sql of DOWN) await runner.query(sql);
  }
}

const UP = [
  `CREATE TABLE "experiments" ("id" SERIAL NOT NULL, "name" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_aafe1321d916fac58ba06ad8178" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_experiments_name" ON "experiments"("name") `,
  `CREATE TABLE "runs" ("id" character varying(36) NOT NULL, "experiment_id" integer NOT NULL, "model_name" character varying(64) NOT NULL, "candidate" character varying(32) NOT NULL, "status" character varying(16) NOT NULL, "params" json NOT NULL, "metrics" json, "cv_scores" json, "feature_importances" json, "train_seconds" double precision, "predict_us_per_row" double precision, "dataset_version" character varying(64) NOT NULL, "split" character varying(1024) NOT NULL, "train_rows" integer NOT NULL, "test_rows" integer NOT NULL, "artifact_path" character varying(1024), "artifact_sha256" character varying(64), "error" text, "started_at" TIMESTAMP NOT NULL, "finished_at" TIMESTAMP, CONSTRAINT "PK_46d6a1e257c38ba58f1a3c30836" PRIMARY KEY ("id"))`,
  `CREATE INDEX "IDX_runs_model_started" ON "runs"("model_name", "started_at") `,
  `CREATE TABLE "model_definitions" ("id" SERIAL NOT NULL, "name" character varying(64) NOT NULL, "revision" integer NOT NULL, "action" character varying(16) NOT NULL, "document" json, "actor" character varying(128) NOT NULL, "reason" character varying(500), "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_096dc87a22868518847dc45d1be" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_model_definitions_name_revision" ON "model_definitions"("name", "revision") `,
  `CREATE TABLE "predictions" ("id" BIGSERIAL NOT NULL, "created_at" TIMESTAMP NOT NULL, "model_name" character varying(64) NOT NULL, "model_version" integer NOT NULL, "request_id" character varying(128) NOT NULL, "row_count" integer NOT NULL DEFAULT '1', "inputs" json NOT NULL, "outputs" json NOT NULL, "latency_ms" double precision NOT NULL, CONSTRAINT "PK_b92c9e4db595214b289f5e28adc" PRIMARY KEY ("id"))`,
  `CREATE INDEX "IDX_predictions_model_time" ON "predictions"("model_name", "created_at") `,
  `CREATE TABLE "alias_events" ("id" SERIAL NOT NULL, "model_name" character varying(64) NOT NULL, "alias" character varying(16) NOT NULL, "from_version" integer, "to_version" integer, "action" character varying(16) NOT NULL, "reason" character varying(1024) NOT NULL, "actor" character varying(128) NOT NULL, "forced" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_25ec29c97704ca4016e7aeca759" PRIMARY KEY ("id"))`,
  `CREATE INDEX "IDX_alias_events_model" ON "alias_events"("model_name", "id") `,
  `CREATE TABLE "model_aliases" ("model_name" character varying(64) NOT NULL, "alias" character varying(16) NOT NULL, "version" integer NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT "PK_d22f75bf0d9a741aca9de45dc86" PRIMARY KEY ("model_name", "alias"))`,
  `CREATE TABLE "model_versions" ("id" SERIAL NOT NULL, "model_name" character varying(64) NOT NULL, "version" integer NOT NULL, "run_id" character varying(36) NOT NULL, "candidate" character varying(32) NOT NULL, "dataset_version" character varying(64) NOT NULL, "metrics" json NOT NULL, "artifact_path" character varying(1024) NOT NULL, "artifact_sha256" character varying(64) NOT NULL, "input_signature" json NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_77c0256872dcc26394dba4b87ec" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_model_versions_model_version" ON "model_versions"("model_name", "version") `,
  `CREATE TABLE "datasets" ("id" SERIAL NOT NULL, "name" character varying(64) NOT NULL, "version" character varying(64) NOT NULL, "definition_sha256" character varying(64) NOT NULL DEFAULT '', "source" character varying(1024) NOT NULL, "rows_read" integer NOT NULL, "rows_rejected" integer NOT NULL, "values_imputed" integer NOT NULL, "rejected_sample" json NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_1bf831e43c559a240303e23d038" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_datasets_name_version_definition" ON "datasets"("name", "version", "definition_sha256") `,
  `CREATE TABLE "dataset_splits" ("id" SERIAL NOT NULL, "dataset_id" integer NOT NULL, "seed" integer NOT NULL, "test_fraction" double precision NOT NULL, "train_rows" integer NOT NULL, "test_rows" integer NOT NULL, "train_indices" json NOT NULL, "test_indices" json NOT NULL, "preprocessing" json NOT NULL, "profile" json NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_5b93868a4d92ead3a3b746c3768" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_dataset_splits_dataset_seed_fraction" ON "dataset_splits"("dataset_id", "seed", "test_fraction") `,
  `CREATE TABLE "retrain_jobs" ("id" character varying(36) NOT NULL, "model_name" character varying(64) NOT NULL, "trigger" character varying(16) NOT NULL, "status" character varying(16) NOT NULL, "outcome" character varying(16), "reason" character varying(1024) NOT NULL, "candidates" json, "force" boolean NOT NULL DEFAULT false, "dataset_version" character varying(64), "run_ids" json, "best_run_id" character varying(36), "version" integer, "from_version" integer, "comparison" json, "stages" json NOT NULL, "error" text, "error_details" json, "started_at" TIMESTAMP NOT NULL, "claimed_at" TIMESTAMP, "claimed_by" character varying(128), "lease_expires_at" bigint, "attempts" integer NOT NULL DEFAULT '0', "dedupe_key" character varying(255), "finished_at" TIMESTAMP, CONSTRAINT "PK_7d80a0064e9aa0bee15718135f5" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_retrain_jobs_dedupe_key" ON "retrain_jobs"("dedupe_key") `,
  `CREATE UNIQUE INDEX "UQ_retrain_jobs_active_model" ON "retrain_jobs"("model_name") WHERE "status" IN ('queued', 'running')`,
  `CREATE INDEX "IDX_retrain_jobs_model" ON "retrain_jobs"("model_name", "started_at") `,
  `ALTER TABLE "runs" ADD CONSTRAINT "FK_d21a39ca415e338c03ca211b9a8" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
  `ALTER TABLE "dataset_splits" ADD CONSTRAINT "FK_8d407c9e2da524d318159c24cc0" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
  `CREATE TABLE "artifacts" ("sha256" character varying(64) NOT NULL, "bytes" integer NOT NULL, "content" bytea NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_artifacts_sha256" PRIMARY KEY ("sha256"))`,
];

const DOWN = [
  `DROP TABLE "artifacts"`,
  `ALTER TABLE "dataset_splits" DROP CONSTRAINT "FK_8d407c9e2da524d318159c24cc0"`,
  `ALTER TABLE "runs" DROP CONSTRAINT "FK_d21a39ca415e338c03ca211b9a8"`,
  `DROP INDEX "public"."IDX_retrain_jobs_model"`,
  `DROP INDEX "public"."UQ_retrain_jobs_active_model"`,
  `DROP INDEX "public"."UQ_retrain_jobs_dedupe_key"`,
  `DROP TABLE "retrain_jobs"`,
  `DROP INDEX "public"."UQ_dataset_splits_dataset_seed_fraction"`,
  `DROP TABLE "dataset_splits"`,
  `DROP INDEX "public"."UQ_datasets_name_version_definition"`,
  `DROP TABLE "datasets"`,
  `DROP INDEX "public"."UQ_model_versions_model_version"`,
  `DROP TABLE "model_versions"`,
  `DROP TABLE "model_aliases"`,
  `DROP INDEX "public"."IDX_alias_events_model"`,
  `DROP TABLE "alias_events"`,
  `DROP INDEX "public"."IDX_predictions_model_time"`,
  `DROP TABLE "predictions"`,
  `DROP INDEX "public"."UQ_model_definitions_name_revision"`,
  `DROP TABLE "model_definitions"`,
  `DROP INDEX "public"."IDX_runs_model_started"`,
  `DROP TABLE "runs"`,
  `DROP INDEX "public"."UQ_experiments_name"`,
  `DROP TABLE "experiments"`,
];
