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
  /** The status page (resend, change the address, add a phone, cancel). */
  statusUrl: string;
  /** The cancel page (asks first; only its button cancels). */
  cancelUrl: string;
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
export function renderConfirmationMail(mail: ConfirmationMailInput): RenderedMail {
  const when = local(mail.slotStartsAt, mail.timeZone, "cccc, d. LLLL yyyy 'um' HH:mm 'Uhr'");
  const holdEnd = local(mail.holdUntil, mail.timeZone, "d. LLLL yyyy, HH:mm 'Uhr'");
  const subject = `Bitte bestätigen Sie Ihren Termin am ${local(mail.slotStartsAt, mail.timeZone, 'dd.MM.yyyy')} (${mail.reference})`;
  const text = [
    `Guten Tag ${mail.name},`,
    '',
    `Sie haben einen Termin gebucht:`,
    `  ${mail.serviceName}`,
    `  ${when}`,
    `  ${mail.locationName}, ${mail.locationAddress}`,
    `  Buchungsnummer: ${mail.reference}`,
    '',
    `Bitte bestätigen Sie den Termin über diesen Link:`,
    mail.confirmUrl,
    '',
    `Wir halten den Termin für Sie bis ${holdEnd}. Ohne Bestätigung wird er danach wieder freigegeben.`,
    '',
    `Status Ihres Termins, neue E-Mail, andere Adresse oder SMS-Code:`,
    mail.statusUrl,
    '',
    `Termin absagen:`,
    mail.cancelUrl,
    '',
    `Falls Sie diesen Termin nicht gebucht haben, können Sie diese Nachricht ignorieren.`,
    '',
    `Ihr Bürgeramt`,
  ].join('\n');
  const html = `<!doctype html><html lang="de"><body style="font-family:sans-serif">
<p>Guten Tag ${escapeHtml(mail.name)},</p>
<p>Sie haben einen Termin gebucht:</p>
<p><strong>${escapeHtml(mail.serviceName)}</strong><br>${escapeHtml(when)}<br>${escapeHtml(mail.locationName)}, ${escapeHtml(mail.locationAddress)}<br>Buchungsnummer: <strong>${escapeHtml(mail.reference)}</strong></p>
<p><a href="${escapeHtml(mail.confirmUrl)}">Termin bestätigen</a></p>
<p>Wir halten den Termin für Sie bis ${escapeHtml(holdEnd)}. Ohne Bestätigung wird er danach wieder freigegeben.</p>
<p><a href="${escapeHtml(mail.statusUrl)}">Status Ihres Termins</a> · <a href="${escapeHtml(mail.cancelUrl)}">Termin absagen</a></p>
<p>Falls Sie diesen Termin nicht gebucht haben, können Sie diese Nachricht ignorieren.</p>
<p>Ihr Bürgeramt</p>
</body></html>`;
  return { subject, text, html };
}

export interface AppointmentNoticeInput {
  name: string;
  reference: string;
  locationName: string;
  locationAddress: string;
  serviceName: string;
  timeZone: string;
  slotStartsAt: Date;
  statusUrl: string;
  cancelUrl: string;
}

/** "Ihr Termin ist bestätigt": sent once the citizen confirmed; the calendar entry is attached. Pure. */
export function renderConfirmedMail(mail: AppointmentNoticeInput): RenderedMail {
  const when = local(mail.slotStartsAt, mail.timeZone, "cccc, d. LLLL yyyy 'um' HH:mm 'Uhr'");
  const subject = `Ihr Termin ist bestätigt: ${local(mail.slotStartsAt, mail.timeZone, 'dd.MM.yyyy, HH:mm')} Uhr (${mail.reference})`;
  const text = [
    `Guten Tag ${mail.name},`,
    '',
    `Ihr Termin ist bestätigt:`,
    `  ${mail.serviceName}`,
    `  ${when}`,
    `  ${mail.locationName}, ${mail.locationAddress}`,
    `  Buchungsnummer: ${mail.reference}`,
    '',
    `Den Termin für Ihren Kalender finden Sie im Anhang (termin.ics). Bitte bringen Sie Ihre Buchungsnummer mit.`,
    '',
    `Status Ihres Termins:`,
    mail.statusUrl,
    '',
    `Falls Sie nicht kommen können, sagen Sie den Termin bitte ab, damit ihn jemand anderes bekommt:`,
    mail.cancelUrl,
    '',
    `Ihr Bürgeramt`,
  ].join('\n');
  const html = `<!doctype html><html lang="de"><body style="font-family:sans-serif">
<p>Guten Tag ${escapeHtml(mail.name)},</p>
<p>Ihr Termin ist bestätigt:</p>
<p><strong>${escapeHtml(mail.serviceName)}</strong><br>${escapeHtml(when)}<br>${escapeHtml(mail.locationName)}, ${escapeHtml(mail.locationAddress)}<br>Buchungsnummer: <strong>${escapeHtml(mail.reference)}</strong></p>
<p>Den Termin für Ihren Kalender finden Sie im Anhang (termin.ics). Bitte bringen Sie Ihre Buchungsnummer mit.</p>
<p><a href="${escapeHtml(mail.statusUrl)}">Status Ihres Termins</a> · <a href="${escapeHtml(mail.cancelUrl)}">Termin absagen</a></p>
<p>Ihr Bürgeramt</p>
</body></html>`;
  return { subject, text, html };
}

/** "Ihr Termin ist abgesagt": after a confirmed appointment was cancelled; the calendar entry's cancellation is attached. Pure. */
export function renderCancelledMail(mail: Omit<AppointmentNoticeInput, 'cancelUrl'>): RenderedMail {
  const when = local(mail.slotStartsAt, mail.timeZone, "cccc, d. LLLL yyyy 'um' HH:mm 'Uhr'");
  const subject = `Ihr Termin ist abgesagt (${mail.reference})`;
  const text = [
    `Guten Tag ${mail.name},`,
    '',
    `Ihr Termin ist abgesagt; der Platz ist wieder frei:`,
    `  ${mail.serviceName}`,
    `  ${when}`,
    `  ${mail.locationName}, ${mail.locationAddress}`,
    `  Buchungsnummer: ${mail.reference}`,
    '',
    `Mit dem Anhang (termin.ics) entfernt Ihr Kalender den Termin.`,
    '',
    `Ihr Bürgeramt`,
  ].join('\n');
  const html = `<!doctype html><html lang="de"><body style="font-family:sans-serif">
<p>Guten Tag ${escapeHtml(mail.name)},</p>
<p>Ihr Termin ist abgesagt; der Platz ist wieder frei:</p>
<p><strong>${escapeHtml(mail.serviceName)}</strong><br>${escapeHtml(when)}<br>${escapeHtml(mail.locationName)}, ${escapeHtml(mail.locationAddress)}<br>Buchungsnummer: <strong>${escapeHtml(mail.reference)}</strong></p>
<p>Mit dem Anhang (termin.ics) entfernt Ihr Kalender den Termin.</p>
<p>Ihr Bürgeramt</p>
</body></html>`;
  return { subject, text, html };
}

/** The reminder before the appointment. Pure. */
export function renderReminderMail(mail: AppointmentNoticeInput): RenderedMail {
  const when = local(mail.slotStartsAt, mail.timeZone, "cccc, d. LLLL yyyy 'um' HH:mm 'Uhr'");
  const subject = `Erinnerung: Ihr Termin am ${local(mail.slotStartsAt, mail.timeZone, 'dd.MM.yyyy, HH:mm')} Uhr (${mail.reference})`;
  const text = [
    `Guten Tag ${mail.name},`,
    '',
    `wir erinnern Sie an Ihren Termin:`,
    `  ${mail.serviceName}`,
    `  ${when}`,
    `  ${mail.locationName}, ${mail.locationAddress}`,
    `  Buchungsnummer: ${mail.reference}`,
    '',
    `Falls Sie nicht kommen können, sagen Sie den Termin bitte ab, damit ihn jemand anderes bekommt:`,
    mail.cancelUrl,
    '',
    `Status Ihres Termins:`,
    mail.statusUrl,
    '',
    `Ihr Bürgeramt`,
  ].join('\n');
  const html = `<!doctype html><html lang="de"><body style="font-family:sans-serif">
<p>Guten Tag ${escapeHtml(mail.name)},</p>
<p>wir erinnern Sie an Ihren Termin:</p>
<p><strong>${escapeHtml(mail.serviceName)}</strong><br>${escapeHtml(when)}<br>${escapeHtml(mail.locationName)}, ${escapeHtml(mail.locationAddress)}<br>Buchungsnummer: <strong>${escapeHtml(mail.reference)}</strong></p>
<p><a href="${escapeHtml(mail.cancelUrl)}">Termin absagen</a> · <a href="${escapeHtml(mail.statusUrl)}">Status Ihres Termins</a></p>
<p>Ihr Bürgeramt</p>
</body></html>`;
  return { subject, text, html };
}
