import { Module } from '@nestjs/common';
import { DomainEventsModule } from '../common/events/domain-events';
import { ClusterModule } from '../cluster/cluster.module';
import { ConfigModule } from '../config/config.module';
import { DataModule } from '../data/data.module';
import { DatabaseModule } from '../database/database.module';
import { TrainingModule } from '../training/training.module';

/** The modules the command-line tools need: no HTTP server. */
@Module({
  imports: [ConfigModule, DomainEventsModule, DatabaseModule, ClusterModule, DataModule, TrainingModule],
})
export class CliModule {}
