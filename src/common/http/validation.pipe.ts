import { ValidationPipe } from '@nestjs/common';
import { RequestValidationError } from '../errors/request-validation.error';

/** The one request validation pipe (registered as APP_PIPE): strict whitelist, transformation, and our error shape. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    // One problem per field: the first rule it breaks.
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => RequestValidationError.fromValidationErrors(errors),
  });
}
