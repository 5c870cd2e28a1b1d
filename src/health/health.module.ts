import { DefinitionsModule } from '../definitions/definitions.module';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataModule } from '../data/data.module';
import { RegistryModule } from '../registry/registry.module';
import { DiskHealthIndicator } from './disk.health';
import { HealthController } from './health.controller';
import { ModelsHealthIndicator } from './models.health';
import { ReadinessService } from './readiness.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), DataModule, DefinitionsModule, RegistryModule],
  controllers: [HealthController],
  providers: [ModelsHealthIndicator, DiskHealthIndicator, ReadinessService],
  exports: [ReadinessService],
})
export class HealthModule {}
