import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../src/config/app-config';
import { DataFileError, DataSourceUnavailableError } from '../src/data/data.errors';
import { HousingDataset } from '../src/data/housing/housing.dataset';
import { fixture } from './support/housing-data';

/** Serves fixture files over HTTP on loopback, as the public CSV would be served. */
function serve(files: Record<string, Buffer>): Promise<Server> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('housing download (e2e)', () => {
  let server: Server;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    server = await serve({ '/housing.csv': fixture('valid.csv'), '/bad.csv': fixture('wrong-header.csv') });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mlops-download-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const dataset = (url: string, timeout = '2000') =>
    new HousingDataset(loadAppConfig({ DATA_DIR: dir, HOUSING_CSV_URL: url, DOWNLOAD_TIMEOUT_MS: timeout }));

  it('downloads the CSV when the local file is absent, validates it, then saves it atomically', async () => {
    const table = await dataset(`${base}/housing.csv`).load();
    expect(table.source).toBe(`${base}/housing.csv`);
    expect(table.rowsRead).toBe(5);
    const local = join(dir, 'raw', 'california_housing.csv');
    expect(readFileSync(local)).toEqual(fixture('valid.csv'));
    expect(readdirSync(join(dir, 'raw'))).toEqual(['california_housing.csv']);
    // The next load reads the saved file and gets the same version.
    const again = await dataset(`${base}/missing.csv`).load();
    expect(again.source).toBe(local);
    expect(again.version).toBe(table.version);
  });

  it('explains an unreachable source and how to fix it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/housing.csv`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await dataset(url)
      .load()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataSourceUnavailableError);
    expect((error as Error).message).toMatch(
      /raw\/california_housing\.csv does not exist and downloading http:\/\/127\.0\.0\.1:\d+\/housing\.csv failed \(ECONNREFUSED\)\. Copy the CSV to .* or point HOUSING_CSV_PATH at it\./,
    );
  });

  it('reports an HTTP error status', async () => {
    await expect(dataset(`${base}/missing.csv`).load()).rejects.toThrow(/failed \(HTTP 404 Not Found\)/);
  });

  it('does not save a downloaded file that fails validation', async () => {
    await expect(dataset(`${base}/bad.csv`).load()).rejects.toBeInstanceOf(DataFileError);
    expect(existsSync(join(dir, 'raw', 'california_housing.csv'))).toBe(false);
  });

  it('gives up after the configured timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/housing.csv`;
    try {
      await expect(dataset(url, '300').load()).rejects.toThrow(/failed \(timed out\)/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
