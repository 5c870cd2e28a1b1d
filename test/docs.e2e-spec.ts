import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  curlCount,
  DocBlock,
  docFiles,
  documentation,
  fencedBlocks,
  runExample,
  serviceExamples,
} from './support/doc-examples';
import { REPO_ROOT } from './support/housing-data';
import { buildService, PROCESS_ADMIN_KEY, ServiceProcess, startService, stopService } from './support/service-process';

const docs = documentation(REPO_ROOT);
const blocks = docs.pages.flatMap((page) => fencedBlocks(page.path, page.name));
const examples = serviceExamples(blocks);

/**
 * Every shell example of README.md and of the docs/ pages (in the order docs/README.md lists them) that talks to
 * the service is run, in that order, as one sequence against one live service started as `npm start` starts it on
 * a fresh folder (it trains its first models), exactly as written apart from the address: each curl must answer
 * 2xx and each pipeline must succeed. An example fills its placeholders from the answers before it.
 */
describe('documentation examples (e2e, live service)', () => {
  let dir: string;
  let service: ServiceProcess;
  const executed: { doc: string; line: number; curls: number; failed: boolean }[] = [];

  beforeAll(async () => {
    for (const page of docs.missing)
      process.stdout.write(`Skipped ${page}: docs/README.md links to it, it does not exist\n`);
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-docs-'));
    mkdirSync(join(dir, 'data', 'raw'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'data', 'raw', 'diabetes.csv'), join(dir, 'data', 'raw', 'diabetes.csv'));
    // The files the documents ask the reader to save (```yaml file=diabetes.yaml) are saved where the examples run.
    for (const [file, text] of docFiles(blocks)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), `${text}\n`);
    }
    service = await startService(dir, { RETRAIN_CRON: 'off' });
  }, 300_000);

  afterAll(async () => {
    if (service) await stopService(service);
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The figures the closing note quotes: how many documented blocks and calls ran, per document and in total.
    const summary = (runs: typeof executed) =>
      `${runs.length} blocks, ${runs.reduce((n, e) => n + e.curls, 0)} curl calls` +
      (runs.some((e) => e.failed) ? ` (${runs.filter((e) => e.failed).length} blocks failed)` : '');
    const lines = docs.pages
      .filter((page) => executed.some((e) => e.doc === page.name))
      .map((page) => `  ${page.name}: ${summary(executed.filter((e) => e.doc === page.name))}`);
    process.stdout.write(`Documentation examples:\n${lines.join('\n')}\n  total: ${summary(executed)}\n`);
  });

  it('reads every page of docs/: each is linked from docs/README.md', () => {
    expect(docs.unlinked).toEqual([]);
  });

  it('finds the examples (the quick start, a model from a definition, the log, retraining, monitoring)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(examples.reduce((n, b) => n + curlCount(b.text), 0)).toBeGreaterThanOrEqual(30);
    expect(blocks.some((b) => b.file === 'diabetes.yaml')).toBe(true);
  });

  it.each(examples.map((block) => [`${block.doc}:${block.line}`, block] as [string, DocBlock]))(
    'runs the example at %s',
    async (where, block) => {
      const run = await runExample(block, {
        cwd: dir,
        base: service.base.replace('http://', ''),
        env: { ADMIN_API_KEY: PROCESS_ADMIN_KEY },
        timeoutMs: 240_000,
      });
      executed.push({ doc: block.doc, line: block.line, curls: run.curls, failed: run.code !== 0 });
      if (run.code !== 0) {
        throw new Error(`${where} failed (exit ${run.code}):\n${run.stderr}\n--- stdout\n${run.stdout.slice(-4000)}`);
      }
      // Every curl of the block ran (a polling loop may run its own more than once).
      expect(run.curls).toBeGreaterThanOrEqual(curlCount(block.text));
    },
    300_000,
  );
});
