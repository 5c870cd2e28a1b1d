import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { isPredictionRoute } from './prediction-routes';
import { DomainError } from '../errors/domain.error';

export class RateLimitedError extends DomainError {
  readonly code = 'HTTP.RATE_LIMITED';
  readonly kind = 'too_many_requests';
}

/**
 * RATE_LIMIT requests per client IP per RATE_LIMIT_WINDOW_S on the prediction routes (@nestjs/throttler); 429 with
 * `Retry-After` beyond it. Other routes are not limited. The counts are kept in memory, per process, or with
 * REDIS_URL in Redis (RedisThrottlerStorage), shared by every replica and failing open when Redis is unavailable.
 */
@Injectable()
export class PredictionThrottlerGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return Promise.resolve(!isPredictionRoute(request.routeOptions.url ?? ''));
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RateLimitedError(
      `Rate limit exceeded: at most ${detail.limit} prediction requests per ${detail.ttl / 1000} s from one client; ` +
        `retry after ${detail.timeToBlockExpire} s (Retry-After)`,
    );
  }
}
