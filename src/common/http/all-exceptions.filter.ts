import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  Optional,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorKind, FieldProblem } from '../errors/domain.error';

/**
 * Routes that answer errors in another protocol's shape (MLflow's /invocations, Open Inference /v2): their
 * controllers use that protocol's filter, and errors raised before a controller runs (body parsing, 413, 415,
 * 408) are handed to the same filter here.
 */
export const PROTOCOL_ERROR_FILTERS = Symbol('PROTOCOL_ERROR_FILTERS');
export interface ProtocolErrorFilter {
  /** A route pattern prefix, e.g. `/v2/`. */
  prefix: string;
  filter: ExceptionFilter;
}

/** The one error body every failed request gets. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors?: FieldProblem[];
  details?: unknown;
  requestId: string;
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_input: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  gone: HttpStatus.GONE,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  too_many_requests: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** Codes for statuses that reach the filter as framework exceptions (routing, body parsing, limits). */
function httpCode(status: number): string {
  const name = (HttpStatus[status] as string | undefined) ?? `STATUS_${status}`;
  return `HTTP.${name}`;
}

/** Errors that carry a 4xx status of their own (Fastify's body parser and limits). */
function clientStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** The HTTP status an error is answered with. */
export function statusOf(exception: unknown): number {
  if (exception instanceof DomainError) return STATUS_BY_KIND[exception.kind];
  if (exception instanceof HttpException) return exception.getStatus();
  return clientStatusOf(exception) ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Maps every error to `{ statusCode, code, message, errors?, requestId }`. Domain errors keep their code and their
 * field problems; framework 4xx errors keep their status; anything else is logged with its stack and answered with
 * a generic 500, so internals never leak to clients.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  constructor(@Optional() @Inject(PROTOCOL_ERROR_FILTERS) private readonly protocols: ProtocolErrorFilter[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const route = request.routeOptions?.url ?? '';
    const protocol = this.protocols.find((p) => route.startsWith(p.prefix));
    if (protocol) return void protocol.filter.catch(exception, host);
    const body = this.toBody(exception, String(request.id));
    if (body.statusCode >= 500 && body.statusCode !== 503) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(`${request.method} ${request.url} failed (${body.requestId}): ${String(exception)}`, stack);
    }
    if (body.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="nest-mlops"');
    void reply.status(body.statusCode).header('x-request-id', body.requestId).send(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    const statusCode = statusOf(exception);
    if (exception instanceof DomainError) {
      return { statusCode, code: exception.code, message: exception.message, errors: exception.errors, requestId };
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const details = typeof response === 'object' && response !== null && 'details' in response ? response : undefined;
      const message = statusCode >= 500 && !details ? 'Internal server error' : exception.message;
      return { statusCode, code: httpCode(statusCode), message, ...(details ? { details } : {}), requestId };
    }
    if (statusCode < 500) {
      const message = exception instanceof Error ? exception.message : 'Bad request';
      return { statusCode, code: httpCode(statusCode), message, requestId };
    }
    return { statusCode, code: 'INTERNAL', message: 'Internal server error', requestId };
  }
}
