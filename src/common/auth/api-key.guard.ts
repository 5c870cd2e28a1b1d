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
  /** Each route's decorators (by controller, then handler), read once: they are fixed at start. */
  private readonly marks = new WeakMap<object, WeakMap<object, { adminOnly: boolean; public: boolean }>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    this.apiKeys = config.apiKeys;
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const marks = this.marksOf(context);
    const key = presentedKey(context.switchToHttp().getRequest<FastifyRequest>().headers);
    const admin = this.config.ADMIN_API_KEY;
    if (marks.adminOnly) {
      if (!admin) throw new AdminDisabledError();
      if (key === undefined || !keyMatches(key, [admin]))
        throw new AuthenticationRequiredError('admin', key !== undefined);
      return true;
    }
    if (this.apiKeys.length === 0 || marks.public) return true;
    if (key === undefined || !keyMatches(key, admin ? [...this.apiKeys, admin] : this.apiKeys)) {
      throw new AuthenticationRequiredError('api', key !== undefined);
    }
    return true;
  }

  private marksOf(context: ExecutionContext): { adminOnly: boolean; public: boolean } {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.marks.get(controller);
    if (!byHandler) this.marks.set(controller, (byHandler = new WeakMap()));
    let marks = byHandler.get(handler);
    if (!marks) {
      const targets = [handler, controller];
      marks = {
        adminOnly: this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) === true,
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
      };
      byHandler.set(handler, marks);
    }
    return marks;
  }
}
