// `npm run bench:serve`: starts the built service, drives it with autocannon (single rows, then batches of 100 rows)
// for a fixed time each, after the same two bodies sent to a bare Fastify JSON echo (the baseline each workload is
// printed as a fraction of), and prints requests/s, latency percentiles, rows/s, the rows the prediction log wrote
// (read from the database after the server's graceful shutdown) and the server's memory (sampled every 250 ms
// during each workload), with the machine and the CPU time the hypervisor took from it (steal) during the run. The
// service gets a fresh database and models folder in a temporary directory (so a prediction log grown by earlier
// runs does not slow it down), reads the raw data from the working directory, and trains its models at start (the
// first start); then it is restarted on what it stored (its models), and both workloads run again (the restart).
// Last, the floor (scripts/bench-floor-server.mjs) on the same stored models: the served model and the prediction log
// behind a bare Fastify route, nothing else: what the routes would reach with this model and log if all else were free.
// With BENCH_TRACES=1 the service exports OpenTelemetry traces (OTLP/HTTP, OTEL_EXPORTER_OTLP_PROTOCOL or
// http/protobuf) to a local sink that reads and discards them, and the sink's count is printed: the cost of tracing.
import autocannon from 'autocannon';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  cpuShares,
  cpuTicks,
  freePort,
  machine,
  memoryMb,
  queryDatabase,
  root,
  sleep,
  startEcho,
  startService,
  workloadBodies,
} from './bench-util.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 20);

/** Runs one autocannon workload, sampling the server's RSS every 250 ms while it runs (`maxRss` on the result). */
async function run(service, title, options) {
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, memoryMb(service.pid, 'VmRSS:'))), 250);
  const before = cpuTicks();
  try {
    const result = await new Promise((resolve, reject) => {
      const instance = autocannon(
        { connections, duration: seconds, method: 'POST', headers: { 'content-type': 'application/json' }, ...options },
        (error, r) => (error ? reject(error) : resolve(r)),
      );
      autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
      process.stdout.write(`${title}: ${seconds} s, ${connections} connections…\n`);
    });
    return { ...result, maxRss, ...cpuShares(before, cpuTicks()) };
  } finally {
    clearInterval(sampler);
  }
}

const { single: singleBody, batch: batchBody } = await workloadBodies();

/** An OTLP/HTTP receiver that reads and discards what it gets (BENCH_TRACES=1): export requests and bytes. */
async function startTraceSink() {
  const received = { requests: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk) => (received.bytes += chunk.length));
    request.on('end', () => {
      received.requests++;
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' });
      response.end(request.headers['content-type']?.startsWith('application/json') ? '{}' : '');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${server.address().port}`;
  return { received, stop: () => new Promise((resolve) => server.close(resolve)) };
}
const traceSink = process.env.BENCH_TRACES === '1' ? await startTraceSink() : undefined;
// The baseline first, alone on the machine: bare Fastify parsing and echoing the same bodies.
const echo = await startEcho();
let echoSingle;
let echoBatch;
try {
  echoSingle = await run(echo, 'echo, single-row body', { url: `${echo.base}/echo`, body: singleBody });
  echoBatch = await run(echo, 'echo, 100-row body', { url: `${echo.base}/echo`, body: batchBody });
} finally {
  await echo.stop();
}

const lastLogId = async (service) =>
  Number((await queryDatabase(service, 'SELECT max(id) AS id FROM predictions'))[0].id ?? 0);
const loggedRows = async (service, afterId, toId) =>
  Number(
    (
      await queryDatabase(
        service,
        'SELECT sum(row_count) AS n FROM predictions WHERE id > ? AND id <= ?',
        afterId,
        toId,
      )
    )[0].n ?? 0,
  );

/**
 * Both workloads on a started service (at `base`, its own by default), then its graceful shutdown (which writes what
 * the log still holds), and the rows the log wrote for each. `memory` gets the RSS readings outside the workloads.
 */
async function workloads(service, label, base = service.base) {
  const memory = { ready: memoryMb(service.pid, 'VmRSS:') };
  // A first start trains the models; V8 returns that heap to the system once the process has been idle a few
  // seconds (its memory reducer), as it would be before an orchestrator sends traffic to a new pod.
  await sleep(settleSeconds * 1000);
  memory.idle = memoryMb(service.pid, 'VmRSS:');
  const beforeSingle = await lastLogId(service);
  const single = await run(service, `${label}, single rows`, {
    url: `${base}/predict/housing`,
    body: singleBody,
  });
  await sleep(1000); // the log writer flushes every PREDICTION_LOG_FLUSH_MS
  const beforeBatch = await lastLogId(service);
  const batch = await run(service, `${label}, batches of 100`, {
    url: `${base}/predict/housing/batch`,
    body: batchBody,
  });
  memory.after = memoryMb(service.pid, 'VmRSS:');
  memory.peak = memoryMb(service.pid, 'VmHWM:');
  await service.stop();
  const end = await lastLogId(service);
  single.logged = await loggedRows(service, beforeSingle, beforeBatch);
  batch.logged = await loggedRows(service, beforeBatch, end);
  return { single, batch, memory };
}

const first = await startService({ LOG_LEVEL: logLevel, RETRAIN_CRON: 'off' });
let restarted;
let floor;
try {
  const models = await (await fetch(`${first.base}/models`)).json();
  const housing = models.find((m) => m.name === 'california-housing');
  const version = await (
    await fetch(`${first.base}/models/california-housing/versions/${housing.servedVersion}`)
  ).json();
  const firstRun = await workloads(first, 'first start');
  restarted = await startService({ LOG_LEVEL: logLevel, RETRAIN_CRON: 'off' }, { restartOf: first });
  const restartRun = await workloads(restarted, 'restart');
  const floorPort = await freePort();
  floor = await startService(
    { LOG_LEVEL: logLevel, RETRAIN_CRON: 'off', FLOOR_PORT: String(floorPort) },
    { restartOf: first, entry: join(root, 'scripts', 'bench-floor-server.mjs') },
  );
  const floorRun = await workloads(floor, 'floor', `http://127.0.0.1:${floorPort}`);

  const line = (name, r, rows, baseline) =>
    `| ${name} | ${r.requests.average.toFixed(0)} | ${baseline ? `${((100 * r.requests.average) / baseline.requests.average).toFixed(0)} %` : '100 %'} | ${r.latency.p50} | ${r.latency.p99} | ${(r.requests.average * rows).toFixed(0)} | ${r.non2xx + r.errors} | ${r.logged === undefined ? '–' : `${r.logged} of ${r['2xx'] * rows}`} | ${r.maxRss.toFixed(0)} | ${r.stealPct.toFixed(0)} / ${r.idlePct.toFixed(0)} |`;
  const pct = (r, of) => `${((100 * r.requests.average) / of.requests.average).toFixed(0)} %`;
  const mb = (m) =>
    `${m.ready.toFixed(0)} MB when ready, ${m.idle.toFixed(0)} MB after ${settleSeconds} s idle, ` +
    `${m.after.toFixed(0)} MB after the workloads, peak ${m.peak.toFixed(0)} MB over the process's life`;
  console.log(`\nMachine: ${machine()}`);
  console.log(
    `Model: california-housing version ${version.version} (${version.candidate}); database: ${first.databaseUrl ? 'PostgreSQL' : 'SQLite'}; LOG_LEVEL=${logLevel}; ${connections} connections, ${seconds} s each`,
  );
  console.log(
    traceSink
      ? `Traces: on (OTLP ${process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'}), the sink received ${traceSink.received.requests} export requests, ${(traceSink.received.bytes / 1e6).toFixed(1)} MB\n`
      : 'Traces: off (no OTEL_* setting)\n',
  );
  console.log(
    '| workload | requests/s | of the echo | p50 ms | p99 ms | rows/s | non-2xx + errors | rows logged | max RSS MB | CPU steal / idle % |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(line('echo, single-row body', echoSingle, 1));
  console.log(line('echo, 100-row body', echoBatch, 100));
  console.log(line('first start: single row', firstRun.single, 1, echoSingle));
  console.log(line('first start: batch of 100', firstRun.batch, 100, echoBatch));
  console.log(line('restart: single row', restartRun.single, 1, echoSingle));
  console.log(line('restart: batch of 100', restartRun.batch, 100, echoBatch));
  console.log(line('floor: single row', floorRun.single, 1, echoSingle));
  console.log(line('floor: batch of 100', floorRun.batch, 100, echoBatch));
  console.log(
    "\nFloor: the served model and the prediction log behind a bare Fastify route in the service's process, nothing " +
      'else (scripts/bench-floor-server.mjs): what the routes would reach in this run, with this model and log, if ' +
      'everything else cost nothing. ' +
      `The restart reached ${pct(restartRun.single, floorRun.single)} of it with single rows, ` +
      `${pct(restartRun.batch, floorRun.batch)} with batches.`,
  );
  console.log(`\nServer RSS, first start (it trains its models): ${mb(firstRun.memory)}`);
  console.log(`Server RSS, restart on its stored models: ${mb(restartRun.memory)}`);
} finally {
  await first.stop();
  await restarted?.stop();
  await floor?.stop();
  await first.remove();
  await traceSink?.stop();
}
