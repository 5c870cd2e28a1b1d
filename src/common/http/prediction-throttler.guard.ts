import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { isPredictionRoute } from './prediction-routes';
import { DomainError } from '../errors/domain.error';

export class RateLimitedError extends DomainError {
  readonly code = 'HTTP.RATE_LIMITED';
  readonly kind = 'too_many_requests';
}

/** @nestjs/throttler's guard with the service's 429 answer (PredictionRateLimitGuard decides where it applies). */
@Injectable()
export class PredictionThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RateLimitedError(
      `Rate limit exceeded: at most ${detail.limit} prediction requests per ${detail.ttl / 1000} s from one client; ` +
        `retry after ${detail.timeToBlockExpire} s (Retry-After)`,
    );
  }
}

/**
 * RATE_LIMIT requests per client IP per RATE_LIMIT_WINDOW_S on the prediction routes (@nestjs/throttler); 429 with
 * `Retry-After` beyond it. Other routes are not limited. The counts are kept in memory, per process, or with
 * REDIS_URL in Redis (RedisThrottlerStorage), shared by every replica and failing open when Redis is unavailable.
 * Where no limit applies (RATE_LIMIT=0, or not a prediction route) it answers at once, without the throttler's
 * promise: a direct prediction route then stays synchronous.
 */
@Injectable()
export class PredictionRateLimitGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly throttler: PredictionThrottlerGuard,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http' || this.config.RATE_LIMIT === 0) return true;
    const route = context.switchToHttp().getRequest<FastifyRequest>().routeOptions.url ?? '';
    return isPredictionRoute(route) ? this.throttler.canActivate(context) : true;
  }
}
