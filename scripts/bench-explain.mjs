// `npm run bench:explain`: what an explanation costs. Starts the built service on a fresh temporary data directory
// (it trains its models at start; housing's champion is the 300-tree gbdt), then, one request at a time so that the
// latency is the service's own: single rows of `POST /predict/housing` with and without `?explain=true`, and 100-row
// batches of `POST /models/housing/explain` against `POST /models/housing/predict`. Prints p50/p99 latency, the
// explanation's own cost (the difference of the medians) and batch rows per second, with the machine.
import { cpuShares, cpuTicks, exampleRow, machine, sleep, startService } from './bench-util.mjs';

const singles = Number(process.env.BENCH_SINGLE_REQUESTS ?? 3000);
const batches = Number(process.env.BENCH_BATCH_REQUESTS ?? 150);
const row = await exampleRow();
const rows = Array.from({ length: 100 }, (_, i) => ({
  ...row,
  median_income: 1 + (i % 10) * 0.9,
  housing_median_age: 5 + i * 0.4,
  longitude: -124 + (i % 25) * 0.3,
  latitude: 33 + (i % 20) * 0.4,
}));

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Sends `count` requests one after the other; returns the latencies (ms), sorted, after a warm-up of a tenth. */
async function sequential(url, body, count) {
  const payload = JSON.stringify(body);
  const send = async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  for (let i = 0; i < Math.ceil(count / 10); i++) await send();
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

const service = await startService({ LOG_LEVEL: 'warn', RETRAIN_CRON: 'off', DRIFT_CHECK_INTERVAL_S: '0' });
try {
  await sleep(10_000); // let the first start's training heap settle
  const model = await (await fetch(`${service.base}/models/california-housing`)).json();
  const champion = model.versions.find((v) => v.version === model.champion);
  process.stdout.write(
    `${machine()}\nhousing champion: version ${champion.version}, ${champion.candidate}; one request at a time\n`,
  );
  const before = cpuTicks();
  const cases = [
    ['single row', `${service.base}/predict/housing`, row, singles, 1],
    ['single row, explain=true', `${service.base}/predict/housing?explain=true`, row, singles, 1],
    ['100 rows, /predict', `${service.base}/models/housing/predict`, { rows }, batches, 100],
    ['100 rows, /explain', `${service.base}/models/housing/explain`, { rows }, batches, 100],
  ];
  const table = [];
  for (const [name, url, body, count, size] of cases) {
    const latencies = await sequential(url, body, count);
    const total = latencies.reduce((a, b) => a + b, 0);
    table.push({
      workload: name,
      requests: count,
      'p50 ms': Number(percentile(latencies, 0.5).toFixed(3)),
      'p99 ms': Number(percentile(latencies, 0.99).toFixed(3)),
      'rows/s': Math.round((count * size * 1000) / total),
    });
  }
  console.table(table);
  const cost = (a, b) => (table[b]['p50 ms'] - table[a]['p50 ms']).toFixed(3);
  process.stdout.write(
    `explanation cost at the median: ${cost(0, 1)} ms for one row, ${cost(2, 3)} ms for 100 rows ` +
      `(${((Number(cost(2, 3)) * 1000) / 100).toFixed(1)} µs a row)\n`,
  );
  const { stealPct, idlePct } = cpuShares(before, cpuTicks());
  process.stdout.write(`CPU steal ${stealPct.toFixed(0)} %, idle ${idlePct.toFixed(0)} % during the runs\n`);
} finally {
  await service.stop();
  await service.remove();
}
