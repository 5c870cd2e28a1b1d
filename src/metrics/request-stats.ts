/** Upper bounds (ms) of the latency buckets: 0.05 ms × 1.25^k, up to a minute. */
const BOUNDS_MS: number[] = [];
for (let b = 0.05; b < 60_000; b *= 1.25) BOUNDS_MS.push(b);
BOUNDS_MS.push(Infinity);

/** Seconds of history kept: the longest window a summary can cover. */
export const STATS_RETENTION_SECONDS = 3600;

class Tally {
  requests = 0;
  clientErrors = 0;
  serverErrors = 0;
  rows = 0;
  readonly latency = new Uint32Array(BOUNDS_MS.length);

  observe(ms: number): void {
    let lo = 0;
    let hi = BOUNDS_MS.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (BOUNDS_MS[mid] < ms) lo = mid + 1;
      else hi = mid;
    }
    this.latency[lo]++;
  }

  add(other: Tally): void {
    this.requests += other.requests;
    this.clientErrors += other.clientErrors;
    this.serverErrors += other.serverErrors;
    this.rows += other.rows;
    for (let i = 0; i < this.latency.length; i++) this.latency[i] += other.latency[i];
  }

  /** Latency at quantile q (linear inside its bucket), or null without observations. */
  quantile(q: number): number | null {
    let total = 0;
    for (const c of this.latency) total += c;
    if (total === 0) return null;
    const rank = q * total;
    let seen = 0;
    for (let i = 0; i < this.latency.length; i++) {
      if (seen + this.latency[i] >= rank && this.latency[i] > 0) {
        const lower = i === 0 ? 0 : BOUNDS_MS[i - 1];
        const upper = Number.isFinite(BOUNDS_MS[i]) ? BOUNDS_MS[i] : lower;
        return round(lower + ((upper - lower) * (rank - seen)) / this.latency[i]);
      }
      seen += this.latency[i];
    }
    return null;
  }
}

class Second {
  readonly all = new Tally();
  readonly versions = new Map<string, Tally>();
  constructor(readonly at: number) {}
}

export interface LatencySummary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface VersionSummary {
  model: string;
  version: number;
  requests: number;
  rows: number;
  latencyMs: LatencySummary;
}

export interface TrafficSummary {
  windowSeconds: number;
  from: string;
  to: string;
  requests: {
    total: number;
    perSecond: number;
    clientErrors: number;
    serverErrors: number;
    /** Share of requests answered with a 4xx or 5xx. */
    errorRate: number;
    latencyMs: LatencySummary;
  };
  /** Successful predictions per served model version. */
  versions: VersionSummary[];
}

export interface TrafficPoint {
  /** End of the step. */
  at: string;
  requestsPerSecond: number;
  errorRatio: number;
  p99Ms: number | null;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
const latencyOf = (tally: Tally): LatencySummary => ({
  p50: tally.quantile(0.5),
  p90: tally.quantile(0.9),
  p99: tally.quantile(0.99),
});

/**
 * Rolling per-second tallies of the prediction routes (requests, errors, latency histogram) and of the
 * predictions per model version, over the last hour: what `GET /monitoring/summary` reports without touching the
 * database. Memory is bounded by the hour's seconds times the versions served in them.
 */
export class RequestStats {
  private readonly seconds: (Second | undefined)[] = new Array<Second | undefined>(STATS_RETENTION_SECONDS);

  constructor(private readonly now: () => number = Date.now) {}

  /** A prediction-route request finished with `status` after `ms`. */
  recordRequest(status: number, ms: number): void {
    const tally = this.current().all;
    tally.requests++;
    if (status >= 500) tally.serverErrors++;
    else if (status >= 400) tally.clientErrors++;
    tally.observe(ms);
  }

  /** A model version predicted `rows` rows in `ms`. */
  recordPrediction(model: string, version: number, rows: number, ms: number): void {
    const second = this.current();
    const key = `${model}\u0000${version}`;
    let tally = second.versions.get(key);
    if (!tally) second.versions.set(key, (tally = new Tally()));
    tally.requests++;
    tally.rows += rows;
    tally.observe(ms);
  }

  summary(windowSeconds: number): TrafficSummary {
    const window = Math.max(1, Math.min(STATS_RETENTION_SECONDS, Math.floor(windowSeconds)));
    const nowSecond = Math.floor(this.now() / 1000);
    const all = new Tally();
    const versions = new Map<string, Tally>();
    for (let s = nowSecond - window + 1; s <= nowSecond; s++) {
      const second = this.seconds[s % STATS_RETENTION_SECONDS];
      if (!second || second.at !== s) continue;
      all.add(second.all);
      for (const [key, tally] of second.versions) {
        let sum = versions.get(key);
        if (!sum) versions.set(key, (sum = new Tally()));
        sum.add(tally);
      }
    }
    const errors = all.clientErrors + all.serverErrors;
    return {
      windowSeconds: window,
      from: new Date((nowSecond - window + 1) * 1000).toISOString(),
      to: new Date((nowSecond + 1) * 1000).toISOString(),
      requests: {
        total: all.requests,
        perSecond: round(all.requests / window),
        clientErrors: all.clientErrors,
        serverErrors: all.serverErrors,
        errorRate: all.requests === 0 ? 0 : errors / all.requests,
        latencyMs: latencyOf(all),
      },
      versions: [...versions]
        .map(([key, tally]) => {
          const [model, version] = key.split('\u0000');
          return {
            model,
            version: Number(version),
            requests: tally.requests,
            rows: tally.rows,
            latencyMs: latencyOf(tally),
          };
        })
        .sort((a, b) => a.model.localeCompare(b.model) || a.version - b.version),
    };
  }

  /** Per-step points over the window, oldest first: requests per second, error ratio and p99 latency. */
  series(windowSeconds: number, stepSeconds: number): TrafficPoint[] {
    const window = Math.max(1, Math.min(STATS_RETENTION_SECONDS, Math.floor(windowSeconds)));
    const step = Math.max(1, Math.min(window, Math.floor(stepSeconds)));
    const nowSecond = Math.floor(this.now() / 1000);
    const points: TrafficPoint[] = [];
    for (let end = nowSecond - window + step; end <= nowSecond; end += step) {
      const tally = new Tally();
      for (let s = end - step + 1; s <= end; s++) {
        const second =
          this.seconds[((s % STATS_RETENTION_SECONDS) + STATS_RETENTION_SECONDS) % STATS_RETENTION_SECONDS];
        if (second && second.at === s) tally.add(second.all);
      }
      const errors = tally.clientErrors + tally.serverErrors;
      points.push({
        at: new Date((end + 1) * 1000).toISOString(),
        requestsPerSecond: round(tally.requests / step),
        errorRatio: tally.requests === 0 ? 0 : errors / tally.requests,
        p99Ms: tally.quantile(0.99),
      });
    }
    return points;
  }

  private current(): Second {
    const at = Math.floor(this.now() / 1000);
    const slot = at % STATS_RETENTION_SECONDS;
    let second = this.seconds[slot];
    if (!second || second.at !== at) this.seconds[slot] = second = new Second(at);
    return second;
  }
}
