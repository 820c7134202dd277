import { escapeHtml as e } from '../../common/html';
import type { BookingRow } from '../../bookings/bookings.repository';
import { ConsoleContext, input, submit, table } from './console-layout';
import { bookingLink, statusLabel, when } from './format';

export function searchView(ctx: ConsoleContext, term: string, results: BookingRow[] | undefined): string {
  const { t } = ctx;
  const form = `<form method="get" action="/verwaltung/suche" class="console-inline" role="search">${input('q', t.searchTerm, {
    value: term,
    hint: t.searchHint,
    type: 'search',
  })}${submit(t.search, 'primary')}</form>`;
  if (!results) return form;
  return `${form}<p class="kern-body" role="status">${e(t.results(results.length))}</p>${table(
    t.search,
    [t.reference, t.name, t.when, t.office, t.service, t.status],
    results.map((b) => [
      bookingLink(b.id, b.reference),
      e(b.name),
      e(when(ctx, b.slotStartsAt, b.timeZone)),
      e(b.locationName),
      e(b.serviceName),
      statusLabel(ctx, b.status),
    ]),
    t.none,
  )}`;
}
