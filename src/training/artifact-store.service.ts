import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { sha256 } from '../common/crypto/sha256.util';
import { writeFileAtomic } from '../common/fs/atomic-write.util';
import { AppConfig } from '../config/app-config';
import { ModelFormatError } from '../ml/model-format.error';
import { decodeArtifact, encodeArtifact, ModelArtifact } from './model-artifact';
import type { Estimator } from './models/estimator';

export interface StoredArtifact {
  /** A file path (SQLite), or `db://artifacts/<sha256>` (PostgreSQL). */
  path: string;
  sha256: string;
  bytes: number;
}

/** Where an artifact is, as a run records it. */
export interface ArtifactRef {
  path: string;
  sha256: string;
}

const IN_DATABASE = 'db://artifacts/';

/** An artifact no run records, left by a process that stopped between writing it and recording it on its run. */
export interface StrayArtifact {
  model: string;
  /** A file path (SQLite), or `db://artifacts/<sha256>` (PostgreSQL). */
  path: string;
  bytes: number;
  /** `unreferenced`: a whole artifact; `interrupted_write`: the temporary file of a write that never finished. */
  reason: 'unreferenced' | 'interrupted_write';
}

/** The temporary file of an atomic write (see writeFileAtomic): `<target>.<pid>.<random>.tmp`. */
const TEMPORARY_FILE = /\.json\.\d+\.[0-9a-f]+\.tmp$/;
/** An artifact file: `<run id>.json`. */
const ARTIFACT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

/**
 * Where model artifacts live. On SQLite, files under MODELS_DIR (`<model>/runs/<runId>.json`, written atomically).
 * On PostgreSQL, rows of the `artifacts` table addressed by their sha256, so every replica reads what any worker
 * wrote without a shared volume. Either way the sha256 is checked on every read.
 */
@Injectable()
export class ArtifactStore {
  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async write(envelope: Omit<ModelArtifact, 'estimator'>, estimatorJson: string): Promise<StoredArtifact> {
    const data = encodeArtifact(envelope, estimatorJson);
    const digest = sha256(data);
    if (this.config.DATABASE_URL) {
      await this.dataSource.query(
        `INSERT INTO "artifacts" ("sha256", "bytes", "content") VALUES ($1, $2, $3) ON CONFLICT ("sha256") DO NOTHING`,
        [digest, data.length, data],
      );
      return { path: `${IN_DATABASE}${digest}`, sha256: digest, bytes: data.length };
    }
    const path = join(this.config.MODELS_DIR, envelope.model, 'runs', `${envelope.runId}.json`);
    await writeFileAtomic(path, data);
    return { path, sha256: digest, bytes: data.length };
  }

  /** Reads and verifies an artifact; ModelFormatError when it is missing, altered or malformed. */
  async read(path: string, expectedSha256: string): Promise<{ artifact: ModelArtifact; estimator: Estimator }> {
    return decodeArtifact(await this.bytes(path), expectedSha256, path);
  }

  /**
   * The size in bytes of each artifact that is stored (absent from the map: not stored, or not readable here), keyed
   * by its path.
   */
  async sizes(refs: readonly ArtifactRef[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    const inDatabase = refs.filter((r) => r.path.startsWith(IN_DATABASE));
    if (inDatabase.length > 0 && this.config.DATABASE_URL) {
      const rows = await this.dataSource.query<{ sha256: string; bytes: number }[]>(
        `SELECT "sha256", "bytes" FROM "artifacts" WHERE "sha256" = ANY($1)`,
        [[...new Set(inDatabase.map((r) => r.sha256))]],
      );
      const bytes = new Map(rows.map((r) => [r.sha256, Number(r.bytes)]));
      for (const ref of inDatabase) if (bytes.has(ref.sha256)) sizes.set(ref.path, bytes.get(ref.sha256)!);
    }
    for (const ref of refs.filter((r) => !r.path.startsWith(IN_DATABASE))) {
      const found = await stat(ref.path).catch(() => undefined);
      if (found?.isFile()) sizes.set(ref.path, found.size);
    }
    return sizes;
  }

  /**
   * Deletes the artifact of a run whose `artifact_pruned_at` is set, and returns the bytes freed. A file goes at
   * once (a missing one frees 0 bytes). A database row is content-addressed: it goes only when no run whose artifact
   * is kept points at the same sha256 (0 bytes freed otherwise). Only for artifacts retention has marked pruned.
   */
  async remove(ref: ArtifactRef): Promise<number> {
    if (ref.path.startsWith(IN_DATABASE)) {
      if (!this.config.DATABASE_URL) return 0;
      const sha = ref.path.slice(IN_DATABASE.length);
      const [rows] = await this.dataSource.query<[{ bytes: number }[], number]>(
        `DELETE FROM "artifacts" WHERE "sha256" = $1 AND NOT EXISTS ` +
          `(SELECT 1 FROM "runs" WHERE "artifact_sha256" = $1 AND "artifact_pruned_at" IS NULL) RETURNING "bytes"`,
        [sha],
      );
      return rows.reduce((sum, r) => sum + Number(r.bytes), 0);
    }
    const found = await stat(ref.path).catch(() => undefined);
    if (!found?.isFile()) return 0;
    await rm(ref.path, { force: true });
    return found.size;
  }

  /**
   * Artifacts stored before `before` that no run records (`recorded`: the ids of the runs that record an artifact,
   * pruned or not). On SQLite the files `MODELS_DIR/<model>/runs/<run id>.json` of other runs (matched by run id, not
   * path, so a MODELS_DIR spelled differently since cannot make a recorded artifact look stray), and temporary files
   * of writes that never finished; on PostgreSQL the rows of the artifacts table no run points at, their model read
   * from their content.
   */
  async strays(recorded: ReadonlySet<string>, before: Date): Promise<StrayArtifact[]> {
    if (this.config.DATABASE_URL) return this.strayRows(before);
    const strays: StrayArtifact[] = [];
    const models = await readdir(this.config.MODELS_DIR, { withFileTypes: true }).catch(() => []);
    for (const model of models.filter((entry) => entry.isDirectory())) {
      const folder = join(this.config.MODELS_DIR, model.name, 'runs');
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        const temporary = TEMPORARY_FILE.test(name);
        const runId = ARTIFACT_FILE.exec(name)?.[1];
        if (!temporary && (runId === undefined || recorded.has(runId))) continue;
        const path = join(folder, name);
        const found = await stat(path).catch(() => undefined);
        if (!found?.isFile() || found.mtime >= before) continue;
        strays.push({
          model: model.name,
          path,
          bytes: found.size,
          reason: temporary ? 'interrupted_write' : 'unreferenced',
        });
      }
    }
    return strays;
  }

  private async strayRows(before: Date): Promise<StrayArtifact[]> {
    const rows = await this.dataSource.query<{ sha256: string; bytes: number }[]>(
      `SELECT a."sha256", a."bytes" FROM "artifacts" a WHERE a."created_at" < $1 AND NOT EXISTS ` +
        `(SELECT 1 FROM "runs" r WHERE r."artifact_sha256" = a."sha256")`,
      [before],
    );
    const strays: StrayArtifact[] = [];
    for (const row of rows) {
      const path = `${IN_DATABASE}${row.sha256}`;
      strays.push({ model: await this.modelOf(path), path, bytes: Number(row.bytes), reason: 'unreferenced' });
    }
    return strays;
  }

  /** The model an artifact belongs to, from its content ('unknown' when it cannot be read). */
  private async modelOf(path: string): Promise<string> {
    try {
      const model = (JSON.parse((await this.bytes(path)).toString('utf8')) as { model?: unknown }).model;
      return typeof model === 'string' ? model : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /**
   * Deletes a stray artifact (see strays) and returns the bytes freed; a database row only if still no run points at
   * it (a file is old enough that no write in progress can be about to record it).
   */
  async removeStray(stray: StrayArtifact): Promise<number> {
    if (!stray.path.startsWith(IN_DATABASE)) return this.remove({ path: stray.path, sha256: '' });
    if (!this.config.DATABASE_URL) return 0;
    const [rows] = await this.dataSource.query<[{ bytes: number }[], number]>(
      `DELETE FROM "artifacts" WHERE "sha256" = $1 AND NOT EXISTS ` +
        `(SELECT 1 FROM "runs" WHERE "artifact_sha256" = $1) RETURNING "bytes"`,
      [stray.path.slice(IN_DATABASE.length)],
    );
    return rows.reduce((sum, r) => sum + Number(r.bytes), 0);
  }

  private async bytes(path: string): Promise<Buffer> {
    if (!path.startsWith(IN_DATABASE)) return readFile(path);
    if (!this.config.DATABASE_URL)
      throw new ModelFormatError(`${path}: stored in PostgreSQL, but DATABASE_URL is unset`);
    const rows = await this.dataSource.query<{ content: Buffer }[]>(
      `SELECT "content" FROM "artifacts" WHERE "sha256" = $1`,
      [path.slice(IN_DATABASE.length)],
    );
    if (rows.length === 0) throw new ModelFormatError(`${path}: no such artifact in the database`);
    return rows[0].content;
  }
}
