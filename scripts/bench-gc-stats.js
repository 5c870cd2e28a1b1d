// Loaded with `node --require` by bench:ab into the service it measures: counts the garbage collections of the main
// thread by kind (and their time, ms) and writes the running totals to BENCH_GC_STATS_FILE every 250 ms.
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');

const file = process.env.BENCH_GC_STATS_FILE;
const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
const totals = { minor: 0, minorMs: 0, major: 0, majorMs: 0, incremental: 0, incrementalMs: 0, weak: 0, weakMs: 0 };
if (file) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = KINDS[entry.detail?.kind] ?? 'weak';
      totals[kind]++;
      totals[`${kind}Ms`] += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const write = () => writeFileSync(file, JSON.stringify(totals));
  write();
  setInterval(write, 250).unref();
}
