import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { RegistryService } from '../src/registry/registry.service';
import { TrainingService } from '../src/training/training.service';
import { IRIS_SPEC } from './support/builtin-models';
import { createTestApp, TestApp } from './support/test-app';

const json = { 'content-type': 'application/json' };

/**
 * TRUST_PROXY decides whether `x-forwarded-for` names the client for rate limits and the prediction log: off by
 * default (the peer is the client, spoofed headers are ignored), a list of trusted proxy addresses (read only from
 * them), or a hop count.
 */
describe.each([
  // [TRUST_PROXY, peer, x-forwarded-for, the client the service must see]
  [
    'off',
    [
      ['10.0.0.1', '203.0.113.7', '10.0.0.1'],
      ['198.51.100.9', '203.0.113.8', '198.51.100.9'],
    ],
  ],
  [
    '10.0.0.1, 10.0.1.0/24',
    [
      ['10.0.0.1', '203.0.113.7', '203.0.113.7'],
      ['10.0.1.77', '203.0.113.9', '203.0.113.9'],
      // A peer outside the list may not name a client: its own address counts.
      ['198.51.100.9', '203.0.113.8', '198.51.100.9'],
      // Through two trusted proxies, the first untrusted address from the right.
      ['10.0.0.1', '192.0.2.5, 10.0.1.3', '192.0.2.5'],
    ],
  ],
  [
    '1',
    [
      // One hop trusted: the address the peer saw; anything a client wrote further left is not believed.
      ['10.0.0.1', '6.6.6.6, 203.0.113.7', '203.0.113.7'],
    ],
  ],
] as const)('TRUST_PROXY=%s (e2e)', (trustProxy, cases) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: trustProxy, RATE_LIMIT: '2', RATE_LIMIT_WINDOW_S: '60' });
    const [run] = await t.app.get(TrainingService).train('iris', { candidates: ['gbdt'] });
    const registry = t.app.get(RegistryService);
    await registry.promote('iris', (await registry.register('iris', run.id)).version, { actor: 'test' });
  }, 120_000);

  afterAll(() => t?.close());

  const predict = (peer: string, forwarded: string) =>
    t.app.inject({
      method: 'POST',
      url: '/predict/iris',
      headers: { ...json, 'x-forwarded-for': forwarded },
      payload: JSON.stringify(IRIS_SPEC.example),
      remoteAddress: peer,
    });

  it('logs each prediction with the client address it is allowed to believe', async () => {
    for (const [peer, forwarded] of cases) expect((await predict(peer, forwarded)).statusCode).toBe(200);
    await t.app.get(PredictionLogService).flush();
    const logged = (await t.app.inject({ url: '/predictions?model=iris&limit=50' })).json<
      { clientAddress: string }[]
    >();
    expect(logged.map((p) => p.clientAddress).reverse()).toEqual(cases.map(([, , client]) => client));
  });

  it('counts the rate limit per believed client', async () => {
    const [peer, forwarded, client] = cases[0];
    // The first test spent one request of this client's budget of 2.
    expect((await predict(peer, forwarded)).statusCode).toBe(200);
    expect((await predict(peer, forwarded)).statusCode).toBe(429);
    // A different x-forwarded-for from the same peer is another client only when the header is believed.
    const other = await predict(peer, '192.0.2.200');
    expect(other.statusCode).toBe(client === peer ? 429 : 200);
  });
});

describe('TRUST_PROXY validation', () => {
  it.each(['on', '0', '11', '10.0.0.1/33', 'proxy.local', '10.0.0.1,,'])(
    'refuses %s at boot, naming it',
    async (value) => {
      await expect(createTestApp({ TRUST_PROXY: value })).rejects.toThrow(/TRUST_PROXY/);
    },
  );
});
