import { DateTime } from 'luxon';
import { escapeHtml } from '../common/html';
import { BookingRow } from '../bookings/bookings.repository';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1.1rem;padding:.6rem 1.4rem;border-radius:.4rem;border:0;background:#0a5;color:#fff;cursor:pointer}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}dt{font-weight:600}</style></head>
<body>${body}</body></html>`;
}

function details(booking: BookingRow): string {
  const when = DateTime.fromJSDate(booking.slotStartsAt)
    .setZone(booking.timeZone)
    .setLocale('de')
    .toFormat("cccc, d. LLLL yyyy, HH:mm 'Uhr'");
  return `<dl><dt>Termin</dt><dd>${escapeHtml(booking.serviceName)}</dd><dt>Wann</dt><dd>${escapeHtml(when)}</dd>
<dt>Wo</dt><dd>${escapeHtml(booking.locationName)}, ${escapeHtml(booking.locationAddress)}</dd><dt>Buchungsnummer</dt><dd>${escapeHtml(booking.reference)}</dd></dl>`;
}

/** The page behind the mailed link: shows the booking and a button; opening it confirms nothing. */
export function confirmPage(booking: BookingRow, token: string): string {
  const holdEnd = DateTime.fromJSDate(booking.holdUntil)
    .setZone(booking.timeZone)
    .setLocale('de')
    .toFormat("d. LLLL, HH:mm 'Uhr'");
  const status =
    booking.status === 'confirmed'
      ? '<p><strong>Dieser Termin ist bereits bestätigt.</strong></p>'
      : `<p>Wir halten den Termin für Sie bis ${escapeHtml(holdEnd)}.</p>
<form method="post" action="/confirm"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Termin bestätigen</button></form>`;
  return layout('Termin bestätigen', `<h1>Termin bestätigen</h1>${details(booking)}${status}`);
}

export function confirmedPage(booking: BookingRow): string {
  return layout(
    'Termin bestätigt',
    `<h1>Ihr Termin ist bestätigt</h1>${details(booking)}<p>Bitte bringen Sie Ihre Buchungsnummer mit.</p>`,
  );
}

export function invalidTokenPage(): string {
  return layout(
    'Link ungültig',
    `<h1>Dieser Link ist nicht (mehr) gültig</h1>
<p>Der Bestätigungslink ist abgelaufen, wurde bereits ersetzt oder ist unvollständig. Falls Ihr Termin verfallen ist, buchen Sie bitte einen neuen.</p>`,
  );
}
