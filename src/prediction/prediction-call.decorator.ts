import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { RequestValidationError } from '../common/errors/request-validation.error';

/** The client's own id for a prediction request, by which it may send feedback instead of the request id. */
export const PREDICTION_ID_HEADER = 'x-prediction-id';
/** Visible ASCII, 1 to 128 characters (the column's size). */
const PREDICTION_ID = /^[\x21-\x7e]{1,128}$/;

/** What a prediction route knows of its request besides the body: its ids, and its headers (for sticky routing). */
export interface PredictionCall {
  requestId: string;
  /** The client's `x-prediction-id`, or null. */
  predictionId: string | null;
  headers: IncomingHttpHeaders;
  /** `?explain=true`: answer with each row's feature contributions too. */
  explain: boolean;
  /** The client's address (Fastify's request.ip: the peer, or `x-forwarded-for` as TRUST_PROXY allows). */
  clientAddress: string | null;
}

/** Reads a prediction request's PredictionCall; a malformed `x-prediction-id` is refused (400 naming the header). */
export function predictionCallOf(request: FastifyRequest): PredictionCall {
  const given = request.headers[PREDICTION_ID_HEADER];
  if (given !== undefined && (typeof given !== 'string' || !PREDICTION_ID.test(given))) {
    throw new RequestValidationError([
      {
        field: PREDICTION_ID_HEADER,
        rule: 'format',
        message: `${PREDICTION_ID_HEADER} must be one value of 1 to 128 visible ASCII characters`,
      },
    ]);
  }
  return {
    requestId: String(request.id),
    predictionId: given ?? null,
    headers: request.headers,
    explain: explainOf(request),
    clientAddress: request.ip ?? null,
  };
}

const EXPLAIN: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };

/** The `explain` query parameter: true, false, 1 or 0 (absent: false); anything else is a 400 naming it. */
function explainOf(request: FastifyRequest): boolean {
  const given = (request.query as Record<string, unknown> | undefined)?.explain;
  if (given === undefined) return false;
  const value = typeof given === 'string' ? EXPLAIN[given] : undefined;
  if (value === undefined) {
    throw new RequestValidationError([
      { field: 'explain', rule: 'isBoolean', message: 'explain must be true or false (or 1 or 0)' },
    ]);
  }
  return value;
}

/** The request's PredictionCall (see predictionCallOf). */
export const Call = createParamDecorator((_: unknown, context: ExecutionContext): PredictionCall =>
  predictionCallOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
