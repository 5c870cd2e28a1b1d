// Helpers shared by the serving benchmarks: a built service on a fresh temporary data directory, its memory, the
// machine's CPU counters, and reads of the prediction log it wrote.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const root = new URL('..', import.meta.url).pathname;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The feature spec's example housing row (from the build the benchmarks start). */
export async function exampleRow() {
  const { load } = await import('js-yaml');
  const file = join(root, 'src', 'definitions', 'builtin', 'california-housing.yaml');
  return load(readFileSync(file, 'utf8')).example;
}

/** The request bodies of the serving benchmarks: the example row alone, and 100 rows of it in a batch envelope. */
export async function workloadBodies() {
  const row = await exampleRow();
  return {
    single: JSON.stringify(row),
    batch: JSON.stringify({ rows: Array.from({ length: 100 }, (_, i) => ({ ...row, median_income: 1 + (i % 10) })) }),
  };
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A field of /proc/<pid>/status in MB (VmRSS:, VmHWM:). */
export const memoryMb = (pid, field) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
};

/** The machine's CPU time counters (all cores), from /proc/stat: user nice system idle iowait irq softirq steal … */
export const cpuTicks = () =>
  readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);

/** Steal and idle shares (%) of the CPU time between two cpuTicks() readings. */
export function cpuShares(before, after) {
  const spent = after.map((t, i) => t - before[i]);
  const total = spent.reduce((a, b) => a + b, 0);
  return { stealPct: (100 * spent[7]) / total, idlePct: (100 * spent[3]) / total };
}

export const machine = () =>
  `${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; load generator on the same machine`;

/**
 * Creates a database named `nest_mlops_bench_<random>` on the PostgreSQL server of `serverUrl`; returns its URL and
 * a function that drops it.
 */
export async function scratchPostgres(serverUrl) {
  const name = `nest_mlops_bench_${Math.random().toString(36).slice(2, 10)}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * The node flags `npm start` runs the service with (package.json), so that benchmarks measure the same process.
 * `buildRoot`: another checkout's (bench:ab's base revision).
 */
export function serviceNodeArgs(buildRoot = root) {
  const start = JSON.parse(readFileSync(join(buildRoot, 'package.json'), 'utf8')).scripts.start;
  const flags = start.match(/^node((?:\s+--\S+)*)\s+dist\/main\.js$/);
  if (!flags) throw new Error(`unexpected start script: ${start}`);
  return flags[1].split(/\s+/).filter(Boolean);
}

/**
 * Starts dist/main.js (with the node flags of `npm start`) on a free port with a fresh database and models folder
 * in a temporary directory (the raw data is read from the working directory), and waits until /v2/health/ready
 * answers. With DATABASE_URL in the environment, the fresh database is a new PostgreSQL database on that server
 * instead of a SQLite file. `stop()` shuts it down gracefully (SIGTERM), `remove()` deletes the directory (and
 * drops the PostgreSQL database). `restartOf`: a stopped service whose directory and database the new process
 * starts on (its stored models); `nodeArgs`: flags for node (e.g. --cpu-prof), after those of `npm start`;
 * `buildRoot`: the checkout whose dist/main.js (and `npm start` flags) to run, this one by default; `entry`: a
 * script to run instead of dist/main.js (scripts/bench-floor-server.mjs).
 */
export async function startService(env = {}, { nodeArgs = [], restartOf, buildRoot = root, entry } = {}) {
  const scratch = restartOf?.scratch ?? mkdtempSync(join(tmpdir(), 'nest-mlops-bench-'));
  const databasePath = join(scratch, 'bench.sqlite');
  const postgres =
    restartOf?.postgres ?? (process.env.DATABASE_URL ? await scratchPostgres(process.env.DATABASE_URL) : undefined);
  const remove = async () => {
    rmSync(scratch, { recursive: true, force: true });
    await postgres?.drop();
  };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [...serviceNodeArgs(buildRoot), ...nodeArgs, entry ?? join(buildRoot, 'dist', 'main.js')];
  const server = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: databasePath,
      MODELS_DIR: join(scratch, 'models'),
      ...(postgres ? { DATABASE_URL: postgres.url } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
  };
  try {
    for (let i = 0; ; i++) {
      if (i === 600) throw new Error('the service did not become ready');
      const ok = await fetch(`${base}/v2/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (server.exitCode !== null) throw new Error(`the service exited with code ${server.exitCode}`);
      await sleep(500);
    }
  } catch (error) {
    await stop();
    if (!restartOf) await remove(); // a restart's directory and database belong to the service it restarts
    throw error;
  }
  return { base, pid: server.pid, scratch, postgres, databasePath, databaseUrl: postgres?.url, stop, remove };
}

/** Starts the bare Fastify echo server (scripts/bench-echo-server.mjs) in a process of its own. */
export async function startEcho() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [join(root, 'scripts', 'bench-echo-server.mjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i === 100 || server.exitCode !== null) {
      await stop();
      throw new Error('the echo server did not start');
    }
    await sleep(100);
  }
  return { base, pid: server.pid, stop };
}

/** The rows of a read-only query (`?` placeholders) on the database of a service `startService` started. */
export async function queryDatabase(service, sql, ...params) {
  if (!service.databaseUrl) return readDatabase(service.databasePath, sql, ...params);
  const client = new pg.Client({ connectionString: service.databaseUrl });
  await client.connect();
  try {
    let n = 0;
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows;
  } finally {
    await client.end();
  }
}

/** The rows of a read-only query on the service's database. */
export function readDatabase(databasePath, sql, ...params) {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params);
  } finally {
    db.close();
  }
}
