import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { LoggingInterceptor } from './common/http/logging.interceptor';
import { AppValidationPipe } from './common/http/validation.pipe';
import { ShutdownLogger } from './common/logging/shutdown.logger';
import { ConfigModule } from './config/config.module';
import { DataModule } from './data/data.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './monitoring/metrics.module';
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
    MetricsModule,
    DatabaseModule,
    DataModule,
    TrainingModule,
    RegistryModule,
    PredictionModule,
    MonitoringModule,
    RetrainingModule,
    HealthModule,
  ],
  providers: [
    { provide: APP_PIPE, useClass: AppValidationPipe },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_INTERCEPTOR, useClass: LoggingInterceptor },
    ShutdownLogger,
  ],
})
export class AppModule {}
