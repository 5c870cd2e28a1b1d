// `npm run bench:serve`: starts the built service, drives it with autocannon (single rows, then batches of 100 rows)
// for a fixed time each, and prints requests/s, latency percentiles, rows/s, the rows the prediction log wrote
// (read from the database after the server's graceful shutdown) and the server's memory, with the machine. The
// service gets a fresh database and models folder in a temporary directory (so a prediction log grown by earlier
// runs does not slow it down), reads the raw data from the working directory, and trains its models at start.
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';

// The feature spec's example row (from the build this script starts).
const { HOUSING_SPEC } = await import(join(root, 'dist', 'data', 'housing', 'housing.feature-spec.js'));
const row = HOUSING_SPEC.example;

const scratch = mkdtempSync(join(tmpdir(), 'nest-mlops-bench-'));
const databasePath = join(scratch, 'bench.sqlite');

/** The prediction log's last id, or the predicted rows it holds after `afterId` (up to `toId`). */
function readLog(sql, ...params) {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return Object.values(db.prepare(sql).get(...params))[0] ?? 0;
  } finally {
    db.close();
  }
}
const lastLogId = () => readLog('SELECT max(id) FROM predictions');
const loggedRows = (afterId, toId) =>
  readLog('SELECT sum(row_count) FROM predictions WHERE id > ? AND id <= ?', afterId, toId);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const rssMb = (pid, field) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
};

async function waitReady(base) {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${base}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the service did not become ready');
}

function run(title, options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { connections, duration: seconds, method: 'POST', headers: { 'content-type': 'application/json' }, ...options },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
    process.stdout.write(`${title}: ${seconds} s, ${connections} connections…\n`);
  });
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [join(root, 'dist', 'main.js')], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: logLevel,
    DATABASE_PATH: databasePath,
    MODELS_DIR: join(scratch, 'models'),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const exited = new Promise((resolve) => server.once('exit', resolve));
try {
  await waitReady(base);
  const models = await (await fetch(`${base}/models`)).json();
  const housing = models.find((m) => m.name === 'california-housing');
  const version = await (await fetch(`${base}/models/california-housing/versions/${housing.servedVersion}`)).json();
  const beforeSingle = lastLogId();
  const single = await run('single rows', { url: `${base}/predict/housing`, body: JSON.stringify(row) });
  await sleep(1000); // the log writer flushes every PREDICTION_LOG_FLUSH_MS
  const beforeBatch = lastLogId();
  const batch = await run('batches of 100', {
    url: `${base}/predict/housing/batch`,
    body: JSON.stringify({ rows: Array.from({ length: 100 }, (_, i) => ({ ...row, median_income: 1 + (i % 10) })) }),
  });
  const rss = rssMb(server.pid, 'VmRSS:');
  const peak = rssMb(server.pid, 'VmHWM:');
  server.kill('SIGTERM');
  await exited; // graceful shutdown writes what the log still holds
  const end = lastLogId();
  const line = (name, r, rows, logged) =>
    `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${(r.requests.average * rows).toFixed(0)} | ${r.non2xx + r.errors} | ${logged} of ${r['2xx'] * rows} |`;
  console.log(
    `\nMachine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; load generator on the same machine`,
  );
  console.log(
    `Model: california-housing version ${version.version} (${version.candidate}); LOG_LEVEL=${logLevel}; ${connections} connections, ${seconds} s each\n`,
  );
  console.log('| workload | requests/s | p50 ms | p99 ms | rows/s | non-2xx + errors | rows logged |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(line('single row', single, 1, loggedRows(beforeSingle, beforeBatch)));
  console.log(line('batch of 100', batch, 100, loggedRows(beforeBatch, end)));
  console.log(`\nServer memory after the run: RSS ${rss.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`);
} finally {
  server.kill('SIGTERM');
  await exited;
  rmSync(scratch, { recursive: true, force: true });
}
