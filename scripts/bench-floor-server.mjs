// The floor of the serving benchmarks (bench:serve, bench:floor): what any implementation of the prediction routes
// has to do with today's model and prediction log, and nothing more. The service's application starts as src/main.ts
// starts it (its heap setting, tracing when OTEL_* asks, on PORT, on the models and database it is given; without
// the security headers, role restriction and API docs, which no prediction goes through), and beside it, in the same
// process, a bare Fastify (as the echo's, on FLOOR_PORT) answers POST /predict/housing and /predict/housing/batch
// (`{"rows": [...]}`) by scoring the rows with the served champion (ServedModel.predict: the definition's feature
// pipeline and the model) and pushing one entry per request to the service's prediction log
// (PredictionLogService.push: the entry a prediction pushes, written by the log's thread). Nothing else: no Nest
// request path, validation, traffic routing, metrics, request ids, guards or headers. Its requests/s against the
// echo's are what the routes could reach on this machine if all of that cost nothing.
// FLOOR_PARTS splits it further: `model+log` (the default), `model` (no log entry), `log` (no model: every row is
// answered 0 and logged), `route` (neither: the bare route in the service's process). At SIGTERM it prints the rows
// the log's queue refused (PREDICTION_LOG_QUEUE_SIZE), if any, on stderr.
import Fastify from 'fastify';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const parts = process.env.FLOOR_PARTS ?? 'model+log';
if (!['model+log', 'model', 'log', 'route'].includes(parts)) throw new Error(`FLOOR_PARTS: unknown value ${parts}`);
const scoring = parts.startsWith('model');
const logging = parts.endsWith('log');
const MODEL = 'california-housing';

const dist = join(new URL('..', import.meta.url).pathname, 'dist');
const require = createRequire(join(dist, 'main.js'));
require('reflect-metadata');
const { setFlagsFromString } = require('node:v8');
const { NestFactory } = require('@nestjs/core');
const { createAdapter, setupDirectRoutes } = require(join(dist, 'app.factory.js'));
const { AppModule } = require(join(dist, 'app.module.js'));
const { loadAppConfig } = require(join(dist, 'config', 'app-config.js'));
const { ActiveModels } = require(join(dist, 'registry', 'active-models.service.js'));
const { PredictionLogService } = require(join(dist, 'prediction', 'prediction-log.service.js'));
const { packInputs } = require(join(dist, 'prediction', 'prediction-log.codec.js'));
const { startTracing } = require(join(dist, 'common', 'tracing', 'tracing.js'));

const config = loadAppConfig(process.env);
if (config.HEAP_GROWTH_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWTH_PERCENT}`);
startTracing(process.env);
const adapter = createAdapter({
  requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  largeBodyLimit: config.IMPORT_BODY_LIMIT_BYTES,
  trustProxy: config.TRUST_PROXY,
});
const app = await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'] });
setupDirectRoutes(app);
app.enableShutdownHooks(); // SIGTERM: the service's graceful shutdown, which writes what the log still holds
const active = app.get(ActiveModels);
const log = app.get(PredictionLogService);
let refusedRows = 0;

/** The rows' predictions, and their log entry. */
function predict(rows) {
  const started = performance.now();
  const served = active.get(MODEL);
  // As the service answers and logs them: an array of numbers (a Float64Array would be serialised as an object).
  const values = scoring ? Array.from(served.predict(rows).values) : rows.map(() => 0);
  if (logging) {
    const queued = log.push({
      createdAt: new Date(),
      modelName: MODEL,
      modelVersion: served.version,
      requestId: '',
      rowCount: rows.length,
      inputsJson: packInputs(served.inputFields, rows),
      outputsJson: JSON.stringify(values),
      latencyMs: performance.now() - started,
      predictionId: null,
      policyId: 0,
      policy: 'champion',
      shadow: false,
      clientAddress: null,
    });
    if (!queued) refusedRows += rows.length;
  }
  return values;
}

const floor = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
floor.post('/predict/housing', (request) => ({ prediction: predict([request.body])[0] }));
floor.post('/predict/housing/batch', (request) => ({ predictions: predict(request.body.rows) }));
// The floor listens before the service's port does: whoever waits for the service to be ready finds both.
await floor.listen({ port: Number(process.env.FLOOR_PORT), host: '127.0.0.1' });
await app.listen(config.PORT, config.HOST);
process.once('SIGTERM', () => {
  if (refusedRows > 0) process.stderr.write(`floor: the prediction log's queue refused ${refusedRows} rows\n`);
  void floor.close();
});
