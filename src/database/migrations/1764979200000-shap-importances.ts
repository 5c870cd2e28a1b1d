import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A run keeps the mean |SHAP value| of each feature over its holdout (global importance from explanations). */
export class ShapImportances1764979200000 implements MigrationInterface {
  name = 'ShapImportances1764979200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "runs" ADD COLUMN "shap_importances" json`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "runs" DROP COLUMN "shap_importances"`);
  }
}
