import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each logged prediction keeps the client's address (the peer, or `x-forwarded-for` as TRUST_PROXY allows). */
export class ClientAddress1765065600000 implements MigrationInterface {
  name = 'ClientAddress1765065600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "predictions" ADD COLUMN "client_address" varchar(64)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "predictions" DROP COLUMN "client_address"`);
  }
}
