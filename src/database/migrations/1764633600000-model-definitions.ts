import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Model definitions set through the admin API, with their revisions and retirements (models as data). */
export class ModelDefinitions1764633600000 implements MigrationInterface {
  name = 'ModelDefinitions1764633600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "model_definitions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, ` +
        `"name" varchar(64) NOT NULL, "revision" integer NOT NULL, "action" varchar(16) NOT NULL, ` +
        `"document" json, "actor" varchar(128) NOT NULL, "reason" varchar(500), ` +
        `"created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "UQ_model_definitions_name_revision" ON "model_definitions" ("name", "revision")`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "UQ_model_definitions_name_revision"`);
    await runner.query(`DROP TABLE "model_definitions"`);
  }
}
