import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable, tap } from 'rxjs';

/** Carries the answering version on answers whose body must not show it (MLflow's); JSON ignores symbol keys. */
export const MODEL_VERSION = Symbol('modelVersion');

/** Sets `x-model-version` from the `version` (or MODEL_VERSION, or `model_version`) a prediction answer carries. */
export function setModelVersionHeader(answer: unknown, reply: FastifyReply): void {
  const carrier = answer as { version?: unknown; model_version?: unknown; [MODEL_VERSION]?: unknown } | null;
  const version = carrier?.[MODEL_VERSION] ?? carrier?.version ?? carrier?.model_version;
  if (typeof version === 'number' || typeof version === 'string') void reply.header('x-model-version', String(version));
}

/** Adds `x-model-version` to every prediction answer (setModelVersionHeader). */
@Injectable()
export class ModelVersionHeaderInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(tap((answer: unknown) => setModelVersionHeader(answer, reply)));
  }
}
