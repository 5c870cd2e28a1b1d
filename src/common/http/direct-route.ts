import {
  ArgumentMetadata,
  CanActivate,
  ExceptionFilter,
  ForbiddenException,
  HttpStatus,
  PipeTransform,
  Type,
} from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { FORBIDDEN_MESSAGE } from '@nestjs/core/guards/constants.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { isObservable, lastValueFrom } from 'rxjs';
import { precheckOf } from './validation.pipe';

const DIRECT_ROUTE = 'directRoute';

interface DirectRouteTarget {
  controller: Type<object>;
  method: string;
}

/**
 * Serves a controller route straight from its Fastify route (see installDirectRoutes) instead of through Nest's
 * router: for the hot prediction routes, where Nest's per-request machinery (async guard and pipe consumers,
 * interceptors as RxJS observables) cost more than the prediction itself. The route keeps its declaration (path,
 * DTOs, status, OpenAPI) in the controller, and its guards, validation, errors and headers.
 */
export function DirectRoute(): MethodDecorator {
  return (target, key, descriptor) => {
    const route: DirectRouteTarget = { controller: target.constructor as Type<object>, method: String(key) };
    RouteConfig({ [DIRECT_ROUTE]: route })(target, key, descriptor);
  };
}

/** What a direct route runs of the application's global enhancers, in Nest's order. */
export interface DirectRouteEnhancers {
  /** The controller instance of a class (`app.get`). */
  instanceOf: (type: Type<object>) => object;
  /** The global guards (APP_GUARD), in their order. */
  guards: readonly CanActivate[];
  /** The global pipe (APP_PIPE). */
  pipe: PipeTransform;
  /** The global exception filter (APP_FILTER): it answers every error the route raises. */
  filter: ExceptionFilter;
  /**
   * Interceptors a controller may declare on a direct route, each replaced by what it does to a successful answer
   * (the application has no global interceptors: a request's log line and id header come from Fastify hooks).
   */
  interceptors: ReadonlyMap<Type<unknown>, (answer: unknown, reply: FastifyReply) => void>;
}

type ArgumentSource = (request: FastifyRequest, host: ExecutionContextHost) => unknown;

interface ArgumentPlan {
  source: ArgumentSource;
  /** Validated by the global pipe with this metadata; custom decorators' values are not (as in Nest). */
  metadata?: ArgumentMetadata;
  /** The DTO's precompiled check (see Prechecked): a value it accepts skips the pipe. */
  precheck?: (value: unknown) => boolean;
}

interface RouteArgument {
  index: number;
  data?: unknown;
  pipes?: unknown[];
  factory?: (data: unknown, context: ExecutionContextHost) => unknown;
}

/** Fails at start-up on anything a direct route would not honour, so a later decorator cannot be silently ignored. */
/** The controller method of a direct route. */
function handlerOf(target: DirectRouteTarget): (...args: unknown[]) => unknown {
  return (target.controller.prototype as Record<string, (...args: unknown[]) => unknown>)[target.method];
}

function refuse(target: DirectRouteTarget, what: string): never {
  throw new Error(`${target.controller.name}.${target.method} is a direct route and cannot have ${what}`);
}

function argumentPlans(target: DirectRouteTarget): ArgumentPlan[] {
  const { controller, method } = target;
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, RouteArgument>;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype as object, method) ??
    []) as Type<unknown>[];
  const plans: ArgumentPlan[] = [];
  for (const [key, arg] of Object.entries(args)) {
    if (arg.pipes && arg.pipes.length > 0) refuse(target, 'parameter pipes');
    const metatype = types[arg.index];
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA) && arg.factory) {
      const factory = arg.factory;
      plans[arg.index] = { source: (_request, host) => factory(arg.data, host) };
      continue;
    }
    const type = Number(key.split(':')[0]);
    if (arg.data !== undefined) refuse(target, `a named @Body()/@Param() argument`);
    if (type === Number(RouteParamtypes.BODY)) {
      plans[arg.index] = {
        source: (request) => request.body,
        metadata: { type: 'body', metatype, data: undefined },
        precheck: precheckOf(metatype),
      };
    } else if (type === Number(RouteParamtypes.PARAM)) {
      plans[arg.index] = {
        source: (request) => request.params,
        metadata: { type: 'param', metatype, data: undefined },
        precheck: precheckOf(metatype),
      };
    } else {
      refuse(target, `a parameter of route-parameter type ${type}`);
    }
  }
  return plans;
}

/** The answer-side effects of the route's interceptors; refuses any interceptor it cannot replace. */
function interceptorEffects(
  target: DirectRouteTarget,
  enhancers: DirectRouteEnhancers,
): ((answer: unknown, reply: FastifyReply) => void)[] {
  const handler = handlerOf(target);
  const declared = [
    ...((Reflect.getMetadata(INTERCEPTORS_METADATA, target.controller) ?? []) as Type<unknown>[]),
    ...((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as Type<unknown>[]),
  ];
  return declared.map((type) => enhancers.interceptors.get(type) ?? refuse(target, `the interceptor ${type.name}`));
}

/** A guard's answer, as Nest reads it: a boolean, a promise of one, or the last value of an observable. */
function settled(answer: unknown): Promise<unknown> {
  return isObservable(answer) ? lastValueFrom(answer) : Promise.resolve(answer);
}

/** Builds the Fastify handler of one direct route. */
function directHandler(
  target: DirectRouteTarget,
  httpMethod: RouteOptions['method'],
  enhancers: DirectRouteEnhancers,
): RouteOptions['handler'] {
  const { controller, method } = target;
  const handler = handlerOf(target);
  for (const [key, what] of [
    [GUARDS_METADATA, 'guards of its own'],
    [PIPES_METADATA, 'pipes of its own'],
    [EXCEPTION_FILTERS_METADATA, 'exception filters of its own'],
    [HEADERS_METADATA, '@Header()'],
    [REDIRECT_METADATA, '@Redirect()'],
    [RENDER_METADATA, '@Render()'],
    [SSE_METADATA, '@Sse()'],
  ] as const) {
    if (Reflect.getMetadata(key, handler) !== undefined || Reflect.getMetadata(key, controller) !== undefined) {
      refuse(target, what);
    }
  }
  const instance = enhancers.instanceOf(controller) as Record<string, (...args: unknown[]) => unknown>;
  // Nest's default status: 201 for POST, 200 otherwise.
  const status =
    (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
    (httpMethod === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
  const plans = argumentPlans(target);
  const effects = interceptorEffects(target, enhancers);
  const { guards, pipe, filter } = enhancers;

  /** The rest of a request once a guard or a pipe had to be awaited (rate limits in Redis, a DTO's full validation). */
  const slow = async (
    request: FastifyRequest,
    reply: FastifyReply,
    host: ExecutionContextHost,
    guardFrom: number,
    pending: unknown,
  ): Promise<unknown> => {
    if (!(await settled(pending))) throw new ForbiddenException(FORBIDDEN_MESSAGE);
    for (let g = guardFrom; g < guards.length; g++) {
      if (!(await settled(guards[g].canActivate(host)))) throw new ForbiddenException(FORBIDDEN_MESSAGE);
    }
    const args = await Promise.all(
      plans.map((plan): unknown => {
        const value = plan.source(request, host);
        if (!plan.metadata || plan.precheck?.(value)) return value;
        return pipe.transform(value, plan.metadata) as unknown;
      }),
    );
    return answer(reply, await instance[method](...args));
  };

  const answer = (reply: FastifyReply, result: unknown): FastifyReply => {
    for (const effect of effects) effect(result, reply);
    return reply.code(status).send(result);
  };

  return function direct(request, reply) {
    const host = new ExecutionContextHost([request, reply, undefined], controller, handler);
    host.setType('http');
    const fail = (error: unknown): FastifyReply => {
      filter.catch(error, host);
      return reply;
    };
    try {
      // Nest answers an empty path parameter (`/predict//batch`) as an unknown route; so does a direct route.
      const params = request.params as Record<string, string>;
      for (const name in params) if (params[name] === '') return reply.callNotFound();
      for (let g = 0; g < guards.length; g++) {
        const allowed = guards[g].canActivate(host);
        if (allowed === true) continue;
        if (allowed === false) throw new ForbiddenException(FORBIDDEN_MESSAGE);
        return slow(request, reply, host, g + 1, allowed).catch(fail);
      }
      const args = new Array<unknown>(plans.length);
      for (let i = 0; i < plans.length; i++) {
        const plan = plans[i];
        const value = plan.source(request, host);
        if (plan.metadata && !plan.precheck?.(value))
          return slow(request, reply, host, guards.length, true).catch(fail);
        args[i] = value;
      }
      const result = instance[method](...args);
      if (result instanceof Promise) return result.then((r) => answer(reply, r)).catch(fail);
      return answer(reply, result);
    } catch (error) {
      return fail(error);
    }
  };
}

/**
 * Serves every route declared with @DirectRoute() from its Fastify route: its handler runs the application's global
 * guards, then validates its @Body() and @Param() with the global pipe (skipped for a value the DTO's precompiled
 * check accepts, as the pipe itself does), calls the controller method, applies its interceptors' effects, answers
 * with its @HttpCode(), and hands any error to the global exception filter — what Nest's router does for such a
 * route, without its per-request promises and observables. Anything else declared on the route (its own guards,
 * pipes or filters, @Header(), @Query() arguments…) is refused at start-up. Call before the application's init.
 */
export function installDirectRoutes(fastify: FastifyInstance, enhancers: DirectRouteEnhancers): void {
  fastify.addHook('onRoute', (route) => {
    const target = (route.config as Record<string, unknown> | undefined)?.[DIRECT_ROUTE] as
      DirectRouteTarget | undefined;
    if (target) route.handler = directHandler(target, route.method, enhancers);
  });
}
