import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { statusOf } from './all-exceptions.filter';

/**
 * Logs one line per handled request (method, route, status, duration, request id) and echoes the request id in
 * the `x-request-id` response header. Failed requests are logged by the exception filter's status instead.
 */
@Injectable()
export class LoggingInterceptor implements NestInterceptor {
  private readonly logger = new Logger('HTTP');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const started = process.hrtime.bigint();
    void reply.header('x-request-id', String(request.id));
    const log = (status: number): void => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.logger.log(`${request.method} ${request.url} ${status} ${ms.toFixed(1)}ms id=${String(request.id)}`);
    };
    return next.handle().pipe(
      tap({
        next: () => log(reply.statusCode),
        error: (error: unknown) => log(statusOf(error)),
      }),
    );
  }
}
