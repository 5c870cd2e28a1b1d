import { parentPort } from 'node:worker_threads';
import { runTrainingJob, TrainingJob } from '../training-job';

/**
 * Worker-thread entry: fits one candidate so that the process serving predictions never stalls. Messages out:
 * `progress` while fitting, then one `result` or one `error`.
 */
if (!parentPort) throw new Error('training.worker must run in a worker thread');
const port = parentPort;

port.once('message', (job: TrainingJob) => {
  try {
    const result = runTrainingJob(job, (progress) => port.postMessage({ type: 'progress', progress }));
    port.postMessage({ type: 'result', result });
  } catch (error) {
    const { message, stack } = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ type: 'error', message, stack });
  }
});
