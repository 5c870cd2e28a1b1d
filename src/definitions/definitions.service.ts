import { Injectable } from '@nestjs/common';
import { BrokenDefinitionDto, DefinitionRevisionDto, ModelDefinitionDto } from './dto/definition.dto';
import { ModelCatalog } from './model-catalog.service';

/** The HTTP face of the definitions catalog. */
@Injectable()
export class DefinitionsService {
  constructor(private readonly catalog: ModelCatalog) {}

  get(name: string): ModelDefinitionDto {
    this.catalog.require(name);
    return ModelDefinitionDto.from(this.catalog.entry(name)!);
  }

  async put(name: string, body: unknown, reason?: string): Promise<ModelDefinitionDto> {
    return ModelDefinitionDto.from(await this.catalog.put(name, body, 'api', reason));
  }

  async retire(name: string, reason?: string): Promise<DefinitionRevisionDto> {
    await this.catalog.retire(name, 'api', reason);
    const history = await this.catalog.history(name);
    return DefinitionRevisionDto.from(history[history.length - 1]);
  }

  async history(name: string): Promise<DefinitionRevisionDto[]> {
    return (await this.catalog.history(name)).map((row) => DefinitionRevisionDto.from(row));
  }

  broken(): BrokenDefinitionDto[] {
    return this.catalog.brokenDefinitions().map((b) => ({ ...b }));
  }
}
