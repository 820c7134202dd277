import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { Actor } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { normalizeReference } from '../common/ids';
import { CounterDayService } from '../counter/counter-day.service';
import { ReviewService } from '../review/review.service';
import { SchedulingService } from '../scheduling/scheduling.service';
import { RequireRole } from '../staff/roles';
import { BookingSearch } from './booking-search.service';
import { ctxOf, problemOf, seeOther, send } from './console-auth.controller';
import { ConsoleErrorFilter } from './console-error.filter';
import { ConsoleGuard, ConsoleRequest } from './console.guard';
import { bookingView, BOOKING_ACTIONS, BookingAction } from './views/booking.view';
import { consolePage } from './views/console-layout';
import { dayListView } from './views/day-list.view';
import { str, UUID } from './views/format';
import { reviewQueueView } from './views/review-queue.view';
import { searchView } from './views/search.view';

const actorOf = (req: ConsoleRequest): Actor => ({
  id: req.console.staff!.id,
  label: req.console.staff!.email,
  locationIds: req.console.staff!.locationIds ?? null,
});

/**
 * The clerks' pages: the day list of an office (check-in, served, no-show, walk-in), finding a
 * booking, its page with the whole history and the actions (each with a reason), and the review
 * queue. A clerk bound to offices sees only those; the services check it again.
 */
@ApiExcludeController()
@Controller('verwaltung')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorFilter)
@RequireRole('clerk')
export class ClerkPagesController {
  constructor(
    private readonly counter: CounterDayService,
    private readonly review: ReviewService,
    private readonly scheduling: SchedulingService,
    private readonly search: BookingSearch,
    private readonly clock: Clock,
  ) {}

  /** The offices this staff member works at. */
  private async officesOf(req: ConsoleRequest) {
    const bound = req.console.staff!.locationIds;
    return (await this.scheduling.listLocations()).filter((l) => !bound || bound.includes(l.id));
  }

  @Get('tag')
  async day(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const offices = await this.officesOf(req);
    const locationId = UUID.test(str(query.locationId)) ? str(query.locationId) : offices[0]?.id;
    const date = /^\d{4}-\d{2}-\d{2}$/.test(str(query.date)) ? str(query.date) : undefined;
    if (!locationId) return send(reply, 200, consolePage(ctx, ctx.t.dayList, `<p class="kern-body">${ctx.t.none}</p>`));
    const list = await this.counter.dayList(locationId, date, actorOf(req));
    const location = await this.scheduling.location(locationId);
    // What this office offers (bookable now), for the walk-in form.
    const services = await this.scheduling.servicesAt(locationId);
    const serviceId = UUID.test(str(query.serviceId)) ? str(query.serviceId) : undefined;
    const today = this.clock.now().setZone(location.timeZone).toISODate();
    const walkInSlots =
      serviceId && list.date === today
        ? await this.scheduling
            .availableSlots({
              locationId,
              serviceId,
              to: DateTime.fromISO(list.date, { zone: location.timeZone }).plus({ days: 1 }).toISO()!,
              limit: 50,
            })
            .catch(() => [])
        : [];
    const flash = str(query.erledigt) ? { kind: 'success' as const, text: ctx.t.done } : undefined;
    const problem = problemOf(ctx, str(query.fehler));
    return send(
      reply,
      200,
      consolePage(
        ctx,
        `${ctx.t.dayList}: ${list.location.name}`,
        dayListView(ctx, {
          list,
          offices,
          services,
          serviceId,
          walkInSlots,
          zone: location.timeZone,
          isToday: list.date === today,
        }),
        { flash: problem ? { kind: 'danger', text: problem } : flash },
      ),
    );
  }

  @Post('tag/anwesenheit')
  async attendance(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const back = this.dayUrl(body);
    const state = str(body.state);
    const id = str(body.bookingId);
    if (!UUID.test(id) || !['arrived', 'served', 'no_show'].includes(state))
      throw new DomainError('VALIDATION_FAILED', 'bookingId and state are required.');
    try {
      await this.counter.record(id, state as 'arrived' | 'served' | 'no_show', actorOf(req));
      return seeOther(reply, `${back}&erledigt=1`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'FORBIDDEN')
        return seeOther(reply, `${back}&fehler=${err.code}`);
      throw err;
    }
  }

  @Post('tag/spontan')
  async walkIn(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const back = this.dayUrl(body);
    const name = str(body.name).trim();
    const slotId = str(body.slotId);
    if (!name || !UUID.test(slotId)) return seeOther(reply, `${back}&fehler=VALIDATION_FAILED`);
    try {
      const created = await this.counter.walkIn(slotId, name.slice(0, 200), actorOf(req));
      return seeOther(reply, `/verwaltung/buchungen/${created.id}?erledigt=walk_in`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'FORBIDDEN')
        return seeOther(reply, `${back}&fehler=${err.code}`);
      throw err;
    }
  }

  private dayUrl(body: Record<string, unknown>): string {
    const locationId = UUID.test(str(body.locationId)) ? str(body.locationId) : '';
    const date = /^\d{4}-\d{2}-\d{2}$/.test(str(body.date)) ? str(body.date) : '';
    return `/verwaltung/tag?locationId=${locationId}&date=${date}`;
  }

  @Get('suche')
  async find(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const term = str(query.q).trim().slice(0, 200);
    const results =
      term.length >= 2 ? await this.search.find(term, normalizeReference(term), actorOf(req).locationIds ?? null) : undefined;
    return send(reply, 200, consolePage(ctx, ctx.t.search, searchView(ctx, term, results)));
  }

  @Get('buchungen/:id')
  async booking(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('BOOKING_NOT_FOUND', 'No booking with this id.');
    return this.renderBooking(req, reply, id, { done: str(query.erledigt) || undefined });
  }

  @Post('buchungen/:id/:action')
  async act(
    @Param('id') id: string,
    @Param('action') action: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('BOOKING_NOT_FOUND', 'No booking with this id.');
    if (!BOOKING_ACTIONS.includes(action as BookingAction)) throw new DomainError('NOT_FOUND', 'No such action.');
    const a = action as BookingAction;
    const reason = str(body.reason).trim();
    const actor = actorOf(req);
    const kept = { action: a, reason, slotId: str(body.slotId), until: str(body.until) };
    if (reason.length < 3)
      return this.renderBooking(req, reply, id, { failed: { ...kept, field: 'reason', message: ctxOf(req).t.reasonHint } }, 422);
    try {
      const current = await this.review.detail(id, actor);
      const zone = current.slot.location.timeZone;
      switch (a) {
        case 'verlaengern': {
          const until = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(kept.until) ? DateTime.fromISO(kept.until, { zone }) : undefined;
          if (!until?.isValid) throw new DomainError('EXTENSION_INVALID', '`until` is not a time.');
          await this.review.extend(id, until.toISO()!, reason, actor);
          break;
        }
        case 'wiederherstellen':
          await this.review.reinstate(id, UUID.test(kept.slotId) ? kept.slotId : undefined, reason, actor);
          break;
        case 'bestaetigen':
          await this.review.confirm(id, reason, actor);
          break;
        case 'abschliessen':
          await this.review.close(id, reason, actor);
          break;
        case 'verlegen':
          if (!UUID.test(kept.slotId))
            throw new DomainError('VALIDATION_FAILED', 'Choose a new time.', [{ field: 'slotId', problems: ['required'] }]);
          await this.review.reschedule(id, kept.slotId, reason, actor);
          break;
        case 'absagen':
          await this.review.cancel(id, reason, actor);
          break;
        default: {
          const never: never = a;
          throw new Error(`unknown action ${String(never)}`);
        }
      }
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'FORBIDDEN' && err.code !== 'BOOKING_NOT_FOUND')
        return this.renderBooking(req, reply, id, { failed: { ...kept, code: err.code, message: err.message } }, err.status);
      throw err;
    }
    return seeOther(reply, `/verwaltung/buchungen/${id}?erledigt=${a}`);
  }

  private async renderBooking(
    req: ConsoleRequest,
    reply: FastifyReply,
    id: string,
    state: Parameters<typeof bookingView>[1]['state'],
    status = 200,
  ) {
    const ctx = ctxOf(req);
    const detail = await this.review.detail(id, actorOf(req), ctx.lang);
    // Free times of the same service: at its own office (reinstate, reschedule), and at the other
    // offices this clerk works at (reschedule), nearest first.
    const active = detail.status === 'expired' || detail.status === 'pending' || detail.status === 'confirmed';
    const offices = active ? (await this.officesOf(req)).slice(0, 20) : [];
    const freeSlots = (
      await Promise.all(
        offices.map((o) =>
          this.scheduling
            .availableSlots({
              locationId: o.id,
              serviceId: detail.slot.service.id,
              limit: o.id === detail.slot.location.id ? 60 : 20,
            })
            .then((slots) =>
              slots.map((slot) => ({ ...slot, officeName: o.id === detail.slot.location.id ? undefined : o.name })),
            )
            .catch(() => []),
        ),
      )
    ).flat();
    return send(
      reply,
      status,
      consolePage(
        ctx,
        ctx.t.booking(detail.reference),
        bookingView(ctx, {
          detail,
          freeSlots,
          state,
          now: this.clock.now(),
          serviceNames: new Map((await this.scheduling.listServices()).map((s) => [s.id, s.name])),
        }),
        {
          flash: state?.done ? { kind: 'success', text: ctx.t.done } : undefined,
        },
      ),
    );
  }

  @Get('pruefung')
  async queue(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const filter = {
      reason: (['mail_undelivered', 'held_for_mail'] as const).find((r) => r === query.reason),
      locationId: UUID.test(str(query.locationId)) ? str(query.locationId) : undefined,
      day: /^\d{4}-\d{2}-\d{2}$/.test(str(query.day)) && DateTime.fromISO(str(query.day)).isValid ? str(query.day) : undefined,
      family: /^[a-z0-9][a-z0-9.-]{0,63}$/.test(str(query.family)) ? str(query.family) : undefined,
    };
    const page = Math.max(0, Math.min(10_000, Number.parseInt(str(query.seite), 10) || 0));
    const locationIds = actorOf(req).locationIds ?? null;
    const [items, undelivered, held, offices] = await Promise.all([
      this.review.list({ ...filter, oldestFirst: true, limit: 50, offset: page * 50, locationIds }),
      this.review.list({ ...filter, reason: 'mail_undelivered', limit: 1, offset: 0, locationIds }),
      this.review.list({ ...filter, reason: 'held_for_mail', limit: 1, offset: 0, locationIds }),
      this.officesOf(req),
    ]);
    return send(
      reply,
      200,
      consolePage(
        ctx,
        ctx.t.review,
        reviewQueueView(ctx, {
          filter,
          items,
          counts: { mail_undelivered: undelivered.total, held_for_mail: held.total },
          offices,
          page,
        }),
      ),
    );
  }
}
