import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUSING_SPEC } from './support/builtin-models';
import { fittingChildren, stillAlive } from './support/training-children';
import { buildService, PROCESS_ADMIN_KEY, ServiceProcess, sleep, startService } from './support/service-process';

const ADMIN_KEY = PROCESS_ADMIN_KEY;

type Service = ServiceProcess;

/**
 * Real processes on one data directory, killed the hard way: the registry stays consistent, interrupted work is
 * marked so, and what the prediction log flushed survives; a graceful stop loses nothing queued.
 */
describe('crash safety with real processes (e2e)', () => {
  let dir: string;
  const running: Service[] = [];

  async function start(env: Record<string, string> = {}): Promise<Service> {
    const service = await startService(dir, { RETRAIN_LEASE_TTL_S: '5', ...env }, { timeoutMs: 120_000 });
    running.push(service);
    return service;
  }

  const predict = async (service: Service, id: string): Promise<number> => {
    const res = await fetch(`${service.base}/predict/housing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify(HOUSING_SPEC.example),
    });
    await res.arrayBuffer();
    return res.status === 200 ? Number(res.headers.get('x-model-version')) : -res.status;
  };

  /** `count` predictions, `concurrency` at a time, with request ids `<prefix>-<i>`; the ids answered 200. */
  async function burst(service: Service, prefix: string, count: number, concurrency = 8): Promise<string[]> {
    const answered: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const id = `${prefix}-${next++}`;
          const version = await predict(service, id).catch(() => undefined);
          if (version === undefined) return; // the process is gone
          if (version > 0) answered.push(id);
        }
      }),
    );
    return answered;
  }

  const db = () => new Database(join(dir, 'data', 'nest-mlops.sqlite'), { readonly: true, fileMustExist: true });
  const logged = (prefix: string): Set<string> => {
    const database = db();
    try {
      const rows = database.prepare('SELECT request_id FROM predictions WHERE request_id LIKE ?').all(`${prefix}-%`);
      return new Set((rows as { request_id: string }[]).map((r) => r.request_id));
    } finally {
      database.close();
    }
  };
  const champion = async (service: Service): Promise<number> =>
    ((await (await fetch(`${service.base}/models/california-housing`)).json()) as { champion: number }).champion;
  const kill = async (service: Service, signal: NodeJS.Signals) => {
    service.child.kill(signal);
    return service.exited;
  };

  beforeAll(() => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-crash-'));
  }, 180_000);

  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null) await kill(service, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL during a burst of predictions keeps every flushed prediction and a consistent registry', async () => {
    const first = await start(); // a fresh directory: trains and promotes the first models
    const version = await champion(first);
    const flushed = await burst(first, 'flushed', 300);
    expect(flushed).toHaveLength(300);
    await sleep(1000); // several PREDICTION_LOG_FLUSH_MS intervals: these are on disk
    const during = burst(first, 'during', 100_000, 8);
    await sleep(700);
    expect((await kill(first, 'SIGKILL')).signal).toBe('SIGKILL');
    const answeredDuring = await during;
    expect(answeredDuring.length).toBeGreaterThan(0);

    const second = await start();
    try {
      const stored = logged('flushed');
      expect(flushed.filter((id) => !stored.has(id))).toEqual([]);
      // Rows queued but not flushed at the kill may be lost; nothing else is, and nothing is invented.
      const storedDuring = logged('during');
      expect([...storedDuring].filter((id) => !answeredDuring.includes(id))).toEqual([]);
      const database = db();
      try {
        expect(database.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        database.close();
      }
      expect(await champion(second)).toBe(version);
      expect(await predict(second, 'after-restart')).toBe(version);
    } finally {
      await kill(second, 'SIGTERM');
    }
  }, 240_000);

  it('SIGKILL during a retraining leaves the champion serving; the next process takes the job back and finishes it', async () => {
    const service = await start();
    const version = await champion(service);
    const res = await fetch(`${service.base}/retrain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ model: 'california-housing', reason: 'crash test' }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await sleep(1500); // training in its child process
    const job = (await (await fetch(`${service.base}/retrain/jobs/${id}`)).json()) as { status: string };
    expect(job.status).toBe('running');
    const fitting = await fittingChildren(service.child.pid as number);
    expect(fitting.length).toBeGreaterThan(0);
    await kill(service, 'SIGKILL');
    // The orphaned fit notices its parent is gone at its next progress report and exits: no CPU burnt for nobody.
    expect(await stillAlive(fitting, 10_000)).toEqual([]);

    const restarted = await start();
    try {
      expect(await champion(restarted)).toBe(version);
      expect(await predict(restarted, 'after-retrain-crash')).toBe(version);
      let after = { status: 'running', attempts: 0 };
      for (let i = 0; i < 240 && (after.status === 'running' || after.status === 'queued'); i++) {
        // The lease (RETRAIN_LEASE_TTL_S=5) expires, the sweep queues the job again, and this process claims it.
        await sleep(500);
        after = (await (await fetch(`${restarted.base}/retrain/jobs/${id}`)).json()) as typeof after;
      }
      expect(after).toMatchObject({ status: 'succeeded', attempts: 2 });
      const runs = (await (await fetch(`${restarted.base}/runs?model=california-housing&limit=100`)).json()) as {
        status: string;
      }[];
      expect(runs.filter((r) => r.status === 'running')).toEqual([]);
      expect(runs.some((r) => r.status === 'interrupted')).toBe(true); // the killed attempt's
      // The model is free to retrain again.
      const again = await fetch(`${restarted.base}/retrain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ model: 'california-housing', candidates: ['linear'] }),
      });
      expect(again.status).toBe(202);
    } finally {
      await kill(restarted, 'SIGTERM');
    }
  }, 240_000);

  it('SIGTERM writes every queued prediction-log row before exiting', async () => {
    // A flush interval longer than the test: everything is still queued when SIGTERM arrives.
    const service = await start({ PREDICTION_LOG_FLUSH_MS: '60000' });
    const answered = await burst(service, 'graceful', 500);
    expect(answered).toHaveLength(500);
    expect(logged('graceful').size).toBe(0);
    const { code, signal } = await kill(service, 'SIGTERM');
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(logged('graceful').size).toBe(500);
  }, 180_000);
});
