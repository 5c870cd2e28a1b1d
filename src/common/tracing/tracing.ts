import {
  Attributes,
  context,
  Context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
  Tracer,
} from '@opentelemetry/api';
import { APP_VERSION } from '../app-version';

/** What the process started (startTracing): the SDK, to flush and stop at shutdown. */
interface TracingHandle {
  shutdown(): Promise<void>;
}

let handle: TracingHandle | undefined;
let tracer: Tracer | undefined;

/**
 * Whether the environment asks for traces: an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or an explicit `OTEL_TRACES_EXPORTER` other than `none`, and the SDK not
 * disabled (`OTEL_SDK_DISABLED=true`). Without any of them nothing is loaded, no hook is added and no span is made.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || !!env.OTEL_EXPORTER_OTLP_ENDPOINT || !!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
}

/**
 * Starts the OpenTelemetry SDK for traces when the environment asks for them (tracingRequested), configured by the
 * standard `OTEL_*` variables (exporter and protocol — `http/protobuf`, `http/json` or `grpc` —, endpoint, headers,
 * service name and resource attributes, sampler, batch processor, propagators). Only traces: OpenTelemetry metrics
 * and logs stay off unless `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` name an exporter (the service's metrics
 * are Prometheus's, at /metrics). Call once, before the application is created. Returns whether tracing is on.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (handle || !tracingRequested(env)) return handle !== undefined;
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= 'nest-mlops';
  // Loaded only here: a process without OTEL_* settings never loads the SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.version': APP_VERSION }),
    instrumentations: [],
  });
  sdk.start();
  handle = sdk;
  tracer = trace.getTracer('nest-mlops', APP_VERSION);
  return true;
}

/** Exports the spans still buffered and stops the SDK (at shutdown); nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const started = handle;
  handle = undefined;
  tracer = undefined;
  await started?.shutdown();
}

/** Whether spans are made (startTracing started the SDK). */
export const tracingOn = (): boolean => tracer !== undefined;

function ended<T>(span: Span, result: T): T {
  span.end();
  return result;
}

function failed(span: Span, error: unknown): never {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
  throw error;
}

/**
 * Runs `work` in a child span of the active one (the request's, or a retraining job's), ending it when `work`
 * returns, or resolves for a promise; an error is recorded on the span and rethrown. With tracing off, `work` runs
 * as it is, with no span.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: (span?: Span) => T): T {
  if (!tracer) return work();
  return tracer.startActiveSpan(name, { attributes }, (span) => {
    let result: T;
    try {
      result = work(span);
    } catch (error) {
      failed(span, error);
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => ended(span, value),
        (error: unknown) => failed(span, error),
      ) as T;
    }
    return ended(span, result);
  });
}

/** Runs `work` in a new root span (a retraining job: it is not part of the request that queued it). */
export function inRootSpan<T>(name: string, attributes: Attributes, work: (span?: Span) => Promise<T>): Promise<T> {
  if (!tracer) return work();
  return context.with(ROOT_CONTEXT, () => inSpan(name, attributes, work));
}

/** Sets attributes on the active span (the request's server span, between its child spans). */
export function annotateActiveSpan(attributes: Attributes): void {
  if (tracer) trace.getActiveSpan()?.setAttributes(attributes);
}

/** The trace and span ids of the active span, for log lines; undefined with tracing off or outside a span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!tracer) return undefined;
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : undefined;
}

/** The server span of a request: its parent read from the incoming headers (`traceparent`, `tracestate`). */
export function startServerSpan(
  name: string,
  headers: Record<string, string | string[] | undefined>,
  attributes: Attributes,
): { span: Span; context: Context } | undefined {
  if (!tracer) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}
