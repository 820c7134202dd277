import { CaughtMailDto } from './dev-mail.responses';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../common/html';
import { DevMailCatcher } from './dev-mail-catcher';

/** Only registered when SMTP_URL is unset: what the development mail catcher received. */
@ApiTags('development')
@Controller('dev')
export class DevMailController {
  constructor(private readonly catcher: DevMailCatcher) {}

  @Get('mailbox.json')
  @ApiOperation({ summary: 'Development only: caught mails as JSON, newest first' })
  @ApiOkResponse({ type: [CaughtMailDto] })
  json() {
    return this.catcher.list();
  }

  @Get('mailbox')
  @ApiOperation({ summary: 'Development only: caught mails as a page with clickable links' })
  @ApiOkResponse({
    description: 'The caught mail as a page, with clickable links',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  page(@Res() reply: FastifyReply) {
    const items = this.catcher.list().map(
      (m) => `<article><h2>${escapeHtml(m.subject)}</h2>
<p><small>an ${escapeHtml(m.to.join(', '))} · ${escapeHtml(m.receivedAt)}</small></p>
<pre>${escapeHtml(m.text)}</pre>
<ul>${m.links.map((l) => `<li><a href="${escapeHtml(l)}">${escapeHtml(l)}</a></li>`).join('')}</ul></article><hr>`,
    );
    const html = `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>holdfast – Entwicklungs-Postfach</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style></head>
<body><h1>Entwicklungs-Postfach</h1><p>${items.length} Nachrichten. Nur im Entwicklungsmodus (ohne SMTP_URL).</p>${items.join('') || '<p>Noch keine Post.</p>'}</body></html>`;
    reply.status(200).header('content-type', 'text/html; charset=utf-8').header('referrer-policy', 'no-referrer').send(html);
  }
}
