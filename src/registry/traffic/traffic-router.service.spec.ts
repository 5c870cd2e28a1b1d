import { asInstance } from '../../../test/support/mock-repositories';
import type { ServiceMetrics } from '../../metrics/service-metrics';
import type { ActiveModels } from '../active-models.service';
import type { ServedModel } from '../served-model';
import { CompiledPolicy, stickyHash, TrafficRouter } from './traffic-router.service';

const model = (version: number): ServedModel => asInstance<ServedModel>({ version });

describe(TrafficRouter.name, () => {
  const champion = model(1);
  let fellBack: jest.Mock;
  let router: TrafficRouter;
  const policy = (values: Partial<CompiledPolicy>): CompiledPolicy => ({
    policyId: 5,
    mode: 'ab',
    arms: [champion, model(2)],
    armVersions: [1, 2],
    cumulative: [1, 4],
    stickyHeader: 'x-user-id',
    shadow: [],
    complete: true,
    ...values,
  });

  beforeEach(() => {
    fellBack = jest.fn();
    router = new TrafficRouter(
      asInstance<ActiveModels>({ get: () => champion, require: () => champion }),
      asInstance<ServiceMetrics>({ trafficFellBack: fellBack, trafficPolicySet: jest.fn() }),
    );
  });

  it('answers with the champion and policy 0 when no policy is in force', () => {
    expect(router.route('m')).toEqual({ served: champion, policyId: 0, mode: 'champion', shadow: [] });
  });

  it('splits by the weights (1:3 here) at random, and by the sticky key the same way every time', () => {
    router.install('m', policy({}));
    const counts = [0, 0];
    for (let i = 0; i < 20_000; i++) counts[router.route('m').served.version - 1]++;
    expect(counts[0] / 20_000).toBeCloseTo(0.25, 1);
    for (let user = 0; user < 50; user++) {
      const headers = { 'x-user-id': `user-${user}` };
      const first = router.route('m', headers).served.version;
      for (let i = 0; i < 5; i++) expect(router.route('m', headers).served.version).toBe(first);
    }
  });

  it('spreads sticky keys that differ in one character over the whole hash range', () => {
    const points = Array.from({ length: 1000 }, (_, i) => stickyHash(`user-${i}`) / 2 ** 32);
    const quarters = [0, 0, 0, 0];
    for (const p of points) quarters[Math.floor(p * 4)]++;
    for (const q of quarters) expect(q).toBeGreaterThan(200);
  });

  it('sends the share of an arm it could not load to the champion, counted as a fallback', () => {
    router.install('m', policy({ arms: [champion, undefined], cumulative: [0.000001, 1] }));
    expect(router.route('m').served).toBe(champion);
    expect(fellBack).toHaveBeenCalledWith('m', 2);
  });

  it('keeps the newer of two policies whatever order they are installed in', () => {
    router.install('m', policy({ policyId: 7, mode: 'canary' }));
    router.install('m', policy({ policyId: 6, mode: 'ab' }));
    expect(router.policy('m')?.policyId).toBe(7);
  });
});
