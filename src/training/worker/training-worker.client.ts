import { Inject, Injectable } from '@nestjs/common';
import { join } from 'node:path';
import { ChildProcess, fork } from 'node:child_process';
import type { WorkerScript } from '../../common/worker-script';
import type { JobProgress, TrainingJob, TrainingResult } from '../training-job';

/** Which script the training child process runs, and with which Node flags. Tests point it at the TypeScript source. */
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

/** Children still fitting: killed when this process exits, whatever the reason. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Fits a candidate in a fresh child process per job (`child_process.fork`, structured-clone messages): the event
 * loop of the caller stays free, and when the job ends the child exits and its memory goes back to the system. (A
 * worker thread's freed buffers stayed in the C allocator's arena of the serving process: ~50 MB of resident memory
 * after the first training, never returned.)
 */
@Injectable()
export class TrainingWorkerClient {
  constructor(@Inject(TRAINING_WORKER_SCRIPT) private readonly script: TrainingWorkerScript) {}

  run(job: TrainingJob, onProgress?: (progress: JobProgress) => void): Promise<TrainingResult> {
    return new Promise((resolve, reject) => {
      const worker = fork(this.script.file, [], {
        execArgv: this.script.execArgv,
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      running.add(worker);
      let settled = false;
      const finish = (action: () => void): void => {
        running.delete(worker);
        if (settled) return;
        settled = true;
        action();
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
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
      worker.on('exit', (code, signal) =>
        finish(() => reject(new Error(`training worker exited with ${signal ? `signal ${signal}` : `code ${code}`}`))),
      );
      worker.send(job);
    });
  }
}
