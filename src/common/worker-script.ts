/** Which script a worker thread runs, and with which Node flags. Tests point it at the TypeScript source. */
export interface WorkerScript {
  file: string;
  execArgv: string[];
}
