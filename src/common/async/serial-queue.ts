/**
 * Runs async work one piece at a time, in the order it was queued: each piece starts once every earlier one has
 * finished, however that one ended (its failure goes to its own caller only).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
