import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AllExceptionsFilter } from '../../common/http/all-exceptions.filter';
import { AppValidationPipe } from '../../common/http/validation.pipe';
import { ModelNotFoundError } from '../../definitions/definition.errors';
import { PerformanceController } from './performance.controller';
import { PerformanceService } from './performance.service';

/** The HTTP side of GET /monitoring/performance: query validation and errors (the service is mocked). */
describe(PerformanceController.name, () => {
  let app: NestFastifyApplication;
  const report = jest.fn();
  const get = (query: string) => app.inject({ method: 'GET', url: `/monitoring/performance?${query}` });

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [PerformanceController],
      providers: [
        { provide: PerformanceService, useValue: { report } },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());
  beforeEach(() => report.mockReset());

  it('passes the model, window, step and policy on as numbers', async () => {
    report.mockResolvedValue({ model: 'california-housing' });
    const res = await get('model=housing&windowSeconds=3600&stepSeconds=60&policyId=7');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ model: 'california-housing' });
    expect(report).toHaveBeenCalledWith('housing', 3600, expect.objectContaining({ stepSeconds: 60, policyId: 7 }));
    await get('model=iris');
    expect(report).toHaveBeenLastCalledWith('iris', undefined, expect.objectContaining({ stepSeconds: undefined }));
  });

  it('refuses a missing or malformed model, and windows, steps and policies out of range (400 naming each)', async () => {
    for (const [query, field, rule] of [
      ['', 'model', 'isString'],
      ['model=Not%20A%20Name', 'model', 'matches'],
      ['model=iris&windowSeconds=59', 'windowSeconds', 'min'],
      ['model=iris&windowSeconds=31536001', 'windowSeconds', 'max'],
      ['model=iris&windowSeconds=abc', 'windowSeconds', 'isInt'],
      ['model=iris&stepSeconds=0', 'stepSeconds', 'min'],
      ['model=iris&policyId=-1', 'policyId', 'min'],
      ['model=iris&extra=1', 'extra', 'whitelistValidation'],
    ]) {
      const res = await get(query);
      expect([query, res.statusCode]).toEqual([query, 400]);
      expect(res.json().errors).toEqual([expect.objectContaining({ field, rule })]);
    }
    expect(report).not.toHaveBeenCalled();
  });

  it('answers an unknown model with 404 REGISTRY.MODEL_NOT_FOUND', async () => {
    report.mockRejectedValue(new ModelNotFoundError('nope', ['iris']));
    const res = await get('model=nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'REGISTRY.MODEL_NOT_FOUND' });
  });
});
