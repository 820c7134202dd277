import { DateTime } from 'luxon';
import { escapeHtml } from '../common/html';

export interface ConfirmationMailInput {
  name: string;
  reference: string;
  locationName: string;
  locationAddress: string;
  serviceName: string;
  timeZone: string;
  slotStartsAt: Date;
  holdUntil: Date;
  confirmUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

function local(instant: Date, zone: string, format: string): string {
  return DateTime.fromJSDate(instant).setZone(zone).setLocale('de').toFormat(format);
}

/** The confirmation mail, in German, with the slot in the office's local time. Pure. */
export function renderConfirmationMail(m: ConfirmationMailInput): RenderedMail {
  const when = local(m.slotStartsAt, m.timeZone, "cccc, d. LLLL yyyy 'um' HH:mm 'Uhr'");
  const holdEnd = local(m.holdUntil, m.timeZone, "d. LLLL yyyy, HH:mm 'Uhr'");
  const subject = `Bitte bestätigen Sie Ihren Termin am ${local(m.slotStartsAt, m.timeZone, 'dd.MM.yyyy')} (${m.reference})`;
  const text = [
    `Guten Tag ${m.name},`,
    '',
    `Sie haben einen Termin gebucht:`,
    `  ${m.serviceName}`,
    `  ${when}`,
    `  ${m.locationName}, ${m.locationAddress}`,
    `  Buchungsnummer: ${m.reference}`,
    '',
    `Bitte bestätigen Sie den Termin über diesen Link:`,
    m.confirmUrl,
    '',
    `Wir halten den Termin für Sie bis ${holdEnd}. Ohne Bestätigung wird er danach wieder freigegeben.`,
    '',
    `Falls Sie diesen Termin nicht gebucht haben, können Sie diese Nachricht ignorieren.`,
    '',
    `Ihr Bürgeramt`,
  ].join('\n');
  const html = `<!doctype html><html lang="de"><body style="font-family:sans-serif">
<p>Guten Tag ${escapeHtml(m.name)},</p>
<p>Sie haben einen Termin gebucht:</p>
<p><strong>${escapeHtml(m.serviceName)}</strong><br>${escapeHtml(when)}<br>${escapeHtml(m.locationName)}, ${escapeHtml(m.locationAddress)}<br>Buchungsnummer: <strong>${escapeHtml(m.reference)}</strong></p>
<p><a href="${escapeHtml(m.confirmUrl)}">Termin bestätigen</a></p>
<p>Wir halten den Termin für Sie bis ${escapeHtml(holdEnd)}. Ohne Bestätigung wird er danach wieder freigegeben.</p>
<p>Falls Sie diesen Termin nicht gebucht haben, können Sie diese Nachricht ignorieren.</p>
<p>Ihr Bürgeramt</p>
</body></html>`;
  return { subject, text, html };
}
