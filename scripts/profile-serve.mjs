// `npm run bench:profile -- [single|batch] [floor]`: the CPU profile of the service's main thread under one
// bench:serve workload. Starts the built service on a fresh temporary directory with --cpu-prof (it trains its
// models), lets it settle, drives POST /predict/housing (single rows) or /predict/housing/batch (100 rows) with
// autocannon, stops it, and prints where the main thread's time went during the workload only: self time by package
// and by function, in % and in µs per request. With `floor`, the workload goes to the floor server of bench:serve
// instead (scripts/bench-floor-server.mjs: the served model and the prediction log on bare Fastify).
// BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_SETTLE_SECONDS and BENCH_TOP (functions listed).
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, machine, root, sleep, startService, workloadBodies } from './bench-util.mjs';

const workload = process.argv[2] ?? 'single';
const floor = process.argv[3] === 'floor';
if (!['single', 'batch'].includes(workload) || (process.argv[3] !== undefined && !floor)) {
  throw new Error('usage: bench:profile -- single|batch [floor]');
}
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 20);
const top = Number(process.env.BENCH_TOP ?? 30);

const body = (await workloadBodies())[workload];
const profiles = mkdtempSync(join(tmpdir(), 'nest-mlops-profile-'));
const floorPort = floor ? await freePort() : undefined;
const service = await startService(
  { LOG_LEVEL: 'warn', RETRAIN_CRON: 'off', ...(floor ? { FLOOR_PORT: String(floorPort) } : {}) },
  {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
    entry: floor ? join(root, 'scripts', 'bench-floor-server.mjs') : undefined,
  },
);
const base = floor ? `http://127.0.0.1:${floorPort}` : service.base;
let window;
let requests;
try {
  await sleep(settleSeconds * 1000);
  // V8 stamps samples with the monotonic clock process.hrtime reads: the workload's window, in µs.
  const from = Number(process.hrtime.bigint() / 1000n);
  const result = await autocannon({
    url: `${base}/predict/housing${workload === 'single' ? '' : '/batch'}`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body,
  });
  window = [from, Number(process.hrtime.bigint() / 1000n)];
  requests = result.requests.total;
  console.log(
    `${floor ? 'floor, ' : ''}${workload}: ${result.requests.average.toFixed(0)} requests/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx`,
  );
} finally {
  await service.stop(); // writes the profile
  await service.remove();
}

const main = readdirSync(profiles).find((f) => f.endsWith('.cpuprofile') && f.includes('.0.')); // thread 0: main
const profile = JSON.parse(readFileSync(join(profiles, main), 'utf8'));
rmSync(profiles, { recursive: true, force: true });
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const byPackage = new Map();
const byFunction = new Map();
let total = 0;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i];
  if (at < window[0] || at > window[1]) continue;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  const { functionName, url, lineNumber } = nodes.get(profile.samples[i]).callFrame;
  const where = url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(`${process.cwd()}/`, '');
  const pkg =
    url.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1] ??
    (url.includes('/dist/') ? `service ${url.replace(/.*\/dist\//, '').split('/')[0]}` : undefined) ??
    (url.startsWith('node:') ? 'node' : functionName.startsWith('(') ? functionName : 'native');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
  const name = `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
  total += dt;
}
const table = (title, map, n) => {
  console.log(`\n| ${title} | self % | µs per request |\n| --- | --- | --- |`);
  for (const [key, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`| ${key} | ${((100 * t) / total).toFixed(1)} | ${(t / requests).toFixed(2)} |`);
  }
};
console.log(`Machine: ${machine()}; ${connections} connections, ${seconds} s; main thread samples in the window only`);
table('package', byPackage, 15);
table('function', byFunction, top);
