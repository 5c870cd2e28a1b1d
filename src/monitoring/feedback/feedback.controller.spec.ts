import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ApiKeyGuard } from '../../common/auth/api-key.guard';
import { AllExceptionsFilter } from '../../common/http/all-exceptions.filter';
import { AppValidationPipe } from '../../common/http/validation.pipe';
import { AppConfig, loadAppConfig } from '../../config/app-config';
import type { FeedbackAnswerDto, FeedbackBatchAnswerDto } from './dto/feedback.dto';
import { FeedbackController } from './feedback.controller';
import { FeedbackConflictError } from './feedback.errors';
import { FeedbackService } from './feedback.service';

const CLIENT_KEY = 'client-key-0123456789';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const CLIENT = { 'x-api-key': CLIENT_KEY };

const answer = (status: 'accepted' | 'duplicate'): FeedbackAnswerDto => ({
  status,
  requestId: 'req-1',
  row: 0,
  model: 'housing',
  version: 1,
  outcomes: [],
});

/** The HTTP side of POST /feedback: keys, validation, statuses (the service is mocked). */
describe(FeedbackController.name, () => {
  let app: NestFastifyApplication;
  const submit = jest.fn<Promise<FeedbackAnswerDto | FeedbackBatchAnswerDto>, [unknown]>();
  const post = (payload: unknown, headers: Record<string, string> = CLIENT) =>
    app.inject({
      method: 'POST',
      url: '/feedback',
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json', ...headers },
    });

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [FeedbackController],
      providers: [
        { provide: FeedbackService, useValue: { submit } },
        { provide: AppConfig, useValue: loadAppConfig({ API_KEYS: CLIENT_KEY, ADMIN_API_KEY: ADMIN_KEY }) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());
  beforeEach(() => submit.mockReset());

  it('takes a prediction client’s key (as the prediction routes do), and refuses requests without one', async () => {
    submit.mockResolvedValue(answer('accepted'));
    expect((await post({ requestId: 'req-1', actual: 1 })).statusCode).toBe(201);
    expect((await post({ requestId: 'req-1', actual: 1 }, { authorization: `Bearer ${ADMIN_KEY}` })).statusCode).toBe(
      201,
    );
    const anonymous = await post({ requestId: 'req-1', actual: 1 }, {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    expect(submit).toHaveBeenCalledTimes(2);
  });

  it('answers 201 for a stored item, 200 for a duplicate and for a list, and the service’s errors in the error shape', async () => {
    submit.mockResolvedValueOnce(answer('accepted'));
    const created = await post({ requestId: 'req-1', row: 0, actual: 2.31 });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual(answer('accepted'));
    expect(submit).toHaveBeenCalledWith(expect.objectContaining({ requestId: 'req-1', row: 0, actual: 2.31 }));

    submit.mockResolvedValueOnce(answer('duplicate'));
    expect((await post({ requestId: 'req-1', actual: 2.31 })).statusCode).toBe(200);
    submit.mockResolvedValueOnce({ accepted: 1, duplicates: 0, rejected: 0, results: [] });
    expect((await post({ items: [{ requestId: 'req-1', actual: 2.31 }] })).statusCode).toBe(200);

    submit.mockRejectedValueOnce(new FeedbackConflictError());
    const conflict = await post({ requestId: 'req-1', actual: 3 });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({
      statusCode: 409,
      code: 'FEEDBACK.CONFLICT',
      requestId: expect.any(String),
    });
  });

  it('refuses bodies that break the rules with 400 naming each field and rule, never the value sent', async () => {
    const secret = 'zz-secret-value';
    const cases: [unknown, { field: string; rule: string }[]][] = [
      [
        {},
        [
          { field: 'requestId', rule: 'isDefined' },
          { field: 'actual', rule: 'isDefined' },
        ],
      ],
      [{ requestId: 'a', predictionId: 'b', actual: 1 }, [{ field: 'requestId', rule: 'notWith' }]],
      [{ predictionId: '', actual: 1 }, [{ field: 'predictionId', rule: 'isLength' }]],
      [{ requestId: 'a'.repeat(129), actual: 1 }, [{ field: 'requestId', rule: 'isLength' }]],
      [{ requestId: 'a', actual: [secret] }, [{ field: 'actual', rule: 'isActual' }]],
      [{ requestId: 'a', actual: 'x'.repeat(257) }, [{ field: 'actual', rule: 'isActual' }]],
      [{ requestId: 'a', actual: null }, [{ field: 'actual', rule: 'isDefined' }]],
      [{ requestId: 'a', actual: 1, row: '1' }, [{ field: 'row', rule: 'isInt' }]],
      [{ requestId: 'a', actual: 1, extra: secret }, [{ field: 'extra', rule: 'whitelistValidation' }]],
      [{ items: [{}], requestId: 'a' }, [{ field: 'items', rule: 'alone' }]],
      [{ items: {} }, [{ field: 'items', rule: 'isArray' }]],
      [
        [secret],
        [
          { field: '0', rule: 'whitelistValidation' },
          { field: 'requestId', rule: 'isDefined' },
          { field: 'actual', rule: 'isDefined' },
        ],
      ],
    ];
    for (const [body, problems] of cases) {
      const res = await post(body);
      expect([JSON.stringify(body), res.statusCode]).toEqual([JSON.stringify(body), 400]);
      expect(res.json().errors).toEqual(problems.map((p): unknown => expect.objectContaining(p)));
      expect(res.body).not.toContain(secret);
    }
    expect(submit).not.toHaveBeenCalled();
  });
});
