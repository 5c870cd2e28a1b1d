// `npm run bench:floor`: how close the prediction routes could come to the bare echo on this machine with today's model
// and prediction log, whatever is done to their framework path. Trains the models once (a first start on a fresh
// directory), then starts side by side: the bare Fastify echo of bench:serve, the floor server
// (scripts/bench-floor-server.mjs: the served champion and the prediction log on bare Fastify, nothing else) once for
// each of BENCH_FLOOR_PARTS, and the service itself (a restart), each on its own copy of the stored models and
// database (on PostgreSQL, DATABASE_URL, they share the one database). Each is driven in turn with autocannon, in
// rounds that rotate their order (the host's speed drifts between minutes; a round's figures were measured minutes
// apart at most), and each figure is printed as a fraction of the same round's echo, then the medians, and the rows
// each log wrote against the rows answered (after their graceful shutdowns).
// BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (10), BENCH_SETTLE_SECONDS (5), BENCH_WORKLOADS
// (single,batch), BENCH_FLOOR_PARTS (model+log; also model, log, route: see the floor server).
import autocannon from 'autocannon';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  machine,
  median,
  queryDatabase,
  root,
  sleep,
  startEcho,
  startService,
  workloadBodies,
} from './bench-util.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 5);
const workloads = (process.env.BENCH_WORKLOADS ?? 'single,batch').split(',');
const floorParts = [...new Set((process.env.BENCH_FLOOR_PARTS ?? 'model+log').split(','))];
if (workloads.some((w) => !['single', 'batch'].includes(w))) throw new Error('BENCH_WORKLOADS: single and/or batch');
if (floorParts.some((p) => !['model+log', 'model', 'log', 'route'].includes(p))) {
  throw new Error('BENCH_FLOOR_PARTS: one or more of model+log, model, log, route');
}
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error('BENCH_ROUNDS: a whole number of at least 1');
const env = { LOG_LEVEL: 'warn', RETRAIN_CRON: 'off' };
const bodies = await workloadBodies();
const rowsOf = { single: 1, batch: 100 };

const first = await startService(env);
await first.stop();
const copies = [];
/** What a restart of `first` starts on: a copy of its directory (its models and SQLite database). */
const storedModels = () => {
  if (first.postgres) return first;
  const scratch = mkdtempSync(join(tmpdir(), 'nest-mlops-floor-'));
  cpSync(first.scratch, scratch, { recursive: true });
  copies.push(scratch);
  return { scratch };
};
const targets = [];
/** Stops every started process, whichever fails to stop. */
const stopAll = async () => {
  const failed = (await Promise.allSettled(targets.map((t) => t.process.stop()))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
};
try {
  const echo = await startEcho();
  targets.push({ name: 'echo', url: () => `${echo.base}/echo`, process: echo });
  for (const parts of floorParts) {
    const port = await freePort();
    const floor = await startService(
      { ...env, FLOOR_PORT: String(port), FLOOR_PARTS: parts },
      { restartOf: storedModels(), entry: join(root, 'scripts', 'bench-floor-server.mjs') },
    );
    const base = `http://127.0.0.1:${port}`;
    targets.push({
      name: `floor (${parts})`,
      url: (path) => `${base}${path}`,
      process: floor,
      logs: parts !== 'model' && parts !== 'route',
    });
  }
  const service = await startService(env, { restartOf: storedModels() });
  targets.push({ name: 'service', url: (path) => `${service.base}${path}`, process: service, logs: true });
  await sleep(settleSeconds * 1000);

  const results = new Map(); // `${workload} ${target}` → [{ rate, p99, ofEcho }] per round
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      const path = workload === 'single' ? '/predict/housing' : '/predict/housing/batch';
      // The echo first (each figure's baseline), then the others in an order that rotates with the round.
      const others = targets.slice(1);
      const order = [targets[0], ...others.slice(round % others.length), ...others.slice(0, round % others.length)];
      let echoRate;
      const line = [];
      for (const target of order) {
        const r = await autocannon({
          url: target.url(path),
          method: 'POST',
          connections,
          duration: seconds,
          headers: { 'content-type': 'application/json' },
          body: bodies[workload],
        });
        if (r.non2xx + r.errors > 0) throw new Error(`${target.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        target.answeredRows = (target.answeredRows ?? 0) + r['2xx'] * rowsOf[workload];
        const rate = r.requests.average;
        echoRate ??= rate;
        const key = `${workload} ${target.name}`;
        results.set(key, [...(results.get(key) ?? []), { rate, p99: r.latency.p99, ofEcho: rate / echoRate }]);
        line.push(`${target.name} ${rate.toFixed(0)}/s (${((100 * rate) / echoRate).toFixed(0)} %)`);
      }
      console.log(`round ${round + 1}, ${workload}: ${line.join(', ')}`);
    }
  }

  console.log(`\nMachine: ${machine()}; ${connections} connections, ${seconds} s`);
  console.log(`${rounds} rounds; medians (and each round's figure)\n`);
  console.log('| workload | target | requests/s | rows/s (each round) | of the echo (each round) | p99 ms |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const each = (runs, figure) => runs.map(figure).join(' / ');
  for (const workload of workloads) {
    for (const target of targets) {
      const runs = results.get(`${workload} ${target.name}`);
      const rate = median(runs.map((r) => r.rate));
      console.log(
        `| ${workload === 'single' ? 'single row' : 'batch of 100'} | ${target.name} | ${rate.toFixed(0)} | ` +
          `${(rate * rowsOf[workload]).toFixed(0)} (${each(runs, (r) => (r.rate * rowsOf[workload]).toFixed(0))}) | ` +
          `${(100 * median(runs.map((r) => r.ofEcho))).toFixed(0)} % (${each(runs, (r) => (100 * r.ofEcho).toFixed(0))}) | ` +
          `${median(runs.map((r) => r.p99))} |`,
      );
    }
  }
  // The logs are counted once their processes have shut down gracefully (which writes what they still hold).
  await stopAll();
  const logging = targets.filter((t) => t.logs);
  const logged = async (target) =>
    Number((await queryDatabase(target.process, 'SELECT sum(row_count) AS n FROM predictions'))[0].n ?? 0);
  if (first.postgres) {
    const answered = logging.reduce((n, t) => n + t.answeredRows, 0);
    console.log(`\nRows logged (one PostgreSQL database): ${await logged(logging[0])} of ${answered} answered`);
  } else {
    const counts = [];
    for (const target of logging) counts.push(`${target.name} ${await logged(target)} of ${target.answeredRows}`);
    console.log(`\nRows logged, of the rows answered: ${counts.join('; ')}`);
  }
} finally {
  await stopAll();
  await first.remove();
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
}
