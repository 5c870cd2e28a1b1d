import { Inject, Injectable } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerScript } from '../../common/worker-script';
import type { JobProgress, TrainingJob, TrainingResult } from '../training-job';

/** Which script the training worker runs, and with which Node flags. Tests point it at the TypeScript source. */
export type TrainingWorkerScript = WorkerScript;

export const TRAINING_WORKER_SCRIPT = Symbol('TRAINING_WORKER_SCRIPT');

/** The compiled worker next to this file (dist/training/worker/training.worker.js). */
export const compiledTrainingWorker = (): TrainingWorkerScript => ({
  file: join(__dirname, 'training.worker.js'),
  execArgv: [],
});

type WorkerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'result'; result: TrainingResult }
  | { type: 'error'; message: string; stack?: string };

/** Fits a candidate in a fresh worker thread per job; the event loop of the caller stays free. */
@Injectable()
export class TrainingWorkerClient {
  constructor(@Inject(TRAINING_WORKER_SCRIPT) private readonly script: TrainingWorkerScript) {}

  run(job: TrainingJob, onProgress?: (progress: JobProgress) => void): Promise<TrainingResult> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.script.file, { execArgv: this.script.execArgv });
      let settled = false;
      const finish = (action: () => void): void => {
        if (settled) return;
        settled = true;
        action();
        void worker.terminate();
      };
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'progress':
            onProgress?.(message.progress);
            break;
          case 'result':
            finish(() => resolve(message.result));
            break;
          case 'error':
            finish(() => reject(Object.assign(new Error(message.message), { stack: message.stack })));
            break;
        }
      });
      worker.on('error', (error) => finish(() => reject(error)));
      worker.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code}`))));
      worker.postMessage(job);
    });
  }
}
