import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from './service-process';

/** The pids of the training child processes (training.worker, compiled or from source) of a process. */
export function trainingChildren(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === parent && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('training.worker');
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

/** Whether a process still runs (a zombie waiting for its parent counts as gone). */
export function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The training children of `parent` once at least one runs (polled every 100 ms for up to 10 s, or until `stop()`):
 * a fit starts after its data is prepared, and one candidate's process ends before the next one's starts.
 */
export async function fittingChildren(parent: number, stop: () => boolean = () => false): Promise<number[]> {
  let children = trainingChildren(parent);
  for (let i = 0; i < 100 && children.length === 0 && !stop(); i++) {
    await sleep(100);
    children = trainingChildren(parent);
  }
  return children;
}

/** The processes of `pids` still running after up to `ms` of polling (none, when they all ended). */
export async function stillAlive(pids: readonly number[], ms: number): Promise<number[]> {
  for (let waited = 0; waited < ms && pids.some(alive); waited += 100) await sleep(100);
  return pids.filter(alive);
}
