import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth/auth.decorators';
import { RetentionStatusDto, RetentionSweepDto, RetentionSweepQueryDto } from './dto/retention.dto';
import { ArtifactRetentionService } from './artifact-retention.service';

@ApiTags('registry')
@Controller('retention')
export class RetentionController {
  constructor(private readonly retention: ArtifactRetentionService) {}

  @Get()
  @ApiOperation({
    summary:
      "Artifact retention: its settings, each model's stored artifacts and bytes, what was pruned, this process's last sweep",
  })
  @ApiOkResponse({ type: RetentionStatusDto })
  status(): Promise<RetentionStatusDto> {
    return this.retention.status();
  }

  @Post('sweep')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Run an artifact retention sweep now: delete the artifacts nothing keeps (versions and runs keep their records); ' +
      '`dryRun=true` only reports what would be deleted',
  })
  @ApiOkResponse({ type: RetentionSweepDto })
  sweep(@Query() query: RetentionSweepQueryDto): Promise<RetentionSweepDto> {
    return this.retention.sweep({ dryRun: query.dryRun });
  }
}
