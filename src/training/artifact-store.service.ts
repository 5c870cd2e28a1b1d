import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { readFile } from 'node:fs/promises';
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

const IN_DATABASE = 'db://artifacts/';

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
