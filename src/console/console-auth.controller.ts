import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { escapeHtml as e } from '../common/html';
import { DomainError } from '../common/domain-error';
import { RateLimited } from '../common/rate-limit';
import { safeEqual } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { StaffService } from '../staff/staff.service';
import { PRIVATE_PAGE_HEADERS } from '../web/layout';
import { ConsoleErrorFilter } from './console-error.filter';
import { ConsoleGuard, ConsolePublic, ConsoleRequest } from './console.guard';
import { clearCookie, cookie, LOGIN_COOKIE, pageOfPost, safeNext, SESSION_COOKIE, SSO_COOKIE } from './console-session';
import { OidcService, SsoTransit } from './oidc.service';
import { CONSOLE_CSS, CONSOLE_JS } from './views/console-assets';
import { consolePage, ConsoleContext, contextOf, input, submit } from './views/console-layout';
import { homeView } from './views/home.view';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Sign-in and sign-out of the console, its start page and its style sheet. */
@ApiExcludeController()
@Controller('verwaltung')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorFilter)
export class ConsoleAuthController {
  constructor(
    private readonly staff: StaffService,
    private readonly oidc: OidcService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get secure() {
    return this.config.publicBaseUrl.startsWith('https:');
  }

  @Get()
  home(@Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    return send(reply, 200, consolePage(ctx, ctx.t.start, homeView(ctx)));
  }

  @ConsolePublic()
  @Get('assets/console.css')
  css(@Res() reply: FastifyReply) {
    return reply
      .status(200)
      .headers({
        'content-type': 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      })
      .send(CONSOLE_CSS);
  }

  @ConsolePublic()
  @Get('assets/console.js')
  js(@Res() reply: FastifyReply) {
    return reply
      .status(200)
      .headers({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      })
      .send(CONSOLE_JS);
  }

  @ConsolePublic()
  @Get('anmelden')
  signInPage(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = contextOf(req.console.lang, req.url);
    const notice = query.abgelaufen ? ctx.t.expired : query.abgemeldet ? ctx.t.signedOut : undefined;
    return this.renderSignIn(reply, req, ctx, { next: safeNext(query.weiter), notice });
  }

  @ConsolePublic()
  @RateLimited('login')
  @Post('anmelden')
  async signIn(@Body() body: Record<string, unknown> | undefined, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const form = body ?? {};
    const ctx = contextOf(req.console.lang, '/verwaltung/anmelden');
    const next = safeNext(form.weiter);
    const email = str(form.email).trim();
    const password = str(form.password);
    // Login CSRF: the form's token must equal the pre-session cookie this browser got with the form.
    const expected = req.console.cookies[LOGIN_COOKIE];
    if (!expected || !safeEqual(expected, str(form._csrf)))
      return this.renderSignIn(reply, req, ctx, { next, email, problem: ctx.t.csrf, status: 403 });
    if (!this.config.staffPasswordLogin)
      return this.renderSignIn(reply, req, ctx, { next, problem: ctx.t.passwordOff, status: 403 });
    const fieldErrors = { email: email ? undefined : ctx.t.required, password: password ? undefined : ctx.t.required };
    if (fieldErrors.email || fieldErrors.password)
      return this.renderSignIn(reply, req, ctx, { next, email, fieldErrors, status: 422 });
    try {
      const session = await this.staff.login(email, password, req.ip ?? 'unknown', 'cookie');
      // A session cookie this browser still had is ended: one browser, one session.
      const old = req.console.cookies[SESSION_COOKIE];
      if (old && /^[A-Za-z0-9_-]{20,100}$/.test(old)) await this.staff.signOut(old);
      return reply
        .status(303)
        .header(
          'set-cookie',
          cookie(SESSION_COOKIE, session.token, { secure: this.secure, maxAgeSeconds: this.config.staffSessionHours * 3600 }),
        )
        .header('set-cookie', clearCookie(LOGIN_COOKIE, this.secure))
        .header('location', next)
        .header('cache-control', 'no-store')
        .send();
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const problem =
        err.code === 'LOGIN_THROTTLED'
          ? ctx.t.loginThrottled((err.details as { retryAfterSeconds: number }).retryAfterSeconds)
          : err.code === 'PASSWORD_LOGIN_OFF'
            ? ctx.t.passwordOff
            : err.code === 'VALIDATION_FAILED'
              ? ctx.t.errors.VALIDATION_FAILED
              : ctx.t.loginFailed;
      if (err.headers) reply.headers(err.headers);
      return this.renderSignIn(reply, req, ctx, { next, email, problem, status: err.status });
    }
  }

  @ConsolePublic()
  @Get('sso')
  async ssoStart(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply) {
    if (!this.oidc.enabled) throw new DomainError('NOT_FOUND', 'Single sign-on is not configured.');
    const { url, transit } = await this.oidc.start(safeNext(query.weiter));
    return reply
      .status(303)
      .header(
        'set-cookie',
        cookie(SSO_COOKIE, Buffer.from(JSON.stringify(transit)).toString('base64url'), {
          secure: this.secure,
          maxAgeSeconds: 600,
          sameSite: 'Lax',
        }),
      )
      .header('location', url)
      .header('cache-control', 'no-store')
      .send();
  }

  @ConsolePublic()
  @RateLimited('login')
  @Get('sso/rueckkehr')
  async ssoReturn(@Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    if (!this.oidc.enabled) throw new DomainError('NOT_FOUND', 'Single sign-on is not configured.');
    const ctx = contextOf(req.console.lang, '/verwaltung/anmelden');
    const transit = readTransit(req.console.cookies[SSO_COOKIE]);
    reply.header('set-cookie', clearCookie(SSO_COOKIE, this.secure));
    if (!transit) return this.renderSignIn(reply, req, ctx, { next: '/verwaltung', problem: ctx.t.expired, status: 400 });
    try {
      const identity = await this.oidc.finish(req.url, transit);
      const session = await this.staff.signInVouched(identity, 'oidc');
      const old = req.console.cookies[SESSION_COOKIE];
      if (old && /^[A-Za-z0-9_-]{20,100}$/.test(old)) await this.staff.signOut(old);
      reply.header(
        'set-cookie',
        cookie(SESSION_COOKIE, session.token, { secure: this.secure, maxAgeSeconds: this.config.staffSessionHours * 3600 }),
      );
      // A page of our own moves on: the Strict cookie is not sent on the provider's redirect chain, but is on this next step.
      const next = e(transit.next);
      return reply
        .status(200)
        .headers(PRIVATE_PAGE_HEADERS)
        .send(
          consolePage(
            contextOf(req.console.lang, transit.next),
            ctx.t.signIn,
            `<p class="kern-body"><a class="kern-link" href="${next}">${e(ctx.t.start)}</a></p>`,
            { refreshSeconds: 0, refreshTo: transit.next },
          ),
        );
    } catch (err) {
      if (!(err instanceof DomainError) || (err.status >= 500 && err.code !== 'NOT_READY')) throw err;
      const problem =
        err.code === 'FORBIDDEN'
          ? ctx.t.ssoNoRole
          : err.code === 'SSO_ACCOUNT_MISMATCH'
            ? ctx.t.ssoMismatch
            : err.code === 'NOT_READY'
              ? ctx.t.ssoAway
              : ctx.t.loginFailed;
      return this.renderSignIn(reply, req, ctx, { next: transit.next, problem, status: err.status });
    }
  }

  @Post('abmelden')
  async signOut(@Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    await this.staff.signOut(req.console.token!);
    return reply
      .status(303)
      .header('set-cookie', clearCookie(SESSION_COOKIE, this.secure))
      .header('location', '/verwaltung/anmelden?abgemeldet=1')
      .header('cache-control', 'no-store')
      .send();
  }

  private renderSignIn(
    reply: FastifyReply,
    req: ConsoleRequest,
    ctx: ConsoleContext,
    state: {
      next: string;
      email?: string;
      notice?: string;
      problem?: string;
      fieldErrors?: { email?: string; password?: string };
      status?: number;
    },
  ) {
    const { t } = ctx;
    let token = req.console.cookies[LOGIN_COOKIE];
    if (!token || !/^[A-Za-z0-9_-]{20,64}$/.test(token)) {
      token = randomBytes(24).toString('base64url');
      reply.header('set-cookie', cookie(LOGIN_COOKIE, token, { secure: this.secure, maxAgeSeconds: 3600 }));
    }
    const errors = state.fieldErrors ?? {};
    const summary = [
      ...(state.problem ? [`<li>${e(state.problem)}</li>`] : []),
      ...(['email', 'password'] as const)
        .filter((f) => errors[f])
        .map(
          (f) =>
            `<li><a class="kern-link" href="#signin-${f}">${e(`${f === 'email' ? t.email : t.password}: ${errors[f]}`)}</a></li>`,
        ),
    ];
    const sso = this.config.oidc
      ? `<p class="kern-body"><a class="kern-btn kern-btn--secondary" href="/verwaltung/sso?weiter=${encodeURIComponent(state.next)}"><span class="kern-label">${e(t.signInSso)}</span></a></p>`
      : '';
    const passwordForm = this.config.staffPasswordLogin
      ? `<form method="post" action="/verwaltung/anmelden" class="stack" novalidate>
<input type="hidden" name="_csrf" value="${e(token)}"><input type="hidden" name="weiter" value="${e(state.next)}">
${input('email', t.email, { type: 'email', value: state.email, error: errors.email, required: true, id: 'signin-email', autocomplete: 'username' })}
${input('password', t.password, { type: 'password', error: errors.password, required: true, id: 'signin-password', autocomplete: 'current-password' })}
${submit(t.signIn)}</form>`
      : `<p class="kern-body">${e(t.passwordOff)}</p>`;
    const body = `${
      summary.length
        ? `<div class="kern-alert kern-alert--danger" role="alert" id="error-summary"><div class="kern-alert__header"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><h2 class="kern-title">${e(t.errorSummary)}</h2></div><div class="kern-alert__body"><ul class="kern-list">${summary.join('')}</ul></div></div>`
        : ''
    }<p class="kern-body">${e(t.signInIntro)}</p>${sso}${passwordForm}`;
    return send(
      reply,
      state.status ?? 200,
      consolePage(ctx, t.signIn, body, state.notice ? { flash: { kind: 'info', text: state.notice } } : {}),
    );
  }
}

function readTransit(value: string | undefined): SsoTransit | undefined {
  if (!value) return undefined;
  try {
    const t = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<SsoTransit>;
    if ([t.state, t.nonce, t.verifier].every((x) => typeof x === 'string' && x.length >= 20 && x.length <= 200))
      return { state: t.state!, nonce: t.nonce!, verifier: t.verifier!, next: safeNext(t.next) };
  } catch {
    // Not ours.
  }
  return undefined;
}

/** The page context of a request the guard let through. */
export function ctxOf(req: ConsoleRequest): ConsoleContext {
  return contextOf(req.console.lang, req.method === 'GET' ? req.url : pageOfPost(req.url), req.console.staff, req.console.csrf);
}

export function send(reply: FastifyReply, status: number, html: string) {
  return reply.status(status).headers(PRIVATE_PAGE_HEADERS).send(html);
}

/** The error a redirect named in `?fehler=` (a known code's text, else the general one; none without it). */
export function problemOf(ctx: ConsoleContext, code: string): string | undefined {
  if (!code) return undefined;
  return Object.hasOwn(ctx.t.errors, code) ? ctx.t.errors[code] : ctx.t.errorTitle;
}

/** POST-redirect-GET: back to a console page with a notice in the query. */
export function seeOther(reply: FastifyReply, location: string) {
  return reply.status(303).header('location', location).header('cache-control', 'no-store').send();
}
