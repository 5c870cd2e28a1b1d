// `npm run bench:ab -- <revision> [single] [batch]`: the serving benchmark as an A/B test between a git revision (A,
// checked out and built in a temporary worktree) and this working tree (B, its dist/ built as it is), for a host
// whose speed drifts by tens of percent between two runs of bench:serve. Each build trains its models once on a fresh
// directory; then, BENCH_ROUNDS times, each is restarted on its stored models (in alternating order: A B, B A, …),
// left to settle, and driven with autocannon (single rows, batches of 100 rows, or both). Printed per round and as
// medians: requests/s, p99, the service process's CPU time per request (all of its threads, from /proc: what the
// request costs the machine, whatever the host's speed does to requests/s), its largest RSS, and its main thread's
// garbage collections per 1,000 requests (count and milliseconds, by kind; read by scripts/bench-gc-stats.js).
// The pair ratio B/A is taken within each round (the two builds ran back to back) and its median printed.
// BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (10), BENCH_SETTLE_SECONDS (5).
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuShares,
  cpuTicks,
  machine,
  median,
  memoryMb,
  root,
  sleep,
  startService,
  workloadBodies,
} from './bench-util.mjs';

const [revision, ...asked] = process.argv.slice(2);
const workloads = asked.length > 0 ? asked : ['single', 'batch'];
if (!revision || workloads.some((w) => !['single', 'batch'].includes(w))) {
  throw new Error('usage: npm run bench:ab -- <git revision> [single] [batch]');
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 5);
const env = { LOG_LEVEL: 'warn', RETRAIN_CRON: 'off' };
const gcPreload = join(root, 'scripts', 'bench-gc-stats.js');
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString());
const git = (...args) => execFileSync('git', args, { cwd: root }).toString().trim();

const commit = git('rev-parse', '--verify', `${revision}^{commit}`);
const subject = git('log', '-1', '--format=%s', commit);
const described = `${commit.slice(0, 7)} ("${subject.length > 60 ? `${subject.slice(0, 59).trimEnd()}…` : subject}")`;
const changes = git('status', '--porcelain');
const bodies = await workloadBodies();

/** User + system CPU seconds of a process, all of its threads (/proc/<pid>/stat). */
function processCpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** One workload on a started service: its figures, with the GC totals read before and after. */
async function measure(service, workload, gcFile) {
  const gc = () => JSON.parse(readFileSync(gcFile, 'utf8'));
  const gcBefore = gc();
  const cpuBefore = processCpuSeconds(service.pid);
  const ticks = cpuTicks();
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, memoryMb(service.pid, 'VmRSS:'))), 250);
  let result;
  try {
    result = await autocannon({
      url: `${service.base}/predict/housing${workload === 'batch' ? '/batch' : ''}`,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json' },
      body: bodies[workload],
    });
  } finally {
    clearInterval(sampler);
  }
  const cpuSeconds = processCpuSeconds(service.pid) - cpuBefore;
  const shares = cpuShares(ticks, cpuTicks());
  await sleep(500); // the GC totals are written every 250 ms
  const gcAfter = gc();
  const perThousand = (key) => (1000 * (gcAfter[key] - gcBefore[key])) / result.requests.total;
  return {
    requests: result.requests.average,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors,
    cpuUs: (1e6 * cpuSeconds) / result.requests.total,
    maxRss,
    idlePct: shares.idlePct,
    stealPct: shares.stealPct,
    minor: perThousand('minor'),
    minorMs: perThousand('minorMs'),
    major: perThousand('major'),
    majorMs: perThousand('majorMs'),
  };
}

const baseDir = mkdtempSync(join(tmpdir(), 'nest-mlops-ab-'));
rmSync(baseDir, { recursive: true });
git('worktree', 'add', '--detach', baseDir, commit);
const builds = [
  { label: 'A', name: described, buildRoot: baseDir, results: {} },
  { label: 'B', name: `working tree${changes ? ' (with uncommitted changes)' : ''}`, buildRoot: root, results: {} },
];
try {
  symlinkSync(join(root, 'node_modules'), join(baseDir, 'node_modules'));
  process.stdout.write(`Building ${described} in ${baseDir}…\n`);
  execFileSync(join(root, 'node_modules', '.bin', 'nest'), ['build'], { cwd: baseDir, stdio: 'inherit' });
  for (const build of builds) {
    process.stdout.write(`${build.label}: training its models on a fresh directory…\n`);
    build.trained = await startService(env, { buildRoot: build.buildRoot });
    await build.trained.stop();
    for (const workload of workloads) build.results[workload] = [];
  }
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const gcFile = join(build.trained.scratch, 'gc-stats.json');
      const service = await startService(
        { ...env, BENCH_GC_STATS_FILE: gcFile },
        { buildRoot: build.buildRoot, restartOf: build.trained, nodeArgs: ['--require', gcPreload] },
      );
      try {
        await sleep(settleSeconds * 1000);
        for (const workload of workloads) {
          const r = await measure(service, workload, gcFile);
          build.results[workload].push(r);
          process.stdout.write(
            `round ${round + 1} ${build.label} ${workload}: ${r.requests.toFixed(0)} requests/s, p99 ${r.p99} ms, ` +
              `${r.cpuUs.toFixed(0)} µs CPU/request, max RSS ${r.maxRss.toFixed(0)} MB, idle ${r.idlePct.toFixed(0)} %\n`,
          );
        }
      } finally {
        await service.stop();
      }
    }
  }

  console.log(`\nMachine: ${machine()}`);
  console.log(
    `A: ${builds[0].name}; B: ${builds[1].name}. ${rounds} rounds, ${connections} connections, ${seconds} s per workload, restarts on stored models`,
  );
  console.log(
    '\n| workload | build | requests/s | p99 ms | CPU µs/request | max RSS MB | minor GCs (ms) per 1,000 requests | major GCs (ms) per 1,000 requests | failed |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const workload of workloads) {
    for (const build of builds) {
      const rs = build.results[workload];
      const m = (key) => median(rs.map((r) => r[key]));
      console.log(
        `| ${workload} | ${build.label} | ${m('requests').toFixed(0)} | ${m('p99')} | ${m('cpuUs').toFixed(0)} | ` +
          `${Math.max(...rs.map((r) => r.maxRss)).toFixed(0)} | ${m('minor').toFixed(1)} (${m('minorMs').toFixed(1)}) | ` +
          `${m('major').toFixed(2)} (${m('majorMs').toFixed(1)}) | ${rs.reduce((a, r) => a + r.failed, 0)} |`,
      );
    }
  }
  console.log('\n| workload | B/A requests/s (median of rounds) | B/A CPU per request | rounds B/A requests/s |');
  console.log('| --- | --- | --- | --- |');
  for (const workload of workloads) {
    const [a, b] = builds.map((build) => build.results[workload]);
    const ratios = (key) => a.map((r, i) => b[i][key] / r[key]);
    console.log(
      `| ${workload} | ${median(ratios('requests')).toFixed(3)} | ${median(ratios('cpuUs')).toFixed(3)} | ` +
        `${ratios('requests')
          .map((x) => x.toFixed(2))
          .join(', ')} |`,
    );
  }
} finally {
  for (const build of builds) await build.trained?.remove();
  git('worktree', 'remove', '--force', baseDir);
}
