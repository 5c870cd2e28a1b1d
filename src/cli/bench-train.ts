import 'reflect-metadata';
import { statSync } from 'node:fs';
import { cpus } from 'node:os';
import { TrainingService } from '../training/training.service';
import { CliModule } from './cli.module';
import { runCli } from './cli.util';
import { trainingTable } from './training-table';

/**
 * `npm run bench:train`: trains every candidate of both models on the default split (runs are recorded as
 * usual) and prints the comparison tables with the machine they ran on and the artifact sizes.
 */
void runCli(CliModule, async (app) => {
  const training = app.get(TrainingService);
  console.log(`Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  for (const model of ['california-housing', 'iris']) {
    const runs = await training.train(model);
    const [first] = runs;
    console.log(
      `\n${model} — dataset ${first.datasetVersion.slice(0, 12)}, split ${first.split}, ` +
        `${first.trainRows} train / ${first.testRows} test rows`,
    );
    console.log(trainingTable(runs));
    for (const run of runs) {
      const size = run.artifactPath ? statSync(run.artifactPath).size : 0;
      const trees = typeof run.params.nEstimators === 'number' ? `, ${run.params.nEstimators} trees` : '';
      console.log(`  ${run.candidate.padEnd(13)} artifact ${(size / 1024).toFixed(0).padStart(6)} KB${trees}`);
    }
  }
});
