import {
  Body,
  CallHandler,
  CanActivate,
  Controller,
  ExecutionContext,
  HttpCode,
  Injectable,
  NestInterceptor,
  Param,
  Post,
  Query,
  SetMetadata,
  Type,
  UseInterceptors,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { IsInt, Matches, Max } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Observable, of } from 'rxjs';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { DirectRoute, installDirectRoutes } from './direct-route';
import { RequestId } from './request-id.decorator';
import { AppValidationPipe, Prechecked } from './validation.pipe';

const LOCKED = 'locked';

/** Refuses requests with `x-deny`, and a handler marked LOCKED; resolves asynchronously with `x-slow`. */
@Injectable()
class TestGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.reflector.get<boolean>(LOCKED, context.getHandler())) return false;
    const allowed = request.headers['x-deny'] === undefined;
    if (request.headers['x-observable']) return of(allowed);
    return request.headers['x-slow'] ? Promise.resolve(allowed) : allowed;
  }
}

class NameDto {
  @Matches(/^[a-z]+$/, { message: 'name must be lowercase letters' })
  name!: string;
}

let prechecked = 0;
@Prechecked((value) => {
  prechecked++;
  const body = value as { n?: unknown } | null;
  return typeof body === 'object' && body !== null && Object.keys(body).length === 1 && body.n === 1;
})
class CountDto {
  @IsInt()
  @Max(10)
  n!: number;
}

/** What a header-setting interceptor does to an answer (the direct route runs its registered effect instead). */
@Injectable()
class EchoInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

/** Records whether a call came through Nest's router (its execution context is on the stack) or directly. */
const stacks: string[] = [];
const viaNest = (): boolean => stacks.at(-1)!.includes('router-execution-context');

@UseInterceptors(EchoInterceptor)
@Controller()
class TestController {
  @Post('direct/:name')
  @HttpCode(200)
  @DirectRoute()
  direct(@Param() params: NameDto, @Body() body: CountDto, @RequestId() id: string): object {
    stacks.push(new Error().stack ?? '');
    return { name: params.name, n: body.n, id };
  }

  @Post('created')
  @DirectRoute()
  async created(@Body() body: CountDto): Promise<object> {
    stacks.push(new Error().stack ?? '');
    await new Promise((resolve) => setImmediate(resolve));
    if (body.n === 7) throw new Error('seven is internal');
    return { n: body.n };
  }

  @Post('locked')
  @DirectRoute()
  @SetMetadata(LOCKED, true)
  locked(): object {
    return {};
  }

  @Post('routed')
  @HttpCode(200)
  routed(@Body() body: CountDto): object {
    stacks.push(new Error().stack ?? '');
    return { n: body.n };
  }
}

@Controller()
class QueryController {
  @Post('query')
  @DirectRoute()
  query(@Query() query: object): object {
    return query;
  }
}

async function start(controller: Type<object>): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    controllers: [controller],
    providers: [
      TestGuard,
      { provide: APP_GUARD, useExisting: TestGuard },
      AppValidationPipe,
      { provide: APP_PIPE, useExisting: AppValidationPipe },
      AllExceptionsFilter,
      { provide: APP_FILTER, useExisting: AllExceptionsFilter },
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    new FastifyAdapter({
      genReqId: (request: { headers: IncomingMessage['headers'] }) => String(request.headers['x-request-id']),
    }),
    { logger: false },
  );
  installDirectRoutes(app.getHttpAdapter().getInstance(), {
    instanceOf: (type) => app.get(type),
    guards: [app.get(TestGuard)],
    pipe: app.get(AppValidationPipe),
    filter: app.get(AllExceptionsFilter),
    interceptors: new Map([
      [EchoInterceptor, (answer: unknown, reply: FastifyReply) => void reply.header('x-echo', typeof answer)],
    ]),
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('direct routes', () => {
  let app: NestFastifyApplication;
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: body as object, headers: { 'x-request-id': 'req-1', ...headers } });

  beforeAll(async () => {
    app = await start(TestController);
  });
  afterAll(() => app.close());

  it('answers from the Fastify route, not through Nest’s router, with the status, arguments and interceptor effects', async () => {
    const res = await post('/direct/abc', { n: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'abc', n: 1, id: 'req-1' });
    expect(res.headers['x-echo']).toBe('object');
    expect(viaNest()).toBe(false);
    // A route without @DirectRoute() still goes through Nest.
    expect((await post('/routed', { n: 1 })).statusCode).toBe(200);
    expect(viaNest()).toBe(true);
  });

  it('skips the pipe for a value its precompiled check accepts and validates any other value with it', async () => {
    const before = prechecked;
    expect((await post('/direct/abc', { n: 3 })).json()).toMatchObject({ n: 3 });
    expect(prechecked).toBeGreaterThan(before);
    const bad = await post('/direct/abc', { n: 11 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'REQUEST.VALIDATION_FAILED', errors: [{ field: 'n', rule: 'max' }] });
    const badName = await post('/direct/ABC', { n: 1 });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().errors).toEqual([expect.objectContaining({ field: 'name', rule: 'matches' })]);
  });

  it('runs the global guards (a boolean, a promise, an observable) and answers a refusal like Nest (403 Forbidden resource)', async () => {
    const refusals: Record<string, string>[] = [
      { 'x-deny': '1' },
      { 'x-deny': '1', 'x-slow': '1' },
      { 'x-deny': '1', 'x-observable': '1' },
    ];
    for (const headers of refusals) {
      const res = await post('/direct/abc', { n: 1 }, headers);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ statusCode: 403, message: 'Forbidden resource', requestId: 'req-1' });
    }
    expect((await post('/direct/abc', { n: 1 }, { 'x-slow': '1' })).statusCode).toBe(200);
    expect((await post('/direct/abc', { n: 1 }, { 'x-observable': '1' })).statusCode).toBe(200);
    // The guard reads the handler's own metadata through the execution context.
    expect((await post('/locked', {})).statusCode).toBe(403);
  });

  it('keeps Nest’s default status for POST (201), awaits asynchronous handlers and hands their errors to the filter', async () => {
    const res = await post('/created', { n: 2 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ n: 2 });
    const failed = await post('/created', { n: 7 });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toEqual({
      statusCode: 500,
      code: 'INTERNAL',
      message: 'Internal server error',
      requestId: 'req-1',
    });
  });

  it('answers an empty path parameter as an unknown route, as Nest does', async () => {
    expect((await post('/direct/', { n: 1 })).statusCode).toBe(404);
  });

  it('refuses at start-up a direct route with an argument it would not honour', async () => {
    await expect(start(QueryController)).rejects.toThrow(
      'QueryController.query is a direct route and cannot have a parameter of route-parameter type 4',
    );
  });
});
