// `npm run bench:replicas`: zero-downtime retraining across replicas. Starts the built service as docker-compose
// runs it — two `api` replicas and one `worker` on a fresh scratch PostgreSQL database, each process in a temporary
// directory of its own — drives single-row predictions at a fixed rate spread evenly over both replicas for
// BENCH_SECONDS (at least 60) while it retrains california-housing again and again (gbdt, forced, asked of replica A
// and B in turn, run by the worker, so every retraining ends in a promotion), then prints the total requests, the
// non-2xx count, for each promotion the time from its commit to the first answer of each replica with the new
// version (x-model-version; "commit" is the champion move's alias_events.created_at, which PostgreSQL sets when that
// short transaction starts, so the figure is high by its few ms), and p50/p99 latency inside the swap windows and
// outside them, with the machine and the CPU time the hypervisor took. Exits non-zero on any non-2xx answer or request error, on fewer
// than 3 promotions, or when a replica never served a promoted version. The processes are stopped and the database
// dropped at the end, on failure and on Ctrl-C.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cpuShares, cpuTicks, exampleRow, freePort, machine, root, serviceNodeArgs, sleep } from './bench-util.mjs';

const seconds = Math.max(60, Number(process.env.BENCH_SECONDS ?? 75));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8); // per replica
const rate = Number(process.env.BENCH_RATE ?? 400); // requests/s over both replicas
const pause = Number(process.env.BENCH_PAUSE_SECONDS ?? 4);
const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const margin = 500; // ms added to both ends of a swap window
const model = 'california-housing';
const row = await exampleRow();
const adminKey = randomBytes(24).toString('hex');
const now = () => performance.timeOrigin + performance.now(); // wall clock, sub-millisecond

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const ms = (value) => (Number.isFinite(value) ? value.toFixed(0) : '—');

// Scratch database, processes and their folders; `cleanup()` undoes all of it once.
const dbName = `nest_mlops_bench_${randomBytes(8).toString('hex')}`;
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
const processes = [];
let stopLoad = () => undefined;
const dirs = [];
const db = new pg.Client({ connectionString: dbUrl }); // the benchmark's own reads of the registry
let created = false;
let dbConnected = false;
async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
let cleaning;
const cleanup = () =>
  (cleaning ??= (async () => {
    stopLoad();
    if (dbConnected) await db.end().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop()));
    if (created) {
      await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((e) => console.error(`drop: ${e.message}`));
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  })());
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => void cleanup().finally(() => process.exit(code)));
}

/** Starts dist/main.js in a temporary folder with the role, and waits (up to 5 min) until /health/ready is 200. */
async function startProcess(name, role, env = {}) {
  const cwd = mkdtempSync(join(tmpdir(), `nest-mlops-bench-${name}-`));
  dirs.push(cwd);
  mkdirSync(join(cwd, 'data', 'raw'), { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(process.execPath, [...serviceNodeArgs(), join(root, 'dist', 'main.js')], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: dbUrl,
      SERVICE_ROLE: role,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'warn',
      RETRAIN_CRON: 'off',
      DRIFT_CHECK_INTERVAL_S: '0',
      DATA_DIR: join(cwd, 'data'),
      HOUSING_CSV_PATH: join(root, 'data', 'raw', 'california_housing.csv'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk) => (log = (log + chunk.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stopping = false;
  const service = {
    name,
    base,
    log: () => log,
    died: () => !stopping && (child.exitCode !== null || child.signalCode !== null),
    stop: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  processes.push(service);
  for (const deadline = Date.now() + 300_000; ; await sleep(250)) {
    const ready = await fetch(`${base}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return service;
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    if (Date.now() > deadline) throw new Error(`${name} did not become ready in 5 min:\n${log}`);
  }
}

async function json(url, init) {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * Single rows at `rate` requests/s, evenly paced and sent to replica A and B in turn, on keep-alive connections
 * (`connections` per replica; a request finding them all busy waits for one, and its latency counts the wait).
 * autocannon's rate limit sends each connection's share of a second in a burst when the second starts, which
 * would look at each replica about once a second; paced requests look every 2000/rate ms. `record` gets the
 * answer's arrival time, latency, status, replica and x-model-version; resolves with the request errors.
 */
function drive(replicas, record) {
  const payload = JSON.stringify(row);
  const targets = replicas.map((r) => {
    const { hostname, port } = new URL(r.base);
    return { agent: new http.Agent({ keepAlive: true, maxSockets: connections }), hostname, port };
  });
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  let sent = 0;
  let pending = 0;
  let errors = 0;
  return new Promise((resolve) => {
    const finish = () => {
      pending--;
      if (pending === 0 && sent >= rate * seconds) {
        for (const t of targets) t.agent.destroy();
        resolve({ errors });
      }
    };
    const send = (index) => {
      const { agent, hostname, port } = targets[index];
      const start = now();
      let settled = false;
      pending++;
      const req = http.request({ agent, hostname, port, method: 'POST', path: '/predict/housing', headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (settled) return;
          settled = true;
          const at = now();
          const version = res.headers['x-model-version'];
          record(at, at - start, res.statusCode, index, version === undefined ? null : Number(version));
          finish();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        if (settled) return;
        settled = true;
        errors++;
        finish();
      });
      req.end(payload);
    };
    const started = now();
    const timer = setInterval(() => {
      const due = Math.min(rate * seconds, Math.floor(((now() - started) * rate) / 1000) + 1);
      while (sent < due) send(sent++ % replicas.length);
      if (sent >= rate * seconds) clearInterval(timer);
    }, 1);
    stopLoad = () => {
      clearInterval(timer);
      for (const t of targets) t.agent.destroy();
      resolve({ errors });
    };
  });
}

let failed = false;
try {
  await admin(`CREATE DATABASE "${dbName}"`);
  created = true;
  await db.connect();
  dbConnected = true;
  const {
    rows: [{ server_version: pgVersion }],
  } = await db.query('SHOW server_version');
  process.stdout.write(`Starting 1 worker and 2 api replicas on ${dbName} (the worker trains the first models)…\n`);
  const booted = Date.now();
  await startProcess('worker', 'worker', { RETRAIN_POLL_INTERVAL_S: '1' });
  const replicas = await Promise.all([startProcess('A', 'api'), startProcess('B', 'api')]);
  process.stdout.write(`ready after ${((Date.now() - booted) / 1000).toFixed(1)} s\n`);
  await sleep(3000);

  const responses = []; // [finished at (ms), latency (ms), status, replica]
  const firstSeen = [new Map(), new Map()]; // per replica: version → first answer with it (ms)
  const answered = [new Map(), new Map()]; // per replica: version → answers
  const cycles = [];
  const before = cpuTicks();
  const started = now();
  const load = drive(replicas, (at, latency, status, index, version) => {
    responses.push([at, latency, status, index]);
    if (version === null || status < 200 || status >= 300) return;
    if (!firstSeen[index].has(version)) firstSeen[index].set(version, at);
    answered[index].set(version, (answered[index].get(version) ?? 0) + 1);
  });
  process.stdout.write(
    `single rows at ${rate}/s over both replicas, ${connections} connections each, ${seconds} s, retraining meanwhile…\n`,
  );

  // Retrain (on A, then B, …), wait for the job and for both replicas to serve its version, pause, again — while
  // at least a cycle's length of load time remains.
  let longest = 0;
  await sleep(pause * 1000);
  while ((now() - started) / 1000 + longest / 1000 + 1 < seconds) {
    const from = now();
    const via = replicas[cycles.length % 2];
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` };
    const body = JSON.stringify({ model, candidates: ['gbdt'], force: true, reason: 'bench:replicas' });
    const { id } = await json(`${via.base}/retrain`, { method: 'POST', headers: auth, body });
    let job;
    for (const deadline = now() + 300_000; ;) {
      await sleep(100);
      job = await json(`${via.base}/retrain/jobs/${id}`);
      if (job.status !== 'queued' && job.status !== 'running') break;
      if (now() > deadline) throw new Error(`job ${id} did not finish in 5 min: ${JSON.stringify(job)}`);
    }
    const cycle = { via: via.name, job, commit: NaN, seen: [NaN, NaN] };
    if (job.outcome === 'promoted') {
      const { rows } = await db.query(
        `SELECT extract(epoch from created_at) * 1000 AS ms FROM alias_events ` +
          `WHERE model_name = $1 AND alias = 'champion' AND to_version = $2 ORDER BY id DESC LIMIT 1`,
        [model, job.version],
      );
      cycle.commit = Number(rows[0]?.ms);
      for (const deadline = now() + 10_000; now() < deadline; await sleep(50)) {
        if (firstSeen.every((seen) => seen.has(job.version))) break;
      }
      cycle.seen = firstSeen.map((seen) => seen.get(job.version) ?? NaN);
    }
    cycles.push(cycle);
    longest = Math.max(longest, now() - from);
    await sleep(pause * 1000);
  }
  const { errors } = await load;
  const cpu = cpuShares(before, cpuTicks());
  const died = processes.filter((p) => p.died());

  // A swap window runs from 0.5 s before the commit to 0.5 s after the last replica first answered with the new
  // version; a response belongs to it when its request was in flight during it.
  const promoted = cycles.filter((c) => c.job.outcome === 'promoted');
  const windows = promoted.map((c) => [c.commit - margin, Math.max(...c.seen) + margin]);
  const training = cycles.map(({ job }) => [Date.parse(job.claimedAt), Date.parse(job.finishedAt)]);
  const overlaps = (list, sent, at) => list.some(([from, to]) => sent <= to && at >= from);
  const [inside, outside, outsideTraining] = [[], [], []];
  for (const [at, latency] of responses) {
    const sent = at - latency;
    if (overlaps(windows, sent, at)) inside.push(latency);
    else {
      outside.push(latency);
      if (overlaps(training, sent, at)) outsideTraining.push(latency);
    }
  }
  for (const list of [inside, outside, outsideTraining]) list.sort((a, b) => a - b);
  const perReplica = [0, 1].map((i) => responses.filter(([, , , r]) => r === i).length);
  const non2xx = responses.filter(([, , status]) => status < 200 || status >= 300).length;
  const propagation = promoted.map((c) => Math.max(...c.seen) - c.commit).sort((a, b) => a - b);
  const missing = promoted.filter((c) => ![c.commit, ...c.seen].every(Number.isFinite));

  console.log(`\nMachine: ${machine()}`);
  console.log(
    `Processes: 2 api replicas + 1 worker (node ${serviceNodeArgs().join(' ')} dist/main.js), PostgreSQL ${pgVersion}`,
  );
  console.log(`CPU steal ${cpu.stealPct.toFixed(0)} %, idle ${cpu.idlePct.toFixed(0)} % during the run\n`);
  console.log('| job | asked of | outcome | version | from | job s | commit → A ms | commit → B ms | → last ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { via, job, commit, seen } of cycles) {
    const [a, b] = seen.map((s) => s - commit);
    console.log(
      `| ${job.id.slice(0, 8)} | ${via} | ${job.outcome} | ${job.version} | ${job.fromVersion} | ` +
        `${job.durationSeconds?.toFixed(2)} | ${ms(a)} | ${ms(b)} | ${ms(Math.max(a, b))} |`,
    );
  }
  console.log(
    `\nTotal requests ${responses.length} (A ${perReplica[0]}, B ${perReplica[1]}), ` +
      `2xx ${responses.length - non2xx}, non-2xx ${non2xx}, errors ${errors}`,
  );
  console.log(
    `Promotions ${promoted.length} of ${cycles.length} retrainings; commit (alias_events.created_at) → last replica ` +
      'serving the new version: ' +
      `p50 ${ms(percentile(propagation, 0.5))} ms, max ${ms(propagation[propagation.length - 1])} ms`,
  );
  console.log(
    `Swap window: [commit − ${margin / 1000} s, last replica's first answer with the new version + ${margin / 1000} s]; ` +
      'a response is inside when its request was in flight during one',
  );
  console.log('\n| window | responses | p50 ms | p99 ms | max ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, list] of [
    ['during swaps', inside],
    ['outside swaps', outside],
    ['… of which while the worker trains', outsideTraining],
  ]) {
    const figures = [percentile(list, 0.5), percentile(list, 0.99), list[list.length - 1] ?? NaN];
    console.log(`| ${name} | ${list.length} | ${figures.map((f) => f.toFixed(1)).join(' | ')} |`);
  }
  console.log(`\np99 during / outside swaps: ${(percentile(inside, 0.99) / percentile(outside, 0.99)).toFixed(2)}×`);
  for (const [i, name] of ['A', 'B'].entries()) {
    const versions = [...answered[i].entries()].sort(([x], [y]) => x - y);
    console.log(`Versions replica ${name} answered with: ${versions.map(([v, n]) => `v${v} ${n}`).join(', ')}`);
  }

  if (non2xx > 0 || errors > 0) failed = true;
  if (promoted.length < 3) {
    console.log('Fewer than 3 promotions: run longer (BENCH_SECONDS)');
    failed = true;
  }
  if (missing.length > 0) {
    console.log(`A replica never served version(s) ${missing.map((c) => c.job.version).join(', ')}`);
    failed = true;
  }
  for (const p of died) {
    console.log(`Process ${p.name} exited during the run:\n${p.log()}`);
    failed = true;
  }
} catch (error) {
  console.error(error);
  for (const p of processes.filter((p) => p.died())) console.error(`Process ${p.name} exited:\n${p.log()}`);
  failed = true;
} finally {
  await cleanup();
}
if (failed) process.exitCode = 1;
