import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../common/errors/domain.error';
import { statusOf } from '../common/http/all-exceptions.filter';

/** The Open Inference Protocol's error shape: `{"error": "<message>"}` with the status of the failure. */
@Catch()
export class V2ExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(V2ExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = statusOf(exception);
    const known = exception instanceof DomainError || status < 500;
    if (!known) this.logger.error(`V2 request failed: ${String(exception)}`, (exception as Error).stack);
    const error = known && exception instanceof Error ? exception.message : 'Internal server error';
    void reply.status(status).send({ error });
  }
}
