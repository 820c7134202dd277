import { escapeHtml as e } from '../../common/html';
import type { OfficeAdminService } from '../../offices/office-admin.service';
import { alert } from '../../web/layout';
import { ConsoleContext, input, postForm, reasonField, submit, table } from './console-layout';
import { bookingLink, when } from './format';

type Office = Awaited<ReturnType<OfficeAdminService['office']>>;
type Affected = Array<{ id: string; reference: string; status: string; startsAt: string; serviceName: string }>;

/** The offices (each opens its page) and the services, with the forms to create either. */
export function officesView(
  ctx: ConsoleContext,
  v: {
    offices: Array<{ id: string; name: string; address: string; timeZone: string }>;
    services: Array<{
      id: string;
      name: string;
      durationMinutes: number;
      active?: boolean;
      description?: string | null;
      whatToBring?: string | null;
    }>;
    problem?: string;
  },
): string {
  const { t } = ctx;
  const offices = table(
    t.offices,
    [t.office, t.address, t.timeZone],
    v.offices.map((o) => [
      `<a class="kern-link" href="/verwaltung/aemter/${o.id}">${e(o.name)}</a>`,
      e(o.address),
      e(o.timeZone),
    ]),
    t.none,
  );
  const createOffice = `<details class="console-action"><summary>${e(t.createOffice)}</summary>${postForm(
    ctx,
    '/verwaltung/aemter',
    `${input('name', t.office, { required: true })}${input('address', t.address, { required: true })}${input(
      'timeZone',
      t.timeZone,
      {
        value: 'Europe/Berlin',
        required: true,
      },
    )}${input('unitMinutes', t.unitMinutes, { type: 'number', value: '10' })}${input('holidayRegion', t.holidayRegion)}${submit(t.createOffice)}`,
  )}</details>`;
  const services = table(
    t.services,
    [t.service, t.durationMinutes, t.status, t.actions],
    v.services.map((s) => [
      e(s.name),
      e(String(s.durationMinutes)),
      e(s.active === false ? t.inactive : t.active),
      `<details class="console-action"><summary>${e(`${t.change}: ${s.name}`)}</summary>${postForm(
        ctx,
        `/verwaltung/anliegen/${s.id}`,
        `${input('name', t.service, { value: s.name, required: true })}${input('durationMinutes', t.durationMinutes, { type: 'number', value: String(s.durationMinutes), required: true })}${input(
          'description',
          t.description,
          { value: s.description ?? '' },
        )}${input('whatToBring', t.whatToBring, { value: s.whatToBring ?? '' })}${submit(t.change, 'secondary')}`,
      )}</details>` +
        postForm(
          ctx,
          `/verwaltung/anliegen/${s.id}`,
          `<input type="hidden" name="active" value="${s.active === false ? 'true' : 'false'}"><button class="kern-btn kern-btn--tertiary" type="submit" aria-label="${e(`${s.active === false ? t.switchOn : t.switchOff}: ${s.name}`)}"><span class="kern-label">${e(s.active === false ? t.switchOn : t.switchOff)}</span></button>`,
          '',
        ),
    ]),
    t.none,
  );
  const createService = `<details class="console-action"><summary>${e(t.createService)}</summary>${postForm(
    ctx,
    '/verwaltung/anliegen',
    `${input('name', t.service, { required: true })}${input('durationMinutes', t.durationMinutes, { type: 'number', value: '20', required: true })}${input(
      'description',
      t.description,
    )}${input('whatToBring', t.whatToBring)}${submit(t.createService)}`,
  )}</details>`;
  return `${v.problem ? alert('danger', t.errorSummary, v.problem, 'alert') : ''}<section class="stack"><h2 class="kern-heading-medium">${e(t.offices)}</h2>${offices}${createOffice}</section><section class="stack"><h2 class="kern-heading-medium">${e(t.services)}</h2>${services}${createService}</section>`;
}

export interface OfficePageState {
  problem?: string;
  hours?: { validFrom: string; periods: string; reason: string; affected?: Affected };
  closure?: { startsAt: string; endsAt: string; reason: string; affected?: Affected };
}

export const periodsText = (periods: Array<{ weekday: number; opens: string; closes: string; counters: number }>) =>
  periods.map((p) => `${p.weekday} ${p.opens.slice(0, 5)}-${p.closes.slice(0, 5)} ${p.counters}`).join('\n');

function affectedList(ctx: ConsoleContext, affected: Affected): string {
  return table(
    ctx.t.affected(affected.length),
    [ctx.t.reference, ctx.t.when, ctx.t.service, ctx.t.status],
    affected.map((b) => [
      bookingLink(b.id, b.reference),
      e(when(ctx, b.startsAt)),
      e(b.serviceName),
      e(ctx.t.statuses[b.status] ?? b.status),
    ]),
    '',
  );
}

/** One office: its details, its services' terms, its weekly hours (dry run first), its closures (dry run first). */
export function officeView(
  ctx: ConsoleContext,
  v: {
    office: Office;
    closures: Array<{ id: string; startsAt: string; endsAt: string; reason: string }>;
    state: OfficePageState;
    today: string;
  },
): string {
  const { t } = ctx;
  const o = v.office;
  const s = v.state;
  const details = `<section class="stack" aria-labelledby="office-settings"><h2 class="kern-heading-medium" id="office-settings">${e(t.officeSettings)}</h2>${postForm(
    ctx,
    `/verwaltung/aemter/${o.id}`,
    `${input('name', t.office, { value: o.name, required: true })}${input('address', t.address, { value: o.address, required: true })}${input(
      'contact',
      t.contactField,
      {
        value: o.contact ?? '',
      },
    )}${input('publicNotice', t.publicNotice, { value: o.publicNotice ?? '' })}${input('holidayRegion', t.holidayRegion, { value: o.holidayRegion ?? '' })}${input(
      'noShowLimit',
      t.noShowLimit,
      { type: 'number', value: o.noShowLimit === null ? '' : String(o.noShowLimit) },
    )}<p class="kern-body kern-body--small">${e(`${t.timeZone}: ${o.timeZone} · ${t.unitMinutes}: ${o.unitMinutes}`)}</p>${submit(t.change, 'secondary')}`,
  )}</section>`;
  const offerings = `<section class="stack" aria-labelledby="offerings"><h2 class="kern-heading-medium" id="offerings">${e(t.offerings)}</h2>${table(
    t.offerings,
    [t.service, t.durationMinutes, t.bookable, t.maxPerBooking, t.actions],
    (
      o.services as Array<{
        id: string;
        name: string;
        durationMinutes: number;
        bookable: boolean;
        maxPerBooking: number;
        active: boolean;
      }>
    ).map((sv) => {
      const form = `offering-${sv.id}`;
      return [
        e(sv.name),
        `<label class="kern-sr-only" for="${form}-d">${e(`${t.durationMinutes}: ${sv.name}`)}</label><input class="kern-form-input__input" form="${form}" id="${form}-d" name="durationMinutes" type="number" min="1" value="${sv.durationMinutes}">`,
        `<input class="kern-form-check__checkbox" form="${form}" id="${form}-b" name="bookable" type="checkbox" value="true"${sv.bookable ? ' checked' : ''}><label class="kern-sr-only" for="${form}-b">${e(`${t.bookable}: ${sv.name}`)}</label>`,
        `<label class="kern-sr-only" for="${form}-m">${e(`${t.maxPerBooking}: ${sv.name}`)}</label><input class="kern-form-input__input" form="${form}" id="${form}-m" name="maxPerBooking" type="number" min="1" max="3" value="${sv.maxPerBooking}">`,
        postForm(
          ctx,
          `/verwaltung/aemter/${o.id}/angebot/${sv.id}`,
          `<button class="kern-btn kern-btn--tertiary" type="submit" aria-label="${e(`${t.change}: ${sv.name}`)}"><span class="kern-label">${e(t.change)}</span></button>`,
          '',
        ).replace('<form ', `<form id="${form}" `),
      ];
    }),
    t.none,
  )}</section>`;
  const h = s.hours;
  const current = o.hours.at(-1);
  const hours = `<section class="stack" aria-labelledby="hours"><h2 class="kern-heading-medium" id="hours">${e(t.hours)}</h2>
<h3 class="kern-heading-small">${e(t.hoursVersions)}</h3>${
    o.hours.length
      ? `<ul class="kern-list">${o.hours.map((v) => `<li><strong>${e(`${t.validFrom} ${v.validFrom}`)}</strong><pre class="console-raw">${e(periodsText(v.periods))}</pre></li>`).join('')}</ul>`
      : `<p class="kern-body">${e(t.none)}</p>`
  }${h?.affected ? alert(h.affected.length ? 'warning' : 'info', t.hoursAffected(h.affected.length), '', 'status') + affectedList(ctx, h.affected) : ''}${postForm(
    ctx,
    `/verwaltung/aemter/${o.id}/zeiten`,
    `${input('validFrom', t.validFrom, { type: 'date', value: h?.validFrom ?? v.today, required: true })}<div class="kern-form-input"><label class="kern-label" for="periods">${e(
      t.periods,
    )}</label><textarea class="kern-form-input__input" id="periods" name="periods" rows="8">${e(h?.periods ?? (current ? periodsText(current.periods) : ''))}</textarea></div>${reasonField(
      ctx,
      undefined,
      h?.reason,
    )}<div class="actions">${submit(t.dryRun, h?.affected ? 'secondary' : 'primary', 'step', 'pruefen')}${
      h?.affected
        ? submit(
            h.affected.length ? t.applyHoursCancel : t.applyHours,
            'primary',
            'step',
            h.affected.length ? 'absagen' : 'speichern',
          )
        : ''
    }</div>`,
  )}</section>`;
  const c = s.closure;
  const closures = `<section class="stack" aria-labelledby="closures"><h2 class="kern-heading-medium" id="closures">${e(t.closures)}</h2><p class="kern-body">${e(t.closureIntro)}</p>${table(
    t.upcomingClosures,
    [t.startsAt, t.endsAt, t.reason],
    v.closures.map((x) => [e(when(ctx, x.startsAt)), e(when(ctx, x.endsAt)), e(x.reason)]),
    t.none,
  )}${c?.affected ? alert(c.affected.length ? 'warning' : 'info', t.affected(c.affected.length), '', 'status') + affectedList(ctx, c.affected) : ''}${postForm(
    ctx,
    `/verwaltung/aemter/${o.id}/schliessungen`,
    `${input('startsAt', t.startsAt, { type: 'datetime-local', value: c?.startsAt, required: true })}${input('endsAt', t.endsAt, {
      type: 'datetime-local',
      value: c?.endsAt,
      required: true,
    })}${input('reason', t.closureReason, { value: c?.reason, required: true })}<div class="actions">${submit(t.dryRun, c?.affected ? 'secondary' : 'primary', 'step', 'pruefen')}${
      c?.affected
        ? submit(
            c.affected.length ? t.closeAndNotify : t.closeOffice,
            'primary',
            'step',
            c.affected.length ? 'absagen' : 'schliessen',
          )
        : ''
    }</div>`,
  )}</section>`;
  return `${s.problem ? alert('danger', t.errorSummary, s.problem, 'alert') : ''}${details}${offerings}${hours}${closures}`;
}
