import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SerialQueue } from '../common/async/serial-queue';
import { AppConfig } from '../config/app-config';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ArtifactLock } from '../training/artifact-lock.service';
import { ArtifactStore, StrayArtifact } from '../training/artifact-store.service';
import {
  DeletedArtifactDto,
  KeptArtifactDto,
  RetentionLastSweepDto,
  RetentionModelDto,
  RetentionSettingsDto,
  RetentionStatusDto,
  RetentionSweepDto,
  StrayArtifactDto,
} from './dto/retention.dto';
import { planRetention, RetentionDecision } from './retention-plan.util';
import { RetentionRepository, StoredArtifact } from './retention.repository';

/** An artifact no run records is deleted once it is this old: no write still in progress can record it then. */
const STRAY_AGE_MS = 3_600_000;

/** The first scheduled sweep waits this long after start (at most), so a booting service trains and loads first. */
const FIRST_SWEEP_MAX_MS = 600_000;

export interface SweepOptions {
  /** Decide, measure and report, but delete nothing. */
  dryRun?: boolean;
  now?: Date;
}

/**
 * Artifact retention. A sweep reads the registry's state, decides with planRetention which stored artifacts to
 * keep (aliases, recent champions, the newest versions, traffic policies, unfinished retraining jobs, young runs
 * never registered) and deletes the others: each is first marked pruned on its run (the version, run, lineage and
 * audit trail stay), in a transaction that checks again that nothing references it, then its file or database row
 * is deleted. Deletions are counted (artifacts_pruned_total, artifact_bytes_pruned_total), the size of what is kept
 * measured (artifact_store_bytes), and a sweep that deleted something logs one line.
 *
 * Sweeps run every ARTIFACT_RETENTION_INTERVAL_S in processes that train, and on `POST /retention/sweep`; one at a
 * time in a process, and on PostgreSQL under an advisory lock shared by every replica.
 */
@Injectable()
export class ArtifactRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ArtifactRetentionService.name);
  private timers: NodeJS.Timeout[] = [];
  private readonly sweeps = new SerialQueue();
  private lastSweep: RetentionLastSweepDto | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly repository: RetentionRepository,
    private readonly artifacts: ArtifactStore,
    private readonly lock: ArtifactLock,
    private readonly metrics: ServiceMetrics,
  ) {
    metrics.onScrape(() => {
      for (const name of catalog.names) metrics.declareRetention(name);
    });
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.ARTIFACT_RETENTION_INTERVAL_S;
    if (seconds === 0 || !this.config.trains) return;
    const sweep = (): void =>
      void this.sweep().catch((error: unknown) => this.logger.error(`Artifact retention failed: ${String(error)}`));
    const first = setTimeout(sweep, Math.min(seconds * 1000, FIRST_SWEEP_MAX_MS));
    const every = setInterval(sweep, seconds * 1000);
    first.unref();
    every.unref();
    this.timers = [first, every];
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  get settings(): RetentionSettingsDto {
    return {
      keepVersions: this.config.ARTIFACT_RETENTION_KEEP_VERSIONS,
      championDays: this.config.ARTIFACT_RETENTION_CHAMPION_DAYS,
      unregisteredDays: this.config.ARTIFACT_RETENTION_UNREGISTERED_DAYS,
      intervalSeconds: this.config.ARTIFACT_RETENTION_INTERVAL_S,
    };
  }

  /** One sweep (see the class): what it deleted and kept; `ran` false when another replica was sweeping. */
  sweep(options: SweepOptions = {}): Promise<RetentionSweepDto> {
    const run = async (): Promise<RetentionSweepDto> => {
      const now = options.now ?? new Date();
      const dryRun = options.dryRun ?? false;
      const result = await this.repository.exclusively(() => this.sweepNow(now, dryRun));
      return (
        result ?? {
          sweptAt: now.toISOString(),
          ran: false,
          dryRun,
          settings: this.settings,
          deleted: [],
          kept: [],
          strays: [],
          deletedBytes: 0,
          keptBytes: 0,
        }
      );
    };
    return this.sweeps.run(run);
  }

  /** Each model's store (what is kept, what was pruned) and this process's last sweep; refreshes the size gauge. */
  async status(): Promise<RetentionStatusDto> {
    const stored = await this.repository.stored();
    const sizes = await this.artifacts.sizes(stored);
    const pruned = await this.repository.pruned();
    const names = [...new Set([...this.catalog.names, ...stored.map((s) => s.model)])].sort();
    const models = names.map((model): RetentionModelDto => {
      const mine = stored.filter((s) => s.model === model);
      const gone = pruned.filter((p) => p.model === model);
      return {
        model,
        storedArtifacts: mine.length,
        storedBytes: storeBytes(mine, sizes),
        prunedArtifacts: gone.length,
        prunedVersions: gone.flatMap((p) => (p.version === null ? [] : [p.version])).sort((a, b) => a - b),
      };
    });
    for (const m of models) this.metrics.artifactStore(m.model, m.storedBytes);
    return { settings: this.settings, models, lastSweep: this.lastSweep };
  }

  private async sweepNow(now: Date, dryRun: boolean): Promise<RetentionSweepDto> {
    const { state, stored } = await this.repository.state();
    const plan = planRetention(state, this.settings, now);
    const sizes = await this.artifacts.sizes([...stored.values()]);
    const sizeOf = (d: RetentionDecision): number | null => sizes.get(stored.get(d.runId)!.path) ?? null;
    const kept: KeptArtifactDto[] = plan.keep.map((d) => keptItem(d, sizeOf(d), d.reasons));
    const deleted: DeletedArtifactDto[] = [];
    const freed = new Map<string, number>();
    const free = (model: string, bytes: number) => freed.set(model, (freed.get(model) ?? 0) + bytes);
    for (const decision of plan.prune) {
      const artifact = stored.get(decision.runId)!;
      if (dryRun) {
        deleted.push(deletedItem(decision, sizeOf(decision) ?? 0));
        continue;
      }
      const outcome = await this.lock.exclusive(() => this.repository.markPruned(decision, now));
      if (outcome === 'in_use') kept.push(keptItem(decision, sizeOf(decision), ['in_use']));
      if (outcome !== 'marked') continue;
      const bytes = await this.remove(artifact);
      free(artifact.model, bytes);
      deleted.push(deletedItem(decision, bytes));
    }
    if (!dryRun) {
      for (const leftover of await this.leftovers()) free(leftover.model, await this.remove(leftover));
    }
    const strays: StrayArtifactDto[] = [];
    const recorded = await this.repository.recordingRuns();
    for (const stray of await this.artifacts.strays(recorded, new Date(now.getTime() - STRAY_AGE_MS))) {
      const bytes = dryRun ? stray.bytes : await this.removeStray(stray);
      if (!dryRun) free(stray.model, bytes);
      strays.push({ ...stray, bytes });
    }
    const keptArtifacts = kept.map((k) => stored.get(k.runId)!);
    const keptBytes = storeBytes(keptArtifacts, sizes);
    const deletedBytes = [...freed.values()].reduce((a, b) => a + b, 0);
    const keptOf = (model: string): StoredArtifact[] => keptArtifacts.filter((a) => a.model === model);
    for (const model of new Set([...this.catalog.names, ...keptArtifacts.map((a) => a.model)])) {
      this.metrics.artifactStore(model, storeBytes(keptOf(model), sizes));
      if (dryRun) continue;
      const count = deleted.filter((d) => d.model === model).length;
      if (count > 0 || freed.has(model)) this.metrics.artifactsPruned(model, count, freed.get(model) ?? 0);
    }
    if (!dryRun) this.report(deleted, deletedBytes, kept.length, keptBytes, now);
    return {
      sweptAt: now.toISOString(),
      ran: true,
      dryRun,
      settings: this.settings,
      deleted,
      kept,
      strays,
      deletedBytes: dryRun
        ? deleted.reduce((sum, d) => sum + d.bytes, 0) + strays.reduce((sum, s) => sum + s.bytes, 0)
        : deletedBytes,
      keptBytes,
    };
  }

  /** Deletes a marked artifact; a failure is logged and left for the next sweep (see leftovers). */
  private async remove(artifact: StoredArtifact): Promise<number> {
    try {
      return await this.artifacts.remove(artifact);
    } catch (error) {
      this.logger.warn(`Could not delete the artifact of run ${artifact.runId} (${artifact.path}): ${String(error)}`);
      return 0;
    }
  }

  /** Deletes a stray artifact; a failure is logged and left for the next sweep. */
  private async removeStray(stray: StrayArtifact): Promise<number> {
    try {
      return await this.artifacts.removeStray(stray);
    } catch (error) {
      this.logger.warn(`Could not delete the stray artifact ${stray.path}: ${String(error)}`);
      return 0;
    }
  }

  /** Artifacts marked pruned that are still stored: a sweep stopped between the mark and the deletion. */
  private async leftovers(): Promise<StoredArtifact[]> {
    const pruned = await this.repository.pruned();
    const sizes = await this.artifacts.sizes(pruned);
    return pruned.filter((p) => sizes.has(p.path));
  }

  private report(deleted: DeletedArtifactDto[], bytes: number, keptCount: number, keptBytes: number, now: Date): void {
    this.lastSweep = {
      sweptAt: now.toISOString(),
      deletedArtifacts: deleted.length,
      deletedBytes: bytes,
      keptArtifacts: keptCount,
      keptBytes,
    };
    if (deleted.length === 0 && bytes === 0) return;
    const byModel = new Map<string, DeletedArtifactDto[]>();
    for (const d of deleted) byModel.set(d.model, [...(byModel.get(d.model) ?? []), d]);
    const what = [...byModel]
      .map(([model, list]) => {
        const versions = list.flatMap((d) => (d.version === null ? [] : [d.version])).sort((a, b) => a - b);
        const unregistered = list.length - versions.length;
        return (
          `${model}: ${versions.length ? `versions ${versions.join(', ')}` : 'no version'}` +
          (unregistered ? ` and ${unregistered} unregistered run(s)` : '')
        );
      })
      .join('; ');
    this.logger.log(
      `Artifact retention deleted ${deleted.length} artifact(s), ${formatBytes(bytes)} (${what || 'leftovers'}); ` +
        `kept ${keptCount}, ${formatBytes(keptBytes)}`,
    );
  }
}

const keptItem = (d: RetentionDecision, bytes: number | null, reasons: string[]): KeptArtifactDto => ({
  model: d.model,
  runId: d.runId,
  version: d.version,
  bytes,
  reasons,
});

const deletedItem = (d: RetentionDecision, bytes: number): DeletedArtifactDto => ({
  model: d.model,
  runId: d.runId,
  version: d.version,
  bytes,
  reason: d.pruneReason ?? 'old_version',
});

/** Bytes of distinct stored artifacts (runs sharing a database artifact count it once). */
function storeBytes(artifacts: readonly StoredArtifact[], sizes: ReadonlyMap<string, number>): number {
  return [...new Set(artifacts.map((a) => a.path))].reduce((sum, path) => sum + (sizes.get(path) ?? 0), 0);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
