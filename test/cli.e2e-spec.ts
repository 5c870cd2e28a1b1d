import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { realHousingCsvPath, REPO_ROOT } from './support/housing-data';
import { HOUSING_DATASET } from './support/housing-dataset';

const run = promisify(execFile);

/** The command-line tools as a user runs them (compiled, in a fresh working directory). */
describe('command-line tools (e2e)', () => {
  let dir: string;
  const cli = (script: string, args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [join(REPO_ROOT, 'dist', 'cli', script), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOUSING_CSV_PATH: realHousingCsvPath(), ...env },
    });

  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-if-needed.mjs')], { cwd: REPO_ROOT });
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-cli-'));
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('data:prepare prints rows read, rejected, imputed, the version and the split sizes', async () => {
    const { stdout } = await cli('data-prepare.js', ['--model', 'california-housing']);
    const { rows, valuesImputed, split } = HOUSING_DATASET;
    expect(stdout).toContain(`Version          ${HOUSING_DATASET.sha256}`);
    expect(stdout).toMatch(
      new RegExp(`Rows read\\s+${rows}\\nRows rejected\\s+0\\nValues imputed\\s+${valuesImputed}\\n`),
    );
    expect(stdout).toContain(`Split sizes      ${split.trainRows} train / ${split.testRows} test`);
  });

  it('train fits the requested candidates on a split file and prints the comparison table', async () => {
    const splitFile = join(dir, 'iris-split.json');
    const rows = Array.from({ length: 150 }, (_, i) => i);
    writeFileSync(
      splitFile,
      JSON.stringify({ train: rows.filter((i) => i % 5 !== 0), test: rows.filter((i) => i % 5 === 0) }),
    );
    const { stdout } = await cli('train.js', ['--model', 'iris', '--candidates', 'gbdt', '--split-file', splitFile]);
    expect(stdout).toContain(`split file:${splitFile}, 120 train / 30 test rows`);
    expect(stdout).toMatch(/│ candidate\s+│ accuracy │ macro-F1 │ log loss │ train s │ predict µs\/row │ status\s+│/);
    expect(stdout).toMatch(/│ gbdt\s+│\s+\d\.\d{4} │/);
    expect(stdout).toMatch(/run [0-9a-f-]{36}\s+gbdt\s+artifact models\/iris\/runs\/[0-9a-f-]{36}\.json/);
  });

  it('train explains a bad request and exits 1', async () => {
    const error = (await cli('train.js', ['--model', 'iris', '--candidates', 'linear']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr.trim()).toBe('Error: Unknown candidate(s) linear; this model has gbdt, random_forest');
  });
});
