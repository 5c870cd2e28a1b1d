import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Model registry (versions, aliases, alias audit trail) and the prediction log (issue 4). */
export class RegistryAndPredictions1763892000000 implements MigrationInterface {
  name = 'RegistryAndPredictions1763892000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "model_versions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "model_name" varchar(64) NOT NULL, ` +
        `"version" integer NOT NULL, "run_id" varchar(36) NOT NULL, "candidate" varchar(32) NOT NULL, ` +
        `"dataset_version" varchar(64) NOT NULL, "metrics" json NOT NULL, "artifact_path" varchar(1024) NOT NULL, ` +
        `"artifact_sha256" varchar(64) NOT NULL, "input_signature" json NOT NULL, ` +
        `"created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "UQ_model_versions_model_version" ON "model_versions" ("model_name", "version")`,
    );
    await runner.query(
      `CREATE TABLE "model_aliases" ("model_name" varchar(64) NOT NULL, "alias" varchar(16) NOT NULL, ` +
        `"version" integer NOT NULL, "updated_at" datetime NOT NULL, PRIMARY KEY ("model_name", "alias"))`,
    );
    await runner.query(
      `CREATE TABLE "alias_events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "model_name" varchar(64) NOT NULL, ` +
        `"alias" varchar(16) NOT NULL, "from_version" integer, "to_version" integer, "action" varchar(16) NOT NULL, ` +
        `"reason" varchar(1024) NOT NULL, "actor" varchar(128) NOT NULL, "forced" boolean NOT NULL DEFAULT (0), ` +
        `"created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
    );
    await runner.query(`CREATE INDEX "IDX_alias_events_model" ON "alias_events" ("model_name", "id")`);
    await runner.query(
      `CREATE TABLE "predictions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "created_at" datetime NOT NULL, ` +
        `"model_name" varchar(64) NOT NULL, "model_version" integer NOT NULL, "request_id" varchar(128) NOT NULL, ` +
        `"inputs" json NOT NULL, "output" json NOT NULL, "latency_ms" double precision NOT NULL)`,
    );
    await runner.query(`CREATE INDEX "IDX_predictions_model_time" ON "predictions" ("model_name", "created_at")`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "IDX_predictions_model_time"`);
    await runner.query(`DROP TABLE "predictions"`);
    await runner.query(`DROP INDEX "IDX_alias_events_model"`);
    await runner.query(`DROP TABLE "alias_events"`);
    await runner.query(`DROP TABLE "model_aliases"`);
    await runner.query(`DROP INDEX "UQ_model_versions_model_version"`);
    await runner.query(`DROP TABLE "model_versions"`);
  }
}
