import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { escapeHtml as e } from '../common/html';
import { HttpErrorFilter } from '../common/http-error.filter';
import { alert, PRIVATE_PAGE_HEADERS } from '../web/layout';
import { pickLang } from '../web/texts';
import { ConsoleRequest, ConsoleSignInRequired } from './console.guard';
import { pageOfPost } from './console-session';
import { consolePage, contextOf } from './views/console-layout';

/**
 * Failures on a console page as a page: no session -> the sign-in page (303, back here after);
 * a refused role -> 403 page; a form without its token -> 403 page; anything else with the API's
 * status and code (the API's filter decides what is logged).
 */
@Catch()
export class ConsoleErrorFilter implements ExceptionFilter {
  private readonly api = new HttpErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<ConsoleRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof ConsoleSignInRequired) {
      const next = request.method === 'GET' ? `&weiter=${encodeURIComponent(request.url)}` : '';
      reply
        .status(303)
        .header('location', `/verwaltung/anmelden?${exception.expired ? 'abgelaufen=1' : 'neu=1'}${next}`)
        .header('cache-control', 'no-store')
        .send();
      return;
    }
    const { status, body, headers } = this.api.toResponse(exception);
    const state = request.console;
    const ctx = contextOf(
      state?.lang ?? pickLang(undefined, request.headers['accept-language']),
      request.method === 'GET' ? request.url : pageOfPost(request.url),
      state?.staff,
      state?.csrf,
    );
    const { t } = ctx;
    const { code, requestId } = body.error;
    const [title, text] =
      code === 'FORBIDDEN'
        ? [t.forbiddenTitle, t.forbidden]
        : code === 'CSRF_INVALID'
          ? [t.csrfTitle, t.csrf]
          : status === 404
            ? [t.notFound, t.notFoundText]
            : [t.errorTitle, t.errors[code] ?? body.error.message];
    const html = consolePage(
      ctx,
      title,
      `${alert('danger', title, text, 'alert')}${requestId ? `<p class="kern-body kern-body--small">${e(t.requestId)}: ${e(requestId)}</p>` : ''}<p class="kern-body"><a class="kern-link" href="/verwaltung">${e(t.start)}</a></p>`,
    );
    reply
      .status(status)
      .headers({ ...PRIVATE_PAGE_HEADERS, ...(headers ?? {}) })
      .send(html);
  }
}
