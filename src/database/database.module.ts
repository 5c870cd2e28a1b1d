import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

/**
 * TypeORM on a SQLite file (better-sqlite3): WAL journal, busy timeout, and the migrations in this repository run
 * at start. Entities are registered by the modules that own them (`TypeOrmModule.forFeature`). The DataSource is
 * closed when the application shuts down.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const database = config.databasePath;
        if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
        return {
          type: 'better-sqlite3' as const,
          database,
          enableWAL: true,
          timeout: config.DATABASE_BUSY_TIMEOUT_MS,
          prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
            db.pragma('synchronous = NORMAL');
          },
          autoLoadEntities: true,
          migrations: MIGRATIONS,
          migrationsRun: true,
          migrationsTransactionMode: 'each' as const,
          synchronize: false,
        };
      },
    }),
  ],
})
export class DatabaseModule {}
