import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/domain-error';
import { REQUIRED_ROLE, roleAllows } from './roles';
import type { StaffRole } from './staff.entities';
import { StaffPrincipal, StaffService } from './staff.service';

export interface StaffRequest {
  headers: Record<string, string | string[] | undefined>;
  staff?: StaffPrincipal;
}

/** Bearer token -> staff member; then the route's required role (ranked). */
@Injectable()
export class StaffGuard implements CanActivate {
  constructor(
    private readonly staff: StaffService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<StaffRole | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (!required) return true;
    const request = context.switchToHttp().getRequest<StaffRequest>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header) : null;
    const principal = match ? await this.staff.authenticate(match[1]) : undefined;
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Log in as staff: Authorization: Bearer <token>.');
    if (!roleAllows(principal.role, required)) throw new DomainError('FORBIDDEN', `This needs the role ${required}.`, { required, actual: principal.role });
    request.staff = principal;
    return true;
  }
}
