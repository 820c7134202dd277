import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from '../common/html';
import { HttpErrorFilter } from '../common/http-error.filter';
import { alert, page, PAGE_HEADERS } from '../web/layout';
import { pickLang, t } from '../web/texts';

/**
 * Failures on a citizen page as a page, not JSON: the per-IP limit (429 with Retry-After), the
 * database away (503), anything else (500 with the request id). The same codes and statuses as
 * the API's filter, which also decides what is logged.
 */
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly api = new HttpErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = this.api.toResponse(exception, request.id);
    const fields = { ...((request.query as object) ?? {}), ...((request.body as object) ?? {}) } as Record<string, unknown>;
    const lang = pickLang(fields.lang, request.headers['accept-language']);
    const tx = t(lang);
    const { code, requestId } = body.error;
    const message = tx.errors[code] ?? (status >= 500 ? tx.errorGeneric : body.error.message);
    const html = page({
      lang,
      title: tx.errorSummary,
      body: `<h1 class="kern-heading-large">${escapeHtml(tx.errorTitle)}</h1>${alert('danger', tx.errorSummary, message, 'alert')}${
        requestId && status >= 500
          ? `<p class="kern-body kern-body--small">${escapeHtml(tx.requestId)}: ${escapeHtml(requestId)}</p>`
          : ''
      }<p class="kern-body"><a class="kern-link" href="/${lang === 'en' ? '?lang=en' : ''}">${escapeHtml(tx.home)}</a></p>`,
      path: '/',
    });
    reply
      .status(status)
      .headers({ ...PAGE_HEADERS, ...(headers ?? {}) })
      .send(html);
  }
}
