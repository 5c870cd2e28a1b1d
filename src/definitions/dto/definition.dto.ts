import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { CatalogEntry } from '../model-catalog.service';
import { DEFINITION_ACTIONS, ModelDefinitionEntity } from '../entities/model-definition.entity';

export class DefinitionChangeQueryDto {
  /** Free text kept in the definition's history. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** The definition of a model in force. */
export class ModelDefinitionDto {
  name!: string;
  /** `builtin` (shipped with the service), `file` (MODEL_DEFINITIONS_DIR) or `api` (set with PUT). */
  @ApiProperty({ enum: ['builtin', 'file', 'api'] })
  origin!: string;
  /** The file it was read from, or `api`. */
  location!: string;
  /** For API definitions: the stored revision (1, 2, …). */
  revision!: number | null;
  since!: Date;
  /** The document as written. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  document!: unknown;
  /** The definition with every default applied, as the service uses it. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  resolved!: object;

  static from(entry: CatalogEntry): ModelDefinitionDto {
    return {
      name: entry.definition.name,
      origin: entry.origin,
      location: entry.location,
      revision: entry.revision ?? null,
      since: entry.since,
      document: entry.document,
      resolved: entry.definition,
    };
  }
}

/** One revision of an API definition, or its retirement. */
export class DefinitionRevisionDto {
  name!: string;
  revision!: number;
  @ApiProperty({ enum: DEFINITION_ACTIONS })
  action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  document!: unknown;
  actor!: string;
  reason!: string | null;
  createdAt!: Date;

  static from(row: ModelDefinitionEntity): DefinitionRevisionDto {
    const { name, revision, action, document, actor, reason, createdAt } = row;
    return { name, revision, action, document, actor, reason, createdAt };
  }
}

/** A definition refused at load, with every problem. */
export class BrokenDefinitionDto {
  @ApiProperty({ enum: ['builtin', 'file', 'api'] })
  origin!: string;
  location!: string;
  name?: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  problems!: { field: string; rule: string; message: string }[];
}
