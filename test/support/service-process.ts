import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port';
import { realHousingCsvPath, REPO_ROOT } from './housing-data';

export const PROCESS_ADMIN_KEY = 'process-test-admin-key-0123456789';
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The arguments of node in `npm start` (package.json): its flags and dist/main.js, as an absolute path. */
export function productionNodeArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [node, ...args] = scripts.start.split(' ');
  if (node !== 'node' || args.at(-1) !== 'dist/main.js') throw new Error(`unexpected start script: ${scripts.start}`);
  return [...args.slice(0, -1), join(REPO_ROOT, 'dist', 'main.js')];
}

/** A service started as production starts it (`npm start`'s node flags and dist/main.js), on a port of its own. */
export interface ServiceProcess {
  child: ChildProcess;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Builds dist/ when the sources are newer (the processes run the compiled service). */
export function buildService(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-if-needed.mjs')], { cwd: REPO_ROOT });
}

/**
 * Starts the service in `cwd` with `env` over a quiet test default, and resolves once `readyPath` answers 200
 * (a worker's /health/ready does not wait for models; an api replica's waits for its champions).
 */
export async function startService(
  cwd: string,
  env: Record<string, string>,
  options: { readyPath?: string; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, productionNodeArgs(), {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      HOUSING_CSV_PATH: realHousingCsvPath(),
      ADMIN_API_KEY: PROCESS_ADMIN_KEY,
      LOG_LEVEL: 'warn',
      RETRAIN_CRON: 'off',
      DRIFT_CHECK_INTERVAL_S: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const service = { child, base: `http://127.0.0.1:${port}`, exited, output: () => output };
  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  while (Date.now() < deadline) {
    const ready = await fetch(`${service.base}${options.readyPath ?? '/health/ready'}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return service;
    if (child.exitCode !== null) break;
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not become ready:\n${output}`);
}

export async function stopService(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill(signal);
  return service.exited;
}

/** A parsed response body (tests read whatever members they check). */
type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A JSON request with the admin key; resolves with the status, the body and the served version header. */
export async function call(
  service: ServiceProcess,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Body; version: number | null }> {
  const res = await fetch(`${service.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PROCESS_ADMIN_KEY}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const version = res.headers.get('x-model-version');
  return { status: res.status, json: text ? JSON.parse(text) : null, version: version ? Number(version) : null };
}
