import { inZone } from '../common/time';
import { escapeHtml } from '../common/html';

/** The language of a booking's mails: the one the citizen booked in. */
export type MailLang = 'de' | 'en';

export interface AppointmentNoticeInput {
  name: string;
  reference: string;
  locationName: string;
  locationAddress: string;
  serviceName: string;
  timeZone: string;
  slotStartsAt: Date;
  /** The status page (resend, change the address, add a phone, cancel). */
  statusUrl: string;
  /** The cancel page (asks first; only its button cancels). */
  cancelUrl: string;
  lang?: MailLang;
}

export interface ConfirmationMailInput extends AppointmentNoticeInput {
  holdUntil: Date;
  confirmUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Every text of the citizens' mails, by language. */
const MAIL_TEXTS = {
  de: {
    locale: 'de',
    when: "cccc, d. LLLL yyyy 'um' HH:mm 'Uhr'",
    shortDate: 'dd.MM.yyyy',
    shortDateTime: "dd.MM.yyyy, HH:mm 'Uhr'",
    holdEnd: "d. LLLL yyyy, HH:mm 'Uhr'",
    hello: (name: string) => `Guten Tag ${name},`,
    reference: 'Buchungsnummer',
    bye: 'Ihr Bürgeramt',
    statusLink: 'Status Ihres Termins',
    cancelLink: 'Termin absagen',
    confirm: {
      subject: (date: string, ref: string) => `Bitte bestätigen Sie Ihren Termin am ${date} (${ref})`,
      intro: 'Sie haben einen Termin gebucht:',
      action: 'Bitte bestätigen Sie den Termin über diesen Link:',
      button: 'Termin bestätigen',
      hold: (end: string) => `Wir halten den Termin für Sie bis ${end}. Ohne Bestätigung wird er danach wieder freigegeben.`,
      statusText: 'Status Ihres Termins, neue E-Mail, andere Adresse oder SMS-Code:',
      cancelText: 'Termin absagen:',
      notYou: 'Falls Sie diesen Termin nicht gebucht haben, können Sie diese Nachricht ignorieren.',
    },
    confirmed: {
      subject: (dateTime: string, ref: string) => `Ihr Termin ist bestätigt: ${dateTime} (${ref})`,
      intro: 'Ihr Termin ist bestätigt:',
      calendar: 'Den Termin für Ihren Kalender finden Sie im Anhang (termin.ics). Bitte bringen Sie Ihre Buchungsnummer mit.',
      cancelText: 'Falls Sie nicht kommen können, sagen Sie den Termin bitte ab, damit ihn jemand anderes bekommt:',
    },
    cancelled: {
      subject: (ref: string) => `Ihr Termin ist abgesagt (${ref})`,
      intro: 'Ihr Termin ist abgesagt; der Platz ist wieder frei:',
      calendar: 'Mit dem Anhang (termin.ics) entfernt Ihr Kalender den Termin.',
    },
    moved: {
      subject: (dateTime: string, ref: string) => `Ihr Termin wurde verlegt: ${dateTime} (${ref})`,
      intro: 'Ihr Termin wurde verlegt. Es gilt jetzt:',
      calendar: 'Mit dem Anhang (termin.ics) verschiebt Ihr Kalender den Termin.',
      pending: 'Bitte bestätigen Sie den Termin weiterhin über den Link in der ersten E-Mail oder auf der Statusseite.',
      cancelText: 'Falls Sie nicht kommen können, sagen Sie den Termin bitte ab, damit ihn jemand anderes bekommt:',
    },
    closed: {
      subject: (ref: string) => `Ihr Termin muss leider entfallen (${ref})`,
      intro: 'leider müssen wir Ihren Termin absagen, das Bürgeramt ist zu dieser Zeit geschlossen:',
      reason: (reason: string) => `Grund: ${reason}. Wir bitten um Entschuldigung.`,
      again: 'Einen neuen Termin können Sie hier buchen:',
      againLabel: 'Neuen Termin buchen',
      calendar: 'Mit dem Anhang (termin.ics) entfernt Ihr Kalender den Termin.',
    },
    reminder: {
      subject: (dateTime: string, ref: string) => `Erinnerung: Ihr Termin am ${dateTime} (${ref})`,
      intro: 'wir erinnern Sie an Ihren Termin:',
      cancelText: 'Falls Sie nicht kommen können, sagen Sie den Termin bitte ab, damit ihn jemand anderes bekommt:',
    },
  },
  en: {
    locale: 'en',
    when: "cccc, d LLLL yyyy 'at' HH:mm",
    shortDate: 'dd.MM.yyyy',
    shortDateTime: 'dd.MM.yyyy, HH:mm',
    holdEnd: 'd LLLL yyyy, HH:mm',
    hello: (name: string) => `Dear ${name},`,
    reference: 'Booking reference',
    bye: 'Your city office',
    statusLink: 'Status of your appointment',
    cancelLink: 'Cancel the appointment',
    confirm: {
      subject: (date: string, ref: string) => `Please confirm your appointment on ${date} (${ref})`,
      intro: 'You have booked an appointment:',
      action: 'Please confirm the appointment with this link:',
      button: 'Confirm appointment',
      hold: (end: string) => `We hold the appointment for you until ${end}. Without confirmation it is released after that.`,
      statusText: 'Status of your appointment, a new e-mail, another address or an SMS code:',
      cancelText: 'Cancel the appointment:',
      notYou: 'If you did not book this appointment, you can ignore this message.',
    },
    confirmed: {
      subject: (dateTime: string, ref: string) => `Your appointment is confirmed: ${dateTime} (${ref})`,
      intro: 'Your appointment is confirmed:',
      calendar: 'The appointment for your calendar is attached (termin.ics). Please bring your booking reference.',
      cancelText: 'If you cannot come, please cancel the appointment so that someone else can have it:',
    },
    moved: {
      subject: (dateTime: string, ref: string) => `Your appointment was moved: ${dateTime} (${ref})`,
      intro: 'Your appointment was moved. It is now:',
      calendar: 'With the attachment (termin.ics) your calendar moves the appointment.',
      pending: 'Please still confirm it with the link in the first e-mail or on the status page.',
      cancelText: 'If you cannot come, please cancel the appointment so that someone else can have it:',
    },
    closed: {
      subject: (ref: string) => `We have to cancel your appointment (${ref})`,
      intro: 'we are sorry to cancel your appointment: the office is closed at that time:',
      reason: (reason: string) => `Reason: ${reason}. We apologise.`,
      again: 'You can book a new appointment here:',
      againLabel: 'Book a new appointment',
      calendar: 'With the attachment (termin.ics) your calendar removes the appointment.',
    },
    cancelled: {
      subject: (ref: string) => `Your appointment is cancelled (${ref})`,
      intro: 'Your appointment is cancelled; the place is free again:',
      calendar: 'With the attachment (termin.ics) your calendar removes the appointment.',
    },
    reminder: {
      subject: (dateTime: string, ref: string) => `Reminder: your appointment on ${dateTime} (${ref})`,
      intro: 'this is a reminder of your appointment:',
      cancelText: 'If you cannot come, please cancel the appointment so that someone else can have it:',
    },
  },
} as const;

type Texts = (typeof MAIL_TEXTS)[MailLang];

function local(instant: Date, zone: string, texts: Texts, format: string): string {
  return inZone(instant, zone).setLocale(texts.locale).toFormat(format);
}

/** A paragraph of the text part, and of the HTML part (a link, or plain text). */
type Part = { text: string } | { link: string; label: string; lead: string };

/** One mail from its parts: greeting, what, the appointment, the rest, goodbye; text and HTML alike. */
function compose(texts: Texts, mail: AppointmentNoticeInput, subject: string, intro: string, parts: Part[]): RenderedMail {
  const when = local(mail.slotStartsAt, mail.timeZone, texts, texts.when);
  const appointment = [
    mail.serviceName,
    when,
    `${mail.locationName}, ${mail.locationAddress}`,
    `${texts.reference}: ${mail.reference}`,
  ];
  const textParts = parts.map((p) => ('text' in p ? p.text : `${p.lead}\n${p.link}`));
  const text = [
    texts.hello(mail.name),
    '',
    intro,
    ...appointment.map((l) => `  ${l}`),
    '',
    ...textParts.flatMap((p) => [p, '']),
    texts.bye,
  ].join('\n');
  const htmlParts = parts.map((p) =>
    'text' in p ? `<p>${escapeHtml(p.text)}</p>` : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a></p>`,
  );
  const html = `<!doctype html><html lang="${texts.locale}"><body style="font-family:sans-serif">
<p>${escapeHtml(texts.hello(mail.name))}</p>
<p>${escapeHtml(intro)}</p>
<p><strong>${escapeHtml(mail.serviceName)}</strong><br>${escapeHtml(when)}<br>${escapeHtml(mail.locationName)}, ${escapeHtml(mail.locationAddress)}<br>${escapeHtml(texts.reference)}: <strong>${escapeHtml(mail.reference)}</strong></p>
${htmlParts.join('\n')}
<p>${escapeHtml(texts.bye)}</p>
</body></html>`;
  return { subject, text, html };
}

/** The confirmation mail, in the booking's language, with the slot in the office's local time. Pure. */
export function renderConfirmationMail(mail: ConfirmationMailInput): RenderedMail {
  const texts = MAIL_TEXTS[mail.lang ?? 'de'];
  const t = texts.confirm;
  const holdEnd = local(mail.holdUntil, mail.timeZone, texts, texts.holdEnd);
  return compose(
    texts,
    mail,
    t.subject(local(mail.slotStartsAt, mail.timeZone, texts, texts.shortDate), mail.reference),
    t.intro,
    [
      { link: mail.confirmUrl, label: t.button, lead: t.action },
      { text: t.hold(holdEnd) },
      { link: mail.statusUrl, label: texts.statusLink, lead: t.statusText },
      { link: mail.cancelUrl, label: texts.cancelLink, lead: t.cancelText },
      { text: t.notYou },
    ],
  );
}

/** "Ihr Termin ist bestätigt": sent once the citizen confirmed; the calendar entry is attached. Pure. */
export function renderConfirmedMail(mail: AppointmentNoticeInput): RenderedMail {
  const texts = MAIL_TEXTS[mail.lang ?? 'de'];
  const t = texts.confirmed;
  const at = local(mail.slotStartsAt, mail.timeZone, texts, texts.shortDateTime);
  return compose(texts, mail, t.subject(at, mail.reference), t.intro, [
    { text: t.calendar },
    { link: mail.statusUrl, label: texts.statusLink, lead: `${texts.statusLink}:` },
    { link: mail.cancelUrl, label: texts.cancelLink, lead: t.cancelText },
  ]);
}

/** "Ihr Termin wurde verlegt": the new time; a confirmed one with the calendar entry moved (same UID, higher SEQUENCE). Pure. */
export function renderMovedMail(mail: AppointmentNoticeInput & { confirmed: boolean }): RenderedMail {
  const texts = MAIL_TEXTS[mail.lang ?? 'de'];
  const t = texts.moved;
  const at = local(mail.slotStartsAt, mail.timeZone, texts, texts.shortDateTime);
  return compose(texts, mail, t.subject(at, mail.reference), t.intro, [
    { text: mail.confirmed ? t.calendar : t.pending },
    { link: mail.statusUrl, label: texts.statusLink, lead: `${texts.statusLink}:` },
    { link: mail.cancelUrl, label: texts.cancelLink, lead: t.cancelText },
  ]);
}

/** "Ihr Termin ist abgesagt": after a confirmed appointment was cancelled; the entry's cancellation is attached. Pure. */
export function renderCancelledMail(mail: Omit<AppointmentNoticeInput, 'cancelUrl'>): RenderedMail {
  const texts = MAIL_TEXTS[mail.lang ?? 'de'];
  const t = texts.cancelled;
  return compose(texts, { ...mail, cancelUrl: '' }, t.subject(mail.reference), t.intro, [{ text: t.calendar }]);
}

/** "Ihr Termin muss leider entfallen": the office closed at that time (a closure); an apology and a link to book again. Pure. */
export function renderClosedMail(
  mail: Omit<AppointmentNoticeInput, 'cancelUrl'> & { reason: string; bookAgainUrl: string },
): RenderedMail {
  const texts = MAIL_TEXTS[mail.lang ?? 'de'];
  const t = texts.closed;
  return compose(texts, { ...mail, cancelUrl: '' }, t.subject(mail.reference), t.intro, [
    { text: t.reason(mail.reason) },
    { link: mail.bookAgainUrl, label: t.againLabel, lead: t.again },
    { text: t.calendar },
  ]);
}

/** The reminder before the appointment. Pure. */
export function renderReminderMail(mail: AppointmentNoticeInput): RenderedMail {
  const texts = MAIL_TEXTS[mail.lang ?? 'de'];
  const t = texts.reminder;
  const at = local(mail.slotStartsAt, mail.timeZone, texts, texts.shortDateTime);
  return compose(texts, mail, t.subject(at, mail.reference), t.intro, [
    { link: mail.cancelUrl, label: texts.cancelLink, lead: t.cancelText },
    { link: mail.statusUrl, label: texts.statusLink, lead: `${texts.statusLink}:` },
  ]);
}
