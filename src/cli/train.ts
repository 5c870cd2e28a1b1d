import 'reflect-metadata';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { AppConfig } from '../config/app-config';
import { CandidateName } from '../training/candidates';
import { TrainingService } from '../training/training.service';
import { CliModule } from './cli.module';
import { runCli } from './cli.util';
import { trainingTable } from './training-table';

/**
 * `npm run train [-- --model NAME] [--candidates gbdt,linear] [--split-file PATH]`: fits the candidates
 * (default DEFAULT_MODEL) in a child process with a progress bar each, records the runs, and prints a comparison table.
 */
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    candidates: { type: 'string' },
    'split-file': { type: 'string' },
  },
});

void runCli(CliModule, async (app) => {
  const bars = new MultiBar(
    { format: '{candidate} [{bar}] {percentage}% {stage} {value}/{total}', hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const byCandidate = new Map<CandidateName, SingleBar>();
  try {
    const runs = await app.get(TrainingService).train(values.model ?? app.get(AppConfig).DEFAULT_MODEL, {
      candidates: values.candidates?.split(',').map((c) => c.trim()),
      splitFile: values['split-file'],
      onProgress: (candidate, { stage, done, total }) => {
        const payload = { candidate: candidate.padEnd(13), stage };
        const bar = byCandidate.get(candidate) ?? bars.create(total, 0, payload);
        byCandidate.set(candidate, bar);
        bar.setTotal(total);
        bar.update(done, payload);
      },
    });
    bars.stop();
    const [first] = runs;
    console.log(
      `\n${first.modelName} — dataset ${first.datasetVersion.slice(0, 12)}, split ${first.split}, ` +
        `${first.trainRows} train / ${first.testRows} test rows`,
    );
    console.log(trainingTable(runs));
    for (const run of runs) console.log(`run ${run.id}  ${run.candidate}  artifact ${run.artifactPath}`);
  } finally {
    bars.stop();
  }
});
