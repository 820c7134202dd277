import { Body, Controller, Get, Headers, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { isEmail, validate } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { randomBytes } from 'node:crypto';
import { BookingNotices } from '../bookings/booking-notices.service';
import { BookingsService } from '../bookings/bookings.service';
import { rescheduleRefusal } from '../bookings/booking-state';
import { CreateBookingDto } from '../bookings/bookings.dto';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { escapeHtml } from '../common/html';
import { inZone } from '../common/time';
import { ConfirmationsService } from '../confirmations/confirmations.service';
import { SchedulingService } from '../scheduling/scheduling.service';
import { RateLimited } from '../common/rate-limit';
import { AltchaService, NO_SCRIPT_WAIT_SECONDS } from '../bot-check/altcha.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SITE_JS } from '../web/site-script';
import { PageErrorFilter } from './page-error.filter';
import { alert, facts, page, PAGE_HEADERS, PRIVATE_PAGE_HEADERS, SITE_CSS } from '../web/layout';
import { Lang, pickLang, t, Texts } from '../web/texts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAYS_SHOWN = 14;
const FORM_FIELDS = ['name', 'email', 'phone'] as const;
type FormField = (typeof FORM_FIELDS)[number];
type FormValues = Partial<Record<FormField, string>>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const when = (d: Date, zone: string, lang: Lang, format: string) => inZone(d, zone).setLocale(lang).toFormat(format);

/**
 * The citizen's pages: offices, services, free times, the booking form, the page after booking
 * and the status page. Server-rendered HTML that works without JavaScript; the addresses are a
 * contract (city web sites link to them). Every text comes from web/texts.ts.
 */
@ApiExcludeController()
@Controller()
@UseFilters(PageErrorFilter)
export class CitizenPagesController {
  constructor(
    private readonly scheduling: SchedulingService,
    private readonly bookings: BookingsService,
    private readonly confirmations: ConfirmationsService,
    private readonly notices: BookingNotices,
    private readonly clock: Clock,
    private readonly altcha: AltchaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async offices(
    @Query('lang') langQuery: unknown,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const lang = pickLang(langQuery, al);
    const tx = t(lang);
    const offices = await this.scheduling.offices();
    const cards = offices
      .map((o) => {
        const hours = o.openings.length
          ? `<table class="kern-table kern-table--small"><caption class="kern-sr-only">${escapeHtml(`${tx.openingHours}: ${o.name}`)}</caption><tbody class="kern-table__body">${o.openings
              .map(
                (h) =>
                  `<tr class="kern-table__row"><th scope="row" class="kern-table__header">${escapeHtml(tx.weekdays[h.weekday - 1])}</th><td class="kern-table__cell">${escapeHtml(h.opens.slice(0, 5))}–${escapeHtml(h.closes.slice(0, 5))}</td></tr>`,
              )
              .join('')}</tbody></table>`
          : `<p class="kern-body">${escapeHtml(tx.noOpeningHours)}</p>`;
        return `<li class="kern-card"><div class="kern-card__container"><div class="kern-card__header"><h2 class="kern-heading-medium">${escapeHtml(o.name)}</h2><p class="kern-body">${escapeHtml(o.address)}</p></div>
<div class="kern-card__body"><h3 class="kern-heading-small">${escapeHtml(tx.openingHours)}</h3>${hours}</div>
<div class="kern-card__footer"><a class="kern-btn kern-btn--primary" href="/termine?locationId=${o.id}${lang === 'en' ? '&lang=en' : ''}"><span class="kern-label">${escapeHtml(tx.services)}</span></a></div></div></li>`;
      })
      .join('');
    const body = `<h1 class="kern-heading-large">${escapeHtml(tx.offices)}</h1><p class="kern-body">${escapeHtml(tx.officesIntro)}</p><ul class="kern-list stack" role="list">${cards}</ul>`;
    return this.send(reply, 200, PAGE_HEADERS, page({ lang, title: tx.offices, body, path: '/' }));
  }

  @Get('termine')
  async times(
    @Query() query: Record<string, unknown>,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const lang = pickLang(query.lang, al);
    const tx = t(lang);
    const locationId = str(query.locationId);
    const location = UUID.test(locationId) ? await this.scheduling.findLocation(locationId) : undefined;
    if (!location) return this.notFound(reply, lang);
    const serviceId = str(query.serviceId);
    const suffix = lang === 'en' ? '&lang=en' : '';
    if (!serviceId) {
      // The services this office offers, with its durations and what to bring; its notice and contact.
      const services = await this.scheduling.servicesAt(location.id);
      const items = services
        .map(
          (s) =>
            `<li><a class="kern-link" href="/termine?locationId=${location.id}&serviceId=${s.id}${suffix}">${escapeHtml(s.name)}</a> <span class="kern-body--muted">(${escapeHtml(tx.minutes(s.durationMinutes))})</span>${
              s.whatToBring
                ? `<br><span class="kern-body--small">${escapeHtml(tx.whatToBring)}: ${escapeHtml(s.whatToBring)}</span>`
                : ''
            }</li>`,
        )
        .join('');
      const title = tx.chooseService(location.name);
      const notice = location.publicNotice ? alert('info', location.name, location.publicNotice) : '';
      const contact = location.contact ? ` · ${escapeHtml(tx.contact)}: ${escapeHtml(location.contact)}` : '';
      const body = `<h1 class="kern-heading-large">${escapeHtml(title)}</h1><p class="kern-body">${escapeHtml(location.address)}${contact}</p>${notice}<ul class="kern-list kern-list--bullet">${items}</ul>`;
      return this.send(reply, 200, PAGE_HEADERS, page({ lang, title, body, path: `/termine?locationId=${location.id}` }));
    }
    // Only a service this office offers, with its duration here.
    const service = UUID.test(serviceId)
      ? (await this.scheduling.servicesAt(location.id)).find((s) => s.id === serviceId)
      : undefined;
    if (!service) return this.notFound(reply, lang);
    const zone = location.timeZone;
    const today = this.clock.now().setZone(zone).startOf('day');
    const fromDay = DateTime.fromISO(str(query.from), { zone });
    const from = fromDay.isValid && fromDay >= today ? fromDay.startOf('day') : today;
    const to = from.plus({ days: DAYS_SHOWN });
    const slots = await this.scheduling.availableSlots({
      locationId: location.id,
      serviceId: service.id,
      from: from.toISO()!,
      to: to.toISO()!,
    });
    const base = `/termine?locationId=${location.id}&serviceId=${service.id}`;
    const byDay = new Map<string, typeof slots>();
    for (const s of slots) {
      const day = s.startsAt.slice(0, 10);
      byDay.set(day, [...(byDay.get(day) ?? []), s]);
    }
    let list = '';
    for (const [day, daySlots] of byDay) {
      const dayLabel = DateTime.fromISO(day, { zone }).setLocale(lang).toFormat(tx.dateFormat);
      list += `<h2 class="kern-heading-small">${escapeHtml(dayLabel)}</h2><ul class="day-times">${daySlots
        .map((s) => {
          const time = DateTime.fromISO(s.startsAt, { setZone: true }).setLocale(lang).toFormat(tx.timeFormat);
          return `<li><a class="kern-btn kern-btn--secondary" href="/termine/buchen?slotId=${s.id}${suffix}" aria-label="${escapeHtml(`${dayLabel}, ${time}, ${tx.places(s.available)}`)}"><span class="kern-label">${escapeHtml(time)}</span></a></li>`;
        })
        .join('')}</ul>`;
    }
    if (!list) list = await this.nothingFree(tx, lang, location, service, to, base, suffix);
    const previous = from > today ? from.minus({ days: 7 }) : undefined;
    const pager = `<nav class="pager" aria-label="${escapeHtml(tx.freeTimes)}">${
      previous
        ? `<a class="kern-link" href="${base}&from=${(previous < today ? today : previous).toISODate()}${suffix}">← ${escapeHtml(tx.earlier)}</a>`
        : '<span></span>'
    }<a class="kern-link" href="${base}&from=${from.plus({ days: 7 }).toISODate()}${suffix}">${escapeHtml(tx.later)} →</a></nav>`;
    const title = tx.freeTimesAt(service.name, location.name);
    // Closures in the days shown, with their reason.
    const closed = (await this.scheduling.closures(location.id)).filter(
      (c) => c.startsAt < to.toJSDate() && c.endsAt > from.toJSDate(),
    );
    const closures = closed.length
      ? alert(
          'info',
          tx.closedHeading,
          closed
            .map((c) =>
              tx.closedAt(
                when(c.startsAt, zone, lang, tx.dateTimeFormat),
                when(c.endsAt, zone, lang, tx.dateTimeFormat),
                c.reason,
              ),
            )
            .join(' '),
        )
      : '';
    const body = `<h1 class="kern-heading-large">${escapeHtml(title)}</h1><p class="kern-body">${escapeHtml(location.address)} · ${escapeHtml(tx.minutes(service.durationMinutes))}</p>${closures}${pager}${list}${pager}`;
    return this.send(reply, 200, PAGE_HEADERS, page({ lang, title, body, path: `${base}&from=${from.toISODate()}` }));
  }

  /** Nothing free in the shown days: the next free day here, and other offices with the service. */
  private async nothingFree(
    tx: Texts,
    lang: Lang,
    location: { id: string; timeZone: string },
    service: { id: string },
    after: DateTime,
    base: string,
    suffix: string,
  ): Promise<string> {
    const later = await this.scheduling.availableSlots({
      locationId: location.id,
      serviceId: service.id,
      from: after.toISO()!,
      to: after.plus({ days: 45 }).toISO()!,
    });
    const next = later[0];
    let html = `<p class="kern-body">${escapeHtml(tx.nothingFree)}</p>`;
    if (next) {
      const day = DateTime.fromISO(next.startsAt, { setZone: true });
      html += `<p class="kern-body">${escapeHtml(tx.nextFreeDay(day.setLocale(lang).toFormat(tx.dateFormat)))} <a class="kern-link" href="${base}&from=${day.toISODate()}${suffix}">${escapeHtml(tx.showThatWeek)}</a></p>`;
    } else html += `<p class="kern-body">${escapeHtml(tx.noneSoon)}</p>`;
    const others = await this.scheduling.otherOfficesWithFreeTimes(service.id, location.id);
    if (others.length)
      html += `<p class="kern-body">${escapeHtml(tx.otherOffices)}</p><ul class="kern-list kern-list--bullet">${others
        .map(
          (o) =>
            `<li><a class="kern-link" href="/termine?locationId=${o.id}&serviceId=${service.id}${suffix}">${escapeHtml(o.name)}</a></li>`,
        )
        .join('')}</ul>`;
    return html;
  }

  @Get('termine/buchen')
  async form(
    @Query() query: Record<string, unknown>,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const lang = pickLang(query.lang, al);
    return this.renderForm(reply, lang, str(query.slotId), {}, {}, undefined);
  }

  @RateLimited('booking')
  @Post('termine/buchen')
  async book(@Body() body: unknown, @Headers('accept-language') al: string | undefined, @Res() reply: FastifyReply) {
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const lang = pickLang(form.lang, al);
    const slotId = str(form.slotId);
    const values: FormValues = { name: str(form.name), email: str(form.email), phone: str(form.phone) };
    const input = plainToInstance(CreateBookingDto, {
      slotId,
      name: values.name,
      email: values.email,
      ...(values.phone?.trim() ? { phone: values.phone } : {}),
      lang,
    });
    const problems = await validate(input);
    const fieldErrors: Partial<Record<FormField | 'slotId', string>> = {};
    for (const p of problems) fieldErrors[p.property as FormField] = t(lang).fieldErrors[p.property] ?? p.property;
    if (fieldErrors.slotId) return this.renderForm(reply, lang, slotId, values, {}, t(lang).fieldErrors.slotId, 422);
    if (Object.keys(fieldErrors).length) return this.renderForm(reply, lang, slotId, values, fieldErrors, undefined, 422);
    // The address's provider refuses our mail right now: say so before booking (once; the citizen
    // may add a phone, change the address, or go on with it).
    if (form.providerWarningSeen !== '1' && !values.phone?.trim()) {
      const warning = await this.bookings.providerWarning(input.email);
      if (warning)
        return this.renderForm(reply, lang, slotId, values, {}, undefined, 200, {
          providerWarning: warning,
          idempotencyKey: str(form.idempotencyKey),
        });
    }
    const key = /^[A-Za-z0-9_-]{22,64}$/.test(str(form.idempotencyKey)) ? `page:${str(form.idempotencyKey)}` : undefined;
    // Bots: the proof of work the widget solved, or (without JavaScript) the wait ticket; a repeat
    // of a booked form (a double submit, a reload) is answered as the first time, without the check.
    const repeat = key ? await this.bookings.repeatOf(input, key).catch(() => undefined) : undefined;
    if (this.config.altcha.pages && !repeat) {
      const solved = await this.altcha.verify(form.altcha);
      const waited = solved === 'missing' ? await this.altcha.verifyWaitTicket(form.waitTicket) : solved;
      if (waited !== 'verified') {
        const again = { idempotencyKey: str(form.idempotencyKey), warningSeen: form.providerWarningSeen === '1' };
        if (solved === 'missing' && (waited === 'missing' || waited === 'too_early'))
          return this.renderForm(reply, lang, slotId, values, {}, undefined, 200, { ...again, botCheck: 'wait' });
        return this.renderForm(reply, lang, slotId, values, {}, t(lang).botCheckFailed, 400, { ...again, botCheck: 'failed' });
      }
    }
    try {
      const { body: created } = repeat ?? (await this.bookings.create(input, key));
      const where = `/buchung/${created.id}?token=${encodeURIComponent(created.statusToken)}&neu=1${lang === 'en' ? '&lang=en' : ''}`;
      return reply.status(303).header('location', where).header('cache-control', 'no-store').send();
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.code === 'VALIDATION_FAILED') {
        const details = (err.details ?? []) as Array<{ field: string }>;
        for (const d of details)
          if (FORM_FIELDS.includes(d.field as FormField)) fieldErrors[d.field as FormField] = t(lang).fieldErrors[d.field];
        return this.renderForm(reply, lang, slotId, values, fieldErrors, undefined, 422);
      }
      const message = t(lang).errors[err.code] ?? err.message;
      return this.renderForm(reply, lang, slotId, values, {}, message, err.status);
    }
  }

  private async renderForm(
    reply: FastifyReply,
    lang: Lang,
    slotId: string,
    values: FormValues,
    errors: Partial<Record<FormField, string>>,
    problem: string | undefined,
    status = 200,
    step: {
      providerWarning?: { provider: string; since: Date };
      idempotencyKey?: string;
      warningSeen?: boolean;
      /** The bot check failed, or asks a browser without JavaScript to wait and send again. */
      botCheck?: 'failed' | 'wait';
    } = {},
  ) {
    const { providerWarning } = step;
    const tx = t(lang);
    const slot = UUID.test(slotId) ? await this.scheduling.slotDetails(slotId) : undefined;
    if (!slot) return this.notFound(reply, lang);
    const zone = slot.timeZone;
    const summaryItems = FORM_FIELDS.filter((f) => errors[f]).map(
      (f) => `<li><a class="kern-link" href="#${f}">${escapeHtml(errors[f]!)}</a></li>`,
    );
    const summary = summaryItems.length
      ? `<div class="kern-alert kern-alert--danger" role="alert" tabindex="-1" id="error-summary"><div class="kern-alert__header"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><h2 class="kern-title">${escapeHtml(tx.errorSummary)}</h2></div><div class="kern-alert__body"><ul class="kern-list">${summaryItems.join('')}</ul></div></div>`
      : problem
        ? alert('danger', tx.errorSummary, problem, 'alert')
        : '';
    const field = (name: FormField, label: string, type: string, autocomplete: string, hint?: string, optional = false) => {
      const error = errors[name];
      const describedBy = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
      return `<div class="kern-form-input${error ? ' kern-form-input--error' : ''}">
<label class="kern-label" for="${name}">${escapeHtml(label)}${optional ? ` <span class="kern-label__optional">– ${escapeHtml(tx.optional)}</span>` : ''}</label>
${hint ? `<div class="kern-hint" id="${name}-hint">${escapeHtml(hint)}</div>` : ''}
${error ? `<p class="kern-error" id="${name}-error" role="alert"><span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span><span class="kern-body">${escapeHtml(error)}</span></p>` : ''}
<input class="kern-form-input__input${error ? ' kern-form-input__input--error' : ''}" id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" value="${escapeHtml(values[name] ?? '')}"${optional ? '' : ' required'}${describedBy ? ` aria-describedby="${describedBy}"` : ''}${error ? ' aria-invalid="true"' : ''}>
</div>`;
    };
    const warning = providerWarning
      ? `<div class="kern-alert kern-alert--warning" role="alert" id="provider-warning"><div class="kern-alert__header"><span class="kern-icon kern-icon--warning" aria-hidden="true"></span><h2 class="kern-title">${escapeHtml(
          tx.providerBlocked(providerWarning.provider, when(providerWarning.since, zone, lang, tx.timeFormat)),
        )}</h2></div><div class="kern-alert__body"><p class="kern-body">${escapeHtml(tx.providerBlockedHelp)}</p></div></div>`
      : '';
    // The widget solves a proof of work in the browser and puts the solution in the field `altcha`;
    // without JavaScript the form comes back once with a wait ticket (see AltchaService).
    const botCheck = !this.config.altcha.pages
      ? ''
      : step.botCheck === 'wait'
        ? alert('info', tx.botCheckWait, tx.botCheckWaitText(NO_SCRIPT_WAIT_SECONDS), 'status')
        : `<div class="kern-form-input"><span class="kern-label" id="altcha-label">${escapeHtml(tx.botCheck)}</span><div class="kern-hint" id="altcha-hint">${escapeHtml(tx.botCheckHint)}</div><altcha-widget challenge="/api/v1/altcha/challenge" name="altcha" auto="onfocus" language="${lang}" hidelogo aria-labelledby="altcha-label" aria-describedby="altcha-hint"></altcha-widget></div>`;
    const body = `<h1 class="kern-heading-large">${escapeHtml(tx.bookForm)}</h1>
${summary}${warning}
<h2 class="kern-heading-small">${escapeHtml(tx.yourAppointment)}</h2>
${facts([
  [tx.what, escapeHtml(slot.serviceName)],
  [tx.when, escapeHtml(when(slot.startsAt, zone, lang, tx.dateTimeFormat))],
  [tx.where, `${escapeHtml(slot.locationName)}, ${escapeHtml(slot.locationAddress)}`],
])}
<form method="post" action="/termine/buchen" novalidate class="stack">
<input type="hidden" name="slotId" value="${escapeHtml(slot.id)}">
<input type="hidden" name="lang" value="${lang}">
<input type="hidden" name="idempotencyKey" value="${escapeHtml(step.idempotencyKey || randomBytes(18).toString('base64url'))}">
<input type="hidden" name="providerWarningSeen" value="${providerWarning || step.warningSeen ? '1' : ''}">
${step.botCheck === 'wait' ? `<input type="hidden" name="waitTicket" value="${escapeHtml(this.altcha.waitTicket())}">` : ''}
${field('name', tx.name, 'text', 'name')}
${field('email', tx.email, 'email', 'email', tx.emailHint).replace('<input ', `<input data-provider-check="/termine/buchen/warnung?slotId=${escapeHtml(slot.id)}&amp;lang=${lang}" `)}
<div id="provider-live" aria-live="polite"></div>
${field('phone', tx.phone, 'tel', 'tel', tx.phoneHint, true)}
<p class="kern-body kern-body--small">${escapeHtml(tx.privacy)} <a class="kern-link" href="/datenschutz${lang === 'en' ? '?lang=en' : ''}">${escapeHtml(tx.privacyLink)}</a>.</p>
${botCheck}
<button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">${escapeHtml(step.botCheck === 'wait' ? tx.botCheckSubmit : providerWarning ? tx.submitAnyway : tx.submit)}</span></button>
</form>`;
    const widget = this.config.altcha.pages;
    return this.send(
      reply,
      status,
      PAGE_HEADERS,
      page({
        lang,
        title: tx.bookForm,
        body,
        path: `/termine/buchen?slotId=${slot.id}`,
        scripts: widget ? ['/assets/altcha/external/altcha.js', ...(lang === 'de' ? ['/assets/altcha/i18n/de.js'] : [])] : [],
        styles: widget ? ['/assets/altcha/external/altcha.css'] : [],
      }),
    );
  }

  @RateLimited('status')
  @Get('buchung/:id')
  async status(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const lang = pickLang(query.lang, al);
    const token = str(query.token);
    const view = await this.holderView(id, token, lang);
    if (!view) return this.invalidStatus(reply, lang);
    const flash = (['neu', 'erneut', 'abgesagt', 'adresse', 'telefon', 'bestaetigt', 'verlegt'] as const).find((f) => query[f]);
    return this.send(
      reply,
      200,
      PRIVATE_PAGE_HEADERS,
      this.statusPage(lang, view, token, flash, undefined, await this.moveOptions(view)),
    );
  }

  @RateLimited('self_service')
  @Post('buchung/:id/erneut')
  resend(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    return this.action(id, body, al, reply, 'erneut', (token) => this.bookings.selfService(id, token, 'resend'));
  }

  @RateLimited('self_service')
  @Post('buchung/:id/adresse')
  changeEmail(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const email = str((body as Record<string, unknown> | undefined)?.email).trim();
    return this.action(id, body, al, reply, 'adresse', async (token, lang) => {
      if (!isEmail(email, { require_tld: true, allow_ip_domain: false }))
        throw new DomainError('VALIDATION_FAILED', t(lang).fieldErrors.email);
      await this.bookings.selfService(id, token, 'change_email', email);
    });
  }

  @RateLimited('self_service')
  @Post('buchung/:id/telefon')
  addPhone(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const phone = str((body as Record<string, unknown> | undefined)?.phone).trim();
    return this.action(id, body, al, reply, 'telefon', async (token, lang) => {
      if (!/^(?=.{6,32}$)\+?[0-9 ()\/-]+$/.test(phone)) throw new DomainError('VALIDATION_FAILED', t(lang).fieldErrors.phone);
      await this.bookings.selfService(id, token, 'add_phone', phone);
    });
  }

  @RateLimited('status')
  @RateLimited('self_service')
  @Post('buchung/:id/verlegen')
  reschedule(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const slotId = str((body as Record<string, unknown> | undefined)?.slotId);
    return this.action(id, body, al, reply, 'verlegt', async (token) => {
      if (!UUID.test(slotId)) throw new DomainError('SLOT_NOT_FOUND', 'No slot with this id.');
      await this.bookings.reschedule(id, slotId, { statusToken: token });
    });
  }

  @Get('buchung/:id/termin.ics')
  async calendar(@Param('id') id: string, @Query('token') token: unknown, @Res() reply: FastifyReply) {
    const view = await this.holderView(id, str(token));
    if (!view || (view.booking.status !== 'confirmed' && view.booking.status !== 'cancelled'))
      return this.invalidStatus(reply, 'de');
    const ics = this.notices.calendar(view.booking, view.booking.status === 'cancelled' ? 'CANCEL' : 'REQUEST');
    return reply
      .status(200)
      .headers({
        'content-type': 'text/calendar; charset=utf-8',
        'content-disposition': `attachment; filename="termin-${view.booking.reference}.ics"`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      })
      .send(ics);
  }

  @RateLimited('confirm')
  @Post('buchung/:id/code')
  enterCode(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: { ip?: string },
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const code = str((body as Record<string, unknown> | undefined)?.code).replace(/\s/g, '');
    return this.action(id, body, al, reply, 'bestaetigt', async (token) => {
      const { booking } = await this.bookings.getForHolder(id, token);
      await this.confirmations.confirmWithCode(booking.reference, code, req.ip ?? 'unknown');
    });
  }

  /** A status-page form: do `work` as the token's holder, then back to the status page (or the page with the error). */
  private async action(
    id: string,
    body: unknown,
    al: string | undefined,
    reply: FastifyReply,
    flag: string,
    work: (token: string, lang: Lang) => Promise<unknown>,
  ) {
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const lang = pickLang(form.lang, al);
    const token = str(form.token);
    if (!UUID.test(id)) return this.invalidStatus(reply, lang);
    try {
      await work(token, lang);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const view = await this.holderView(id, token, lang);
      if (!view) return this.invalidStatus(reply, lang);
      // Our own checks above word their message for the page; everything else by its code.
      const own = err.code === 'VALIDATION_FAILED' && err.details === undefined;
      const message = own ? err.message : (t(lang).errors[err.code] ?? err.message);
      return this.send(
        reply,
        err.status,
        PRIVATE_PAGE_HEADERS,
        this.statusPage(lang, view, token, undefined, message, await this.moveOptions(view)),
      );
    }
    return this.backToStatus(reply, id, token, lang, flag);
  }

  @Get('buchung/:id/absagen')
  async cancelQuestion(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const lang = pickLang(query.lang, al);
    const tx = t(lang);
    const token = str(query.token);
    const view = await this.holderView(id, token, lang);
    if (!view) return this.invalidStatus(reply, lang);
    // A GET only asks (mail scanners open links); the POST cancels.
    const body = `<h1 class="kern-heading-large">${escapeHtml(tx.cancel)}</h1>${this.bookingFacts(lang, view.booking)}
<p class="kern-body">${escapeHtml(tx.cancelQuestion)}</p>
<div class="actions"><form method="post" action="/buchung/${view.booking.id}/absagen"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="lang" value="${lang}"><button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">${escapeHtml(tx.cancelYes)}</span></button></form>
<a class="kern-btn kern-btn--secondary" href="${escapeHtml(this.statusUrl(view.booking.id, token, lang))}"><span class="kern-label">${escapeHtml(tx.cancelNo)}</span></a></div>`;
    return this.send(
      reply,
      200,
      PRIVATE_PAGE_HEADERS,
      page({ lang, title: tx.cancel, body, path: `/buchung/${view.booking.id}/absagen?token=${encodeURIComponent(token)}` }),
    );
  }

  @RateLimited('self_service')
  @Post('buchung/:id/absagen')
  async cancel(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('accept-language') al: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const lang = pickLang(form.lang, al);
    const token = str(form.token);
    if (!UUID.test(id)) return this.invalidStatus(reply, lang);
    try {
      await this.bookings.cancel(id, token);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const view = await this.holderView(id, token, lang);
      if (!view) return this.invalidStatus(reply, lang);
      return this.send(reply, err.status, PRIVATE_PAGE_HEADERS, this.statusPage(lang, view, token, undefined, err.message));
    }
    return this.backToStatus(reply, id, token, lang, 'abgesagt');
  }

  @Get('datenschutz')
  privacy(@Query('lang') langQuery: unknown, @Headers('accept-language') al: string | undefined, @Res() reply: FastifyReply) {
    const lang = pickLang(langQuery, al);
    const tx = t(lang);
    const sections = tx.privacyText({
      retentionDays: this.config.retentionDays,
      confirmWindowMinutes: this.config.confirmWindowMinutes,
    });
    const body = `<h1 class="kern-heading-large">${escapeHtml(tx.privacyTitle)}</h1>${sections
      .map(
        ([heading, text]) =>
          `<h2 class="kern-heading-medium">${escapeHtml(heading)}</h2><p class="kern-body">${escapeHtml(text)}</p>`,
      )
      .join('')}`;
    return this.send(reply, 200, PAGE_HEADERS, page({ lang, title: tx.privacyTitle, body, path: '/datenschutz' }));
  }

  /** For the form's script: whether the address's provider refuses the city's mail right now, in words. */
  @RateLimited('status')
  @Get('termine/buchen/warnung')
  async warning(@Query() query: Record<string, unknown>, @Headers('accept-language') al: string | undefined) {
    const lang = pickLang(query.lang, al);
    const email = str(query.email).trim();
    const slot = UUID.test(str(query.slotId)) ? await this.scheduling.slotDetails(str(query.slotId)) : undefined;
    if (!slot || !isEmail(email)) return { warning: null };
    const warning = await this.bookings.providerWarning(email);
    if (!warning) return { warning: null };
    const tx = t(lang);
    return {
      warning: {
        title: tx.providerBlocked(warning.provider, when(warning.since, slot.timeZone, lang, tx.timeFormat)),
        help: tx.providerBlockedHelp,
      },
    };
  }

  @Get('assets/site.js')
  script(@Res() reply: FastifyReply) {
    return this.asset(reply, 'text/javascript', SITE_JS);
  }

  @Get('assets/site.css')
  css(@Res() reply: FastifyReply) {
    return this.asset(reply, 'text/css', SITE_CSS);
  }

  private asset(reply: FastifyReply, type: string, body: string) {
    return reply
      .status(200)
      .header('content-type', `${type}; charset=utf-8`)
      .header('cache-control', 'public, max-age=3600')
      .send(body);
  }

  /** Up to 30 free times of the same service at the same office, while the booking may still be moved. */
  private async moveOptions(view: Awaited<ReturnType<BookingsService['getForHolder']>>) {
    const { booking } = view;
    const now = this.clock.now();
    const movable = rescheduleRefusal(
      { ...booking, slotStartsAt: DateTime.fromJSDate(booking.slotStartsAt) },
      { slotId: '', serviceId: booking.serviceId, startsAt: now.plus({ minutes: 1 }) },
      now,
    );
    if (movable) return [];
    // The status page is fetched again every STATUS_REFRESH_SECONDS: ask for the 31 it may show, not every free slot.
    const free = await this.scheduling.availableSlots({
      locationId: booking.locationId,
      serviceId: booking.serviceId,
      limit: 31,
    });
    return free.filter((s) => s.id !== booking.slotId).slice(0, 30);
  }

  private async holderView(id: string, token: string, lang?: Lang) {
    if (!UUID.test(id) || !token) return undefined;
    try {
      return await this.bookings.getForHolder(id, token, lang);
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'BOOKING_TOKEN_INVALID' || err.code === 'BOOKING_NOT_FOUND'))
        return undefined;
      throw err;
    }
  }

  private statusUrl(id: string, token: string, lang: Lang, flag?: string) {
    return `/buchung/${id}?token=${encodeURIComponent(token)}${flag ? `&${flag}=1` : ''}${lang === 'en' ? '&lang=en' : ''}`;
  }

  private backToStatus(reply: FastifyReply, id: string, token: string, lang: Lang, flag: string) {
    return reply
      .status(303)
      .header('location', this.statusUrl(id, token, lang, flag))
      .header('cache-control', 'no-store')
      .send();
  }

  private bookingFacts(lang: Lang, booking: Awaited<ReturnType<BookingsService['getForHolder']>>['booking']) {
    const tx = t(lang);
    return facts([
      [tx.reference, `<strong>${escapeHtml(booking.reference)}</strong>`],
      [tx.what, escapeHtml(booking.serviceName)],
      [tx.when, escapeHtml(when(booking.slotStartsAt, booking.timeZone, lang, tx.dateTimeFormat))],
      [tx.where, `${escapeHtml(booking.locationName)}, ${escapeHtml(booking.locationAddress)}`],
    ]);
  }

  private statusPage(
    lang: Lang,
    view: Awaited<ReturnType<BookingsService['getForHolder']>>,
    token: string,
    flash?: 'neu' | 'erneut' | 'abgesagt' | 'adresse' | 'telefon' | 'bestaetigt' | 'verlegt',
    problem?: string,
    moves: Array<{ id: string; startsAt: string }> = [],
  ): string {
    const tx = t(lang);
    const { booking, messages, hold } = view;
    const pending = booking.status === 'pending';
    const mail = messages.filter((m) => m.channel === 'email').at(-1);
    const mailLine = mail
      ? `${escapeHtml(tx.mailStates[mail.state] ?? mail.state)} (${escapeHtml(mail.recipient)}; ${escapeHtml(tx.attempts(mail.attempts))})`
      : escapeHtml(tx.noMail);
    const rows: Array<[string, string]> = [
      [lang === 'de' ? 'Status' : 'Status', `<strong>${escapeHtml(tx.statusWords[booking.status] ?? booking.status)}</strong>`],
    ];
    if (pending) rows.push([tx.heldUntil, escapeHtml(when(booking.holdUntil, booking.timeZone, lang, tx.dateTimeFormat))]);
    if (pending) rows.push([tx.mailNow, mailLine]);
    const intro =
      flash === 'neu'
        ? `<h1 class="kern-heading-large">${escapeHtml(tx.booked)}</h1>${alert('info', tx.booked, tx.bookedIntro(booking.email), 'status')}`
        : `<h1 class="kern-heading-large">${escapeHtml(tx.statusTitle)}</h1>${flash ? alert('success', tx.done[flash], '', 'status') : ''}`;
    const why =
      pending && hold
        ? `<h2 class="kern-heading-small">${escapeHtml(tx.whyWaiting)}</h2><p class="kern-body">${escapeHtml(hold.explanation)}</p>`
        : '';
    const help = pending
      ? `<h2 class="kern-heading-small">${escapeHtml(tx.noMailArrived)}</h2><p class="kern-body">${escapeHtml(tx.noMailHelp)}</p>`
      : '';
    const actions =
      booking.status === 'pending' || booking.status === 'confirmed'
        ? `<div class="actions">${
            pending
              ? `<form method="post" action="/buchung/${booking.id}/erneut"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="lang" value="${lang}"><button class="kern-btn kern-btn--secondary" type="submit"><span class="kern-label">${escapeHtml(tx.resend)}</span></button></form>`
              : ''
          }${
            booking.status === 'confirmed'
              ? `<a class="kern-btn kern-btn--secondary" href="/buchung/${booking.id}/termin.ics?token=${encodeURIComponent(token)}"><span class="kern-label">${escapeHtml(tx.addToCalendar)}</span></a>`
              : ''
          }<a class="kern-btn kern-btn--tertiary" href="/buchung/${booking.id}/absagen?token=${encodeURIComponent(token)}${lang === 'en' ? '&lang=en' : ''}"><span class="kern-label">${escapeHtml(tx.cancel)}</span></a></div>`
        : '';
    const hidden = `<input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="lang" value="${lang}">`;
    const smallForm = (
      action: string,
      name: string,
      label: string,
      type: string,
      autocomplete: string,
      button: string,
      value = '',
    ) =>
      `<form method="post" action="/buchung/${booking.id}/${action}" class="stack">${hidden}<div class="kern-form-input"><label class="kern-label" for="${name}">${escapeHtml(label)}</label><input class="kern-form-input__input" id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" value="${escapeHtml(value)}" required></div><button class="kern-btn kern-btn--secondary" type="submit"><span class="kern-label">${escapeHtml(button)}</span></button></form>`;
    const smsSent = messages.some((m) => m.channel === 'sms');
    const changes = pending
      ? `<h2 class="kern-heading-small">${escapeHtml(tx.changeHeading)}</h2>
${smallForm('adresse', 'email', tx.newEmail, 'email', 'email', tx.changeEmail)}
${booking.phone ? '' : smallForm('telefon', 'phone', tx.phone, 'tel', 'tel', tx.addPhone)}
${smsSent ? smallForm('code', 'code', tx.smsCode, 'text', 'one-time-code', tx.confirmWithCode) : ''}`
      : '';
    const move = moves.length
      ? `<h2 class="kern-heading-small">${escapeHtml(tx.moveHeading)}</h2><form method="post" action="/buchung/${booking.id}/verlegen" class="stack">${hidden}<div class="kern-form-input"><label class="kern-label" for="slotId">${escapeHtml(tx.moveLabel)}</label><div class="kern-hint" id="slotId-hint">${escapeHtml(tx.moveHint)}</div><div class="kern-form-input__select-wrapper"><select class="kern-form-input__select" id="slotId" name="slotId" aria-describedby="slotId-hint">${moves
          .map(
            (m) =>
              `<option value="${m.id}">${escapeHtml(DateTime.fromISO(m.startsAt, { setZone: true }).setLocale(lang).toFormat(tx.dateTimeFormat))}</option>`,
          )
          .join(
            '',
          )}</select></div></div><button class="kern-btn kern-btn--secondary" type="submit"><span class="kern-label">${escapeHtml(tx.moveButton)}</span></button></form>`
      : '';
    const link =
      flash === 'neu'
        ? `<p class="kern-body"><a class="kern-link" href="${escapeHtml(this.statusUrl(booking.id, token, lang))}">${escapeHtml(tx.statusLink)}</a></p>`
        : '';
    // The part that changes while the booking waits; the page's script fetches it again (forms stay untouched).
    const live = `<div id="live-status" data-pending="${pending ? '1' : '0'}" data-refresh-ms="${this.config.statusRefreshSeconds * 1000}">${this.bookingFacts(lang, booking)}${facts(rows)}${why}${pending ? `<p class="kern-body kern-body--small">${escapeHtml(tx.refreshing(this.config.statusRefreshSeconds))}</p>` : ''}</div>`;
    const body = `${intro}${problem ? alert('danger', tx.errorSummary, problem, 'alert') : ''}${live}${help}${actions}${changes}${move}${link}`;
    return page({ lang, title: tx.statusTitle, body, path: `/buchung/${booking.id}?token=${encodeURIComponent(token)}` });
  }

  private invalidStatus(reply: FastifyReply, lang: Lang) {
    const tx = t(lang);
    const body = `<h1 class="kern-heading-large">${escapeHtml(tx.statusInvalid)}</h1><p class="kern-body">${escapeHtml(tx.statusInvalidText)}</p>`;
    return this.send(reply, 404, PRIVATE_PAGE_HEADERS, page({ lang, title: tx.statusInvalid, body, path: '/' }));
  }

  private notFound(reply: FastifyReply, lang: Lang) {
    const tx = t(lang);
    const body = `<h1 class="kern-heading-large">${escapeHtml(tx.notFound)}</h1><p class="kern-body">${escapeHtml(tx.notFoundText)} <a class="kern-link" href="/${lang === 'en' ? '?lang=en' : ''}">${escapeHtml(tx.home)}</a></p>`;
    return this.send(reply, 404, PAGE_HEADERS, page({ lang, title: tx.notFound, body, path: '/' }));
  }

  private send(reply: FastifyReply, status: number, headers: Record<string, string>, html: string) {
    return reply.status(status).headers(headers).send(html);
  }
}
