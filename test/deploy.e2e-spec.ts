import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { REPO_ROOT } from './support/housing-data';
import { createTestApp, TestApp } from './support/test-app';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const yaml = (path: string) => load(read(path)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The delivery files stay in step with the service: what they probe, mount, copy and run exists. (No Docker engine
 * runs here: `.ci/run` runs the image's steps with scripts/image-smoke.sh and validates the compose file with
 * docker-compose.)
 */
describe('packaging and delivery files (e2e)', () => {
  let t: TestApp;
  let routes: Set<string>;

  beforeAll(async () => {
    t = await createTestApp();
    const doc = (await t.app.inject({ url: '/docs-json' })).json<{ paths: Record<string, unknown> }>();
    routes = new Set(Object.keys(doc.paths));
    routes.add('/metrics');
  }, 60_000);
  afterAll(() => t.close());

  it('Dockerfile: multi-stage, production dependencies only, non-root, health check, volumes, port 8000', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/health\/live/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/app\/data", "\/app\/models", "\/app\/logs"\]$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8000$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main.js"\]$/m);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources.split(/\s+/))
        expect([source, existsSync(join(REPO_ROOT, source))]).toEqual([source, true]);
    }
  });

  it('docker-compose.yml: the service, Prometheus and Grafana with their configuration, volumes and health checks', () => {
    const compose = yaml('docker-compose.yml');
    const services = compose.services as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Object.keys(services).sort()).toEqual(['grafana', 'nest-mlops', 'prometheus']);
    expect(services['nest-mlops'].ports).toEqual(['8000:8000']);
    expect(services.prometheus.ports).toEqual(['9090:9090']);
    expect(services.grafana.ports).toEqual(['3000:3000']);
    for (const [name, service] of Object.entries(services)) {
      expect([name, typeof service.healthcheck?.test]).toEqual([name, 'object']);
      expect([name, service.restart]).toEqual([name, 'unless-stopped']);
      for (const volume of service.volumes as string[]) {
        const [source] = volume.split(':');
        if (source.startsWith('./')) expect([volume, existsSync(join(REPO_ROOT, source))]).toEqual([volume, true]);
        else expect(Object.keys(compose.volumes as object)).toContain(source);
      }
    }
    expect(services['nest-mlops'].healthcheck.test.join(' ')).toContain('/health/ready');
    expect(services.prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    // The scrape target is the compose service.
    expect(read('deploy/prometheus/prometheus.yml')).toContain("targets: ['nest-mlops:8000']");
  });

  it('Kubernetes: probes on routes that exist, resources, the volume claim, a Service', () => {
    const documents = ['deployment.yaml', 'service.yaml', 'pvc.yaml', 'namespace.yaml'].flatMap(
      (f) => loadAll(read(`deploy/k8s/${f}`)) as Record<string, any>[], // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const kinds = documents.map((d) => d.kind as string).sort();
    expect(kinds).toEqual(['Deployment', 'Namespace', 'PersistentVolumeClaim', 'Service']);
    const deployment = documents.find((d) => d.kind === 'Deployment');
    const container = deployment?.spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      expect(routes).toContain(container[probe].httpGet.path);
    }
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    const claim = documents.find((d) => d.kind === 'PersistentVolumeClaim');
    expect(deployment?.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(claim?.metadata.name);
    expect(documents.find((d) => d.kind === 'Service')?.spec.ports[0].port).toBe(8000);
  });

  it('GitHub workflows: CI on push and pull request runs every gate; main pushes the image; a scheduled benchmark', () => {
    const ci = yaml('.github/workflows/ci.yml');
    expect(Object.keys(ci.on as object).sort()).toEqual(['pull_request', 'push']);
    const steps = (ci.jobs.test.steps as { run?: string }[]).map((s) => s.run ?? '').join('\n');
    for (const command of [
      'npm ci',
      'npm run check',
      'promtool test rules',
      'docker-compose -f docker-compose.yml config -q',
      'npm test',
    ]) {
      expect(steps).toContain(command);
    }
    expect(ci.jobs.image.if).toContain("github.ref == 'refs/heads/main'");
    expect(JSON.stringify(ci.jobs.image.steps)).toContain('secrets.REGISTRY_PASSWORD');
    const bench = yaml('.github/workflows/bench.yml');
    expect(bench.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    const benchSteps = JSON.stringify(bench.jobs.train.steps);
    expect(benchSteps).toContain('npm run bench:train');
    expect(benchSteps).toContain('actions/upload-artifact');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(['check', 'test', 'bench:train', 'data:prepare']));
  });
});
