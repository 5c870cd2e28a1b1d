import { asInstance, MockOf } from '../../test/support/mock-repositories';
import { AppConfig } from '../config/app-config';
import type { ModelCatalog } from '../definitions/model-catalog.service';
import type { ServiceMetrics } from '../metrics/service-metrics';
import { ArtifactLock } from '../training/artifact-lock.service';
import type { ArtifactRef, ArtifactStore } from '../training/artifact-store.service';
import { ArtifactRetentionService } from './artifact-retention.service';
import type { RetentionState } from './retention-plan.util';
import type { RetentionRepository, StoredArtifact } from './retention.repository';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * 86_400_000);

/** Versions 1…4 of `m` (runs r1…r4), version 4 champion, plus `young` and `old` runs never registered. */
function registry(): { state: RetentionState; stored: Map<string, StoredArtifact> } {
  const runs = ['r1', 'r2', 'r3', 'r4', 'young', 'old'].map((id, i) => ({
    id,
    model: 'm',
    status: 'succeeded',
    startedAt: id === 'old' ? daysAgo(30) : daysAgo(6 - i),
    finishedAt: id === 'old' ? daysAgo(30) : daysAgo(6 - i),
  }));
  return {
    state: {
      runs,
      versions: [1, 2, 3, 4].map((version) => ({ model: 'm', version, runId: `r${version}` })),
      aliases: [{ model: 'm', alias: 'champion', version: 4 }],
      championMoves: [],
      policies: [],
      jobs: [],
    },
    stored: new Map(
      runs.map((r) => [r.id, { runId: r.id, model: 'm', path: `/models/m/runs/${r.id}.json`, sha256: r.id }]),
    ),
  };
}

describe(ArtifactRetentionService.name, () => {
  let sut: ArtifactRetentionService;
  let repository: MockOf<
    RetentionRepository,
    'exclusively' | 'state' | 'markPruned' | 'pruned' | 'stored' | 'recordingRuns'
  >;
  let artifacts: MockOf<ArtifactStore, 'sizes' | 'remove' | 'strays' | 'removeStray'>;
  let metrics: MockOf<ServiceMetrics, 'onScrape' | 'declareRetention' | 'artifactsPruned' | 'artifactStore'>;

  beforeEach(() => {
    const config = Object.assign(new AppConfig(), {
      ARTIFACT_RETENTION_KEEP_VERSIONS: 2,
      ARTIFACT_RETENTION_CHAMPION_DAYS: 30,
      ARTIFACT_RETENTION_UNREGISTERED_DAYS: 7,
    });
    repository = {
      exclusively: jest.fn().mockImplementation((work: () => Promise<unknown>) => work()),
      state: jest.fn().mockResolvedValue(registry()),
      markPruned: jest.fn().mockResolvedValue('marked'),
      pruned: jest.fn().mockResolvedValue([]),
      stored: jest.fn(),
      recordingRuns: jest.fn().mockResolvedValue(new Set()),
    };
    // Every artifact takes 100 bytes.
    artifacts = {
      sizes: jest.fn((refs: readonly ArtifactRef[]) => Promise.resolve(new Map(refs.map((r) => [r.path, 100])))),
      remove: jest.fn().mockResolvedValue(100),
      strays: jest.fn().mockResolvedValue([]),
      removeStray: jest.fn().mockResolvedValue(0),
    };
    metrics = {
      onScrape: jest.fn(),
      declareRetention: jest.fn(),
      artifactsPruned: jest.fn(),
      artifactStore: jest.fn(),
    };
    sut = new ArtifactRetentionService(
      config,
      asInstance<ModelCatalog>({ names: ['m'] }),
      asInstance<RetentionRepository>(repository),
      asInstance<ArtifactStore>(artifacts),
      new ArtifactLock(),
      asInstance<ServiceMetrics>(metrics),
    );
  });

  it('marks each artifact the plan prunes, then deletes it, and counts and reports it', async () => {
    const result = await sut.sweep({ now: NOW });
    // Kept: the champion (4), the newest two (3, 4), the young run; deleted: versions 1 and 2, the old run.
    expect(result.kept.map((k) => [k.runId, k.reasons])).toEqual([
      ['r4', ['alias:champion', 'latest_versions']],
      ['r3', ['latest_versions']],
      ['young', ['recent_unregistered']],
    ]);
    expect(result.deleted.map((d) => [d.runId, d.version, d.reason, d.bytes])).toEqual([
      ['r2', 2, 'old_version', 100],
      ['r1', 1, 'old_version', 100],
      ['old', null, 'unregistered_expired', 100],
    ]);
    expect(repository.markPruned.mock.calls.map(([d, at]) => [d.runId, at])).toEqual([
      ['r2', NOW],
      ['r1', NOW],
      ['old', NOW],
    ]);
    expect(artifacts.remove.mock.calls.map(([ref]) => ref.path)).toEqual([
      '/models/m/runs/r2.json',
      '/models/m/runs/r1.json',
      '/models/m/runs/old.json',
    ]);
    expect(result).toMatchObject({ ran: true, dryRun: false, deletedBytes: 300, keptBytes: 300 });
    expect(metrics.artifactsPruned).toHaveBeenCalledWith('m', 3, 300);
    expect(metrics.artifactStore).toHaveBeenCalledWith('m', 300);
  });

  it('keeps an artifact that became referenced between the plan and its mark, and deletes nothing of it', async () => {
    repository.markPruned.mockImplementation((d) => Promise.resolve(d.runId === 'r2' ? 'in_use' : 'marked'));
    const result = await sut.sweep({ now: NOW });
    expect(result.kept).toContainEqual(expect.objectContaining({ runId: 'r2', reasons: ['in_use'] }));
    expect(result.deleted.map((d) => d.runId)).toEqual(['r1', 'old']);
    expect(artifacts.remove.mock.calls.map(([ref]) => ref.path)).not.toContain('/models/m/runs/r2.json');
    expect(metrics.artifactsPruned).toHaveBeenCalledWith('m', 2, 200);
  });

  it('does not delete in a dry run, and reports what it would delete with its size', async () => {
    const result = await sut.sweep({ now: NOW, dryRun: true });
    expect(result).toMatchObject({ dryRun: true, deletedBytes: 300 });
    expect(result.deleted.map((d) => d.runId)).toEqual(['r2', 'r1', 'old']);
    expect(repository.markPruned).not.toHaveBeenCalled();
    expect(artifacts.remove).not.toHaveBeenCalled();
    expect(metrics.artifactsPruned).not.toHaveBeenCalled();
  });

  it('deletes what an interrupted sweep marked but left stored, counting its bytes', async () => {
    repository.state.mockResolvedValue({ ...registry(), state: { ...registry().state, runs: [] }, stored: new Map() });
    const leftover = { runId: 'r0', model: 'm', path: '/models/m/runs/r0.json', sha256: 'r0', version: 0 };
    repository.pruned.mockResolvedValue([leftover]);
    const result = await sut.sweep({ now: NOW });
    expect(artifacts.remove).toHaveBeenCalledWith(leftover);
    expect(result).toMatchObject({ deleted: [], deletedBytes: 100 });
    expect(metrics.artifactsPruned).toHaveBeenCalledWith('m', 0, 100);
  });

  it('answers ran: false without looking when another replica is sweeping', async () => {
    repository.exclusively.mockResolvedValue(undefined);
    const result = await sut.sweep({ now: NOW });
    expect(result).toMatchObject({ ran: false, deleted: [], kept: [] });
    expect(repository.state).not.toHaveBeenCalled();
  });
});
