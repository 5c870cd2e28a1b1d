// `npm run bench:shadow`: what shadow traffic costs the answers. Starts the built service on a fresh temporary
// directory (it trains its first gbdt model), retrains once so that a second gbdt version is registered, then drives
// single-row POST /predict/housing with autocannon in alternating phases, champion policy and shadow policy (the
// second version scores every answered row off the request path), BENCH_ROUNDS times each, and prints each phase's
// requests/s and latency percentiles beside the shadow rows scored and dropped (from /metrics) and, after the
// graceful shutdown, the shadow rows the prediction log wrote. Alternating phases keep the machine's noise out of
// the comparison. BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS, SHADOW_CPU_SHARE (passed to the service).
import autocannon from 'autocannon';
import { machine, queryDatabase, sleep, startService, workloadBodies } from './bench-util.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

const { single } = await workloadBodies();
const service = await startService({
  LOG_LEVEL: 'warn',
  RETRAIN_CRON: 'off',
  ADMIN_API_KEY: ADMIN_KEY,
  ...(process.env.SHADOW_CPU_SHARE ? { SHADOW_CPU_SHARE: process.env.SHADOW_CPU_SHARE } : {}),
});
const api = async (method, path, body) => {
  const res = await fetch(`${service.base}${path}`, { method, headers: admin, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const counter = async (name, labels) => {
  const text = await (await fetch(`${service.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

const results = [];
let shadowVersion;
try {
  process.stdout.write('retraining once for a second version…\n');
  const job = await api('POST', '/retrain', {
    model: 'california-housing',
    candidates: ['gbdt'],
    reason: 'bench:shadow',
  });
  for (let done = false; !done;) {
    await sleep(1000);
    const state = await api('GET', `/retrain/jobs/${job.id}`);
    done = state.status !== 'queued' && state.status !== 'running';
  }
  const { champion } = await api('GET', '/models/california-housing/traffic');
  const versions = (await api('GET', '/models/california-housing')).versions.map((v) => v.version);
  shadowVersion = versions.find((v) => v !== champion);
  await sleep(5000);
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['champion', 'shadow']) {
      await api(
        'PUT',
        '/models/california-housing/traffic',
        mode === 'shadow' ? { mode, shadow: [shadowVersion] } : { mode },
      );
      const scored = await counter('shadow_predictions_total', ['outcome="ok"']);
      const dropped = await counter('shadow_dropped_rows_total', []);
      process.stdout.write(`${mode}, round ${round}: ${seconds} s, ${connections} connections…\n`);
      const r = await autocannon({
        url: `${service.base}/predict/housing`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body: single,
      });
      await sleep(2000); // the shadow queue drains
      results.push({
        mode,
        round,
        r,
        scored: (await counter('shadow_predictions_total', ['outcome="ok"'])) - scored,
        dropped: (await counter('shadow_dropped_rows_total', [])) - dropped,
      });
    }
  }
} finally {
  await service.stop();
}
const [{ n: loggedShadows }] = await queryDatabase(service, 'SELECT count(*) AS n FROM predictions WHERE shadow');
await service.remove();

console.log(`\nMachine: ${machine()}`);
console.log(
  `Shadow version ${shadowVersion} (gbdt) beside the champion; ${connections} connections, ${seconds} s per phase\n`,
);
console.log(
  '| policy | round | requests/s | p50 ms | p99 ms | p99.9 ms | non-2xx | shadow rows scored | shadow rows dropped |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { mode, round, r, scored, dropped } of results) {
  console.log(
    `| ${mode} | ${round} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.p99_9} | ${r.non2xx} | ${mode === 'shadow' ? scored : '–'} | ${mode === 'shadow' ? dropped : '–'} |`,
  );
}
const mean = (mode, pick) => {
  const picked = results.filter((x) => x.mode === mode).map((x) => pick(x.r));
  return picked.reduce((a, b) => a + b, 0) / picked.length;
};
const change = (pick) =>
  `${((100 * (mean('shadow', pick) - mean('champion', pick))) / mean('champion', pick)).toFixed(1)} %`;
console.log(
  `\nShadow vs champion only: requests/s ${change((r) => r.requests.average)}, p99 ${change((r) => r.latency.p99)}`,
);
console.log(`Shadow rows in the prediction log after shutdown: ${loggedShadows}`);
