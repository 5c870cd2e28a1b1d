import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Prefix of every key the rate limit writes in Redis (`nest-mlops:throttle:{<key>:default}:hits`, `…:blocked`). */
export const THROTTLE_KEY_PREFIX = 'nest-mlops:throttle:';
/** Longest a prediction waits on Redis for its count; beyond it the request goes through uncounted. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
const REDIS_CONNECT_TIMEOUT_MS = 500;
/** Longest the boot waits for the first connection, so that the first requests are counted. */
const BOOT_WAIT_MS = 1000;
const WARN_INTERVAL_MS = 60_000;

/**
 * The rate limit's counts in Redis (REDIS_URL), shared by every replica: @nest-lab/throttler-storage-redis's
 * script on an ioredis client this class owns and closes at shutdown. Passed to ThrottlerModule as `storage`, it
 * is the instance of @nestjs/throttler's storage provider, so Nest runs its lifecycle hooks.
 *
 * Fail-open: when Redis is down, slow or answers an error, the request goes through uncounted (a warning at most
 * once a minute, `rate_limit_fail_open_total` counts it). The rate limit protects the service from one greedy
 * client; refusing or stalling every prediction because the counter is unavailable would turn a Redis outage into
 * a prediction outage. No offline queue, no retried commands and a command timeout keep the wait on Redis under
 * REDIS_COMMAND_TIMEOUT_MS; the client keeps reconnecting in the background.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: Redis;
  private readonly counts: ThrottlerStorageRedisService;
  private lastWarning = -Infinity;

  constructor(
    url: string,
    /** Called for each request let through because Redis did not answer (the service counts it in a metric). */
    private readonly onFailOpen: () => void,
  ) {
    this.redis = new Redis(url, {
      keyPrefix: THROTTLE_KEY_PREFIX,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', (error: Error) => this.warn(`Redis for the rate limit: ${error.message}`));
    this.counts = new ThrottlerStorageRedisService(this.redis);
  }

  /** Connects before the server listens (a Redis that is down delays the boot by at most BOOT_WAIT_MS). */
  async onModuleInit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((done) => (timer = setTimeout(done, BOOT_WAIT_MS)));
    // A failed first connection is reported by the 'error' listener; the client keeps retrying.
    await Promise.race([this.redis.connect().catch(() => undefined), gaveUp]);
    clearTimeout(timer);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    name: string,
  ): Promise<ThrottlerRecord> {
    try {
      return await this.counts.increment(key, ttl, limit, blockDuration, name);
    } catch (error) {
      this.onFailOpen();
      this.warn(`Prediction let through without a rate-limit count (Redis: ${(error as Error).message})`);
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /** After the HTTP server has closed, so no request is still counting. */
  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn(`${message}; rate limit fails open (at most one such warning per minute)`);
  }
}
