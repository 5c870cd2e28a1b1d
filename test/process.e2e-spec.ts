import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/free-port';
import { realHousingCsvPath, REPO_ROOT } from './support/housing-data';
import { productionNodeArgs } from './support/service-process';

/** The real process, as `npm start` runs it: configuration errors at boot, serving, graceful shutdown. */
describe('service process (e2e)', () => {
  let dir: string;

  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-if-needed.mjs')], { cwd: REPO_ROOT });
  }, 120_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-process-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, productionNodeArgs(), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOUSING_CSV_PATH: realHousingCsvPath(), ...env },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output };
  }

  const exited = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

  async function waitForLive(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the service did not come up');
  }

  it('stops at boot with one message naming the variable and the rule', async () => {
    const { child, output } = start({ PORT: 'eighty', TEST_FRACTION: '2' });
    const { code } = await exited(child);
    expect(code).toBe(1);
    expect(output().trim()).toBe(
      'nest-mlops failed to start: Invalid configuration: PORT must be an integer number; ' +
        'TEST_FRACTION must not be greater than 0.5',
    );
  });

  it('serves with no configuration but a port, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const { child, output } = start({ PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json' });
    await waitForLive(port);
    const docs = await fetch(`http://127.0.0.1:${port}/docs`);
    expect(docs.status).toBe(200);
    // Live at once; ready once the first models are trained and served (503 naming the models until then).
    const early = await fetch(`http://127.0.0.1:${port}/health/ready`);
    if (early.status !== 200)
      expect(((await early.json()) as { message: string }).message).toContain('models (not served yet');
    let ready = early;
    for (let i = 0; i < 240 && ready.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    }
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { models: { 'california-housing': { served: true }, iris: { served: true } } },
    });
    // Defaults: the database lives under ./data of the working directory.
    expect(existsSync(join(dir, 'data', 'nest-mlops.sqlite'))).toBe(true);

    const done = exited(child);
    child.kill('SIGTERM');
    const { code, signal } = await done;
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(output()).toContain('Shutting down on SIGTERM: closing the HTTP server and the database');
    expect(output()).toContain('Shutdown complete (SIGTERM)');
    // SQLite removes the WAL file when the last connection closes cleanly.
    expect(existsSync(join(dir, 'data', 'nest-mlops.sqlite-wal'))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  }, 180_000);
});
