import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isEmail } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { Actor, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import { ClosuresService } from '../offices/closures.service';
import { OfficeAdminService, ServiceInput } from '../offices/office-admin.service';
import { SchedulingService } from '../scheduling/scheduling.service';
import { WeeklyOpening } from '../scheduling/slot-generation';
import { generatePassword } from '../staff/passwords';
import { RequireRole, STAFF_ROLES, StaffRole } from '../staff/roles';
import { StaffService } from '../staff/staff.service';
import { ctxOf, seeOther, send } from './console-auth.controller';
import { ConsoleErrorFilter } from './console-error.filter';
import { ConsoleGuard, ConsoleRequest } from './console.guard';
import { accountsView, AuditEntryRow, auditView, privacyView, sessionsView } from './views/admin.view';
import { PrivacyService } from '../privacy/privacy.service';
import { PRIVATE_PAGE_HEADERS } from '../web/layout';
import { consolePage } from './views/console-layout';
import { str, UUID } from './views/format';
import { OfficePageState, officesView, officeView } from './views/offices.view';

const actorOf = (req: ConsoleRequest): Actor => ({ id: req.console.staff!.id, label: req.console.staff!.email });
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : [];
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/** One line per period: `weekday from-to counters` (e.g. `1 08:00-12:00 3`); undefined when a line is not one. */
export function parsePeriods(text: string): WeeklyOpening[] | undefined {
  const periods: WeeklyOpening[] = [];
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^([1-7])\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s+(\d{1,4})$/.exec(line);
    if (!m) return undefined;
    periods.push({ weekday: Number(m[1]), opens: m[2].padStart(5, '0'), closes: m[3].padStart(5, '0'), counters: Number(m[4]) });
  }
  return periods;
}

/**
 * The admins' pages: staff accounts and sessions, the audit log (supervisors too, as in the API),
 * offices with their details, services' terms, weekly hours and closures (each with its dry run),
 * services. The same services as the admin API; every change audited there.
 */
@ApiExcludeController()
@Controller('verwaltung')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorFilter)
@RequireRole('admin')
export class AdminPagesController {
  constructor(
    private readonly staff: StaffService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly scheduling: SchedulingService,
    private readonly offices: OfficeAdminService,
    private readonly closures: ClosuresService,
    private readonly privacy: PrivacyService,
    private readonly clock: Clock,
  ) {}

  // ---- accounts ----

  @Get('konten')
  async accounts(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    return this.renderAccounts(req, reply, { done: !!query.erledigt });
  }

  private async renderAccounts(
    req: ConsoleRequest,
    reply: FastifyReply,
    v: { once?: string; problem?: string; kept?: { email?: string; displayName?: string; role?: string }; done?: boolean },
    status = 200,
  ) {
    const ctx = ctxOf(req);
    const [accounts, offices] = await Promise.all([this.staff.accounts(), this.scheduling.listLocations()]);
    return send(
      reply,
      status,
      consolePage(
        ctx,
        ctx.t.accounts,
        accountsView(ctx, { accounts, offices, ...v }),
        v.done ? { flash: { kind: 'success', text: ctx.t.done } } : {},
      ),
    );
  }

  @Post('konten')
  async createAccount(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const t = ctxOf(req).t;
    const email = str(body.email).trim().slice(0, 254);
    const displayName = str(body.displayName).trim().slice(0, 200);
    const role = STAFF_ROLES.find((r) => r === body.role);
    const kept = { email, displayName, role };
    const locationIds = list(body.locationIds).filter((id) => UUID.test(id));
    if (!isEmail(email) || !role)
      return this.renderAccounts(req, reply, { kept, problem: `${t.email} / ${t.role}: ${t.errors.VALIDATION_FAILED}` }, 422);
    try {
      const password = generatePassword();
      // The password is shown on this answer only: never in a URL, a log or the audit trail.
      await this.staff.create({ email, displayName: displayName || undefined, role, password, locationIds }, actorOf(req));
      return this.renderAccounts(req, reply, { once: t.created(email, password) }, 201);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderAccounts(req, reply, { kept, problem: t.errors[err.code] ?? err.message }, err.status);
      throw err;
    }
  }

  @Post('konten/:id')
  async updateAccount(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    const t = ctxOf(req).t;
    if (!UUID.test(id)) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
    const role = STAFF_ROLES.find((r) => r === body.role) as StaffRole | undefined;
    if (!role) return this.renderAccounts(req, reply, { problem: `${t.role}: ${t.errors.VALIDATION_FAILED}` }, 422);
    try {
      await this.staff.update(
        id,
        { role, locationIds: role === 'clerk' ? list(body.locationIds).filter((x) => UUID.test(x)) : [] },
        actorOf(req),
      );
      return seeOther(reply, '/verwaltung/konten?erledigt=1');
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderAccounts(req, reply, { problem: t.errors[err.code] ?? err.message }, err.status);
      throw err;
    }
  }

  @Post('konten/:id/deaktivieren')
  async deactivate(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    if (!UUID.test(id)) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
    try {
      await this.staff.deactivate(id, actorOf(req));
      return seeOther(reply, '/verwaltung/konten?erledigt=1');
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderAccounts(req, reply, { problem: ctxOf(req).t.errors[err.code] ?? err.message }, err.status);
      throw err;
    }
  }

  @Post('konten/:id/passwort')
  async resetPassword(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    if (!UUID.test(id)) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
    const account = await this.staff.account(id);
    const { password } = await this.staff.resetPassword(id, actorOf(req));
    return this.renderAccounts(req, reply, { once: ctxOf(req).t.passwordOnce(account.email, password) });
  }

  // ---- sessions ----

  @Get('sitzungen')
  async sessions(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const flash = query.erledigt
      ? { kind: 'success' as const, text: ctx.t.done }
      : query.fehler
        ? { kind: 'danger' as const, text: ctx.t.errors.SESSION_NOT_FOUND }
        : undefined;
    return send(
      reply,
      200,
      consolePage(ctx, ctx.t.sessions, sessionsView(ctx, await this.staff.sessions(), req.console.staff!.sessionId), { flash }),
    );
  }

  @Post('sitzungen/:id/beenden')
  async revoke(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    if (!UUID.test(id)) return seeOther(reply, '/verwaltung/sitzungen?fehler=1');
    try {
      await this.staff.revokeSession(id, actorOf(req));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'SESSION_NOT_FOUND')
        return seeOther(reply, '/verwaltung/sitzungen?fehler=1');
      throw err;
    }
    return seeOther(reply, '/verwaltung/sitzungen?erledigt=1');
  }

  // ---- audit log (supervisors may read it, as in the API) ----

  @Get('protokoll')
  @RequireRole('supervisor')
  async auditLog(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const day = (v: unknown) => (/^\d{4}-\d{2}-\d{2}$/.test(str(v)) && DateTime.fromISO(str(v)).isValid ? str(v) : undefined);
    const filter = {
      action: /^[a-z_.]{1,64}$/.test(str(query.action)) ? str(query.action) : undefined,
      actor: str(query.actor).trim().slice(0, 254) || undefined,
      bookingId: UUID.test(str(query.bookingId)) ? str(query.bookingId) : undefined,
      from: day(query.from),
      to: day(query.to),
    };
    const entries = (await this.audit.list(this.tx.manager, {
      action: filter.action,
      actorLabel: filter.actor,
      bookingId: filter.bookingId,
      from: filter.from ? DateTime.fromISO(filter.from, { zone: 'Europe/Berlin' }).toJSDate() : undefined,
      to: filter.to ? DateTime.fromISO(filter.to, { zone: 'Europe/Berlin' }).plus({ days: 1 }).toJSDate() : undefined,
      before: /^\d{1,18}$/.test(str(query.vor)) ? str(query.vor) : undefined,
      limit: 100,
    })) as AuditEntryRow[];
    return send(reply, 200, consolePage(ctx, ctx.t.auditLog, auditView(ctx, { entries, filter })));
  }

  // ---- data protection ----

  @Get('datenschutz')
  privacyPage(@Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    return send(reply, 200, consolePage(ctx, ctx.t.privacy, privacyView(ctx, {})));
  }

  @Post('datenschutz/auskunft')
  async privacyExport(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const email = str(body.email).trim().slice(0, 254);
    if (!isEmail(email))
      return send(
        reply,
        422,
        consolePage(
          ctx,
          ctx.t.privacy,
          privacyView(ctx, { email, problem: `${ctx.t.email}: ${ctx.t.errors.VALIDATION_FAILED}` }),
        ),
      );
    const data = await this.privacy.export(email, actorOf(req));
    return reply
      .status(200)
      .headers({
        ...PRIVATE_PAGE_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': 'attachment; filename="holdfast-auskunft.json"',
      })
      .send(JSON.stringify(data, null, 2));
  }

  @Post('datenschutz/loeschen')
  async privacyErase(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const ctx = ctxOf(req);
    const email = str(body.email).trim().slice(0, 254);
    const reason = str(body.reason).trim().slice(0, 1000);
    if (!isEmail(email) || reason.length < 3)
      return send(
        reply,
        422,
        consolePage(
          ctx,
          ctx.t.privacy,
          privacyView(ctx, { email, reason, problem: `${ctx.t.email} / ${ctx.t.reason}: ${ctx.t.reasonHint}` }),
        ),
      );
    try {
      const counts = await this.privacy.erase(email, reason, actorOf(req));
      return send(reply, 200, consolePage(ctx, ctx.t.privacy, privacyView(ctx, { done: ctx.t.privacyErased(counts.bookings) })));
    } catch (err) {
      if (err instanceof DomainError && err.status < 500) {
        const refs = (err.details as { references?: string[] } | undefined)?.references;
        const problem = `${ctx.t.errors[err.code] ?? err.message}${refs?.length ? ` (${refs.join(', ')})` : ''}`;
        return send(reply, err.status, consolePage(ctx, ctx.t.privacy, privacyView(ctx, { email, reason, problem })));
      }
      throw err;
    }
  }

  // ---- offices and services ----

  @Get('aemter')
  async officeList(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    return this.renderOffices(req, reply, undefined, 200, !!query.erledigt);
  }

  private async renderOffices(req: ConsoleRequest, reply: FastifyReply, problem?: string, status = 200, done = false) {
    const ctx = ctxOf(req);
    const [offices, services] = await Promise.all([this.scheduling.listLocations(), this.offices.services()]);
    return send(
      reply,
      status,
      consolePage(
        ctx,
        ctx.t.offices,
        officesView(ctx, { offices, services, problem }),
        done ? { flash: { kind: 'success', text: ctx.t.done } } : {},
      ),
    );
  }

  @Post('aemter')
  async createOffice(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    try {
      const created = await this.offices.createOffice(
        {
          name: str(body.name).trim(),
          address: str(body.address).trim(),
          timeZone: str(body.timeZone).trim(),
          unitMinutes: Number(str(body.unitMinutes)) || 10,
          holidayRegion: str(body.holidayRegion).trim() || null,
        },
        actorOf(req),
      );
      return seeOther(reply, `/verwaltung/aemter/${created.id}?erledigt=1`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderOffices(req, reply, this.problem(req, err), err.status);
      throw err;
    }
  }

  /** A service form's fields, or undefined when its name or duration cannot be used. */
  private serviceFields(body: Record<string, unknown>): ServiceInput | undefined {
    const name = str(body.name).trim();
    const durationMinutes = Number.parseInt(str(body.durationMinutes), 10);
    if (!name || !(durationMinutes > 0 && durationMinutes <= 480)) return undefined;
    return {
      name: name.slice(0, 200),
      durationMinutes,
      description: str(body.description).trim() || null,
      whatToBring: str(body.whatToBring).trim() || null,
    };
  }

  private badServiceForm(req: ConsoleRequest, reply: FastifyReply) {
    const t = ctxOf(req).t;
    return this.renderOffices(req, reply, `${t.service} / ${t.durationMinutes}: ${t.errors.VALIDATION_FAILED}`, 422);
  }

  @Post('anliegen')
  async createService(@Body() body: Record<string, unknown>, @Req() req: ConsoleRequest, @Res() reply: FastifyReply) {
    const fields = this.serviceFields(body);
    if (!fields) return this.badServiceForm(req, reply);
    try {
      await this.offices.createService(fields, actorOf(req));
      return seeOther(reply, '/verwaltung/aemter?erledigt=1');
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderOffices(req, reply, this.problem(req, err), err.status);
      throw err;
    }
  }

  @Post('anliegen/:id')
  async switchService(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('SERVICE_NOT_FOUND', 'No service with this id.');
    try {
      if (body.active === 'true' || body.active === 'false')
        await this.offices.updateService(id, { active: body.active === 'true' }, actorOf(req));
      else {
        const fields = this.serviceFields(body);
        if (!fields) return this.badServiceForm(req, reply);
        await this.offices.updateService(id, fields, actorOf(req));
      }
      return seeOther(reply, '/verwaltung/aemter?erledigt=1');
    } catch (err) {
      if (err instanceof DomainError && err.status < 500)
        return this.renderOffices(req, reply, this.problem(req, err), err.status);
      throw err;
    }
  }

  @Get('aemter/:id')
  async office(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    const n = Number(str(query.n)) || 0;
    const t = ctxOf(req).t;
    const flash =
      query.erledigt === 'zeiten'
        ? t.hoursSaved(n)
        : query.erledigt === 'geschlossen'
          ? t.closedDone(n)
          : query.erledigt
            ? t.done
            : undefined;
    return this.renderOffice(req, reply, id, {}, 200, flash);
  }

  private async renderOffice(
    req: ConsoleRequest,
    reply: FastifyReply,
    id: string,
    state: OfficePageState,
    status = 200,
    flash?: string,
  ) {
    const ctx = ctxOf(req);
    const office = await this.offices.office(id);
    const closures = await this.closures.upcoming(id);
    const today = this.clock.now().setZone(office.timeZone).toISODate()!;
    return send(
      reply,
      status,
      consolePage(
        ctx,
        office.name,
        officeView(ctx, { office, closures, state, today }),
        flash ? { flash: { kind: 'success', text: flash } } : {},
      ),
    );
  }

  @Post('aemter/:id')
  async updateOffice(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    const limit = str(body.noShowLimit).trim();
    try {
      await this.offices.updateOffice(
        id,
        {
          name: str(body.name).trim(),
          address: str(body.address).trim(),
          contact: str(body.contact).trim() || null,
          publicNotice: str(body.publicNotice).trim() || null,
          holidayRegion: str(body.holidayRegion).trim() || null,
          noShowLimit: limit ? Number.parseInt(limit, 10) : null,
        },
        actorOf(req),
      );
      return seeOther(reply, `/verwaltung/aemter/${id}?erledigt=1`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'LOCATION_NOT_FOUND')
        return this.renderOffice(req, reply, id, { problem: this.problem(req, err) }, err.status);
      throw err;
    }
  }

  @Post('aemter/:id/angebot/:serviceId')
  async setOffering(
    @Param('id') id: string,
    @Param('serviceId') serviceId: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id) || !UUID.test(serviceId)) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    try {
      await this.offices.setOffering(
        id,
        serviceId,
        {
          durationMinutes: Number.parseInt(str(body.durationMinutes), 10),
          bookable: body.bookable === 'true',
          maxPerBooking: Number.parseInt(str(body.maxPerBooking), 10),
        },
        actorOf(req),
      );
      return seeOther(reply, `/verwaltung/aemter/${id}?erledigt=1`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'LOCATION_NOT_FOUND')
        return this.renderOffice(req, reply, id, { problem: this.problem(req, err) }, err.status);
      throw err;
    }
  }

  @Post('aemter/:id/zeiten')
  async setHours(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    const t = ctxOf(req).t;
    const kept = {
      validFrom: str(body.validFrom),
      periods: str(body.periods).slice(0, 5000),
      reason: str(body.reason).trim().slice(0, 300),
    };
    const periods = parsePeriods(kept.periods);
    if (!periods) return this.renderOffice(req, reply, id, { problem: t.periodsInvalid, hours: kept }, 422);
    const step = str(body.step);
    try {
      const result = await this.offices.setHours(
        id,
        {
          validFrom: kept.validFrom,
          periods,
          reason: kept.reason || undefined,
          dryRun: step !== 'speichern' && step !== 'absagen',
          cancelBookings: step === 'absagen',
        },
        actorOf(req),
      );
      if (result.dryRun) return this.renderOffice(req, reply, id, { hours: { ...kept, affected: result.affected } });
      return seeOther(reply, `/verwaltung/aemter/${id}?erledigt=zeiten&n=${result.unitsChanged}`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'LOCATION_NOT_FOUND')
        return this.renderOffice(req, reply, id, { problem: this.problem(req, err), hours: kept }, err.status);
      throw err;
    }
  }

  @Post('aemter/:id/schliessungen')
  async close(
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!UUID.test(id)) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    const t = ctxOf(req).t;
    const kept = { startsAt: str(body.startsAt), endsAt: str(body.endsAt), reason: str(body.reason).trim().slice(0, 300) };
    const office = await this.offices.office(id);
    if (!LOCAL_TIME.test(kept.startsAt) || !LOCAL_TIME.test(kept.endsAt) || kept.reason.length < 3)
      return this.renderOffice(
        req,
        reply,
        id,
        { problem: `${t.startsAt} / ${t.endsAt} / ${t.closureReason}: ${t.errors.VALIDATION_FAILED}`, closure: kept },
        422,
      );
    const at = (v: string) => DateTime.fromISO(v, { zone: office.timeZone }).toISO()!;
    const step = str(body.step);
    try {
      const result = await this.closures.close(
        {
          locationId: id,
          startsAt: at(kept.startsAt),
          endsAt: at(kept.endsAt),
          reason: kept.reason,
          dryRun: step !== 'schliessen' && step !== 'absagen',
          cancelBookings: step === 'absagen',
        },
        actorOf(req),
      );
      if (result.dryRun) return this.renderOffice(req, reply, id, { closure: { ...kept, affected: result.affected } });
      return seeOther(reply, `/verwaltung/aemter/${id}?erledigt=geschlossen&n=${result.affected.length}`);
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && err.code !== 'LOCATION_NOT_FOUND')
        return this.renderOffice(req, reply, id, { problem: this.problem(req, err), closure: kept }, err.status);
      throw err;
    }
  }

  private problem(req: ConsoleRequest, err: DomainError): string {
    const t = ctxOf(req).t;
    const fields = Array.isArray(err.details)
      ? (err.details as Array<{ field?: string; problems?: string[] }>).filter((d) => d.field)
      : [];
    const detail = fields.map((d) => `${d.field}: ${(d.problems ?? []).join(', ')}`).join('; ');
    return `${t.errors[err.code] ?? err.message}${detail ? ` (${detail})` : t.errors[err.code] ? ` – ${err.message}` : ''}`;
  }
}
