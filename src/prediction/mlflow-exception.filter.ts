import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain.error';
import { statusOf } from '../common/http/all-exceptions.filter';

const MLFLOW_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'RESOURCE_DOES_NOT_EXIST',
  413: 'BAD_REQUEST',
  // MLflow answers these in plain text; a client error either way, never INTERNAL_ERROR.
  415: 'BAD_REQUEST',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/**
 * MLflow's scoring-server error shape for /invocations: `{"error_code": …, "message": …}` (plus our `errors` list
 * naming each bad field, and the request id).
 */
@Catch()
export class MlflowExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(MlflowExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = statusOf(exception);
    const known = exception instanceof DomainError || status < 500;
    if (!known) this.logger.error(`POST /invocations failed: ${String(exception)}`, (exception as Error).stack);
    const message = known && exception instanceof Error ? exception.message : 'Internal server error';
    void reply.status(status).send({
      error_code: MLFLOW_CODES[status] ?? 'INTERNAL_ERROR',
      message,
      ...(exception instanceof DomainError && exception.errors ? { errors: exception.errors } : {}),
      requestId: String(request.id),
    });
  }
}
