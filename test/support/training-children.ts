import { readdirSync, readFileSync } from 'node:fs';

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
