import { Module } from '@nestjs/common';
import { DefinitionsModule } from '../definitions/definitions.module';
import { TrainingModule } from '../training/training.module';
import { ArtifactRetentionService } from './artifact-retention.service';
import { RetentionController } from './retention.controller';
import { RetentionRepository } from './retention.repository';

/**
 * Artifact retention: deletes the artifacts of model versions and training runs that nothing keeps any more (see
 * ArtifactRetentionService), so that the artifact store does not grow with every retraining. It reads the
 * registry's and the retraining queue's tables, so it sits above both.
 */
@Module({
  imports: [DefinitionsModule, TrainingModule],
  controllers: [RetentionController],
  providers: [ArtifactRetentionService, RetentionRepository],
  exports: [ArtifactRetentionService],
})
export class RetentionModule {}
