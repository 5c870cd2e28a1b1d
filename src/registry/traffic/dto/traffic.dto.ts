import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { TrafficEventEntity } from '../../entities/traffic-event.entity';
import { TRAFFIC_MODES, type TrafficArm, type TrafficMode } from '../../entities/traffic-policy.entity';

/** A request header name a policy may key its sticky assignment on (lowercase in HTTP/2, compared lowercased). */
export const STICKY_HEADER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
/** Versions a policy may name (arms or shadows). */
export const MAX_POLICY_VERSIONS = 8;

/** `PUT /models/:name/traffic`: the policy to put in force (it replaces the previous one). */
export class SetTrafficPolicyDto {
  @ApiProperty({ enum: TRAFFIC_MODES, description: 'champion: the champion answers every request (the default)' })
  @IsIn(TRAFFIC_MODES)
  mode!: TrafficMode;

  /** canary / ab: the share of each version, as `{"<version>": weight}` (relative weights, e.g. 90 and 10). */
  @ApiPropertyOptional({ example: { '1': 90, '2': 10 }, type: 'object', additionalProperties: { type: 'number' } })
  @IsOptional()
  @IsObject()
  weights?: Record<string, unknown>;

  /** shadow: the versions that also score every request's rows (their answers are logged, never returned). */
  @ApiPropertyOptional({ example: [2], type: [Number] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_POLICY_VERSIONS)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(2_147_483_647, { each: true })
  shadow?: number[];

  /** canary / ab: a request header (e.g. `x-user-id`) whose value keeps a client on one version; absent: random. */
  @ApiPropertyOptional({ example: 'x-user-id', nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Matches(STICKY_HEADER_PATTERN, { message: 'stickyHeader must be an HTTP header name (letters, digits, -)' })
  stickyHeader?: string | null;

  /** Free text kept in the audit trail. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** A traffic policy as it is in force (GET / PUT answers). */
export class TrafficPolicyDto {
  model!: string;
  /** The id of the change that set it (0: the default policy, never changed); predictions are logged with it. */
  policyId!: number;
  @ApiProperty({ enum: TRAFFIC_MODES })
  mode!: TrafficMode;
  /** canary / ab: each version with its weight and its share of requests (0-1). */
  arms!: (TrafficArm & { share: number })[];
  shadow!: number[];
  stickyHeader!: string | null;
  /** When the policy was set (null for the default policy). */
  since!: string | null;
  /** The champion's version (it answers in champion and shadow modes, and when an arm fails). */
  champion!: number | null;
}

/** One change of a model's traffic policy (the audit trail, oldest first). */
export class TrafficEventDto {
  policyId!: number;
  model!: string;
  @ApiProperty({ enum: TRAFFIC_MODES })
  mode!: TrafficMode;
  arms!: TrafficArm[];
  shadow!: number[];
  stickyHeader!: string | null;
  @ApiProperty({ enum: TRAFFIC_MODES, nullable: true })
  previousMode!: TrafficMode | null;
  reason!: string;
  actor!: string;
  at!: string;

  static from(e: TrafficEventEntity): TrafficEventDto {
    return {
      policyId: e.id,
      model: e.modelName,
      mode: e.mode,
      arms: e.arms,
      shadow: e.shadow,
      stickyHeader: e.stickyHeader,
      previousMode: e.previousMode,
      reason: e.reason,
      actor: e.actor,
      at: new Date(e.createdAt).toISOString(),
    };
  }
}
