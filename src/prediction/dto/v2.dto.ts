import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { ModelNameParamDto } from '../../definitions/dto/model-name.dto';

export class V2ModelParamDto extends ModelNameParamDto {}

/**
 * The version in an Open Inference path is a name (the protocol's `model_version` is a string): whatever it looks
 * like, one the model does not have is a 404 in the protocol's error shape, as MLServer answers, not a 400.
 */
export class V2ModelVersionParamDto extends V2ModelParamDto {
  @ApiProperty({ example: '1', description: "A registered version's name (its number)" })
  @MaxLength(1024)
  @IsString()
  version!: string;
}

export class V2InferenceResponseDto {
  model_name!: string;
  model_version!: string;
  id!: string;
  /** With the request's `parameters.explain: true`: `{"explanations": [...]}`, one per row. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  parameters?: object;
  @ApiProperty({ example: [{ name: 'predictions', shape: [1], datatype: 'FP64', data: [4.21] }] })
  outputs!: object[];
}
