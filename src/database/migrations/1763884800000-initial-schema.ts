import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Datasets and their splits (issue 2). */
export class InitialSchema1763884800000 implements MigrationInterface {
  name = 'InitialSchema1763884800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "datasets" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(64) NOT NULL, ` +
        `"version" varchar(64) NOT NULL, "source" varchar(1024) NOT NULL, "rows_read" integer NOT NULL, ` +
        `"rows_rejected" integer NOT NULL, "values_imputed" integer NOT NULL, "rejected_sample" json NOT NULL, ` +
        `"created_at" datetime NOT NULL DEFAULT (datetime('now')))`,
    );
    await runner.query(`CREATE UNIQUE INDEX "UQ_datasets_name_version" ON "datasets" ("name", "version")`);
    await runner.query(
      `CREATE TABLE "dataset_splits" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "dataset_id" integer NOT NULL, ` +
        `"seed" integer NOT NULL, "test_fraction" double precision NOT NULL, "train_rows" integer NOT NULL, ` +
        `"test_rows" integer NOT NULL, "train_indices" json NOT NULL, "test_indices" json NOT NULL, ` +
        `"preprocessing" json NOT NULL, "profile" json NOT NULL, "created_at" datetime NOT NULL DEFAULT (datetime('now')), ` +
        `CONSTRAINT "FK_8d407c9e2da524d318159c24cc0" FOREIGN KEY ("dataset_id") REFERENCES "datasets" ("id") ` +
        `ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await runner.query(
      `CREATE UNIQUE INDEX "UQ_dataset_splits_dataset_seed_fraction" ON "dataset_splits" ("dataset_id", "seed", "test_fraction")`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "UQ_dataset_splits_dataset_seed_fraction"`);
    await runner.query(`DROP TABLE "dataset_splits"`);
    await runner.query(`DROP INDEX "UQ_datasets_name_version"`);
    await runner.query(`DROP TABLE "datasets"`);
  }
}
