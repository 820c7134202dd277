import { escapeHtml as e } from '../../common/html';
import type { ReviewService } from '../../review/review.service';
import { ConsoleContext, input, select, submit, table } from './console-layout';
import { explainCategory } from './booking.view';
import { bookingLink, statusLabel, when } from './format';

type Queue = Awaited<ReturnType<ReviewService['list']>>;

/** The review queue: filters, the count per reason, the bookings oldest first (each opens its page). */
export function reviewQueueView(
  ctx: ConsoleContext,
  v: {
    filter: { reason?: string; locationId?: string; day?: string; family?: string };
    items: Queue;
    counts: Record<'mail_undelivered' | 'held_for_mail', number>;
    offices: Array<{ id: string; name: string }>;
    page: number;
  },
): string {
  const { t } = ctx;
  const counts = `<ul class="kern-list console-inline" aria-label="${e(t.count(v.items.total))}">${(
    ['mail_undelivered', 'held_for_mail'] as const
  )
    .map(
      (r) =>
        `<li><span class="kern-badge kern-badge--${r === 'mail_undelivered' ? 'danger' : 'warning'}"><span class="kern-label">${e(`${t.queueReasons[r]}: ${v.counts[r]}`)}</span></span></li>`,
    )
    .join('')}</ul>`;
  const filters = `<form method="get" action="/verwaltung/pruefung" class="console-inline">${select(
    'reason',
    t.queueReason,
    [
      ['', t.allReasons],
      ...(['mail_undelivered', 'held_for_mail'] as const).map((r) => [r, t.queueReasons[r]] as [string, string]),
    ],
    v.filter.reason ?? '',
  )}${select('locationId', t.office, [['', t.allOffices], ...v.offices.map((o) => [o.id, o.name] as [string, string])], v.filter.locationId ?? '')}${input(
    'day',
    t.day,
    { type: 'date', value: v.filter.day },
  )}${input('family', t.family, { value: v.filter.family })}${submit(t.filter, 'secondary')}</form>`;
  const rows = v.items.items.map((i) => {
    return [
      bookingLink(i.id, i.reference),
      e(i.name),
      e(i.location.name),
      e(when(ctx, i.slotStartsAt)),
      statusLabel(ctx, i.status),
      e(when(ctx, i.expiredAt ?? i.createdAt)),
      e(i.mail.family ?? '–'),
      e(explainCategory(ctx, i.mail.lastReplyCategory)),
    ];
  });
  const query = new URLSearchParams(Object.entries(v.filter).filter(([, x]) => x) as Array<[string, string]>);
  const more =
    (v.page + 1) * 50 < v.items.total
      ? `<p class="kern-body"><a class="kern-link" href="/verwaltung/pruefung?${e(`${query.toString()}${query.size ? '&' : ''}seite=${v.page + 1}`)}">${e(t.older)} →</a></p>`
      : '';
  return `<p class="kern-body">${e(t.queueIntro)}</p>${counts}${filters}${table(
    t.review,
    [t.reference, t.name, t.office, t.when, t.status, t.since, t.family, t.lastReply],
    rows,
    t.none,
  )}${more}`;
}
