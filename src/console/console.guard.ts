import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { REQUIRED_ROLE, roleAllows, StaffRole } from '../staff/roles';
import { StaffPrincipal, StaffService } from '../staff/staff.service';
import { Lang, pickLang } from '../web/texts';
import { cookie, csrfTokenOf, csrfValid, LANG_COOKIE, parseCookies, SESSION_COOKIE } from './console-session';

const CONSOLE_PUBLIC = 'holdfast:console-public';
/** A console route anyone may open (the sign-in pages): no session, no role. */
export const ConsolePublic = () => SetMetadata(CONSOLE_PUBLIC, true);

/** What the guard found out about a console request. */
export interface ConsoleState {
  lang: Lang;
  cookies: Record<string, string>;
  staff?: StaffPrincipal & { sessionId: string };
  /** The session's secret (from its cookie) and the form token derived from it. */
  token?: string;
  csrf?: string;
}

export type ConsoleRequest = FastifyRequest & { console: ConsoleState };

/** No session, or it ended: the filter sends the browser to the sign-in page. */
export class ConsoleSignInRequired extends Error {
  constructor(readonly expired: boolean) {
    super('sign-in required');
  }
}

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * Every console request: the language, the session cookie -> staff member (a bearer token never
 * counts here, nor the cookie in the API), on every POST the form token of that session, then the
 * route's role (default clerk). A refused role or form token is audited, as in the API.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly staff: StaffService,
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ConsoleRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const cookies = parseCookies(request.headers.cookie);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const chosen = query.lang === 'de' || query.lang === 'en' ? (query.lang as Lang) : undefined;
    if (chosen && cookies[LANG_COOKIE] !== chosen)
      reply.header('set-cookie', cookie(LANG_COOKIE, chosen, { secure: this.secure, maxAgeSeconds: 365 * 86400 }));
    const lang = chosen ?? pickLang(cookies[LANG_COOKIE], request.headers['accept-language']);
    request.console = { lang, cookies };
    if (this.reflector.getAllAndOverride<boolean>(CONSOLE_PUBLIC, [context.getHandler(), context.getClass()])) return true;

    const token = cookies[SESSION_COOKIE];
    const principal = token && TOKEN.test(token) ? await this.staff.authenticate(token, 'cookie') : undefined;
    if (!principal) throw new ConsoleSignInRequired(!!token);
    const route = `${request.method} ${request.url}`.slice(0, 300);
    const actor = { id: principal.id, label: principal.email };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!csrfValid(token, body._csrf)) {
        await this.audit.record(this.tx.manager, actor, { action: 'access.refused', after: { route, csrf: 'invalid' } });
        throw new DomainError('CSRF_INVALID', 'The form token is missing or belongs to another session.');
      }
    }
    const required =
      this.reflector.getAllAndOverride<StaffRole | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ??
      'clerk';
    request.console = { lang, cookies, staff: principal, token, csrf: csrfTokenOf(token) };
    if (!roleAllows(principal.role, required)) {
      await this.audit.record(this.tx.manager, actor, {
        action: 'access.refused',
        after: { route, required, actual: principal.role },
      });
      throw new DomainError('FORBIDDEN', `This needs the role ${required}.`, { required, actual: principal.role });
    }
    return true;
  }

  get secure(): boolean {
    return this.config.publicBaseUrl.startsWith('https:');
  }
}
