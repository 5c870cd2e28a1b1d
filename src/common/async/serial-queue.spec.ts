import { SerialQueue } from './serial-queue';

describe('SerialQueue', () => {
  it('runs queued work one at a time, in order, past a failure', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      () =>
        new Promise<string>((resolve, reject) => {
          events.push(`start ${name}`);
          setTimeout(() => {
            events.push(`end ${name}`);
            if (fail) reject(new Error(name));
            else resolve(name);
          }, ms);
        });
    const results = await Promise.allSettled([
      queue.run(step('a', 30)),
      queue.run(step('b', 5, true)),
      queue.run(step('c', 1)),
    ]);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
