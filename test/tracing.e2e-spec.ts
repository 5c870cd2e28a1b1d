import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_VERSION } from '../src/common/app-version';
import { HOUSING_SPEC } from './support/builtin-models';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { buildService, call, ServiceProcess, sleep, startService, stopService } from './support/service-process';

const SERVER = 2;
const ERROR = 2;

const traceparent = () => {
  const [traceId, parentId] = [randomBytes(16).toString('hex'), randomBytes(8).toString('hex')];
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
};

async function predict(service: ServiceProcess, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${service.base}/predict/housing`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res;
}

const inTrace = (spans: ReceivedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);
const named = (spans: ReceivedSpan[], name: string) => spans.find((s) => s.name === name);

/**
 * OpenTelemetry traces from the real process (as `npm start` runs it), exported by the SDK's OTLP/HTTP exporter to a
 * receiver the test runs itself, in JSON and in protobuf: one server span per request under the caller's
 * `traceparent`, child spans for validation, scoring and the prediction-log hand-off, a root span per retraining
 * job with a span per stage, trace ids in the log lines, and the sampler honoured.
 */
describe('OpenTelemetry traces (e2e, OTLP/HTTP receiver)', () => {
  const receiver = new OtlpReceiver();
  let endpoint: string;
  let dir: string;
  let service: ServiceProcess | undefined;

  const start = async (env: Record<string, string>) => {
    service = await startService(dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: 'nest-mlops-traced',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'log',
      ...env,
    });
    return service;
  };
  const stop = async () => {
    if (service) await stopService(service);
    service = undefined;
  };

  beforeAll(async () => {
    buildService();
    endpoint = await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-tracing-'));
  });

  afterAll(async () => {
    await stop();
    await receiver.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports OTLP/HTTP JSON: request spans under the caller traceparent, their children, and log lines carrying the trace id', async () => {
    const svc = await start({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(svc.output()).toContain('exporting OpenTelemetry traces as nest-mlops-traced');

    const parent = traceparent();
    const answered = await predict(svc, HOUSING_SPEC.example, { traceparent: parent.header });
    expect(answered.status).toBe(200);
    const version = Number(answered.headers.get('x-model-version'));
    await receiver.waitFor((spans) => inTrace(spans, parent.traceId).length >= 4);

    const trace = inTrace(receiver.spans, parent.traceId);
    const server = named(trace, 'POST /predict/:name')!;
    expect(server).toBeDefined();
    expect(server.contentType).toMatch(/^application\/json/);
    expect(server.kind).toBe(SERVER);
    expect(server.parentSpanId).toBe(parent.parentId);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/predict/:name',
      'url.path': '/predict/housing',
      'http.response.status_code': 200,
      'mlops.model': 'california-housing',
      'mlops.model.version': version,
    });
    expect(server.statusCode).toBe(0);
    expect(server.resource).toMatchObject({ 'service.name': 'nest-mlops-traced', 'service.version': APP_VERSION });
    for (const child of ['validation', 'scoring', 'prediction-log']) {
      const span = named(trace, child);
      expect(span).toMatchObject({ parentSpanId: server.spanId, traceId: parent.traceId });
    }
    expect(named(trace, 'scoring')!.attributes['mlops.rows']).toBe(1);

    // The request's log line carries its trace id.
    expect(svc.output()).toMatch(new RegExp(`POST /predict/housing 200 .* trace_id=${parent.traceId}`));

    // Without a traceparent, a new trace whose server span is its root; a batch counts its rows.
    const rows = Array.from({ length: 3 }, () => HOUSING_SPEC.example);
    const before = receiver.spans.length;
    const batch = await fetch(`${svc.base}/predict/housing/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    expect(batch.status).toBe(200);
    await receiver.waitFor((spans) => spans.slice(before).some((s) => s.name === 'POST /predict/:name/batch'));
    const root = named(receiver.spans.slice(before), 'POST /predict/:name/batch')!;
    expect(root.parentSpanId).toBe('');
    await receiver.waitFor((spans) => inTrace(spans, root.traceId).some((s) => s.name === 'scoring'));
    expect(named(inTrace(receiver.spans, root.traceId), 'scoring')!.attributes['mlops.rows']).toBe(3);

    // A refused row: the server span has its 400 (not an error status), the validation span the error.
    const bad = traceparent();
    expect(
      (await predict(svc, { ...HOUSING_SPEC.example, latitude: 'north' }, { traceparent: bad.header })).status,
    ).toBe(400);
    // An unknown path: `unmatched`, never the raw URL.
    const lost = traceparent();
    const missing = await fetch(`${svc.base}/no/such/path`, { headers: { traceparent: lost.header } });
    expect(missing.status).toBe(404);
    await receiver.waitFor(
      (spans) => inTrace(spans, bad.traceId).length >= 2 && inTrace(spans, lost.traceId).length >= 1,
    );
    const refused = named(inTrace(receiver.spans, bad.traceId), 'POST /predict/:name')!;
    expect(refused.attributes['http.response.status_code']).toBe(400);
    expect(refused.statusCode).toBe(0);
    expect(named(inTrace(receiver.spans, bad.traceId), 'validation')).toMatchObject({
      parentSpanId: refused.spanId,
      statusCode: ERROR,
    });
    expect(inTrace(receiver.spans, lost.traceId)[0]).toMatchObject({
      name: 'GET unmatched',
      attributes: expect.objectContaining({ 'http.route': 'unmatched', 'http.response.status_code': 404 }),
    });
  });

  it('traces a retraining job as a root span with a child span per stage', async () => {
    const svc = service!;
    const queued = await call(svc, '/retrain', { model: 'iris', reason: 'traced' });
    expect(queued.status).toBe(202);
    const id = queued.json.id as string;
    let job = queued.json;
    for (let i = 0; i < 240 && ['queued', 'running'].includes(job.status as string); i++) {
      await sleep(250);
      job = (await call(svc, `/retrain/jobs/${id}`)).json;
    }
    expect(job.status).toBe('succeeded');
    await receiver.waitFor((spans) =>
      spans.some((s) => s.name === 'retraining job' && s.attributes['mlops.retraining.job_id'] === id),
    );
    const root = receiver.spans.find(
      (s) => s.name === 'retraining job' && s.attributes['mlops.retraining.job_id'] === id,
    )!;
    expect(root.parentSpanId).toBe('');
    expect(root.attributes).toMatchObject({
      'mlops.model': 'iris',
      'mlops.retraining.trigger': 'api',
      'mlops.retraining.status': 'succeeded',
      'mlops.model.version': job.version,
    });
    const stages = inTrace(receiver.spans, root.traceId).filter((s) => s.parentSpanId === root.spanId);
    expect(stages.map((s) => s.name).sort()).toEqual(
      ['retraining data', 'retraining promote', 'retraining register', 'retraining train'].sort(),
    );
    // The job's log lines (written inside its span) carry its trace id.
    expect(svc.output()).toMatch(new RegExp(`Retraining job ${id} of iris: .*trace_id=${root.traceId}`));
    await stop();
  });

  it('exports OTLP/HTTP protobuf, and honours the sampler', async () => {
    // A restart on the stored models, exporting protobuf and sampling no new trace: only requests whose caller
    // sampled them (parent-based sampler) are recorded.
    const svc = await start({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    const unsampled = await predict(svc, HOUSING_SPEC.example);
    expect(unsampled.status).toBe(200);
    const parent = traceparent();
    expect((await predict(svc, HOUSING_SPEC.example, { traceparent: parent.header })).status).toBe(200);
    await receiver.waitFor((spans) => inTrace(spans, parent.traceId).length >= 4);
    const trace = inTrace(receiver.spans, parent.traceId);
    const server = named(trace, 'POST /predict/:name')!;
    expect(server.contentType).toBe('application/x-protobuf');
    expect(server).toMatchObject({ kind: SERVER, parentSpanId: parent.parentId });
    expect(server.attributes).toMatchObject({ 'http.route': '/predict/:name', 'http.response.status_code': 200 });
    expect(named(trace, 'scoring')).toMatchObject({ parentSpanId: server.spanId });
    const requestId = unsampled.headers.get('x-request-id');
    await stop();
    // Everything buffered was exported at shutdown: the unsampled request never was.
    expect(receiver.spans.filter((s) => s.attributes['http.request.id'] === requestId)).toEqual([]);
  });
});
