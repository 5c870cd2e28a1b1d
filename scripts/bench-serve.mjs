// `npm run bench:serve`: starts the built service, drives it with autocannon (single rows, then batches of 100 rows)
// for a fixed time each, and prints requests/s, latency percentiles, rows/s, the rows the prediction log wrote
// (read from the database after the server's graceful shutdown) and the server's memory (sampled every 250 ms
// during each workload), with the machine and the CPU time the hypervisor took from it (steal) during the run. The
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
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 20);

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
/** The machine's CPU time counters (all cores), from /proc/stat. */
const cpuTicks = () => readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
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

/** Runs one autocannon workload, sampling the server's RSS every 250 ms while it runs (`maxRss` on the result). */
async function run(title, options) {
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(server.pid, 'VmRSS:'))), 250);
  const before = cpuTicks();
  try {
    const result = await drive(title, options);
    const after = cpuTicks();
    const spent = after.map((t, i) => t - before[i]);
    const total = spent.reduce((a, b) => a + b, 0);
    // /proc/stat's cpu line: user nice system idle iowait irq softirq steal …
    return { ...result, maxRss, stealPct: (100 * spent[7]) / total, idlePct: (100 * spent[3]) / total };
  } finally {
    clearInterval(sampler);
  }
}

function drive(title, options) {
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
  const readyRss = rssMb(server.pid, 'VmRSS:');
  // The first start trains the models; V8 returns that heap to the system once the process has been idle a few
  // seconds (its memory reducer), as it would be before an orchestrator sends traffic to a new pod.
  await sleep(settleSeconds * 1000);
  const idleRss = rssMb(server.pid, 'VmRSS:');
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
    `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${(r.requests.average * rows).toFixed(0)} | ${r.non2xx + r.errors} | ${logged} of ${r['2xx'] * rows} | ${r.maxRss.toFixed(0)} | ${r.stealPct.toFixed(0)} / ${r.idlePct.toFixed(0)} |`;
  console.log(
    `\nMachine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; load generator on the same machine`,
  );
  console.log(
    `Model: california-housing version ${version.version} (${version.candidate}); LOG_LEVEL=${logLevel}; ${connections} connections, ${seconds} s each\n`,
  );
  console.log(
    '| workload | requests/s | p50 ms | p99 ms | rows/s | non-2xx + errors | rows logged | max RSS MB | CPU steal / idle % |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(line('single row', single, 1, loggedRows(beforeSingle, beforeBatch)));
  console.log(line('batch of 100', batch, 100, loggedRows(beforeBatch, end)));
  console.log(
    `\nServer RSS: ${readyRss.toFixed(0)} MB when ready, ${idleRss.toFixed(0)} MB after ${settleSeconds} s idle, ` +
      `${rss.toFixed(0)} MB after the run; peak ${peak.toFixed(0)} MB over the process's life, which includes ` +
      `training its first models at start`,
  );
} finally {
  server.kill('SIGTERM');
  await exited;
  rmSync(scratch, { recursive: true, force: true });
}
