import { Inject, Injectable } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerScript } from '../common/worker-script';
import { AppConfig } from '../config/app-config';
import type { NewPrediction } from './prediction-log.insert';
import { PredictionLogRepository } from './prediction-log.repository';

/** The database the writer thread opens a connection of its own to. */
export type LogWriterTarget =
  { kind: 'sqlite'; path: string; busyTimeoutMs: number } | { kind: 'postgres'; url: string; applicationName: string };

export type LogWriterRequest =
  { id: number; type: 'write'; entries: readonly NewPrediction[] } | { id: number; type: 'close' };
export type LogWriterResponse = { id: number; ok: true } | { id: number; ok: false; message: string };

export const PREDICTION_LOG_WORKER_SCRIPT = Symbol('PREDICTION_LOG_WORKER_SCRIPT');

/** The compiled writer thread next to this file (dist/prediction/prediction-log.worker.js). */
export const compiledPredictionLogWorker = (): WorkerScript => ({
  file: join(__dirname, 'prediction-log.worker.js'),
  execArgv: [],
});

/**
 * The writer thread's heap: each batch arrives as short-lived copies of its entries' strings, written and dropped, so
 * a small young generation is enough; V8's default lets it grow to tens of MB of resident memory under load.
 */
const WRITER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Writes batches of prediction-log entries off the event loop: a worker thread (prediction-log.worker) with its own
 * connection to the application's database runs each batch in one transaction and answers once it is committed, so
 * a batch that `write` resolved is durable and one it rejected is not written. The thread is started with the
 * first batch, and again after a failure (it ends itself then, connection and all). A SQLite database the thread
 * cannot open (`:memory:`) is written on the application's own connection instead.
 */
@Injectable()
export class PredictionLogWriter {
  /** The running thread and the requests it has not answered yet. */
  private thread?: { worker: Worker; pending: Map<number, Pending> };
  private nextId = 1;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: PredictionLogRepository,
    @Inject(PREDICTION_LOG_WORKER_SCRIPT) private readonly script: WorkerScript,
  ) {}

  write(entries: readonly NewPrediction[]): Promise<void> {
    const target = this.target();
    if (!target) return this.repository.insert(entries);
    return this.send(target, { type: 'write', entries });
  }

  /** Ends the writer thread once what it was sent is written (after the last `write`). */
  async close(): Promise<void> {
    const target = this.target();
    const thread = this.thread;
    if (!thread || !target) return;
    await this.send(target, { type: 'close' }).catch(() => undefined);
    await thread.worker.terminate();
  }

  private target(): LogWriterTarget | undefined {
    const { config } = this;
    if (config.DATABASE_URL) {
      return { kind: 'postgres', url: config.DATABASE_URL, applicationName: `nest-mlops:${config.SERVICE_ROLE}:log` };
    }
    if (config.databasePath === ':memory:') return undefined;
    return { kind: 'sqlite', path: config.databasePath, busyTimeoutMs: config.DATABASE_BUSY_TIMEOUT_MS };
  }

  private send(
    target: LogWriterTarget,
    request: { type: 'write'; entries: readonly NewPrediction[] } | { type: 'close' },
  ): Promise<void> {
    const thread = (this.thread ??= this.start(target));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, ...request } satisfies LogWriterRequest);
    });
  }

  private start(target: LogWriterTarget): { worker: Worker; pending: Map<number, Pending> } {
    const worker = new Worker(this.script.file, {
      execArgv: this.script.execArgv,
      workerData: target,
      resourceLimits: WRITER_HEAP_LIMITS,
    });
    const thread = { worker, pending: new Map<number, Pending>() };
    worker.unref();
    // The thread ends after a failure (or when closed): the next batch goes to a new one.
    const retire = (): void => {
      if (this.thread === thread) this.thread = undefined;
    };
    worker.on('message', (message: LogWriterResponse) => {
      const pending = thread.pending.get(message.id);
      thread.pending.delete(message.id);
      if (message.ok) return pending?.resolve();
      retire();
      pending?.reject(new Error(message.message));
    });
    const failAll = (error: Error): void => {
      retire();
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    worker.on('error', (error: unknown) =>
      failAll(
        error instanceof Error ? error : new Error(`the prediction-log writer thread failed: ${JSON.stringify(error)}`),
      ),
    );
    worker.on('exit', (code) => failAll(new Error(`the prediction-log writer thread exited (code ${code})`)));
    return thread;
  }
}
