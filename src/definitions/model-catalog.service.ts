import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '../cluster/cluster-bus.service';
import { ClusterEvent } from '../cluster/cluster.events';
import { DomainEvents, OnDomainEvent } from '../common/events/domain-events';
import { readdir, readFile } from 'node:fs/promises';
import { extname, isAbsolute, join } from 'node:path';
import type { FieldProblem } from '../common/errors/domain.error';
import { AppConfig } from '../config/app-config';
import { DefinitionRepository } from './definition.repository';
import { parseDefinition, parseDefinitionText } from './definition-document';
import { DefinitionConflictError, InvalidDefinitionError, ModelNotFoundError } from './definition.errors';
import { DefinitionChangedEvent, DefinitionRetiredEvent } from './definition.events';
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
  /** In force since the process started (readiness waits for these; a model added at run time is reported only). */
  atStart: boolean;
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
export class ModelCatalog implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ModelCatalog.name);
  private entries = new Map<string, CatalogEntry>();
  /** The latest stored revision of each model this process has applied (a put or a retirement). */
  private applied = new Map<string, number>();
  private syncer?: NodeJS.Timeout;
  private syncing: Promise<void> = Promise.resolve();
  /** Every name and alias → the model's name. */
  private routes = new Map<string, string>();
  private broken: BrokenDefinition[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly repository: DefinitionRepository,
    private readonly events: DomainEvents,
    private readonly bus: ClusterBus,
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
      this.applied.set(row.name, row.revision);
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
      add(this.apiEntry(parsed.definition, row, true));
    }
    this.setEntries(entries);
    this.broken = broken;
    for (const b of broken) {
      this.logger.error(`Refused the definition ${b.location}: ${b.problems.map((p) => p.message).join('; ')}`);
    }
    this.logger.log(`Models: ${[...entries.values()].map((e) => `${e.definition.name} (${e.origin})`).join(', ')}`);
  }

  /** Every ALIAS_SYNC_INTERVAL_S, definitions set or retired by another process are applied (see `sync`). */
  onApplicationBootstrap(): void {
    const seconds = this.config.ALIAS_SYNC_INTERVAL_S;
    if (seconds === 0) return;
    this.syncer = setInterval(() => void this.sync(), seconds * 1000);
    this.syncer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.syncer);
  }

  @OnDomainEvent('cluster.definition')
  async onRemoteDefinition(event: ClusterEvent): Promise<void> {
    await this.sync(event.model);
  }

  @OnDomainEvent('cluster.resync')
  async onResync(): Promise<void> {
    await this.sync();
  }

  /**
   * Applies the definitions another process stored since this one last looked (of `only`, or of every model),
   * announced as remote events: serving, validation and schedules follow; the retraining a new definition needs
   * was queued by the process that took it. Syncs run one after another.
   */
  sync(only?: string): Promise<void> {
    this.syncing = this.syncing.then(() =>
      this.applyStored(only).catch((e: unknown) => this.logger.warn(`Definition sync failed: ${String(e)}`)),
    );
    return this.syncing;
  }

  private async applyStored(only?: string): Promise<void> {
    for (const [name, revision] of await this.repository.latestRevisions()) {
      if ((only !== undefined && name !== only) || revision <= (this.applied.get(name) ?? 0)) continue;
      const row = await this.repository.findRevision(name, revision);
      // A put or retirement of this process may have applied a newer revision while the row was read.
      if (!row || revision <= (this.applied.get(name) ?? 0)) continue;
      this.applied.set(name, revision);
      if (row.action === 'retire') {
        if (!this.entries.has(name)) continue;
        this.remove(name);
        this.logger.log(`Retired ${name} (${row.actor}, on another replica)`);
        this.events.emit('definition.retired', new DefinitionRetiredEvent(name, row.actor, true));
        continue;
      }
      const parsed = parseDefinition(row.document);
      if (!parsed.ok) {
        this.logger.error(`Refused revision ${revision} of ${name} set on another replica: it no longer parses`);
        continue;
      }
      const previous = this.entries.get(name);
      const problem = this.aliasProblem(parsed.definition, this.entries);
      if (problem) {
        this.logger.error(`Refused revision ${revision} of ${name} set on another replica: ${problem.message}`);
        continue;
      }
      this.setEntries(
        new Map(this.entries).set(name, this.apiEntry(parsed.definition, row, previous?.atStart ?? false)),
      );
      this.broken = this.broken.filter((b) => b.name !== name);
      this.logger.log(
        `${previous ? 'Replaced' : 'Added'} the definition of ${name} (revision ${revision}, on another replica)`,
      );
      this.events.emit(
        'definition.changed',
        new DefinitionChangedEvent(name, parsed.definition, previous?.definition, row.actor, true),
      );
    }
  }

  private remove(name: string): void {
    const entries = new Map(this.entries);
    entries.delete(name);
    this.setEntries(entries);
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
    const name = this.routes.get(nameOrAlias);
    if (name === undefined) throw new ModelNotFoundError(nameOrAlias, this.names);
    return name;
  }

  /** Replaces the models in force, and the map from every name and alias to its model. */
  private setEntries(entries: Map<string, CatalogEntry>): void {
    this.entries = entries;
    this.routes = new Map(
      [...entries.values()].flatMap(({ definition }) =>
        [definition.name, ...definition.aliases].map((route): [string, string] => [route, definition.name]),
      ),
    );
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
    const outside = this.sourceProblem(definition);
    if (outside) throw new InvalidDefinitionError('request body', [outside]);
    const problem = this.aliasProblem(definition, this.entries);
    if (problem) throw new DefinitionConflictError(problem.message);
    const row = await this.repository.append({
      name,
      action: 'put',
      document: (document ?? parsed.raw) as Record<string, unknown>,
      actor,
      reason: reason ?? null,
    });
    const previous = this.entries.get(name)?.definition;
    const entry = this.apiEntry(definition, row, this.entries.get(name)?.atStart ?? false);
    this.applied.set(name, row.revision);
    this.setEntries(new Map(this.entries).set(name, entry));
    this.broken = this.broken.filter((b) => b.name !== name);
    this.logger.log(
      `${previous ? 'Replaced' : 'Added'} the definition of ${name} (revision ${row.revision}, ${actor})`,
    );
    this.events.emit('definition.changed', new DefinitionChangedEvent(name, definition, previous, actor));
    await this.bus.publish({ type: 'definition', model: name });
    return entry;
  }

  /** Retires a model: no longer served or retrained; its versions, runs and audit trail stay. */
  async retire(name: string, actor: string, reason?: string): Promise<void> {
    this.require(name);
    const row = await this.repository.append({ name, action: 'retire', document: null, actor, reason: reason ?? null });
    this.applied.set(name, row.revision);
    this.remove(name);
    this.logger.log(`Retired ${name} (${actor})`);
    this.events.emit('definition.retired', new DefinitionRetiredEvent(name, actor));
    await this.bus.publish({ type: 'definition', model: name });
  }

  history(name: string): Promise<ModelDefinitionEntity[]> {
    return this.repository.history(name);
  }

  /** A name or alias must name one model only: no alias may be another model's name or alias, and vice versa. */
  private aliasProblem(
    definition: ModelDefinition,
    others: ReadonlyMap<string, CatalogEntry>,
  ): FieldProblem | undefined {
    const rivals = [...others.values()].filter((e) => e.definition.name !== definition.name);
    const owner = (name: string) =>
      rivals.find((e) => e.definition.name === name || e.definition.aliases.includes(name));
    for (const [i, alias] of definition.aliases.entries()) {
      const taken = owner(alias);
      if (taken) {
        const message = `aliases[${i}]: ${alias} already names the model ${taken.definition.name}`;
        return { field: `aliases[${i}]`, rule: 'duplicate', message };
      }
    }
    const taken = rivals.find((e) => e.definition.aliases.includes(definition.name));
    if (taken) {
      return {
        field: 'name',
        rule: 'duplicate',
        message: `name: ${definition.name} is an alias of ${taken.definition.name}`,
      };
    }
    return undefined;
  }

  /**
   * A definition sent through the API may only read data under DATA_DIR/raw: a relative path without `..` (a
   * file definition is the operator's, and may point anywhere).
   */
  private sourceProblem(definition: ModelDefinition): FieldProblem | undefined {
    const { source } = definition;
    if (source.kind === 'package') return undefined;
    if (isAbsolute(source.path) || source.path.split(/[\\/]/).includes('..')) {
      const message =
        'source.path: must be a path inside DATA_DIR/raw (relative, without ..) in a definition sent through the API';
      return { field: 'source.path', rule: 'inside_raw_dir', message };
    }
    return undefined;
  }

  private apiEntry(definition: ModelDefinition, row: ModelDefinitionEntity, atStart: boolean): CatalogEntry {
    return {
      definition,
      origin: 'api',
      location: 'api',
      revision: row.revision,
      document: row.document,
      since: row.createdAt,
      atStart,
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
      const text = await readFile(location, 'utf8').catch((error: NodeJS.ErrnoException) => {
        const message = `${location}: cannot be read (${error.code ?? error.message})`;
        broken.push({ origin, location, problems: [{ field: '', rule: 'unreadable', message }] });
        return undefined;
      });
      if (text === undefined) continue;
      const format = extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
      const parsed = parseDefinitionText(text, format, location);
      if (parsed.ok) {
        const since = new Date();
        entries.push({ definition: parsed.definition, origin, location, document: parsed.raw, since, atStart: true });
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
