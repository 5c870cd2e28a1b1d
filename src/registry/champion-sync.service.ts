import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ClusterEvent } from '../cluster/cluster.events';
import { OnDomainEvent } from '../common/events/domain-events';
import { AppConfig } from '../config/app-config';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ActiveModels } from './active-models.service';
import { ChampionState, ModelRegistryRepository } from './model-registry.repository';
import { ArtifactLoadError } from './registry.errors';

/**
 * Keeps this process serving the champion the shared database names, whoever moved it: on another replica's
 * notification (within a second of its commit), after the notification connection comes back, and every
 * ALIAS_SYNC_INTERVAL_S in case a notification was missed. A newer champion is loaded, verified and warmed before
 * it is swapped in (ActiveModels); one that fails to load is not tried again until the champion moves again.
 */
@Injectable()
export class ChampionSync implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ChampionSync.name);
  private timer?: NodeJS.Timeout;
  /** Syncs of one model run one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  /** The sequence of a champion that failed to load, per model: not retried until the champion moves again. */
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly repository: ModelRegistryRepository,
    private readonly active: ActiveModels,
    private readonly metrics: ServiceMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.ALIAS_SYNC_INTERVAL_S;
    if (!this.config.serves || seconds === 0) return;
    this.timer = setInterval(() => void this.sync('periodic'), seconds * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  @OnDomainEvent('cluster.alias')
  async onAlias(event: ClusterEvent): Promise<void> {
    await this.sync('notification', event.model);
  }

  @OnDomainEvent('cluster.resync')
  async onResync(): Promise<void> {
    await this.sync('notification');
  }

  /** Brings the served champions (of `only`, or of every model) up to the database's. */
  async sync(via: 'notification' | 'periodic', only?: string): Promise<void> {
    if (!this.config.serves) return;
    let states: ChampionState[];
    try {
      states = await this.repository.championStates();
    } catch (error) {
      this.logger.warn(`Could not read the champions: ${String(error)}`);
      return;
    }
    await Promise.all(
      states
        .filter((s) => (only === undefined || s.model === only) && this.catalog.entry(s.model))
        .filter((s) => this.behind(s))
        .map((s) => this.serialized(s.model, () => this.swap(s, via))),
    );
  }

  private behind(state: ChampionState): boolean {
    const served = this.active.get(state.model);
    if (served?.version === state.version) {
      // Served already (say, moved away and back): the newer sequence still fences off older swaps in flight.
      this.active.acknowledge(state.model, state.sequence);
      return false;
    }
    return state.sequence > this.active.sequence(state.model) && this.refused.get(state.model) !== state.sequence;
  }

  private async swap(state: ChampionState, via: 'notification' | 'periodic'): Promise<void> {
    if (!this.behind(state)) return; // a sync before this one in the chain got there
    const version = await this.repository.findVersion(state.model, state.version);
    if (!version) return;
    try {
      const model = await this.active.load(version);
      if (this.active.activate(model, state.sequence)) {
        this.metrics.championSynced(state.model, via);
        this.logger.log(`Champion of ${state.model} is version ${state.version} (moved by another process; ${via})`);
      }
    } catch (error) {
      // ActiveModels logged and counted it. A bad artifact is not tried again until the champion moves; a failed
      // read (the database, the disk) is, at the next sync.
      if (!(error instanceof ArtifactLoadError) || error.permanent) this.refused.set(state.model, state.sequence);
    }
  }

  private serialized(model: string, work: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(model) ?? Promise.resolve()).then(work, work);
    const settled = next.catch((error: unknown) => this.logger.warn(`Champion sync of ${model}: ${String(error)}`));
    this.chains.set(model, settled);
    return settled;
  }
}
