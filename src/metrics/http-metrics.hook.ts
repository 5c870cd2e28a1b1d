import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { isPredictionRoute } from '../common/http/prediction-routes';
import { ServiceMetrics } from './service-metrics';

/**
 * Counts every answered request by method, route pattern and status (`http_requests_total`,
 * `http_request_duration_seconds`) from Fastify's onResponse hook, so 404s, validation errors and requests that
 * never reach a controller are counted too. An unknown path is labelled `unmatched`: raw URLs never become labels.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: ServiceMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const status = reply.statusCode;
      const seconds = reply.elapsedTime / 1000;
      this.metrics.answered(request.method, route, status, seconds);
      if (isPredictionRoute(route)) this.metrics.stats.recordRequest(status, seconds * 1000);
      done();
    });
  }
}
