import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { keyMatches, presentedKey } from './api-key.util';
import { ADMIN_ONLY, PUBLIC_ROUTE } from './auth.decorators';
import { AdminDisabledError, AuthenticationRequiredError } from './auth.errors';

/**
 * Admin endpoints need ADMIN_API_KEY and are disabled (403) while it is unset. Every other endpoint is open,
 * unless API_KEYS is set: then it needs one of those keys or the admin key. Probes and /metrics stay open.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly apiKeys: string[];

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    this.apiKeys = config.apiKeys;
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const key = presentedKey(context.switchToHttp().getRequest<FastifyRequest>().headers);
    const admin = this.config.ADMIN_API_KEY;
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) {
      if (!admin) throw new AdminDisabledError();
      if (key === undefined || !keyMatches(key, [admin]))
        throw new AuthenticationRequiredError('admin', key !== undefined);
      return true;
    }
    if (this.apiKeys.length === 0 || this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    if (key === undefined || !keyMatches(key, admin ? [...this.apiKeys, admin] : this.apiKeys)) {
      throw new AuthenticationRequiredError('api', key !== undefined);
    }
    return true;
  }
}
