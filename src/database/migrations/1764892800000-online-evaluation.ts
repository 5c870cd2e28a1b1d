import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Online evaluation: traffic policies and their audit trail, ground-truth feedback joined to the prediction log
 * (one per logged request and row, one outcome per logged prediction of the row), and the decisions taken on live
 * performance. The prediction log records the client's own id, the policy each request was served under, and
 * whether an entry is a shadow's.
 * SQLite adds the log's columns in place (no copy of the log).
 */
const SQLITE_UP = [
  `CREATE TABLE "traffic_events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "model_name" varchar(64) NOT NULL, "mode" varchar(16) NOT NULL, "arms" json NOT NULL, "shadow" json NOT NULL, "sticky_header" varchar(64), "previous_mode" varchar(16), "reason" varchar(1024) NOT NULL, "actor" varchar(128) NOT NULL, "created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
  `CREATE INDEX "IDX_traffic_events_model" ON "traffic_events" ("model_name", "id") `,
  `CREATE TABLE "traffic_policies" ("model_name" varchar(64) PRIMARY KEY NOT NULL, "policy_id" integer NOT NULL, "mode" varchar(16) NOT NULL, "arms" json NOT NULL, "shadow" json NOT NULL, "sticky_header" varchar(64), "updated_at" datetime NOT NULL)`,
  `CREATE TABLE "decisions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "model_name" varchar(64) NOT NULL, "kind" varchar(32) NOT NULL, "policy_id" integer NOT NULL, "summary" varchar(1024) NOT NULL, "evidence" json NOT NULL, "created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
  `CREATE INDEX "IDX_decisions_model" ON "decisions" ("model_name", "id") `,
  `CREATE TABLE "feedback" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "log_id" bigint NOT NULL, "request_id" varchar(128) NOT NULL, "row_index" integer NOT NULL, "actual_value" double precision, "actual_label" varchar(256), "received_at" datetime NOT NULL DEFAULT (datetime('now')))`,
  `CREATE UNIQUE INDEX "UQ_feedback_log_row" ON "feedback" ("log_id", "row_index") `,
  `CREATE INDEX "IDX_feedback_request" ON "feedback" ("request_id") `,
  `CREATE TABLE "prediction_outcomes" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "feedback_id" integer NOT NULL, "log_id" bigint NOT NULL, "model_name" varchar(64) NOT NULL, "model_version" integer NOT NULL, "policy_id" integer NOT NULL, "policy" varchar(16) NOT NULL, "shadow" boolean NOT NULL DEFAULT (0), "predicted_at" datetime NOT NULL, "received_at" datetime NOT NULL, "predicted_value" double precision, "actual_value" double precision, "squared_error" double precision, "absolute_error" double precision, "predicted_label" varchar(256), "actual_label" varchar(256), "correct" boolean, "log_loss" double precision)`,
  `CREATE UNIQUE INDEX "UQ_prediction_outcomes_feedback_log" ON "prediction_outcomes" ("feedback_id", "log_id") `,
  `CREATE INDEX "IDX_prediction_outcomes_policy" ON "prediction_outcomes" ("model_name", "policy_id") `,
  `CREATE INDEX "IDX_prediction_outcomes_model_time" ON "prediction_outcomes" ("model_name", "predicted_at") `,
  `ALTER TABLE "predictions" ADD COLUMN "prediction_id" varchar(128)`,
  `ALTER TABLE "predictions" ADD COLUMN "policy_id" integer NOT NULL DEFAULT (0)`,
  `ALTER TABLE "predictions" ADD COLUMN "policy" varchar(16) NOT NULL DEFAULT ('champion')`,
  `ALTER TABLE "predictions" ADD COLUMN "shadow" boolean NOT NULL DEFAULT (0)`,
  `CREATE INDEX "IDX_predictions_prediction_id" ON "predictions" ("prediction_id") `,
  `CREATE INDEX "IDX_predictions_request" ON "predictions" ("request_id") `,
];

const POSTGRES_UP = [
  `CREATE TABLE "traffic_events" ("id" SERIAL NOT NULL, "model_name" character varying(64) NOT NULL, "mode" character varying(16) NOT NULL, "arms" json NOT NULL, "shadow" json NOT NULL, "sticky_header" character varying(64), "previous_mode" character varying(16), "reason" character varying(1024) NOT NULL, "actor" character varying(128) NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_87a65c9bea945143ca44e218fe3" PRIMARY KEY ("id"))`,
  `CREATE INDEX "IDX_traffic_events_model" ON "traffic_events"  ("model_name", "id") `,
  `CREATE TABLE "traffic_policies" ("model_name" character varying(64) NOT NULL, "policy_id" integer NOT NULL, "mode" character varying(16) NOT NULL, "arms" json NOT NULL, "shadow" json NOT NULL, "sticky_header" character varying(64), "updated_at" TIMESTAMP NOT NULL, CONSTRAINT "PK_085a50395d606d359106bcbe3c9" PRIMARY KEY ("model_name"))`,
  `CREATE TABLE "decisions" ("id" SERIAL NOT NULL, "model_name" character varying(64) NOT NULL, "kind" character varying(32) NOT NULL, "policy_id" integer NOT NULL, "summary" character varying(1024) NOT NULL, "evidence" json NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_48eee6fa229cd5e43648f6a2ec3" PRIMARY KEY ("id"))`,
  `CREATE INDEX "IDX_decisions_model" ON "decisions"  ("model_name", "id") `,
  `CREATE TABLE "feedback" ("id" SERIAL NOT NULL, "log_id" bigint NOT NULL, "request_id" character varying(128) NOT NULL, "row_index" integer NOT NULL, "actual_value" double precision, "actual_label" character varying(256), "received_at" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_8389f9e087a57689cd5be8b2b13" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_feedback_log_row" ON "feedback"  ("log_id", "row_index") `,
  `CREATE INDEX "IDX_feedback_request" ON "feedback"  ("request_id") `,
  `CREATE TABLE "prediction_outcomes" ("id" SERIAL NOT NULL, "feedback_id" integer NOT NULL, "log_id" bigint NOT NULL, "model_name" character varying(64) NOT NULL, "model_version" integer NOT NULL, "policy_id" integer NOT NULL, "policy" character varying(16) NOT NULL, "shadow" boolean NOT NULL DEFAULT false, "predicted_at" TIMESTAMP NOT NULL, "received_at" TIMESTAMP NOT NULL, "predicted_value" double precision, "actual_value" double precision, "squared_error" double precision, "absolute_error" double precision, "predicted_label" character varying(256), "actual_label" character varying(256), "correct" boolean, "log_loss" double precision, CONSTRAINT "PK_b58301c7c0e954eb4c93fc7807a" PRIMARY KEY ("id"))`,
  `CREATE UNIQUE INDEX "UQ_prediction_outcomes_feedback_log" ON "prediction_outcomes"  ("feedback_id", "log_id") `,
  `CREATE INDEX "IDX_prediction_outcomes_policy" ON "prediction_outcomes"  ("model_name", "policy_id") `,
  `CREATE INDEX "IDX_prediction_outcomes_model_time" ON "prediction_outcomes"  ("model_name", "predicted_at") `,
  `ALTER TABLE "predictions" ADD "prediction_id" character varying(128)`,
  `ALTER TABLE "predictions" ADD "policy_id" integer NOT NULL DEFAULT '0'`,
  `ALTER TABLE "predictions" ADD "policy" character varying(16) NOT NULL DEFAULT 'champion'`,
  `ALTER TABLE "predictions" ADD "shadow" boolean NOT NULL DEFAULT false`,
  `CREATE INDEX "IDX_predictions_prediction_id" ON "predictions"  ("prediction_id") `,
  `CREATE INDEX "IDX_predictions_request" ON "predictions"  ("request_id") `,
];

const DOWN_TABLES = ['traffic_events', 'traffic_policies', 'decisions', 'feedback', 'prediction_outcomes'];
const LOG_COLUMNS = ['prediction_id', 'policy_id', 'policy', 'shadow'];

async function down(runner: QueryRunner): Promise<void> {
  await runner.query(`DROP INDEX "IDX_predictions_request"`);
  await runner.query(`DROP INDEX "IDX_predictions_prediction_id"`);
  for (const column of LOG_COLUMNS) await runner.query(`ALTER TABLE "predictions" DROP COLUMN "${column}"`);
  for (const table of DOWN_TABLES) await runner.query(`DROP TABLE "${table}"`);
}

export class OnlineEvaluationSqlite1764892800000 implements MigrationInterface {
  name = 'OnlineEvaluation1764892800000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of SQLITE_UP) await runner.query(sql);
  }

  down = down;
}

export class OnlineEvaluationPostgres1764892800000 implements MigrationInterface {
  name = 'OnlineEvaluation1764892800000';

  async up(runner: QueryRunner): Promise<void> {
    for (const sql of POSTGRES_UP) await runner.query(sql);
  }

  down = down;
}
