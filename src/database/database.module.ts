import { Module } from '@nestjs/common';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { POSTGRES_UTC_SESSION, usePostgresUtc } from './postgres-utc';
import { SqliteConnectionGate } from './sqlite-connection-gate';

/** Any constant: the advisory lock that lets one process at a time migrate a PostgreSQL database. */
const MIGRATION_LOCK = 7_412_001;

/**
 * TypeORM on a SQLite file (better-sqlite3, the default: WAL journal, busy timeout, one connection whose
 * transactions run alone: SqliteConnectionGate) or, with DATABASE_URL, on
 * PostgreSQL (pg). The pending migrations of the dialect run at start; on PostgreSQL under an advisory lock, so
 * replicas starting together migrate once. Entities are registered by the modules that own them
 * (`TypeOrmModule.forFeature`). The DataSource is closed when the application shuts down.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig): TypeOrmModuleOptions =>
        config.DATABASE_URL ? postgresOptions(config, config.DATABASE_URL) : sqliteOptions(config),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = await new DataSource(options!).initialize();
        if (dataSource.options.type === 'postgres') widenLogIds(dataSource);
        await migrate(dataSource);
        if (dataSource.options.type === 'better-sqlite3') SqliteConnectionGate.install(dataSource);
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}

function sqliteOptions(config: AppConfig): TypeOrmModuleOptions {
  const database = config.databasePath;
  if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    timeout: config.DATABASE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('synchronous = NORMAL');
    },
    autoLoadEntities: true,
    migrations: MIGRATIONS.sqlite,
    migrationsRun: false,
    synchronize: false,
  };
}

/**
 * Timestamps are stored without a time zone and mean UTC: the session's TimeZone is UTC (column defaults), pg
 * writes Dates as UTC and reads them back as UTC, so replicas in different time zones agree.
 */
function postgresOptions(config: AppConfig, url: string): TypeOrmModuleOptions {
  usePostgresUtc();
  return {
    type: 'postgres',
    url,
    // bigint columns (lease expiries in ms) and COUNT(*) come back as numbers, as on SQLite.
    parseInt8: true,
    extra: {
      max: config.DATABASE_POOL_SIZE,
      options: POSTGRES_UTC_SESSION,
      connectionTimeoutMillis: 10_000,
    },
    applicationName: `nest-mlops:${config.SERVICE_ROLE}`,
    autoLoadEntities: true,
    migrations: MIGRATIONS.postgres,
    migrationsRun: false,
    synchronize: false,
  };
}

/**
 * The prediction log gets one row per request: at a few thousand requests a second a 32-bit id runs out within
 * days, and pruning does not give ids back. SQLite's rowid is 64-bit already; on PostgreSQL the column is `bigint`
 * (BIGSERIAL). The entity cannot say so for one dialect only (SQLite allows AUTOINCREMENT on INTEGER alone), so the
 * column's metadata is widened here, before the migrations and the schema check read it.
 */
function widenLogIds(dataSource: DataSource): void {
  for (const column of dataSource.getMetadata(PREDICTION_LOG_TABLE).primaryColumns) column.type = 'bigint';
}

/** The prediction log's table (its entity belongs to the prediction module, above this one). */
const PREDICTION_LOG_TABLE = 'predictions';

/** Runs the pending migrations, each in its own transaction; on PostgreSQL one process at a time. */
async function migrate(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
