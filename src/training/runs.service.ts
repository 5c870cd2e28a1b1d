import { Injectable } from '@nestjs/common';
import { ExperimentDto, ListRunsQueryDto, RunDto } from './dto/run.dto';
import { RunRepository } from './run.repository';
import { RunNotFoundError } from './training.errors';

/** Read side of the tracked runs. */
@Injectable()
export class RunsService {
  constructor(private readonly runs: RunRepository) {}

  async experiments(): Promise<ExperimentDto[]> {
    const rows = await this.runs.listExperiments();
    return rows.map(({ experiment, runCount }) => ExperimentDto.from(experiment, runCount));
  }

  async list(query: ListRunsQueryDto): Promise<RunDto[]> {
    const runs = await this.runs.listRuns(query);
    return runs.map((run) => RunDto.from(run));
  }

  async get(id: string): Promise<RunDto> {
    const run = await this.runs.findRun(id);
    if (!run) throw new RunNotFoundError(id);
    return RunDto.from(run);
  }
}
