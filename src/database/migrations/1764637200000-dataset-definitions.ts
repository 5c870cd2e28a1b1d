import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dataset row per (model, bytes, definition): the same file read with other rules or columns gets its own splits,
 * fitted values and profiles. A column is added in place (no table rebuild, so no split is touched); rows from
 * before definitions keep an empty definition sha256.
 */
export class DatasetDefinitions1764637200000 implements MigrationInterface {
  name = 'DatasetDefinitions1764637200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "datasets" ADD COLUMN "definition_sha256" varchar(64) NOT NULL DEFAULT ('')`);
    await runner.query(`DROP INDEX "UQ_datasets_name_version"`);
    await runner.query(
      `CREATE UNIQUE INDEX "UQ_datasets_name_version_definition" ON "datasets" ("name", "version", "definition_sha256")`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    // Back to one row per (name, version): the newest definition's row of each is kept (with its splits).
    await runner.query(
      `DELETE FROM "datasets" WHERE "id" NOT IN (SELECT MAX("id") FROM "datasets" GROUP BY "name", "version")`,
    );
    await runner.query(`DROP INDEX "UQ_datasets_name_version_definition"`);
    await runner.query(`CREATE UNIQUE INDEX "UQ_datasets_name_version" ON "datasets" ("name", "version")`);
    await runner.query(`ALTER TABLE "datasets" DROP COLUMN "definition_sha256"`);
  }
}
