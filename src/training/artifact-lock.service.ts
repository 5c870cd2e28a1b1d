import { Injectable } from '@nestjs/common';
import { SerialQueue } from '../common/async/serial-queue';

/**
 * Keeps apart, within this process, the two kinds of transaction that decide whether an artifact is in use: one
 * that points something at a version (an alias move, a traffic policy), which checks that the version's artifact
 * was not pruned, and one that marks a run's artifact pruned, which checks that nothing points at it. Across
 * processes (PostgreSQL) the lock both take on the run's row orders them; within a process on SQLite every
 * transaction shares one connection, so without this their statements could interleave.
 */
@Injectable()
export class ArtifactLock {
  private readonly queue = new SerialQueue();

  /** Runs `work` once every earlier holder has finished; the lock is released however `work` ends. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(work);
  }
}
