import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { requestTraceId } from '../tracing/request-tracing.hook';

/**
 * Echoes every request's id in the `x-request-id` response header (set as the request arrives, so errors raised
 * before any controller carry it too) and, at log level `log` or more verbose, logs one line per answered request:
 * method, URL, status, duration, request id, client address (the peer, or `x-forwarded-for` as TRUST_PROXY allows)
 * and, with tracing on, the trace id. Fastify hooks rather than a Nest interceptor: they cover every route,
 * including the direct prediction routes and requests that never reach a controller, and cost no observable chain.
 */
@Injectable()
export class RequestLogHook implements OnModuleInit {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      done();
    });
    if (!Logger.isLevelEnabled('log')) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      const line = `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms`;
      const trace = requestTraceId(request);
      this.logger.log(`${line} id=${request.id} client=${request.ip}${trace ? ` trace_id=${trace}` : ''}`);
      done();
    });
  }
}
