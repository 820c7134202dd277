import { escapeHtml as e } from '../../common/html';
import type { CounterDayService } from '../../counter/counter-day.service';
import type { SlotView } from '../../scheduling/scheduling.service';
import { ConsoleContext, input, postForm, select, submit, table } from './console-layout';
import { bookingLink, statusLabel, when } from './format';

type DayList = Awaited<ReturnType<CounterDayService['dayList']>>;

/** The day at the counter: the office and day to show, the bookings by time with their buttons, the walk-in form. */
export function dayListView(
  ctx: ConsoleContext,
  v: {
    list: DayList;
    offices: Array<{ id: string; name: string }>;
    services: Array<{ id: string; name: string }>;
    serviceId?: string;
    walkInSlots: SlotView[];
    zone: string;
    isToday: boolean;
  },
): string {
  const { t } = ctx;
  const { list } = v;
  const choose = `<form method="get" action="/verwaltung/tag" class="console-inline">${select(
    'locationId',
    t.office,
    v.offices.map((o) => [o.id, o.name]),
    list.location.id,
  )}${input('date', t.day, { type: 'date', value: list.date })}${submit(t.show, 'secondary')}</form>`;
  const hidden = `<input type="hidden" name="locationId" value="${e(list.location.id)}"><input type="hidden" name="date" value="${e(list.date)}">`;
  const button = (bookingId: string, state: string, label: string, who: string) =>
    postForm(
      ctx,
      '/verwaltung/tag/anwesenheit',
      `${hidden}<input type="hidden" name="bookingId" value="${e(bookingId)}"><input type="hidden" name="state" value="${state}"><button class="kern-btn kern-btn--secondary" type="submit" aria-label="${e(`${label}: ${who}`)}"><span class="kern-label">${e(label)}</span></button>`,
      '',
    );
  const rows = list.bookings.map((b) => [
    e(when(ctx, b.startsAt, v.zone, t.timeFormat)),
    bookingLink(b.id, b.reference),
    e(b.name),
    e(b.serviceName),
    statusLabel(ctx, b.status),
    e(b.attendance ? (t.attendances[b.attendance] ?? b.attendance) : b.walkIn ? t.walkIn : '–'),
    b.status === 'confirmed'
      ? `<div class="console-row-actions">${[
          !b.attendance ? button(b.id, 'arrived', t.checkIn, b.reference) : '',
          b.attendance === 'arrived' ? button(b.id, 'served', t.served, b.reference) : '',
          !b.attendance ? button(b.id, 'no_show', t.noShow, b.reference) : '',
        ].join('')}</div>`
      : '',
  ]);
  const bookings = table(
    `${t.dayList} ${list.date}`,
    [t.time, t.reference, t.name, t.service, t.status, t.attendance, t.actions],
    rows,
    t.none,
  );
  const walkIn = v.isToday
    ? `<section class="stack" aria-labelledby="walk-in"><h2 class="kern-heading-medium" id="walk-in">${e(t.walkIn)}</h2><p class="kern-body">${e(t.walkInIntro)}</p>
<form method="get" action="/verwaltung/tag" class="console-inline"><input type="hidden" name="locationId" value="${e(list.location.id)}"><input type="hidden" name="date" value="${e(list.date)}">${select(
        'serviceId',
        t.service,
        v.services.map((s) => [s.id, s.name]),
        v.serviceId,
      )}${submit(t.show, 'secondary')}</form>${
        v.serviceId
          ? v.walkInSlots.length
            ? postForm(
                ctx,
                '/verwaltung/tag/spontan',
                `${hidden}${select(
                  'slotId',
                  t.freeTime,
                  v.walkInSlots.map((s) => [s.id, when(ctx, s.startsAt, v.zone, t.timeFormat)]),
                  undefined,
                )}${input('name', t.name, { required: true })}${submit(t.book)}`,
              )
            : `<p class="kern-body">${e(t.noFreeTime)}</p>`
          : ''
      }</section>`
    : '';
  return `${choose}${bookings}${walkIn}`;
}
