import { connect } from 'node:net';
import { HOUSING_SPEC } from './support/builtin-models';
import { TrainingService } from '../src/training/training.service';
import { ADMIN, createTestApp, TEST_ADMIN_KEY, TestApp } from './support/test-app';

const json = { 'content-type': 'application/json' };
const API_KEY = 'reader-key-abcdefghijklmnop';

describe('security (e2e)', () => {
  describe('with no ADMIN_API_KEY (the default)', () => {
    let t: TestApp;
    beforeAll(async () => (t = await createTestApp({ ADMIN_API_KEY: '' })), 60_000);
    afterAll(() => t.close());

    it('answers 403 on every admin endpoint, saying how to enable them; reads and predictions stay open', async () => {
      for (const url of [
        '/models/california-housing/versions',
        '/models/california-housing/versions/1/promote',
        '/models/california-housing/rollback',
        '/retrain',
      ]) {
        const res = await t.app.inject({ method: 'POST', url, headers: { ...json, ...ADMIN }, payload: '{}' });
        expect([url, res.statusCode]).toEqual([url, 403]);
        expect(res.json()).toMatchObject({ code: 'AUTH.ADMIN_DISABLED' });
        expect(res.json().message).toContain('ADMIN_API_KEY');
        expect(res.json().message).toContain('Authorization: Bearer');
      }
      expect((await t.app.inject({ url: '/models' })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/retrain/jobs' })).statusCode).toBe(200);
      // Not served yet, but not refused for want of a key either.
      const predict = await t.app.inject({
        method: 'POST',
        url: '/predict/housing',
        headers: json,
        payload: HOUSING_SPEC.example,
      });
      expect(predict.statusCode).toBe(503);
    });
  });

  describe('with ADMIN_API_KEY and API_KEYS', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ API_KEYS: `other-key-0123456789abcdef, ${API_KEY}` });
      const [run] = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear'] });
      const headers = { ...json, ...ADMIN };
      await t.app.inject({
        method: 'POST',
        url: '/models/california-housing/versions',
        headers,
        payload: { runId: run.id },
      });
      await t.app.inject({
        method: 'POST',
        url: '/models/california-housing/versions/1/promote',
        headers,
        payload: {},
      });
    }, 60_000);
    afterAll(() => t.close());

    const rollback = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/models/california-housing/rollback',
        headers: { ...json, ...headers },
        payload: '{}',
      });

    it('needs the admin key, as a bearer token or x-api-key, for admin endpoints (401 otherwise)', async () => {
      const none = await rollback({});
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="nest-mlops"');
      expect(none.json()).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
      expect(none.json().message).toContain('An API key is required');
      const attempts: Record<string, string>[] = [
        { authorization: 'Bearer wrong-key-0123456789abcdef' },
        { authorization: `Bearer ${TEST_ADMIN_KEY}x` },
        { authorization: `Bearer ${TEST_ADMIN_KEY.slice(0, -1)}` },
        { 'x-api-key': API_KEY }, // a reader key is not an admin key
        { authorization: `Basic ${TEST_ADMIN_KEY}` },
      ];
      for (const headers of attempts) {
        const res = await rollback(headers);
        expect([headers, res.statusCode]).toEqual([headers, 401]);
        expect(res.json().message).not.toContain(TEST_ADMIN_KEY); // keys are never echoed
      }
      // Authenticated: the request reaches the registry (no previous champion to roll back to).
      expect((await rollback({ authorization: `Bearer ${TEST_ADMIN_KEY}` })).statusCode).toBe(409);
      expect((await rollback({ 'x-api-key': TEST_ADMIN_KEY })).statusCode).toBe(409);
    });

    it('needs one of API_KEYS (or the admin key) for predictions and reads; probes and /metrics stay open', async () => {
      const predict = (headers: Record<string, string>) =>
        t.app.inject({
          method: 'POST',
          url: '/predict/housing',
          headers: { ...json, ...headers },
          payload: HOUSING_SPEC.example,
        });
      expect((await predict({})).statusCode).toBe(401);
      expect((await predict({ 'x-api-key': 'nope-nope-nope-nope-nope' })).statusCode).toBe(401);
      expect((await predict({ 'x-api-key': API_KEY })).statusCode).toBe(200);
      expect((await predict({ authorization: `Bearer ${API_KEY}` })).statusCode).toBe(200);
      expect((await predict({ authorization: 'Bearer other-key-0123456789abcdef' })).statusCode).toBe(200);
      expect((await predict(ADMIN)).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/models' })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/models', headers: { 'x-api-key': API_KEY } })).statusCode).toBe(200);
      for (const url of ['/health/live', '/health/ready', '/health', '/v2/health/live', '/metrics']) {
        const res = await t.app.inject({ url });
        expect([url, res.statusCode === 401]).toEqual([url, false]);
      }
    });

    it('documents the security schemes in the OpenAPI document', async () => {
      const doc = (await t.app.inject({ url: '/docs-json', headers: { 'x-api-key': API_KEY } })).json();
      expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['api-key', 'bearer']);
      const promote = doc.paths['/models/{name}/versions/{version}/promote'].post;
      expect(promote.security).toEqual(expect.arrayContaining([{ bearer: [] }, { 'api-key': [] }]));
      expect(promote.responses).toHaveProperty('401');
      expect(promote.responses).toHaveProperty('403');
    });
  });

  describe('limits and headers', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ RATE_LIMIT: '3', RATE_LIMIT_WINDOW_S: '60', REQUEST_TIMEOUT_MS: '500' });
    }, 60_000);
    afterAll(() => t.close());

    it('limits prediction requests per client with 429 and Retry-After, and leaves other routes alone', async () => {
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await t.app.inject({ method: 'POST', url: '/predict/iris', headers: json, payload: '{}' });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([400, 400, 400, 429, 429]);
      // Seconds until the 60 s window frees a request: never 0, never past the window.
      expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(last?.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(last?.json()).toMatchObject({ statusCode: 429, code: 'HTTP.RATE_LIMITED' });
      expect(last?.json().message).toContain('at most 3 prediction requests per 60 s');
      // Another client (IP) has its own budget; reads are not limited.
      const other = await t.app.inject({
        method: 'POST',
        url: '/predict/iris',
        headers: json,
        payload: '{}',
        remoteAddress: '10.0.0.9',
      });
      expect(other.statusCode).toBe(400);
      for (let i = 0; i < 5; i++) expect((await t.app.inject({ url: '/models' })).statusCode).toBe(200);
    });

    it('sends security headers, and the Swagger UI still loads', async () => {
      const res = await t.app.inject({ url: '/models' });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      const docs = await t.app.inject({ url: '/docs' });
      expect(docs.statusCode).toBe(200);
      expect(docs.body).toContain('swagger-ui');
      const init = await t.app.inject({ url: '/docs/swagger-ui-init.js' });
      expect(init.statusCode).toBe(200);
    });

    it('answers 413 for a body over 1 MiB', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/predict/housing/batch',
        headers: json,
        payload: JSON.stringify({ rows: [{ pad: 'x'.repeat(1_100_000) }] }),
        remoteAddress: '10.0.0.10',
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ statusCode: 413 });
    });

    it('answers 408 to a client that does not send its whole request within REQUEST_TIMEOUT_MS', async () => {
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.app.getHttpServer().address() as { port: number };
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            'POST /predict/housing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lo',
          );
        });
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        setTimeout(() => socket.destroy(), 5000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    });
  });
});
