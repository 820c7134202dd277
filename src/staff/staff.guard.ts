import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/domain-error';
import { AuditService } from '../audit/audit.service';
import { TransactionRunner } from '../database/transaction-runner';
import { REQUIRED_ROLE, roleAllows } from './roles';
import type { StaffRole } from './roles';
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
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<StaffRole | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required) return true;
    const request = context.switchToHttp().getRequest<StaffRequest>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header) : null;
    const principal = match ? await this.staff.authenticate(match[1]) : undefined;
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Log in as staff: Authorization: Bearer <token>.');
    if (!roleAllows(principal.role, required)) {
      // A refusal is part of the record: who tried what.
      const route = `${(request as { method?: string }).method ?? ''} ${(request as { url?: string }).url ?? ''}`.slice(0, 300);
      await this.audit.record(
        this.tx.manager,
        { id: principal.id, label: principal.email },
        { action: 'access.refused', after: { route, required, actual: principal.role } },
      );
      throw new DomainError('FORBIDDEN', `This needs the role ${required}.`, { required, actual: principal.role });
    }
    request.staff = principal;
    return true;
  }
}
