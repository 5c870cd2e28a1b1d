import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import type { FieldProblem } from '../../common/errors/domain.error';
import { DatasetSplitEntity } from '../entities/dataset-split.entity';
import { DatasetEntity } from '../entities/dataset.entity';
import { MODEL_NAME_PATTERN } from '../../definitions/dto/model-name.dto';
import type { Preprocessing } from '../feature-spec';

export class ListDatasetsQueryDto {
  /** Only versions of this data set (a model name). */
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN, { message: 'name must be a model name (lowercase letters, digits, - and _)' })
  name?: string;
}

export class DatasetVersionParamDto {
  /** Dataset version: the sha256 of the raw bytes, 64 lowercase hex digits. */
  @Matches(/^[0-9a-f]{64}$/, { message: 'version must be 64 lowercase hex digits (a sha256)' })
  version!: string;
}

export class FieldProblemDto implements FieldProblem {
  field!: string;
  rule!: string;
  message!: string;
  line?: number;
}

export class QuantileBinsDto {
  /** Distinct inner bin edges; bin i holds values in (edges[i-1], edges[i]]. */
  edges!: number[];
  /** Training rows per bin (edges.length + 1 entries). */
  counts!: number[];
}

export class FeatureProfileDto {
  name!: string;
  kind!: 'numeric' | 'indicator';
  count!: number;
  missing!: number;
  min!: number | null;
  max!: number | null;
  mean!: number | null;
  std!: number | null;
  bins!: QuantileBinsDto;
  /** Values at the 0th … 100th percentile. */
  percentiles!: number[];
}

export class DatasetSplitSummaryDto {
  seed!: number;
  testFraction!: number;
  trainRows!: number;
  testRows!: number;
  createdAt!: Date;

  static from(split: DatasetSplitEntity): DatasetSplitSummaryDto {
    const { seed, testFraction, trainRows, testRows, createdAt } = split;
    return { seed, testFraction, trainRows, testRows, createdAt };
  }
}

export class DatasetSplitDto extends DatasetSplitSummaryDto {
  /**
   * Values fitted on the training part (imputation values such as the median bedrooms per household, learned
   * category values); the training rows neighbours columns search are summarised as `{"rows": n, "values": [...]}`.
   */
  @ApiProperty({ type: 'object', additionalProperties: true })
  preprocessing!: Record<string, unknown>;
  /** Profile of every feature over the training part: the drift reference. */
  profile!: FeatureProfileDto[];

  static override from(split: DatasetSplitEntity): DatasetSplitDto {
    return {
      ...DatasetSplitSummaryDto.from(split),
      preprocessing: summarised(split.preprocessing),
      profile: split.profile,
    };
  }
}

/** Preprocessing as shown: neighbour tables (thousands of rows) by their size and the series they hold. */
function summarised(preprocessing: Preprocessing): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(preprocessing)) {
    shown[key] =
      typeof value === 'object' && !Array.isArray(value)
        ? { rows: value.lat.length, values: [...(value.target ? ['target'] : []), ...Object.keys(value.fields)] }
        : value;
  }
  return shown;
}

export class DatasetSummaryDto {
  name!: string;
  /** sha256 of the raw bytes. */
  version!: string;
  /** sha256 of the definition's delimiter, target, input fields and columns the bytes were read with. */
  definitionSha256!: string;
  source!: string;
  rowsRead!: number;
  rowsRejected!: number;
  valuesImputed!: number;
  createdAt!: Date;
  splits!: DatasetSplitSummaryDto[];

  static from(dataset: DatasetEntity): DatasetSummaryDto {
    const { name, version, definitionSha256, source, rowsRead, rowsRejected, valuesImputed, createdAt } = dataset;
    const splits = (dataset.splits ?? []).map((s) => DatasetSplitSummaryDto.from(s));
    return { name, version, definitionSha256, source, rowsRead, rowsRejected, valuesImputed, createdAt, splits };
  }
}

export class DatasetDetailDto extends DatasetSummaryDto {
  /** The first rejected rows, each with its line number and the rule it broke. */
  rejectedSample!: FieldProblemDto[];
  override splits: DatasetSplitDto[] = [];

  static override from(dataset: DatasetEntity): DatasetDetailDto {
    const splits = (dataset.splits ?? []).map((s) => DatasetSplitDto.from(s));
    return { ...DatasetSummaryDto.from(dataset), rejectedSample: dataset.rejectedSample, splits };
  }
}
