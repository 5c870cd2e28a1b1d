import 'reflect-metadata';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { load } from 'js-yaml';
import { ModelCatalog } from '../definitions/model-catalog.service';
import type { RunEntity } from '../training/entities/run.entity';
import { TrainingService } from '../training/training.service';
import { CliModule } from './cli.module';
import { runCli } from './cli.util';
import { trainingTable } from './training-table';

/** The name the benchmark gives California Housing without its neighbours columns (retired after the run). */
const PLAIN = 'california-housing-plain';

/**
 * `npm run bench:train`: trains every candidate of both models on the default split (runs are recorded as
 * usual) and prints the comparison tables with the machine they ran on and the artifact sizes; then the gbdt of
 * California Housing without its neighbours columns (the built-in definition less those columns, put as
 * `california-housing-plain` for the run and retired after it), on the same split.
 */
void runCli(CliModule, async (app) => {
  const training = app.get(TrainingService);
  const catalog = app.get(ModelCatalog);
  console.log(`Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  for (const model of ['california-housing', 'iris']) print(model, await training.train(model));
  const file = join(__dirname, '..', 'definitions', 'builtin', 'california-housing.yaml');
  const document = load(readFileSync(file, 'utf8')) as { columns: Record<string, unknown>[] } & Record<string, unknown>;
  const columns = document.columns.filter((column) => !('neighbours' in column));
  await catalog.put(PLAIN, { ...document, name: PLAIN, aliases: [], columns }, 'bench:train', 'comparison');
  try {
    print(`${PLAIN} (no neighbours columns)`, await training.train(PLAIN, { candidates: ['gbdt'] }));
  } finally {
    await catalog.retire(PLAIN, 'bench:train', 'comparison done');
  }
});

function print(model: string, runs: RunEntity[]): void {
  const [first] = runs;
  console.log(
    `\n${model} — dataset ${first.datasetVersion.slice(0, 12)}, split ${first.split}, ` +
      `${first.trainRows} train / ${first.testRows} test rows`,
  );
  console.log(trainingTable(runs));
  for (const run of runs) {
    const size = run.artifactPath ? statSync(run.artifactPath).size : 0;
    const trees = typeof run.params.nEstimators === 'number' ? `, ${treeCount(run)} trees` : '';
    console.log(`  ${run.candidate.padEnd(13)} artifact ${(size / 1024).toFixed(0).padStart(6)} KB${trees}`);
  }
}

/** The trees a run's artifact holds (fewer than nEstimators when early stopping ended the fit). */
function treeCount(run: RunEntity): number | string {
  if (!run.artifactPath) return String(run.params.nEstimators);
  const artifact = JSON.parse(readFileSync(run.artifactPath, 'utf8')) as { estimator?: { trees?: unknown[] } };
  return artifact.estimator?.trees?.length ?? String(run.params.nEstimators);
}
