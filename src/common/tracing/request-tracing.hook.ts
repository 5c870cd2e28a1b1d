import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Context, context, Span, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { startServerSpan, stopTracing, tracingOn } from './tracing';

interface RequestSpan {
  span: Span;
  context: Context;
}

const spans = new WeakMap<FastifyRequest, RequestSpan>();

/** The trace id of a request's server span (for its log line); undefined with tracing off. */
export function requestTraceId(request: FastifyRequest): string | undefined {
  return spans.get(request)?.span.spanContext().traceId;
}

/**
 * With tracing on (startTracing), one server span per request, from Fastify hooks so that every route is covered
 * (the direct prediction routes, Nest's routes, 404s and requests refused before any controller):
 * - named `<METHOD> <route pattern>` (`unmatched` for an unknown path), the child of the incoming `traceparent`;
 * - the handler runs in the span's context (entered at preHandler, once the body is read), so the spans the
 *   services open (validation, scoring, the prediction-log hand-off) are its children and the log lines written on
 *   the way carry its trace id;
 * - ended with the response status (an error status from 500 on), or as aborted when the client went away.
 * With tracing off no hook is added. At shutdown, the spans still buffered are exported.
 */
@Injectable()
export class RequestTracingHook implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook || !tracingOn()) return;
    fastify.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      const started = startServerSpan(`${request.method} ${route ?? 'unmatched'}`, request.headers, {
        'http.request.method': request.method,
        'http.route': route ?? 'unmatched',
        'url.path': request.url.split('?')[0],
        'url.scheme': request.protocol,
        'client.address': request.ip,
        'http.request.id': request.id,
      });
      if (!started) return done();
      spans.set(request, started);
      context.with(started.context, done);
    });
    fastify.addHook('preHandler', (request, _reply, done) => {
      const entry = spans.get(request);
      if (entry) context.with(entry.context, done);
      else done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      const entry = spans.get(request);
      if (entry) {
        entry.span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
        entry.span.end();
      }
      done();
    });
    fastify.addHook('onRequestAbort', (request, done) => {
      const entry = spans.get(request);
      if (entry) {
        entry.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
        entry.span.end();
      }
      done();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}
