import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curlCount, DocBlock, fencedBlocks, runExample, serviceExamples } from './support/doc-examples';
import { REPO_ROOT } from './support/housing-data';
import { buildService, PROCESS_ADMIN_KEY, ServiceProcess, startService, stopService } from './support/service-process';

const README = join(REPO_ROOT, 'README.md');
const blocks = fencedBlocks(README, 'README.md');
const examples = serviceExamples(blocks);

/**
 * Every shell example of the README that talks to the service is run, in the README's order, against a live
 * service started as `npm start` starts it on a fresh folder (it trains its first models), exactly as written
 * apart from the address: each curl must answer 2xx and each pipeline must succeed.
 */
describe('README examples (e2e, live service)', () => {
  let dir: string;
  let service: ServiceProcess;
  const executed: { line: number; curls: number }[] = [];

  beforeAll(async () => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-readme-'));
    mkdirSync(join(dir, 'data', 'raw'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'data', 'raw', 'diabetes.csv'), join(dir, 'data', 'raw', 'diabetes.csv'));
    // The files the README asks the reader to save (```yaml file=diabetes.yaml) are saved where its examples run.
    for (const block of blocks) if (block.file) writeFileSync(join(dir, block.file), `${block.text}\n`);
    service = await startService(dir, { RETRAIN_CRON: 'off' });
  }, 300_000);

  afterAll(async () => {
    if (service) await stopService(service);
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The figure the closing note quotes: how many documented calls ran.
    process.stdout.write(
      `README examples: ${executed.length} blocks, ${executed.reduce((n, e) => n + e.curls, 0)} curl calls\n`,
    );
  });

  it('finds the examples (the quick start, a model from a definition, the log, retraining, monitoring)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(examples.reduce((n, b) => n + curlCount(b.text), 0)).toBeGreaterThanOrEqual(30);
    expect(blocks.some((b) => b.file === 'diabetes.yaml')).toBe(true);
  });

  it.each(examples.map((block) => [`README.md:${block.line}`, block] as [string, DocBlock]))(
    'runs the example at %s',
    async (_where, block) => {
      const run = await runExample(block, {
        cwd: dir,
        base: service.base.replace('http://', ''),
        env: { ADMIN_API_KEY: PROCESS_ADMIN_KEY },
        timeoutMs: 240_000,
      });
      executed.push({ line: block.line, curls: run.curls });
      if (run.code !== 0) {
        throw new Error(
          `README.md:${block.line} failed (exit ${run.code}):\n${run.stderr}\n--- stdout\n${run.stdout.slice(-4000)}`,
        );
      }
      // Every curl of the block ran (a polling loop may run its own more than once).
      expect(run.curls).toBeGreaterThanOrEqual(curlCount(block.text));
    },
    300_000,
  );
});
