import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { PredictionThrottlerGuard } from './common/http/prediction-throttler.guard';
import { RedisThrottlerStorage } from './common/http/redis-throttler.storage';
import { DomainEventsModule } from './common/events/domain-events';
import { AppConfig } from './config/app-config';
import { AllExceptionsFilter, PROTOCOL_ERROR_FILTERS } from './common/http/all-exceptions.filter';
import { MlflowExceptionFilter } from './prediction/mlflow-exception.filter';
import { V2ExceptionFilter } from './prediction/v2-exception.filter';
import { LoggingInterceptor } from './common/http/logging.interceptor';
import { AppValidationPipe } from './common/http/validation.pipe';
import { ShutdownLogger } from './common/logging/shutdown.logger';
import { ClusterModule } from './cluster/cluster.module';
import { ConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DataModule } from './data/data.module';
import { DefinitionsModule } from './definitions/definitions.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ServiceMetrics } from './metrics/service-metrics';
import { MonitoringModule } from './monitoring/monitoring.module';
import { PredictionModule } from './prediction/prediction.module';
import { RegistryModule } from './registry/registry.module';
import { RetrainingModule } from './retraining/retraining.module';
import { TrainingModule } from './training/training.module';

/**
 * The whole service. Global behaviour (validation, the error model, request logging) is registered here as
 * providers, so tests that boot AppModule behave exactly like production.
 */
@Module({
  imports: [
    ConfigModule,
    DomainEventsModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, ServiceMetrics],
      useFactory: (config: AppConfig, metrics: ServiceMetrics) => ({
        throttlers: [
          { name: 'default', ttl: config.RATE_LIMIT_WINDOW_S * 1000, limit: Math.max(1, config.RATE_LIMIT) },
        ],
        skipIf: () => config.RATE_LIMIT === 0,
        // With REDIS_URL the counts are shared by every replica; without it, @nestjs/throttler's in-memory storage.
        storage:
          config.REDIS_URL && config.RATE_LIMIT > 0
            ? new RedisThrottlerStorage(config.REDIS_URL, () => metrics.rateLimitFailedOpen())
            : undefined,
      }),
    }),
    MetricsModule,
    DatabaseModule,
    ClusterModule,
    DefinitionsModule,
    DataModule,
    TrainingModule,
    RegistryModule,
    PredictionModule,
    MonitoringModule,
    RetrainingModule,
    HealthModule,
    DashboardModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: PredictionThrottlerGuard },
    { provide: APP_PIPE, useClass: AppValidationPipe },
    {
      provide: PROTOCOL_ERROR_FILTERS,
      useValue: [
        { prefix: '/invocations', filter: new MlflowExceptionFilter() },
        { prefix: '/v2/', filter: new V2ExceptionFilter() },
      ],
    },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_INTERCEPTOR, useClass: LoggingInterceptor },
    ShutdownLogger,
  ],
})
export class AppModule {}
