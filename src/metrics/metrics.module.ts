import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { collectDefaultMetrics, register } from 'prom-client';
import { HttpMetricsHook } from './http-metrics.hook';
import { metricProviders } from './metric-definitions';
import { MetricsController } from './metrics.controller';
import { ServiceMetrics } from './service-metrics';

/** prom-client's process and Node.js metrics, registered once per process (tests boot many apps in one). */
function collectDefaultsOnce(): void {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
}

/**
 * `GET /metrics` (@willsoto/nestjs-prometheus over prom-client) and ServiceMetrics, which every module reports
 * through; global so that reporting needs no module imports.
 */
@Global()
@Module({
  imports: [
    PrometheusModule.register({ controller: MetricsController, path: '/metrics', defaultMetrics: { enabled: false } }),
  ],
  providers: [...metricProviders(), ServiceMetrics, HttpMetricsHook],
  exports: [ServiceMetrics],
})
export class MetricsModule {
  constructor() {
    collectDefaultsOnce();
  }
}
