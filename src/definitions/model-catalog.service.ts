import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FieldProblem } from '../common/errors/domain.error';
import { AppConfig } from '../config/app-config';
import { DefinitionRepository } from './definition.repository';
import { parseDefinition, parseDefinitionText } from './definition-document';
import { DefinitionConflictError, InvalidDefinitionError, ModelNotFoundError } from './definition.errors';
import {
  DEFINITION_CHANGED,
  DEFINITION_RETIRED,
  DefinitionChangedEvent,
  DefinitionRetiredEvent,
} from './definition.events';
import type { ModelDefinitionEntity } from './entities/model-definition.entity';
import type { ModelDefinition } from './model-definition';

export type DefinitionOrigin = 'builtin' | 'file' | 'api';

/** A definition in force. */
export interface CatalogEntry {
  definition: ModelDefinition;
  origin: DefinitionOrigin;
  /** The file it was read from, or `api` for one set through the admin API. */
  location: string;
  /** API definitions: the stored revision. */
  revision?: number;
  /** The document as written (parsed YAML or JSON). */
  document: unknown;
  since: Date;
}

/** A definition that was refused at load: where it came from and every problem with it. */
export interface BrokenDefinition {
  origin: DefinitionOrigin;
  location: string;
  /** The model it names, when that much could be read. */
  name?: string;
  problems: FieldProblem[];
}

const DEFINITION_FILE = /\.(ya?ml|json)$/i;
const BUILTIN_DIR = join(__dirname, 'builtin');

/**
 * The models the service knows, as definitions: built-in ones shipped with the service, every file of
 * MODEL_DEFINITIONS_DIR, and those set through the admin API (stored, versioned, and winning over files). A broken
 * definition is reported (logs, /health, GET /models) and skipped; it never stops the other models. Changes at run
 * time are announced as domain events, to which serving and retraining react.
 */
@Injectable()
export class ModelCatalog implements OnModuleInit {
  private readonly logger = new Logger(ModelCatalog.name);
  private entries = new Map<string, CatalogEntry>();
  private broken: BrokenDefinition[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly repository: DefinitionRepository,
    private readonly events: EventEmitter2,
  ) {}

  async onModuleInit(): Promise<void> {
    const entries = new Map<string, CatalogEntry>();
    const broken: BrokenDefinition[] = [];
    const add = (entry: CatalogEntry): void => {
      const problem = this.aliasProblem(entry.definition, entries);
      if (problem) {
        broken.push({
          origin: entry.origin,
          location: entry.location,
          name: entry.definition.name,
          problems: [problem],
        });
        return;
      }
      const replaced = entries.get(entry.definition.name);
      if (replaced)
        this.logger.log(
          `${entry.location} replaces the definition of ${entry.definition.name} from ${replaced.location}`,
        );
      entries.set(entry.definition.name, entry);
    };
    for (const loaded of await this.readFolder(BUILTIN_DIR, 'builtin', broken)) add(this.withBuiltinSource(loaded));
    if (this.config.MODEL_DEFINITIONS_DIR) {
      for (const loaded of await this.readFolder(this.config.MODEL_DEFINITIONS_DIR, 'file', broken)) add(loaded);
    }
    for (const row of await this.repository.latestPerModel()) {
      if (row.action === 'retire') {
        entries.delete(row.name);
        continue;
      }
      const parsed = parseDefinition(row.document);
      if (!parsed.ok) {
        broken.push({
          origin: 'api',
          location: `api revision ${row.revision}`,
          name: row.name,
          problems: parsed.problems,
        });
        continue;
      }
      add(this.apiEntry(parsed.definition, row));
    }
    this.entries = entries;
    this.broken = broken;
    for (const b of broken) {
      this.logger.error(`Refused the definition ${b.location}: ${b.problems.map((p) => p.message).join('; ')}`);
    }
    this.logger.log(`Models: ${[...entries.values()].map((e) => `${e.definition.name} (${e.origin})`).join(', ')}`);
  }

  /** Names of the models in force, in the order they were defined. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  brokenDefinitions(): readonly BrokenDefinition[] {
    return this.broken;
  }

  /** The definition of a model in force, or ModelNotFoundError (404). */
  require(name: string): ModelDefinition {
    const entry = this.entries.get(name);
    if (!entry) throw new ModelNotFoundError(name, this.names);
    return entry.definition;
  }

  /** The model a route segment names: its own name or one of its aliases (`housing`). */
  resolve(nameOrAlias: string): string {
    if (this.entries.has(nameOrAlias)) return nameOrAlias;
    for (const entry of this.entries.values()) {
      if (entry.definition.aliases.includes(nameOrAlias)) return entry.definition.name;
    }
    throw new ModelNotFoundError(nameOrAlias, this.names);
  }

  /**
   * Creates or replaces a model's definition from a document (a parsed JSON object, or YAML text). Every problem
   * is reported at once (400); the definition is stored as the model's next revision and announced.
   */
  async put(name: string, body: unknown, actor: string, reason?: string): Promise<CatalogEntry> {
    const document = typeof body === 'string' ? undefined : body;
    const parsed = typeof body === 'string' ? parseDefinitionText(body, 'yaml', 'request body') : parseDefinition(body);
    if (!parsed.ok) throw new InvalidDefinitionError('request body', parsed.problems);
    const { definition } = parsed;
    if (definition.name !== name) {
      throw new InvalidDefinitionError('request body', [
        { field: 'name', rule: 'equals', message: `name: must be ${name}, the model named in the path` },
      ]);
    }
    const others = new Map([...this.entries].filter(([key]) => key !== name));
    const problem = this.aliasProblem(definition, others);
    if (problem) throw new DefinitionConflictError(problem.message);
    const row = await this.repository.append({
      name,
      action: 'put',
      document: (document ?? parsed.raw) as Record<string, unknown>,
      actor,
      reason: reason ?? null,
    });
    const previous = this.entries.get(name)?.definition;
    const entry = this.apiEntry(definition, row);
    this.entries.set(name, entry);
    this.broken = this.broken.filter((b) => b.name !== name);
    this.logger.log(
      `${previous ? 'Replaced' : 'Added'} the definition of ${name} (revision ${row.revision}, ${actor})`,
    );
    this.events.emit(DEFINITION_CHANGED, new DefinitionChangedEvent(name, definition, previous, actor));
    return entry;
  }

  /** Retires a model: no longer served or retrained; its versions, runs and audit trail stay. */
  async retire(name: string, actor: string, reason?: string): Promise<void> {
    this.require(name);
    await this.repository.append({ name, action: 'retire', document: null, actor, reason: reason ?? null });
    this.entries.delete(name);
    this.logger.log(`Retired ${name} (${actor})`);
    this.events.emit(DEFINITION_RETIRED, new DefinitionRetiredEvent(name, actor));
  }

  history(name: string): Promise<ModelDefinitionEntity[]> {
    return this.repository.history(name);
  }

  /** An alias must name one model only, and never another model. */
  private aliasProblem(
    definition: ModelDefinition,
    others: ReadonlyMap<string, CatalogEntry>,
  ): FieldProblem | undefined {
    for (const [i, alias] of definition.aliases.entries()) {
      const owner = [...others.values()].find(
        (e) =>
          e.definition.name !== definition.name &&
          (e.definition.name === alias || e.definition.aliases.includes(alias)),
      );
      if (owner) {
        return {
          field: `aliases[${i}]`,
          rule: 'duplicate',
          message: `aliases[${i}]: ${alias} already names the model ${owner.definition.name}`,
        };
      }
    }
    return undefined;
  }

  private apiEntry(definition: ModelDefinition, row: ModelDefinitionEntity): CatalogEntry {
    return {
      definition,
      origin: 'api',
      location: 'api',
      revision: row.revision,
      document: row.document,
      since: row.createdAt,
    };
  }

  /** HOUSING_CSV_PATH and HOUSING_CSV_URL keep applying to the built-in housing definition. */
  private withBuiltinSource(entry: CatalogEntry): CatalogEntry {
    const override = this.config.builtinSources[entry.definition.name] as { path?: string; url: string } | undefined;
    const { source } = entry.definition;
    if (!override || source.kind === 'package') return entry;
    const path = override.path ?? source.path;
    return { ...entry, definition: { ...entry.definition, source: { kind: 'file', path, url: override.url } } };
  }

  private async readFolder(dir: string, origin: DefinitionOrigin, broken: BrokenDefinition[]): Promise<CatalogEntry[]> {
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => DEFINITION_FILE.test(f)).sort();
    } catch (error) {
      const message = `${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
      broken.push({ origin, location: dir, problems: [{ field: '', rule: 'unreadable', message }] });
      return [];
    }
    const entries: CatalogEntry[] = [];
    for (const file of files) {
      const location = join(dir, file);
      const text = await readFile(location, 'utf8');
      const format = extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
      const parsed = parseDefinitionText(text, format, location);
      if (parsed.ok) {
        entries.push({ definition: parsed.definition, origin, location, document: parsed.raw, since: new Date() });
      } else {
        broken.push({ origin, location, name: nameOf(parsed.raw), problems: parsed.problems });
      }
    }
    return entries;
  }
}

const nameOf = (raw: unknown): string | undefined => {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name.slice(0, 64) : undefined;
};
