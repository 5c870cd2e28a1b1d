import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Min } from 'class-validator';
import { ModelNameParamDto } from '../../registry/dto/model.dto';
import { HOUSING_SPEC } from '../../data/housing/housing.feature-spec';

export class V2ModelParamDto extends ModelNameParamDto {}

export class V2ModelVersionParamDto extends V2ModelParamDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version!: number;
}

/** An inference request for the housing model: one tensor per input field. */
export const V2_INFER_EXAMPLE = {
  id: 'req-1',
  inputs: Object.entries(HOUSING_SPEC.example).map(([name, value]) => ({
    name,
    shape: [1],
    datatype: typeof value === 'string' ? 'BYTES' : 'FP64',
    data: [value],
  })),
};

export class V2InferenceResponseDto {
  model_name!: string;
  model_version!: string;
  id!: string;
  @ApiProperty({ example: [{ name: 'predictions', shape: [1], datatype: 'FP64', data: [4.21] }] })
  outputs!: object[];
}
