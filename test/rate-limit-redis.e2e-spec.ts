import { randomInt } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { THROTTLE_KEY_PREFIX } from '../src/common/http/redis-throttler.storage';
import { createTestApp, TestApp } from './support/test-app';

// CI runs Redis here; without it the first describe fails (it does not skip).
const REDIS_URL = 'redis://127.0.0.1:6379';
const LIMIT = { RATE_LIMIT: '5', RATE_LIMIT_WINDOW_S: '60' };
const json = { 'content-type': 'application/json' };

/** A client address of its own, so that its counts in the shared Redis start at zero on every run. */
const freshClient = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** An empty body to Iris: a 400 from validation, which runs after the rate limit, so the request is counted. */
const predict = (t: TestApp, remoteAddress: string) =>
  t.app.inject({ method: 'POST', url: '/predict/iris', headers: json, payload: '{}', remoteAddress });

/** Statuses of `count` predictions from `client`, each answered in under a second (no wait on a dead Redis). */
async function timedPredictions(t: TestApp, client: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    statuses.push((await predict(t, client)).statusCode);
    expect(performance.now() - started).toBeLessThan(1000);
  }
  return statuses;
}

async function failOpenCount(t: TestApp): Promise<number> {
  const text = (await t.app.inject({ url: '/metrics' })).body;
  return Number(/^rate_limit_fail_open_total (\S+)$/m.exec(text)?.[1]);
}

describe('prediction rate limit with REDIS_URL (e2e)', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await redis.connect();
  });
  afterAll(() => redis.quit());

  const throttleKeys = async (): Promise<string[]> => redis.keys(`${THROTTLE_KEY_PREFIX}*`);

  it('gives a client the limit once across two replicas sharing Redis, not once per replica', async () => {
    const a = await createTestApp({ ...LIMIT, REDIS_URL });
    const b = await createTestApp({ ...LIMIT, REDIS_URL });
    const before = new Set(await throttleKeys());
    try {
      const client = freshClient();
      const statuses: number[] = [];
      let last;
      for (const t of [a, a, a, b, b, b]) {
        last = await predict(t, client);
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
      expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(last?.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(last?.json()).toMatchObject({ statusCode: 429, code: 'HTTP.RATE_LIMITED' });
      // The counts live under the service's prefix and expire with the window.
      const created = (await throttleKeys()).filter((key) => !before.has(key));
      expect(created.map((key) => key.replace(/\{.*\}/, '{…}')).sort()).toEqual([
        `${THROTTLE_KEY_PREFIX}{…}:blocked`,
        `${THROTTLE_KEY_PREFIX}{…}:hits`,
      ]);
      for (const key of created) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
      // Another client has its own budget on both replicas.
      expect((await predict(b, freshClient())).statusCode).toBe(400);
    } finally {
      await Promise.all([a.close(), b.close()]);
      const created = (await throttleKeys()).filter((key) => !before.has(key));
      if (created.length) await redis.del(...created);
    }
  });

  it('without REDIS_URL, counts per process: another replica does not know about the first', async () => {
    const a = await createTestApp(LIMIT);
    const b = await createTestApp(LIMIT);
    try {
      const client = freshClient();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await predict(a, client)).statusCode);
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
      expect((await predict(b, client)).statusCode).toBe(400);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

/** A Redis that completes ioredis's handshake (CLIENT SETINFO, INFO) and then never answers: a hung server. */
async function hungRedis(): Promise<{ url: string; received: string[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const received: string[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let command = takeCommand(); command; command = takeCommand()) {
        const name = command[0]?.toUpperCase() ?? '';
        received.push(name);
        const info = '# Server\r\nredis_version:7.2.0\r\nloading:0\r\n';
        if (name === 'INFO') socket.write(`$${info.length}\r\n${info}\r\n`);
        else if (name === 'CLIENT') socket.write('+OK\r\n');
      }
    });
    /** The next complete RESP array of bulk strings (a command and its arguments), removed from `pending`. */
    function takeCommand(): string[] | undefined {
      const header = /^\*(\d+)\r\n/.exec(pending);
      if (!header) return undefined;
      let at = header[0].length;
      const args: string[] = [];
      for (let i = 0; i < Number(header[1]); i++) {
        const bulk = /^\$(\d+)\r\n/.exec(pending.slice(at));
        if (!bulk || pending.length < at + bulk[0].length + Number(bulk[1]) + 2) return undefined;
        at += bulk[0].length;
        args.push(pending.slice(at, at + Number(bulk[1])));
        at += Number(bulk[1]) + 2;
      }
      pending = pending.slice(at);
      return args;
    }
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}

describe('prediction rate limit with Redis unavailable (e2e)', () => {
  it('lets predictions through at once when nothing listens at REDIS_URL (fail-open), and counts them', async () => {
    const t = await createTestApp({ RATE_LIMIT: '1', RATE_LIMIT_WINDOW_S: '60', REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const failedOpen = await failOpenCount(t);
      expect(await timedPredictions(t, freshClient(), 3)).toEqual([400, 400, 400]);
      expect(await failOpenCount(t)).toBe(failedOpen + 3);
    } finally {
      await t.close();
    }
  });

  it('lets predictions through within the command timeout when Redis connects but never answers', async () => {
    const hung = await hungRedis();
    let t: TestApp | undefined;
    try {
      t = await createTestApp({ RATE_LIMIT: '1', RATE_LIMIT_WINDOW_S: '60', REDIS_URL: hung.url });
      const failedOpen = await failOpenCount(t);
      expect(await timedPredictions(t, freshClient(), 3)).toEqual([400, 400, 400]);
      expect(await failOpenCount(t)).toBe(failedOpen + 3);
      // The client was connected and sent the counts: it gave up waiting for the answers.
      expect(hung.received.filter((name) => name === 'EVAL')).toHaveLength(3);
    } finally {
      await t?.close();
      await hung.close();
    }
  });
});
