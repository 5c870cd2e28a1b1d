import { asInstance, newRunRepositoryMock, RunRepositoryMock, runEntity } from '../../test/support/mock-repositories';
import { ListRunsQueryDto } from './dto/run.dto';
import { ExperimentEntity } from './entities/experiment.entity';
import { RunRepository } from './run.repository';
import { RunsService } from './runs.service';
import { RunNotFoundError } from './training.errors';

const experiment = (id: number, name: string): ExperimentEntity =>
  Object.assign(new ExperimentEntity(), { id, name, createdAt: new Date(`2024-01-0${id}T00:00:00Z`) });

describe(RunsService.name, () => {
  let sut: RunsService;
  let runs: RunRepositoryMock;

  beforeEach(() => {
    runs = newRunRepositoryMock();
    sut = new RunsService(asInstance<RunRepository>(runs));
  });

  describe('experiments', () => {
    it('lists each experiment with its run count', async () => {
      runs.listExperiments.mockResolvedValue([
        { experiment: experiment(1, 'toy'), runCount: 3 },
        { experiment: experiment(2, 'iris'), runCount: 0 },
      ]);
      await expect(sut.experiments()).resolves.toEqual([
        { id: 1, name: 'toy', runCount: 3, createdAt: new Date('2024-01-01T00:00:00Z') },
        { id: 2, name: 'iris', runCount: 0, createdAt: new Date('2024-01-02T00:00:00Z') },
      ]);
    });
  });

  describe('list', () => {
    it('passes the filters to the repository and names the model `model`', async () => {
      const query = Object.assign(new ListRunsQueryDto(), { model: 'toy', status: 'failed' as const, limit: 5 });
      runs.listRuns.mockResolvedValue([
        runEntity({ id: 'r1', modelName: 'toy', status: 'failed', error: 'boom', experiment: experiment(1, 'toy') }),
      ]);

      const listed = await sut.list(query);

      expect(runs.listRuns).toHaveBeenCalledWith(query);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: 'r1', model: 'toy', status: 'failed', error: 'boom' });
      expect(listed[0]).not.toHaveProperty('modelName');
      expect(listed[0]).not.toHaveProperty('experiment');
    });
  });

  describe('get', () => {
    it('returns the run', async () => {
      runs.findRun.mockResolvedValue(runEntity({ id: 'r2', candidate: 'gbdt', metrics: { rmse: 0.3 } }));
      await expect(sut.get('r2')).resolves.toMatchObject({
        id: 'r2',
        model: 'toy',
        candidate: 'gbdt',
        metrics: { rmse: 0.3 },
      });
      expect(runs.findRun).toHaveBeenCalledWith('r2');
    });

    it('throws TRAINING.RUN_NOT_FOUND for an unknown id', async () => {
      runs.findRun.mockResolvedValue(null);
      const call = sut.get('missing');
      await expect(call).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(call).rejects.toMatchObject({ code: 'TRAINING.RUN_NOT_FOUND', message: 'No run with id missing' });
    });
  });
});
