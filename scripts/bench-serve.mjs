// `npm run bench:serve`: starts the built service, drives it with autocannon (single rows, then batches of 100 rows)
// for a fixed time each, and prints requests/s, latency percentiles, rows/s and the server's memory, with the
// machine. The service runs with the working directory's data and models (it trains them first if none exist).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';

// The feature spec's example row (from the build this script starts).
const { HOUSING_SPEC } = await import(join(root, 'dist', 'data', 'housing', 'housing.feature-spec.js'));
const row = HOUSING_SPEC.example;

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
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: logLevel },
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  await waitReady(base);
  const models = await (await fetch(`${base}/models`)).json();
  const housing = models.find((m) => m.name === 'california-housing');
  const version = await (await fetch(`${base}/models/california-housing/versions/${housing.servedVersion}`)).json();
  const single = await run('single rows', { url: `${base}/predict/housing`, body: JSON.stringify(row) });
  const batch = await run('batches of 100', {
    url: `${base}/predict/housing/batch`,
    body: JSON.stringify({ rows: Array.from({ length: 100 }, (_, i) => ({ ...row, median_income: 1 + (i % 10) })) }),
  });
  const rss = rssMb(server.pid, 'VmRSS:');
  const peak = rssMb(server.pid, 'VmHWM:');
  const line = (name, r, rows) =>
    `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${(r.requests.average * rows).toFixed(0)} | ${r.non2xx + r.errors} |`;
  console.log(
    `\nMachine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; load generator on the same machine`,
  );
  console.log(
    `Model: california-housing version ${version.version} (${version.candidate}); LOG_LEVEL=${logLevel}; ${connections} connections, ${seconds} s each\n`,
  );
  console.log('| workload | requests/s | p50 ms | p99 ms | rows/s | non-2xx + errors |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(line('single row', single, 1));
  console.log(line('batch of 100', batch, 100));
  console.log(`\nServer memory: RSS ${rss.toFixed(0)} MB now, peak ${peak.toFixed(0)} MB`);
} finally {
  server.kill('SIGTERM');
}
