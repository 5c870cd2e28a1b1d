import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const ADMIN_ONLY = 'nest-mlops:admin-only';
export const PUBLIC_ROUTE = 'nest-mlops:public';

/** A state-changing admin endpoint: needs ADMIN_API_KEY (403 while none is configured). */
export const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ADMIN_ONLY, true),
    ApiBearerAuth('bearer'),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({ description: 'No key, or not the admin key' }),
    ApiForbiddenResponse({ description: 'Admin endpoints are disabled: ADMIN_API_KEY is not set' }),
  );

/** Never needs a key, even with API_KEYS set (probes and the metrics scrape). */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
