import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { PredictionRateLimitGuard, PredictionThrottlerGuard } from './common/http/prediction-throttler.guard';
import { RedisThrottlerStorage } from './common/http/redis-throttler.storage';
import { DomainEventsModule } from './common/events/domain-events';
import { AppConfig } from './config/app-config';
import { AllExceptionsFilter, PROTOCOL_ERROR_FILTERS } from './common/http/all-exceptions.filter';
import { MlflowExceptionFilter } from './prediction/mlflow-exception.filter';
import { V2ExceptionFilter } from './prediction/v2-exception.filter';
import { RequestLogHook } from './common/http/request-log.hook';
import { RequestTracingHook } from './common/tracing/request-tracing.hook';
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
import { EvaluationModule } from './monitoring/evaluation/evaluation.module';
import { FeedbackModule } from './monitoring/feedback/feedback.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { PredictionModule } from './prediction/prediction.module';
import { RegistryModule } from './registry/registry.module';
import { RetentionModule } from './retention/retention.module';
import { RetrainingModule } from './retraining/retraining.module';
import { TrainingModule } from './training/training.module';

/**
 * The global guards, in the order they run. Registered as APP_GUARD below (each also as a provider of its own, so
 * the direct prediction routes run the same instances: see setupDirectRoutes).
 */
export const GLOBAL_GUARDS = [ApiKeyGuard, PredictionRateLimitGuard] as const;

/**
 * The whole service. Global behaviour (guards, validation, the error model, request logging) is registered here as
 * providers, so tests that boot AppModule behave exactly like production. There are no global interceptors: the
 * direct prediction routes could not run them (request ids and log lines come from Fastify hooks instead).
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
    FeedbackModule,
    EvaluationModule,
    RetrainingModule,
    RetentionModule,
    HealthModule,
    DashboardModule,
  ],
  providers: [
    PredictionThrottlerGuard,
    ...GLOBAL_GUARDS,
    ...GLOBAL_GUARDS.map((guard) => ({ provide: APP_GUARD, useExisting: guard })),
    AppValidationPipe,
    { provide: APP_PIPE, useExisting: AppValidationPipe },
    {
      provide: PROTOCOL_ERROR_FILTERS,
      useValue: [
        { prefix: '/invocations', filter: new MlflowExceptionFilter() },
        { prefix: '/v2/', filter: new V2ExceptionFilter() },
      ],
    },
    AllExceptionsFilter,
    { provide: APP_FILTER, useExisting: AllExceptionsFilter },
    RequestLogHook,
    RequestTracingHook,
    ShutdownLogger,
  ],
})
export class AppModule {}
