import { runTrainingJob, TrainingJob } from '../training-job';

/**
 * Child-process entry (see TrainingWorkerClient): fits one candidate so that the process serving predictions never
 * stalls, then exits, which returns every byte the fit used to the system. Messages out: `progress` while fitting,
 * then one `result` or one `error`.
 */
if (!process.send) throw new Error('training.worker must run as a child process with an IPC channel');
const send = process.send.bind(process);
const parent = process.ppid;

/** The parent is gone (killed, crashed): nobody waits for this fit, so it stops at the next progress report. */
const orphaned = (): boolean => process.ppid !== parent;
/** The channel closed before the answer (the parent is going): nobody reads the fit either. */
const abandoned = (): never => process.exit(1);
process.once('disconnect', abandoned);

process.once('message', (job: TrainingJob) => {
  let message: object;
  try {
    const result = runTrainingJob(job, (progress) => {
      if (orphaned()) process.exit(1);
      send({ type: 'progress', progress });
    });
    message = { type: 'result', result };
  } catch (error) {
    const { message: text, stack } = error instanceof Error ? error : new Error(String(error));
    message = { type: 'error', message: text, stack };
  }
  // Once the answer is handed to the channel, closing it leaves nothing to wait for: the process exits with code 0.
  send(message, () => {
    process.off('disconnect', abandoned);
    process.disconnect();
  });
});
