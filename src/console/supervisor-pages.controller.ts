import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { Actor } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { IncidentsService } from '../incidents/incidents.service';
import { ProvidersService } from '../mail-delivery/providers.service';
import { SchedulingService } from '../scheduling/scheduling.service';
import { StatsService } from '../stats/stats.service';
import { RequireRole } from '../staff/roles';
import { PRIVATE_PAGE_HEADERS } from '../web/layout';
import { ctxOf, problemOf, seeOther, send } from './console-auth.controller';
import { ConsoleErrorFilter } from './console-error.filter';
import { ConsoleGuard, ConsoleRequest } from './console.guard';
import { consolePage } from './views/console-layout';
import { str, UUID } from './views/format';
import { IncidentFormState, incidentsView, providersView } from './views/supervisor.view';
import { statsView } from './views/stats.view';

const FAMILY = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const actorOf = (req: ConsoleRequest): Actor => ({ id: req.console.staff!.id, label: req.console.staff!.email });

/** The supervisors' pages: provider families and their circuits, incidents, statistics. */
@ApiExcludeController()
@Controller('verwaltung')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorFilter)
@RequireRole('supervisor')
export class SupervisorPagesController {
  constructor(
    private readonly providers: ProvidersService,
    private readonly incidents: IncidentsService,
    private readonly stats: StatsService,
    private readonly scheduling: SchedulingService,
    private readonly clock: Clock,
  ) {}

  @Get('anbieter')
  async providerList(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const problem = problemOf(ctx, str(query.fehler));
    return send(
      reply,
      200,
      consolePage(
        ctx,
        ctx.t.providers,
        providersView(ctx, ...(await Promise.all([this.providers.list(), this.providers.relayStatus()]))),
        {
          flash: problem
            ? { kind: 'danger', text: problem }
            : str(query.erledigt)
              ? { kind: 'success', text: ctx.t.done }
              : undefined,
        },
      ),
    );
  }

  @Post('anbieter/:family/:change')
  async pauseOrResume(
    @Param('family') family: string,
    @Param('change') change: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!FAMILY.test(family) || (change !== 'anhalten' && change !== 'fortsetzen'))
      throw new DomainError('NOT_FOUND', 'No such page.');
    const reason = str(body.reason).trim();
    if (reason.length < 3) return seeOther(reply, '/verwaltung/anbieter?fehler=VALIDATION_FAILED');
    if (change === 'anhalten') await this.providers.pause(family, reason.slice(0, 1000), actorOf(req));
    else await this.providers.resume(family, reason.slice(0, 1000), actorOf(req));
    return seeOther(reply, '/verwaltung/anbieter?erledigt=1');
  }

  @Get('vorfaelle')
  async incidentList(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const n = Number(str(query.n)) || 0;
    const ctx = ctxOf(req);
    const flash =
      query.erledigt === 'ausgerufen'
        ? ctx.t.declared(n)
        : query.erledigt === 'kulanz'
          ? ctx.t.goodwillDone(n)
          : query.erledigt === 'beendet'
            ? ctx.t.ended(n)
            : undefined;
    return this.renderIncidents(req, reply, {}, 200, flash);
  }

  @Post('vorfaelle')
  async declare(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const family = str(body.family).trim().toLowerCase();
    const reason = str(body.reason).trim().slice(0, 1000);
    const t = ctxOf(req).t;
    if (!FAMILY.test(family) || reason.length < 3)
      return this.renderIncidents(req, reply, { family, reason, problem: `${t.family} / ${t.reason}: ${t.reasonHint}` }, 422);
    try {
      if (body.step !== 'ausrufen')
        return this.renderIncidents(req, reply, { family, reason, preview: await this.incidents.preview(family) });
      const declared = await this.incidents.declare(family, reason, actorOf(req));
      return seeOther(reply, `/verwaltung/vorfaelle?erledigt=ausgerufen&n=${declared.mailsTreatedAsUndelivered}`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderIncidents(req, reply, { family, reason, problem: t.errors[err.code] ?? err.message }, err.status);
      throw err;
    }
  }

  @Post('vorfaelle/:id/kulanz')
  async goodwill(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('INCIDENT_NOT_FOUND', 'No incident with this id.');
    const t = ctxOf(req).t;
    const reason = str(body.reason).trim().slice(0, 1000);
    const untilInput = str(body.until);
    const until = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(untilInput)
      ? DateTime.fromISO(untilInput, { zone: 'Europe/Berlin' })
      : undefined;
    if (!until?.isValid || reason.length < 3)
      return this.renderIncidents(req, reply, { problem: `${t.extendUntil} / ${t.reason}: ${t.reasonHint}` }, 422);
    try {
      const dryRun = body.step !== 'anwenden';
      const result = await this.incidents.extendHolds(id, until.toISO()!, reason, dryRun, actorOf(req));
      if (!dryRun) return seeOther(reply, `/verwaltung/vorfaelle?erledigt=kulanz&n=${result.bookings}`);
      return this.renderIncidents(req, reply, {
        goodwill: {
          incidentId: id,
          until: untilInput,
          reason,
          bookings: result.bookings,
          cappedAtSlotStart: result.cappedAtSlotStart,
          untilIso: result.until!,
        },
      });
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderIncidents(req, reply, { problem: t.errors[err.code] ?? err.message }, err.status);
      throw err;
    }
  }

  @Post('vorfaelle/:id/ende')
  async end(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('INCIDENT_NOT_FOUND', 'No incident with this id.');
    const t = ctxOf(req).t;
    const reason = str(body.reason).trim().slice(0, 1000);
    if (reason.length < 3) return this.renderIncidents(req, reply, { problem: `${t.reason}: ${t.reasonHint}` }, 422);
    try {
      const ended = await this.incidents.end(id, reason, actorOf(req));
      return seeOther(reply, `/verwaltung/vorfaelle?erledigt=beendet&n=${ended.mailsResent}`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderIncidents(req, reply, { problem: t.errors[err.code] ?? err.message }, err.status);
      throw err;
    }
  }

  private async renderIncidents(
    req: ConsoleRequest,
    reply: FastifyReply,
    state: IncidentFormState,
    status = 200,
    flash?: string,
  ) {
    const ctx = ctxOf(req);
    const [incidents, providers] = await Promise.all([this.incidents.list(), this.providers.list()]);
    const families = [
      ...new Set(['google', 'microsoft', 'united-internet', 'telekom', 'yahoo', 'apple', ...providers.map((p) => p.family)]),
    ].sort();
    return send(
      reply,
      status,
      consolePage(
        ctx,
        ctx.t.incidents,
        incidentsView(ctx, { incidents, families, state }),
        flash ? { flash: { kind: 'success', text: flash } } : {},
      ),
    );
  }

  private statsQuery(query: Record<string, unknown>) {
    const today = this.clock.now().setZone('Europe/Berlin').startOf('day');
    return {
      locationId: UUID.test(str(query.locationId)) ? str(query.locationId) : undefined,
      from: DATE.test(str(query.from)) ? str(query.from) : today.minus({ days: 30 }).toISODate()!,
      to: DATE.test(str(query.to)) ? str(query.to) : today.plus({ days: 1 }).toISODate()!,
    };
  }

  @Get('statistik')
  async statistics(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const q = this.statsQuery(query);
    const [figures, offices] = await Promise.all([this.stats.figures(q), this.scheduling.listLocations()]);
    return send(reply, 200, consolePage(ctx, ctx.t.stats, statsView(ctx, { figures, offices, query: q })));
  }

  @Get('statistik.csv')
  async statisticsCsv(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply) {
    const q = this.statsQuery(query);
    return reply
      .status(200)
      .headers({
        ...PRIVATE_PAGE_HEADERS,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="holdfast-statistik-${q.from}-${q.to}.csv"`,
      })
      .send(await this.stats.csv(q));
  }
}
