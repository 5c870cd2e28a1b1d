import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Min } from 'class-validator';
import { ModelNameParamDto } from '../../definitions/dto/model-name.dto';

export class V2ModelParamDto extends ModelNameParamDto {}

export class V2ModelVersionParamDto extends V2ModelParamDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version!: number;
}

export class V2InferenceResponseDto {
  model_name!: string;
  model_version!: string;
  id!: string;
  @ApiProperty({ example: [{ name: 'predictions', shape: [1], datatype: 'FP64', data: [4.21] }] })
  outputs!: object[];
}
