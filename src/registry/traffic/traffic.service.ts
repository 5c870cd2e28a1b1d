import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ClusterEvent } from '../../cluster/cluster.events';
import { OnDomainEvent } from '../../common/events/domain-events';
import { AppConfig } from '../../config/app-config';
import { DefinitionRetiredEvent } from '../../definitions/definition.events';
import { ModelCatalog } from '../../definitions/model-catalog.service';
import { ActiveModels } from '../active-models.service';
import { TrafficPolicyEntity } from '../entities/traffic-policy.entity';
import { ModelRegistryRepository } from '../model-registry.repository';
import { ModelVersionNotFoundError } from '../registry.errors';
import type { ServedModel } from '../served-model';
import { SetTrafficPolicyDto, TrafficEventDto, TrafficPolicyDto } from './dto/traffic.dto';
import { TrafficPolicyRepository } from './traffic-policy.repository';
import { policyOf } from './traffic-policy.util';
import { TrafficPolicyRefusedError } from './traffic.errors';
import { CompiledPolicy, TrafficRouter } from './traffic-router.service';

/** What the caller of `current` and `set` gets: the policy in force (as in the API). */
export type TrafficPolicyView = TrafficPolicyDto;

/**
 * Traffic policies: `PUT /models/:name/traffic` checks a policy, loads and warms every version it names (a version
 * that cannot be loaded refuses the policy), records it with its audit event and routes by it from the next request
 * on. Every process keeps its router in step with the database: at start, on another replica's notification, and
 * every ALIAS_SYNC_INTERVAL_S in case one was missed.
 */
@Injectable()
export class TrafficService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TrafficService.name);
  private timer?: NodeJS.Timeout;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly repository: TrafficPolicyRepository,
    private readonly registry: ModelRegistryRepository,
    private readonly active: ActiveModels,
    private readonly router: TrafficRouter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.serves) return;
    await this.sync();
    const seconds = this.config.ALIAS_SYNC_INTERVAL_S;
    if (seconds === 0) return;
    this.timer = setInterval(() => void this.sync(), seconds * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The policy in force for a model (by name or alias); the default champion policy when none was ever set. */
  async current(model: string): Promise<TrafficPolicyView> {
    const name = this.catalog.resolve(model);
    return this.view(name, await this.repository.find(name));
  }

  /** Puts a policy in force (see the class); `reason` is kept in the audit trail. */
  async set(model: string, body: SetTrafficPolicyDto, actor: string, reason?: string): Promise<TrafficPolicyView> {
    const name = this.catalog.resolve(model);
    const policy = policyOf(name, body);
    const champion = await this.registry.findAlias(name, 'champion');
    if (champion === undefined && policy.mode !== 'champion') {
      // Requests are answered only once a champion is served (the fallback of every arm).
      throw new TrafficPolicyRefusedError(`Model ${name} has no champion yet: a ${policy.mode} policy needs one`);
    }
    if (policy.mode === 'shadow') {
      if (champion !== undefined && policy.shadow.includes(champion)) {
        throw new TrafficPolicyRefusedError(
          `Version ${champion} is the champion of ${name}: it answers every request already and cannot shadow itself`,
        );
      }
    }
    const versions = [...policy.arms.map((a) => a.version), ...policy.shadow];
    const loaded = new Map<number, ServedModel>();
    for (const version of versions) loaded.set(version, await this.load(name, version));
    const row = await this.repository.set(policy, actor, reason ?? body.reason ?? `${policy.mode} policy set`);
    this.router.install(name, compile(row, loaded));
    this.logger.log(`Traffic policy of ${name}: ${describe(row)} (policy ${row.policyId}, by ${actor})`);
    return this.view(name, row);
  }

  async history(model: string): Promise<TrafficEventDto[]> {
    const name = this.catalog.resolve(model);
    return (await this.repository.history(name)).map((e) => TrafficEventDto.from(e));
  }

  @OnDomainEvent('cluster.traffic')
  async onTraffic(event: ClusterEvent): Promise<void> {
    await this.sync(event.model);
  }

  @OnDomainEvent('cluster.resync')
  async onResync(): Promise<void> {
    await this.sync();
  }

  /** A retired model's policy goes with it (the audit trail stays); a new definition starts on its champion. */
  @OnDomainEvent('definition.retired')
  async onRetired(event: DefinitionRetiredEvent): Promise<void> {
    this.router.remove(event.name);
    if (!event.remote) await this.repository.remove(event.name);
  }

  /** Brings the router's policies (of `only`, or of every model) up to the database's, one sync at a time. */
  sync(only?: string): Promise<void> {
    const run = (): Promise<void> =>
      this.syncNow(only).catch((error: unknown) => this.logger.warn(`Traffic policy sync failed: ${String(error)}`));
    this.syncing = this.syncing.then(run, run);
    return this.syncing;
  }

  private async syncNow(only?: string): Promise<void> {
    if (!this.config.serves) return;
    const rows = only === undefined ? await this.repository.findAll() : [await this.repository.find(only)];
    const present = new Set<string>();
    for (const row of rows) {
      if (!row || !this.catalog.entry(row.modelName)) continue;
      present.add(row.modelName);
      const installed = this.router.policy(row.modelName);
      if (installed?.policyId === row.policyId && installed.complete) continue;
      const loaded = new Map<number, ServedModel>();
      for (const version of [...row.arms.map((a) => a.version), ...row.shadow]) {
        // A version this process cannot load: its share goes to the champion (counted as fallbacks).
        const model = await this.load(row.modelName, version).catch(() => undefined);
        if (model) loaded.set(version, model);
      }
      this.router.install(row.modelName, compile(row, loaded));
      this.logger.log(`Traffic policy of ${row.modelName}: ${describe(row)} (policy ${row.policyId}, synced)`);
    }
    if (only !== undefined && !present.has(only)) this.router.remove(only);
  }

  /** A version loaded and warmed (the served champion or a version the router holds already are reused). */
  private async load(name: string, version: number): Promise<ServedModel> {
    const served = this.active.get(name);
    if (served?.version === version) return served;
    const held = this.router.loaded(name, version);
    if (held) return held;
    const entity = await this.registry.findVersion(name, version);
    if (!entity) throw new ModelVersionNotFoundError(name, version);
    return this.active.load(entity);
  }

  private async view(name: string, row: TrafficPolicyEntity | null): Promise<TrafficPolicyView> {
    const champion = (await this.registry.findAlias(name, 'champion')) ?? null;
    const total = row?.arms.reduce((sum, a) => sum + a.weight, 0) ?? 0;
    return {
      model: name,
      policyId: row?.policyId ?? 0,
      mode: row?.mode ?? 'champion',
      arms: (row?.arms ?? []).map((a) => ({ ...a, share: a.weight / total })),
      shadow: row?.shadow ?? [],
      stickyHeader: row?.stickyHeader ?? null,
      since: row ? new Date(row.updatedAt).toISOString() : null,
      champion,
    };
  }
}

function compile(row: TrafficPolicyEntity, loaded: ReadonlyMap<number, ServedModel>): CompiledPolicy {
  let total = 0;
  return {
    policyId: row.policyId,
    mode: row.mode,
    arms: row.arms.map((a) => loaded.get(a.version)),
    armVersions: row.arms.map((a) => a.version),
    cumulative: row.arms.map((a) => (total += a.weight)),
    stickyHeader: row.stickyHeader,
    shadow: row.shadow.flatMap((v) => loaded.get(v) ?? []),
    complete: [...row.arms.map((a) => a.version), ...row.shadow].every((v) => loaded.has(v)),
  };
}

function describe(row: TrafficPolicyEntity): string {
  if (row.mode === 'champion') return 'champion';
  if (row.mode === 'shadow') return `shadow of the champion by ${row.shadow.join(', ')}`;
  const arms = row.arms.map((a) => `${a.version}: ${a.weight}`).join(', ');
  return `${row.mode} {${arms}}${row.stickyHeader ? ` sticky on ${row.stickyHeader}` : ''}`;
}
