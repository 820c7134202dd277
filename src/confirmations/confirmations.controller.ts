import { ConfirmedBookingDto, HTML_PAGE } from './confirmations.responses';
import { RateLimited } from '../common/rate-limit';
import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';

import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { DomainError } from '../common/domain-error';

import { PRIVATE_PAGE_HEADERS as PAGE_HEADERS } from '../web/layout';
import { confirmedPage, confirmPage, invalidTokenPage } from './confirm-page';

import { ConfirmationsService } from './confirmations.service';

import { ConfirmDto } from './confirmations.dto';

@ApiTags('confirmations')
@Controller()
export class ConfirmationsController {
  constructor(private readonly confirmations: ConfirmationsService) {}

  @Get('confirm')
  @ApiOperation({ summary: 'The page behind the mailed link (HTML). GET and HEAD change nothing: mail scanners open links.' })
  @ApiOkResponse({ description: 'The confirm page (or the page that says the link is no longer valid)', content: HTML_PAGE })
  async page(@Query('token') token: unknown, @Res() reply: FastifyReply) {
    return this.html(reply, async () =>
      confirmPage(await this.confirmations.preview(typeof token === 'string' ? token : ''), String(token)),
    );
  }

  @RateLimited('confirm')
  @Post('confirm')
  @ApiOperation({ summary: "The page's button (form POST, application/x-www-form-urlencoded): confirms" })
  @ApiOkResponse({ description: 'The page after confirming', content: HTML_PAGE })
  @HttpCode(200)
  async confirmForm(@Body() body: unknown, @Res() reply: FastifyReply) {
    const token = (body as { token?: unknown } | undefined)?.token;
    return this.html(reply, async () => confirmedPage(await this.confirmations.confirm(typeof token === 'string' ? token : '')));
  }

  @RateLimited('confirm')
  @Post('api/v1/confirmations')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a booking with the token from the link; repeating it answers confirmed again' })
  @ApiOkResponse({ type: ConfirmedBookingDto })
  @ApiNotFoundResponse({ description: 'TOKEN_INVALID: unknown, expired or no longer valid token (one answer for all)' })
  @ApiTooManyRequestsResponse({
    description: 'CODE_TRIES_EXCEEDED: five wrong codes from this client for this reference within the hour',
  })
  async confirm(@Body() dto: ConfirmDto, @Req() req: { ip?: string }) {
    if (!dto.token && !(dto.reference && dto.code)) {
      throw new DomainError('VALIDATION_FAILED', 'Give `token`, or `reference` and `code`.', [
        { field: 'token', problems: ['token, or reference and code, required'] },
      ]);
    }
    const booking = dto.token
      ? await this.confirmations.confirm(dto.token)
      : await this.confirmations.confirmWithCode(dto.reference!, dto.code!, req.ip ?? 'unknown');
    return { id: booking.id, reference: booking.reference, status: booking.status };
  }

  private async html(reply: FastifyReply, render: () => Promise<string>) {
    let status = 200;
    let page: string;
    try {
      page = await render();
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'TOKEN_INVALID') throw err;
      status = 404;
      page = invalidTokenPage();
    }
    reply.status(status).headers(PAGE_HEADERS).send(page);
  }
}
