import { DateTime } from 'luxon';
import { escapeHtml } from '../common/html';
import { BookingRow } from '../bookings/bookings.repository';
import { facts, page } from '../web/layout';
import { t } from '../web/texts';

// The pages behind the mailed link, in the citizen pages' look (web/layout.ts). German for now.
const lang = 'de' as const;
const tx = t(lang);

function details(booking: BookingRow): string {
  const when = DateTime.fromJSDate(booking.slotStartsAt).setZone(booking.timeZone).setLocale(lang).toFormat(tx.dateTimeFormat);
  return facts([
    [tx.reference, `<strong>${escapeHtml(booking.reference)}</strong>`],
    [tx.what, escapeHtml(booking.serviceName)],
    [tx.when, escapeHtml(when)],
    [tx.where, `${escapeHtml(booking.locationName)}, ${escapeHtml(booking.locationAddress)}`],
  ]);
}

/** The page behind the mailed link: shows the booking and a button; opening it confirms nothing. */
export function confirmPage(booking: BookingRow, token: string): string {
  const holdEnd = DateTime.fromJSDate(booking.holdUntil).setZone(booking.timeZone).setLocale(lang).toFormat(tx.dateTimeFormat);
  const status =
    booking.status === 'confirmed'
      ? `<p class="kern-body"><strong>${escapeHtml(tx.alreadyConfirmed)}</strong></p>`
      : `<p class="kern-body">${escapeHtml(tx.heldUntil)} ${escapeHtml(holdEnd)}.</p>
<form method="post" action="/confirm"><input type="hidden" name="token" value="${escapeHtml(token)}"><button class="kern-btn kern-btn--primary" type="submit"><span class="kern-label">${escapeHtml(tx.confirmButton)}</span></button></form>`;
  return page({
    lang,
    title: tx.confirmTitle,
    body: `<h1 class="kern-heading-large">${escapeHtml(tx.confirmTitle)}</h1>${details(booking)}${status}`,
    path: '/',
  });
}

export function confirmedPage(booking: BookingRow): string {
  return page({
    lang,
    title: tx.confirmedTitle,
    body: `<h1 class="kern-heading-large">${escapeHtml(tx.confirmedTitle)}</h1>${details(booking)}<p class="kern-body">${escapeHtml(tx.bringReference)}</p>`,
    path: '/',
  });
}

export function invalidTokenPage(): string {
  return page({
    lang,
    title: tx.linkInvalidTitle,
    body: `<h1 class="kern-heading-large">${escapeHtml(tx.linkInvalidTitle)}</h1><p class="kern-body">${escapeHtml(tx.linkInvalidText)}</p>`,
    path: '/',
  });
}
