import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AdminOnly } from '../../common/auth/auth.decorators';
import { ModelNameParamDto } from '../../definitions/dto/model-name.dto';
import { SetTrafficPolicyDto, TrafficEventDto, TrafficPolicyDto } from './dto/traffic.dto';
import { TrafficService } from './traffic.service';

@ApiTags('registry')
@Controller('models/:name/traffic')
export class TrafficController {
  constructor(private readonly traffic: TrafficService) {}

  /** The traffic policy in force: champion (default), canary / ab (weighted split) or shadow. */
  @Get()
  @ApiOkResponse({ type: TrafficPolicyDto })
  @ApiNotFoundResponse({ description: 'Unknown model (REGISTRY.MODEL_NOT_FOUND)' })
  get(@Param() params: ModelNameParamDto): Promise<TrafficPolicyDto> {
    return this.traffic.current(params.name);
  }

  /**
   * Puts a traffic policy in force on every replica, after loading and warming each version it names; audited.
   * `{"mode": "ab", "weights": {"1": 50, "2": 50}, "stickyHeader": "x-user-id"}`, `{"mode": "shadow", "shadow": [2]}`,
   * `{"mode": "champion"}`.
   */
  @Put()
  @AdminOnly()
  @ApiOkResponse({ type: TrafficPolicyDto })
  @ApiNotFoundResponse({ description: 'Unknown model or version' })
  @ApiConflictResponse({ description: 'The policy cannot apply (TRAFFIC.POLICY_REFUSED)' })
  @ApiUnprocessableEntityResponse({ description: 'A version cannot be loaded (REGISTRY.ARTIFACT_REFUSED)' })
  @ApiGoneResponse({ description: "The version's artifact was removed by retention (REGISTRY.ARTIFACT_PRUNED)" })
  set(@Param() params: ModelNameParamDto, @Body() body: SetTrafficPolicyDto): Promise<TrafficPolicyDto> {
    return this.traffic.set(params.name, body, 'api');
  }

  /** Every change of the model's traffic policy, oldest first (the audit trail). */
  @Get('history')
  @ApiOkResponse({ type: [TrafficEventDto] })
  history(@Param() params: ModelNameParamDto): Promise<TrafficEventDto[]> {
    return this.traffic.history(params.name);
  }
}
