import type { FactoryProvider } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, register, Registry } from 'prom-client';
import { HttpMetricsHook } from './http-metrics.hook';
import { METRICS, metricProviders } from './metric-definitions';
import { MetricsController } from './metrics.controller';
import { ServiceMetrics } from './service-metrics';

type Hook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/** ServiceMetrics and its Fastify hook over the real metric providers (global registry), as MetricsModule wires them. */
function boot() {
  const metrics = metricProviders().map((p) => (p as FactoryProvider).useFactory(undefined) as unknown);
  const service = new (ServiceMetrics as unknown as new (...metrics: unknown[]) => ServiceMetrics)(...metrics);
  let hook: Hook | undefined;
  const fastify = { addHook: (_name: string, fn: Hook) => (hook = fn) };
  const adapterHost = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
  new HttpMetricsHook(adapterHost, service).onModuleInit();
  const respond = (method: string, route: string | undefined, status: number, ms: number) =>
    hook?.(
      { method, routeOptions: { url: route } } as unknown as FastifyRequest,
      { statusCode: status, elapsedTime: ms } as FastifyReply,
      () => undefined,
    );
  return { service, respond };
}

/** The six per-request metrics written the way ServiceMetrics wrote them before folding (direct prom-client calls). */
function reference() {
  const registry = new Registry();
  const registers = [registry];
  const m = METRICS;
  const counter = (d: { name: string; help: string; labelNames: readonly string[] }) =>
    new Counter({ name: d.name, help: d.help, labelNames: d.labelNames, registers });
  const histogram = (d: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[] }) =>
    new Histogram({ name: d.name, help: d.help, labelNames: d.labelNames, buckets: [...d.buckets], registers });
  const httpRequests = counter(m.httpRequests);
  const httpDuration = histogram(m.httpDuration);
  const predictions = counter(m.predictions);
  const predictionDuration = histogram(m.predictionDuration);
  const predictedValue = histogram(m.predictedValue);
  const predictedClass = counter(m.predictedClass);
  return {
    registry,
    respond(method: string, route: string | undefined, status: number, ms: number) {
      const labels = [method, route ?? 'unmatched', String(status)];
      httpRequests.labels(...labels).inc();
      httpDuration.labels(...labels).observe(ms / 1000);
    },
    predicted(model: string, version: number, seconds: number, output: Float64Array | readonly string[]) {
      const v = String(version);
      predictions.labels(model, v, 'ok').inc(output.length);
      predictionDuration.labels(model, v, 'ok').observe(seconds);
      if (output instanceof Float64Array) {
        for (const value of output) predictedValue.labels(model, v).observe(value);
        return;
      }
      const counts = new Map<string, number>();
      for (const label of output) counts.set(label, (counts.get(label) ?? 0) + 1);
      for (const [label, count] of counts) predictedClass.labels(model, v, label).inc(count);
    },
    predictionFailed(model: string, version: number, rows: number, seconds: number) {
      predictions.labels(model, String(version), 'error').inc(rows);
      predictionDuration.labels(model, String(version), 'error').observe(seconds);
    },
    swapped(model: string, version: number) {
      for (const outcome of ['ok', 'error']) predictions.labels(model, String(version), outcome).inc(0);
    },
  };
}

const FOLDED = Object.values(METRICS)
  .filter((m) => 'folded' in m && m.folded)
  .map((m) => m.name);

/** The folded metrics' text as the registry exports it. */
async function exported(registry: Registry): Promise<string> {
  const texts = [];
  for (const name of FOLDED) texts.push(await registry.getSingleMetricAsString(name));
  return texts.join('\n\n');
}

/** Values with awkward sums, on and between bucket bounds. */
const batch = Float64Array.from({ length: 100 }, (_, i) => (i % 13 === 0 ? [0.25, 1, 5, 10][i % 4] : 0.1 + i * 0.0537));

describe('ServiceMetrics', () => {
  beforeEach(() => register.clear());
  afterAll(() => register.clear());

  it('exports what the direct prom-client calls exported, for any sequence of events and reads', async () => {
    const { service, respond } = boot();
    const ref = reference();
    const both = {
      respond: (method: string, route: string | undefined, status: number, ms: number) => {
        respond(method, route, status, ms);
        ref.respond(method, route, status, ms);
      },
      predicted: (model: string, version: number, seconds: number, output: Float64Array | readonly string[]) => {
        service.predicted(model, version, seconds, output);
        ref.predicted(model, version, seconds, output);
      },
    };
    service.swapped('housing', 3, undefined);
    ref.swapped('housing', 3);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 50; i++) {
        both.predicted('housing', 3, 0.0001 * (i + 1) + round * 0.003, Float64Array.of(0.3 + i * 0.11));
        both.respond('POST', '/predict/:name', 200, 0.17 * (i + 1));
      }
      both.predicted('housing', 3, 0.0123, batch);
      both.respond('POST', '/predict/:name/batch', 200, 12.3);
      both.predicted('iris', 5, 0.0002, ['setosa', 'virginica', 'setosa', `class-${round}`]);
      both.respond('POST', '/predict/:name', 200, 0.4);
      service.predictionFailed('housing', 3, 7, 0.0009);
      ref.predictionFailed('housing', 3, 7, 0.0009);
      both.respond('POST', '/predict/:name', 500, 1.1);
      both.respond('POST', '/predict/:name', 400, 0.3);
      both.respond('GET', undefined, 404, 0.05);
      both.respond('GET', '/models/:name', 200, 2 + round);
      if (round === 2) {
        service.swapped('housing', 4, 3);
        ref.swapped('housing', 4);
        both.predicted('housing', 4, 0.001, Float64Array.of(2.2, 20));
      }
      // No beforeScrape(): a plain registry read must see everything recorded so far.
      expect(await exported(register)).toBe(await exported(ref.registry));
    }
  });

  it('counts requests, rows, predicted values and classes as they happened', async () => {
    const { service, respond } = boot();
    service.swapped('housing', 3, undefined);
    service.predicted('housing', 3, 0.002, Float64Array.of(0.25, 0.375, 1, 4.5, 12));
    service.predicted('housing', 3, 0.0004, Float64Array.of(0.375));
    service.predictionFailed('housing', 3, 2, 0.003);
    service.predicted('iris', 2, 0.001, ['setosa', 'versicolor', 'setosa']);
    service.predicted('iris', 2, 0.001, ['virginica']);
    respond('POST', '/predict/:name', 200, 0.75);
    respond('POST', '/predict/:name', 200, 3);
    respond('POST', '/predict/:name/batch', 200, 20);
    respond('POST', '/predict/:name', 422, 0.25);
    respond('GET', undefined, 404, 0.125);

    const text = await register.metrics();
    const expected = [
      'predictions_total{model="housing",version="3",outcome="ok"} 6',
      'predictions_total{model="housing",version="3",outcome="error"} 2',
      'predictions_total{model="iris",version="2",outcome="ok"} 4',
      'prediction_duration_seconds_count{model="housing",version="3",outcome="ok"} 2',
      'prediction_duration_seconds_bucket{le="0.0005",model="housing",version="3",outcome="ok"} 1',
      'prediction_duration_seconds_bucket{le="0.0025",model="housing",version="3",outcome="ok"} 2',
      'prediction_duration_seconds_count{model="housing",version="3",outcome="error"} 1',
      'predicted_value_bucket{le="0.25",model="housing",version="3"} 1',
      'predicted_value_bucket{le="0.5",model="housing",version="3"} 3',
      'predicted_value_bucket{le="1",model="housing",version="3"} 4',
      'predicted_value_bucket{le="4.5",model="housing",version="3"} 5',
      'predicted_value_bucket{le="10",model="housing",version="3"} 5',
      'predicted_value_bucket{le="+Inf",model="housing",version="3"} 6',
      'predicted_value_sum{model="housing",version="3"} 18.5',
      'predicted_value_count{model="housing",version="3"} 6',
      'predicted_class_total{model="iris",version="2",class="setosa"} 2',
      'predicted_class_total{model="iris",version="2",class="versicolor"} 1',
      'predicted_class_total{model="iris",version="2",class="virginica"} 1',
      'http_requests_total{method="POST",route="/predict/:name",status="200"} 2',
      'http_requests_total{method="POST",route="/predict/:name/batch",status="200"} 1',
      'http_requests_total{method="POST",route="/predict/:name",status="422"} 1',
      'http_requests_total{method="GET",route="unmatched",status="404"} 1',
      'http_request_duration_seconds_bucket{le="0.001",method="POST",route="/predict/:name",status="200"} 1',
      'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/predict/:name",status="200"} 2',
      'http_request_duration_seconds_count{method="POST",route="/predict/:name",status="200"} 2',
      'http_request_duration_seconds_bucket{le="0.025",method="POST",route="/predict/:name/batch",status="200"} 1',
      'http_request_duration_seconds_bucket{le="0.01",method="POST",route="/predict/:name/batch",status="200"} 0',
    ];
    for (const line of expected) expect(text.split('\n')).toContain(line);
    expect(text).not.toContain('predicted_value_count{model="iris"');
    expect(text).not.toContain('predicted_class_total{model="housing"');
    // Prediction routes feed the rolling summary; the 404 does not.
    expect(service.stats.summary(60).requests).toMatchObject({ total: 4, clientErrors: 1, serverErrors: 0 });
    expect(service.stats.summary(60).versions.map((v) => [v.model, v.version, v.requests, v.rows])).toEqual([
      ['housing', 3, 2, 6],
      ['iris', 2, 2, 4],
    ]);
  });

  it('serves GET /metrics complete, and keeps what a closed instance recorded in the shared registry', async () => {
    const first = boot();
    const second = boot(); // a second app in the same process gets the same prom-client metrics
    first.service.predicted('housing', 3, 0.001, Float64Array.of(1, 2));
    second.service.predicted('housing', 3, 0.001, Float64Array.of(3));
    first.respond('POST', '/predict/:name', 200, 1);
    first.service.onModuleDestroy();
    second.respond('POST', '/predict/:name', 200, 1);
    const reply = { header: jest.fn() } as unknown as FastifyReply;
    const text = await new MetricsController(second.service).index(reply);
    expect(text).toContain('predicted_value_count{model="housing",version="3"} 3\n');
    expect(text).toContain('predicted_value_sum{model="housing",version="3"} 6\n');
    expect(text).toContain('predictions_total{model="housing",version="3",outcome="ok"} 3\n');
    expect(text).toContain('http_requests_total{method="POST",route="/predict/:name",status="200"} 2\n');
  });

  it('still refuses a non-finite predicted value, as the histogram did', () => {
    const { service } = boot();
    expect(() => service.predicted('housing', 3, 0.001, Float64Array.of(1, NaN))).toThrow(
      'Value is not a valid number: NaN',
    );
  });
});
