import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { loadAppConfig } from '../src/config/app-config';
import { REPO_ROOT } from './support/housing-data';
import { createTestApp, TestApp } from './support/test-app';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const yaml = (path: string) => load(read(path)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Service = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Resource = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** Compose's `${VAR:-default}` and `${VAR}` with nothing set in the environment: the defaults the file ships. */
const interpolate = (value: string): string =>
  value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_match, _name: string, fallback?: string) => fallback ?? '');
const interpolated = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([key, value]) => [key, interpolate(String(value))]));

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
    // The process `npm start` runs: the same node flags.
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start.split(' ');
    expect(start).toEqual(['node', '--max-semi-space-size=4', 'dist/main.js']);
    expect(dockerfile).toMatch(new RegExp(`^CMD \\[${start.map((a) => `"${a}"`).join(', ')}\\]$`, 'm'));
    expect(read('scripts/image-smoke.sh')).toContain(` ${start.join(' ')}\n`);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources.split(/\s+/))
        expect([source, existsSync(join(REPO_ROOT, source))]).toEqual([source, true]);
    }
  });

  it('docker-compose.yml: PostgreSQL, Redis, two api replicas and a worker sharing the database, Prometheus scraping all three, Grafana', () => {
    const compose = yaml('docker-compose.yml');
    const services = compose.services as Record<string, Service>;
    expect(Object.keys(services).sort()).toEqual([
      'api-1',
      'api-2',
      'grafana',
      'postgres',
      'prometheus',
      'redis',
      'worker',
    ]);
    for (const [name, service] of Object.entries(services)) {
      expect([name, typeof service.healthcheck?.test]).toEqual([name, 'object']);
      expect([name, service.restart]).toEqual([name, 'unless-stopped']);
      for (const volume of (service.volumes ?? []) as string[]) {
        const [source] = volume.split(':');
        if (source.startsWith('./')) expect([volume, existsSync(join(REPO_ROOT, source))]).toEqual([volume, true]);
        else expect(Object.keys(compose.volumes as object)).toContain(source);
      }
    }

    // PostgreSQL and Redis: internal only, with health checks the app services wait for.
    const { postgres, redis } = services;
    expect(postgres.image).toBe('postgres:15');
    expect(postgres.ports).toBeUndefined();
    expect(postgres.healthcheck.test).toContain('pg_isready');
    expect(postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    const pg = postgres.environment as Record<string, string>;
    expect(pg.POSTGRES_DB).toBe('nest_mlops');
    expect(pg.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:-.+\}$/); // from the environment, a local default
    expect(redis.image).toBe('redis:7');
    expect(redis.ports).toBeUndefined();
    expect(redis.healthcheck.test.join(' ')).toContain('redis-cli ping');

    // The app services: one image, a valid role and configuration, PostgreSQL as their database.
    const apps = Object.entries(services).filter(([, s]) => s.image === 'nest-mlops:latest');
    expect(apps.map(([name]) => name).sort()).toEqual(['api-1', 'api-2', 'worker']);
    const roles: Record<string, string> = {};
    for (const [name, service] of apps) {
      expect([name, service.build]).toEqual([name, '.']);
      expect([name, service.stop_grace_period]).toEqual([name, expect.stringMatching(/^\d+s$/)]);
      const probe = (service.healthcheck.test as string[]).join(' ');
      const path = /http:\/\/127\.0\.0\.1:8000(\/[^'"]+)/.exec(probe)?.[1];
      expect([name, path]).toEqual([name, '/health/ready']);
      expect(routes).toContain(path);
      expect([name, service.depends_on?.postgres]).toEqual([name, { condition: 'service_healthy' }]);

      const env = interpolated(service.environment as Record<string, string>);
      const config = loadAppConfig(env); // throws on a value the service would refuse at boot
      expect(['all', 'api', 'worker']).toContain(config.SERVICE_ROLE);
      roles[name] = config.SERVICE_ROLE;
      expect(config.LOG_FORMAT).toBe('json');
      const db = new URL(env.DATABASE_URL);
      expect([name, db.protocol, db.hostname, db.port, db.pathname]).toEqual([
        name,
        'postgres:',
        'postgres',
        '5432',
        `/${pg.POSTGRES_DB}`,
      ]);
      expect([name, db.username, db.password]).toEqual([name, pg.POSTGRES_USER, interpolate(pg.POSTGRES_PASSWORD)]);
    }
    expect(roles).toEqual({ 'api-1': 'api', 'api-2': 'api', worker: 'worker' });

    // api replicas: published ports, Redis for the shared rate limit, no volume (their state is in the database).
    expect(services['api-1'].ports).toEqual(['8000:8000']);
    expect(services['api-2'].ports).toEqual(['8001:8000']);
    for (const name of ['api-1', 'api-2']) {
      const service = services[name];
      expect(new URL(interpolate(service.environment.REDIS_URL as string)).hostname).toBe('redis');
      expect([name, service.depends_on?.redis]).toEqual([name, { condition: 'service_healthy' }]);
      // The raw data read-only (holdout comparisons); no volume for models or state.
      expect([name, service.volumes]).toEqual([name, ['nest-mlops-data:/app/data:ro']]);
      expect(service.environment.ADMIN_API_KEY).toBe('${ADMIN_API_KEY:-}');
    }
    // The worker: no published port, the data volume for the raw CSVs.
    expect(services.worker.ports).toBeUndefined();
    expect(services.worker.volumes).toEqual(['nest-mlops-data:/app/data']);
    expect(services.worker.environment.DATA_DIR).toBeUndefined();
    expect(read('Dockerfile')).toMatch(/^\s*DATA_DIR=\/app\/data /m); // the image's DATA_DIR is the volume

    expect(services.prometheus.ports).toEqual(['9090:9090']);
    expect(services.grafana.ports).toEqual(['3000:3000']);
    expect(services.prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    // Prometheus scrapes every app service, each labelled with its role.
    const scrape = yaml('deploy/prometheus/prometheus.yml').scrape_configs as {
      job_name: string;
      static_configs: { targets: string[]; labels?: { role?: string } }[];
    }[];
    const job = scrape.find((c) => c.job_name === 'nest-mlops');
    const targets = job?.static_configs.flatMap((c) => c.targets.map((t) => [t, c.labels?.role]));
    expect(targets?.sort()).toEqual(apps.map(([name]) => [`${name}:8000`, roles[name]]).sort());
  });

  it('Kubernetes: 3 api pods behind the Service, 1 worker with the data claim, PostgreSQL and Redis, probes on routes that exist', () => {
    const listed = (yaml('deploy/k8s/kustomization.yaml').resources as string[]).sort();
    const manifests = readdirSync(join(REPO_ROOT, 'deploy/k8s'))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'secret.example.yaml')
      .sort();
    expect(listed).toEqual(manifests); // `kubectl apply -k` installs every manifest but the example Secret
    const documents = listed.flatMap((f) => loadAll(read(`deploy/k8s/${f}`)) as Resource[]);
    const kinds = documents.map((d) => `${d.kind as string}/${d.metadata.name as string}`).sort();
    expect(kinds).toEqual([
      'Deployment/nest-mlops-api',
      'Deployment/nest-mlops-worker',
      'Deployment/redis',
      'Namespace/nest-mlops',
      'PersistentVolumeClaim/nest-mlops-data',
      'PodDisruptionBudget/nest-mlops-api',
      'Service/nest-mlops',
      'Service/postgres',
      'Service/redis',
      'StatefulSet/postgres',
    ]);
    const find = (kind: string, name: string): Resource => {
      const found = documents.find((d) => d.kind === kind && d.metadata.name === name);
      if (!found) throw new Error(`no ${kind}/${name}`);
      return found;
    };
    const podLabels = (d: Resource): Record<string, string> =>
      d.spec.template.metadata.labels as Record<string, string>;
    const mountOf = (container: Resource, volume: string): string | undefined =>
      (container.volumeMounts as Resource[]).find((m) => m.name === volume)?.mountPath as string | undefined;
    const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    const secret = (loadAll(read('deploy/k8s/secret.example.yaml')) as Resource[])[0];
    const secretData = secret.stringData as Record<string, string>;
    for (const workload of documents.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind as string))) {
      expect(selects(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels)).toBe(true);
      for (const container of workload.spec.template.spec.containers as Resource[]) {
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        // Every secret key read exists in the example Secret.
        for (const variable of (container.env ?? []) as Resource[]) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref)
            expect([variable.name, ref.name, ref.key in secretData]).toEqual([variable.name, 'nest-mlops', true]);
        }
      }
    }

    const api = find('Deployment', 'nest-mlops-api');
    const worker = find('Deployment', 'nest-mlops-worker');
    expect(api.spec.replicas).toBe(3);
    expect(worker.spec.replicas).toBe(1);
    expect(worker.spec.strategy.type).toBe('Recreate');
    const claim = find('PersistentVolumeClaim', 'nest-mlops-data');
    for (const [deployment, role] of [
      [api, 'api'],
      [worker, 'worker'],
    ] as const) {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        expect(routes).toContain(container[probe].httpGet.path);
      }
      // The environment, with the example Secret's values, is one the service accepts; DATABASE_URL from the Secret.
      const env: Record<string, string> = {};
      for (const variable of container.env as Resource[]) {
        env[variable.name] = variable.value ?? secretData[variable.valueFrom.secretKeyRef.key];
      }
      expect(container.env.find((v: Resource) => v.name === 'DATABASE_URL').valueFrom.secretKeyRef.key).toBe(
        'DATABASE_URL',
      );
      const config = loadAppConfig(env);
      expect([deployment.metadata.name, config.SERVICE_ROLE]).toEqual([deployment.metadata.name, role]);
      expect(config.databaseKind).toBe('postgres');
      const claims = (pod.volumes as Resource[]).filter((v) => v.persistentVolumeClaim);
      // The api pods are stateless (scratch emptyDirs only); the worker keeps its raw data on the claim.
      const claimed = claims.map((v) => [v.persistentVolumeClaim.claimName as string, mountOf(container, v.name)]);
      expect(claimed).toEqual(role === 'api' ? [] : [[claim.metadata.name, '/app/data']]);
    }

    // The Service sends traffic to the api pods only.
    const service = find('Service', 'nest-mlops');
    expect(service.spec.ports[0].port).toBe(8000);
    expect(selects(service.spec.selector, podLabels(api))).toBe(true);
    expect(selects(service.spec.selector, podLabels(worker))).toBe(false);
    const pdb = find('PodDisruptionBudget', 'nest-mlops-api');
    expect(selects(pdb.spec.selector.matchLabels, podLabels(api))).toBe(true);
    expect(selects(pdb.spec.selector.matchLabels, podLabels(worker))).toBe(false);

    // PostgreSQL: a StatefulSet with its own volume behind a headless Service, the host of the example DATABASE_URL.
    const postgres = find('StatefulSet', 'postgres');
    const postgresService = find('Service', postgres.spec.serviceName);
    expect(postgresService.spec.clusterIP).toBe('None');
    expect(selects(postgresService.spec.selector, podLabels(postgres))).toBe(true);
    expect(postgres.spec.volumeClaimTemplates).toHaveLength(1);
    const db = new URL(secretData.DATABASE_URL);
    expect([db.hostname, db.port]).toEqual([postgresService.metadata.name, String(postgresService.spec.ports[0].port)]);
    expect(db.password).toBe(secretData.POSTGRES_PASSWORD);
    // Redis: the host of the example REDIS_URL.
    const redisService = find('Service', 'redis');
    expect(selects(redisService.spec.selector, podLabels(find('Deployment', 'redis')))).toBe(true);
    expect(new URL(secretData.REDIS_URL).hostname).toBe(redisService.metadata.name);
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
      'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres',
    ]) {
      expect(steps).toContain(command);
    }
    expect(Object.keys(ci.jobs.test.services as object).sort()).toEqual(['postgres', 'redis']);
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
