// `npm run bench:swap`: zero-downtime retraining under load. Starts the built service (fresh temporary data
// directory, models trained at start), drives single-row predictions at a fixed rate for BENCH_SECONDS (at least
// 60) while it retrains california-housing through `POST /retrain` again and again (gbdt, forced, so every
// retraining ends in a hot-swap), then prints the total requests, the non-2xx count, p50/p99 latency inside the
// retraining windows and outside them, and which versions answered (from the prediction log, after a graceful
// shutdown), with the machine and the CPU time the hypervisor took.
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { cpuShares, cpuTicks, exampleRow, machine, queryDatabase, sleep, startService } from './bench-util.mjs';

const seconds = Math.max(60, Number(process.env.BENCH_SECONDS ?? 75));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const rate = Number(process.env.BENCH_RATE ?? 1000);
const pause = Number(process.env.BENCH_PAUSE_SECONDS ?? 4);
const row = await exampleRow();

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const adminKey = randomBytes(24).toString('hex');
const service = await startService({
  LOG_LEVEL: 'warn',
  RETRAIN_CRON: 'off',
  DRIFT_CHECK_INTERVAL_S: '0',
  ADMIN_API_KEY: adminKey,
});
try {
  await sleep(10_000); // let the first start's training heap settle
  const responses = []; // [finished at (ms), latency (ms), status]
  const windows = []; // [start, end] of each retraining job, from this process's clock
  const jobs = [];
  const before = cpuTicks();
  const started = Date.now();
  const load = new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${service.base}/predict/housing`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(row),
        connections,
        overallRate: rate,
        duration: seconds,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) =>
      responses.push([Date.now(), responseTime, statusCode]),
    );
  });
  process.stdout.write(`single rows at ${rate}/s, ${connections} connections, ${seconds} s, retraining meanwhile…\n`);

  // Retrain, wait for the job, pause, again — while at least a job's length of load time remains.
  let longest = 0;
  await sleep(pause * 1000);
  while ((Date.now() - started) / 1000 + longest / 1000 + 1 < seconds) {
    const from = Date.now();
    const res = await fetch(`${service.base}/retrain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ model: 'california-housing', candidates: ['gbdt'], force: true, reason: 'bench:swap' }),
    });
    if (res.status !== 202) throw new Error(`POST /retrain answered ${res.status}: ${await res.text()}`);
    const { id } = await res.json();
    let job;
    do {
      await sleep(100);
      job = await (await fetch(`${service.base}/retrain/jobs/${id}`)).json();
    } while (job.status === 'running');
    const to = Date.now();
    windows.push([from, to]);
    jobs.push(job);
    longest = Math.max(longest, to - from);
    await sleep(pause * 1000);
  }
  const result = await load;
  const cpu = cpuShares(before, cpuTicks());
  await service.stop();
  const answered = await queryDatabase(
    service,
    `SELECT model_version AS version, sum(row_count) AS rows FROM predictions WHERE model_name = 'california-housing' GROUP BY model_version ORDER BY model_version`,
  );

  // A response belongs to a window when the request was in flight during it.
  const inside = [];
  const outside = [];
  for (const [at, latency] of responses) {
    const sent = at - latency;
    const during = windows.some(([from, to]) => sent <= to && at >= from);
    (during ? inside : outside).push(latency);
  }
  inside.sort((a, b) => a - b);
  outside.sort((a, b) => a - b);
  const non2xx = responses.filter(([, , status]) => status < 200 || status >= 300).length;

  console.log(`\nMachine: ${machine()}`);
  console.log(`CPU steal ${cpu.stealPct.toFixed(0)} %, idle ${cpu.idlePct.toFixed(0)} % during the run\n`);
  console.log('| job | outcome | version | from | seconds | stages (s) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const job of jobs) {
    const stages = Object.entries(job.stages)
      .map(([name, s]) => `${name} ${s.toFixed(2)}`)
      .join(', ');
    console.log(
      `| ${job.id.slice(0, 8)} | ${job.outcome} | ${job.version} | ${job.fromVersion} | ${job.durationSeconds?.toFixed(2)} | ${stages} |`,
    );
  }
  const swaps = jobs.filter((j) => j.outcome === 'promoted').length;
  console.log(
    `\nTotal requests ${result.requests.total}, 2xx ${result['2xx']}, non-2xx ${non2xx}, errors ${result.errors}`,
  );
  console.log(`Retrainings ${jobs.length}, hot-swaps ${swaps}`);
  console.log('\n| window | responses | p50 ms | p99 ms | max ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, list] of [
    ['during retraining', inside],
    ['outside retraining', outside],
  ]) {
    console.log(
      `| ${name} | ${list.length} | ${percentile(list, 0.5)} | ${percentile(list, 0.99)} | ${list[list.length - 1] ?? NaN} |`,
    );
  }
  console.log(`\np99 during / outside: ${(percentile(inside, 0.99) / percentile(outside, 0.99)).toFixed(2)}×`);
  console.log(`Versions that answered (rows logged): ${answered.map((a) => `v${a.version} ${a.rows}`).join(', ')}`);
  if (non2xx > 0 || result.errors > 0) process.exitCode = 1;
  if (swaps < 3) {
    console.log('Fewer than 3 hot-swaps: run longer (BENCH_SECONDS)');
    process.exitCode = 1;
  }
} finally {
  await service.stop();
  await service.remove();
}
