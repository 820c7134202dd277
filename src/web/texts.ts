/**
 * Every text of the citizen pages, by language: German first, English beside it. A page asks
 * for `t(lang).key`; nothing a page shows is written anywhere else.
 */
export type Lang = 'de' | 'en';
export const LANGS: readonly Lang[] = ['de', 'en'];

const de = {
  site: 'Terminvergabe Bürgeramt',
  officialSite: 'Offizielle Website der Stadtverwaltung',
  skip: 'Zum Inhalt springen',
  switchTo: 'English',
  switchLang: 'en' as Lang,
  offices: 'Bürgerämter',
  officesIntro: 'Wählen Sie ein Bürgeramt und ein Anliegen. Danach sehen Sie die freien Termine.',
  openingHours: 'Öffnungszeiten',
  noOpeningHours: 'Öffnungszeiten werden noch eingetragen.',
  closed: 'geschlossen',
  weekdays: ['Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag', 'Sonntag'],
  services: 'Anliegen',
  chooseService: (office: string) => `Anliegen im ${office}`,
  whatToBring: 'Bitte mitbringen',
  contact: 'Kontakt',
  freeTimes: 'Freie Termine',
  freeTimesAt: (service: string, office: string) => `${service} – ${office}`,
  nothingFree: 'In diesem Zeitraum ist kein Termin frei.',
  nextFreeDay: (day: string) => `Der nächste freie Termin ist am ${day}.`,
  showThatWeek: 'Diese Woche anzeigen',
  noneSoon: 'In den nächsten Wochen ist hier kein Termin frei.',
  otherOffices: 'Dieses Anliegen auch in anderen Bürgerämtern:',
  earlier: 'Frühere Termine',
  later: 'Spätere Termine',
  minutes: (n: number) => `${n} Minuten`,
  places: (n: number) => (n === 1 ? 'noch 1 Platz' : `noch ${n} Plätze`),
  bookForm: 'Termin buchen',
  yourAppointment: 'Ihr Termin',
  name: 'Name',
  email: 'E-Mail-Adresse',
  emailHint: 'An diese Adresse schicken wir den Link, mit dem Sie den Termin bestätigen.',
  phone: 'Telefon (Mobilnummer)',
  optional: 'optional',
  phoneHint: 'Falls unsere E-Mail Sie nicht erreicht, schicken wir Ihnen einen Code per SMS.',
  privacy: 'Wir speichern Ihre Angaben nur für diesen Termin und anonymisieren sie nach dem Termin. Mehr dazu in der',
  privacyLink: 'Datenschutzerklärung',
  submit: 'Verbindlich anfragen',
  submitAnyway: 'Mit diesen Angaben buchen',
  closedHeading: 'Das Bürgeramt ist geschlossen',
  closedAt: (from: string, to: string, reason: string) => `Von ${from} bis ${to}: ${reason}.`,
  botCheck: 'Sicherheitsprüfung',
  botCheckHint: 'Ihr Browser löst dafür eine kleine Rechenaufgabe; Sie müssen nichts tun.',
  botCheckFailed: 'Die Sicherheitsprüfung ist fehlgeschlagen oder abgelaufen. Bitte senden Sie das Formular noch einmal.',
  botCheckWait: 'Noch ein Schritt ohne JavaScript',
  botCheckWaitText: (seconds: number) =>
    `Ihr Browser führt kein JavaScript aus, daher entfällt die automatische Sicherheitsprüfung. Bitte warten Sie ${seconds} Sekunden und senden Sie das Formular dann erneut – Ihre Angaben bleiben erhalten.`,
  botCheckSubmit: 'Jetzt buchen',
  refreshing: (seconds: number) =>
    `Diese Angaben aktualisieren sich alle ${seconds} Sekunden von selbst (mit JavaScript; sonst laden Sie die Seite neu).`,
  providerBlocked: (provider: string, since: string) => `${provider} nimmt seit ${since} keine E-Mails der Stadt an`,
  providerBlockedHelp:
    'Ihre Bestätigungsmail kann deshalb gerade nicht ankommen. Geben Sie eine Mobilnummer an, dann schicken wir Ihnen einen Code per SMS, oder nutzen Sie eine andere E-Mail-Adresse. Sie können auch mit dieser Adresse buchen: Wir halten den Termin, bis die E-Mail zugestellt werden kann.',
  errorSummary: 'Bitte prüfen Sie Ihre Angaben',
  errorTitle: 'Das hat nicht geklappt',
  errorGeneric: 'Ein Fehler ist aufgetreten. Bitte versuchen Sie es noch einmal.',
  requestId: 'Fehlernummer (bitte bei Rückfragen angeben)',
  fieldErrors: {
    name: 'Bitte geben Sie Ihren Namen an (2 bis 200 Zeichen).',
    email: 'Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@beispiel.de.',
    phone: 'Bitte geben Sie eine Mobilnummer an, z. B. 0151 2345678 oder +49 151 2345678.',
    slotId: 'Dieser Termin ist nicht (mehr) vorhanden. Bitte wählen Sie einen anderen.',
  } as Record<string, string>,
  errors: {
    SLOT_FULL: 'Dieser Termin ist inzwischen ausgebucht. Bitte wählen Sie einen anderen.',
    BOOKING_LIMIT_NO_SHOW:
      'Mit dieser E-Mail-Adresse wurden in den letzten 90 Tagen mehrere Termine nicht wahrgenommen. Bitte vereinbaren Sie Ihren Termin direkt im Bürgeramt.',
    RESCHEDULE_NOT_ALLOWED: 'Dieser Termin kann nicht mehr verlegt werden (bis 2 Stunden vorher, nur für dasselbe Anliegen).',
    SLOT_IN_PAST: 'Dieser Termin hat schon begonnen. Bitte wählen Sie einen anderen.',
    SLOT_NOT_FOUND: 'Diesen Termin gibt es nicht (mehr). Bitte wählen Sie einen anderen.',
    BOOKING_LIMIT_SLOT: 'Für diese E-Mail-Adresse ist dieser Termin bereits gebucht.',
    BOOKING_LIMIT_DAY: 'Mit dieser E-Mail-Adresse sind an diesem Tag in diesem Amt schon genug Termine gebucht.',
    RATE_LIMITED: 'Zu viele Anfragen in kurzer Zeit. Bitte warten Sie einen Moment und versuchen Sie es erneut.',
    DATABASE_UNAVAILABLE:
      'Die Terminvergabe ist gerade nicht erreichbar. Es wurde nichts gespeichert. Bitte versuchen Sie es gleich noch einmal.',
    RESEND_TOO_SOON: 'Eine neue E-Mail können Sie alle 5 Minuten anfordern.',
    CHANGE_TOO_SOON: 'Diese Angabe können Sie alle 5 Minuten ändern.',
    TOKEN_INVALID: 'Dieser Code stimmt nicht. Bitte prüfen Sie die 6 Ziffern aus der SMS.',
    CODE_TRIES_EXCEEDED:
      'Zu viele falsche Codes von diesem Gerät. Nutzen Sie den Link aus der SMS oder fordern Sie einen neuen Code an.',
    INVALID_TRANSITION: 'Dieser Termin kann nicht mehr geändert werden.',
    VALIDATION_FAILED:
      'Diese Angabe können wir nicht verwenden. An Nummern außerhalb Deutschlands und der EU schicken wir keine SMS.',
  } as Record<string, string>,
  booked: 'Fast geschafft: Bitte bestätigen Sie Ihren Termin',
  bookedIntro: (email: string) => `Wir haben Ihnen eine E-Mail an ${email} geschickt. Bitte klicken Sie auf den Link darin.`,
  reference: 'Buchungsnummer',
  when: 'Wann',
  where: 'Wo',
  what: 'Anliegen',
  heldUntil: 'Wir halten den Termin für Sie bis',
  mailNow: 'Ihre Bestätigungsmail',
  noMail: 'Noch keine E-Mail in Arbeit.',
  mailStates: {
    queued: 'wird gerade verschickt',
    sending: 'wird gerade verschickt',
    deferred: 'konnte noch nicht zugestellt werden; wir versuchen es weiter',
    held_provider_blocked: 'wartet: Ihr E-Mail-Anbieter nimmt gerade keine Nachrichten von uns an',
    in_transit: 'ist unterwegs zu Ihrem E-Mail-Anbieter',
    accepted: 'ist bei Ihrem E-Mail-Anbieter angekommen',
    delayed: 'verzögert sich bei Ihrem E-Mail-Anbieter',
    bounced: 'wurde abgewiesen: die Adresse scheint nicht zu stimmen',
    failed: 'konnte nicht zugestellt werden',
    cancelled: 'wurde zurückgezogen',
  } as Record<string, string>,
  attempts: (n: number) => (n === 1 ? '1 Zustellversuch' : `${n} Zustellversuche`),
  noMailArrived: 'Keine E-Mail bekommen?',
  noMailHelp:
    'Sehen Sie im Spam-Ordner nach. Auf der Statusseite können Sie die E-Mail neu anfordern, die Adresse ändern oder eine Mobilnummer für einen SMS-Code angeben. Wir halten den Termin, solange Ihre E-Mail nicht zugestellt werden kann.',
  statusLink: 'Zur Statusseite Ihres Termins',
  statusTitle: 'Ihr Termin',
  statusWords: {
    pending: 'Noch nicht bestätigt',
    confirmed: 'Bestätigt',
    cancelled: 'Abgesagt',
    expired: 'Verfallen',
  } as Record<string, string>,
  whyWaiting: 'Warum wir warten',
  resend: 'E-Mail neu senden',
  addToCalendar: 'In den Kalender (ICS)',
  changeHeading: 'Andere Adresse, Mobilnummer oder SMS-Code',
  newEmail: 'Neue E-Mail-Adresse',
  changeEmail: 'Adresse ändern',
  addPhone: 'Mobilnummer hinzufügen',
  smsCode: 'Code aus der SMS (6 Ziffern)',
  confirmWithCode: 'Mit Code bestätigen',
  done: {
    neu: '',
    erneut: 'Wir haben Ihnen eine neue E-Mail geschickt. Ältere Links gelten nicht mehr.',
    abgesagt: 'Ihr Termin ist abgesagt. Der Platz ist wieder frei.',
    adresse: 'Die neue Adresse ist gespeichert; die Bestätigung geht jetzt dorthin.',
    telefon: 'Die Mobilnummer ist gespeichert. Kann die E-Mail nicht zugestellt werden, schicken wir Ihnen einen Code per SMS.',
    bestaetigt: 'Ihr Termin ist bestätigt.',
    verlegt: 'Ihr Termin ist verlegt. Wir haben Ihnen die neue Zeit per E-Mail geschickt.',
  } as Record<string, string>,
  moveHeading: 'Termin verlegen',
  moveHint: 'Eine andere Zeit für dasselbe Anliegen, bis 2 Stunden vor dem Termin.',
  moveLabel: 'Neue Zeit',
  moveButton: 'Auf diese Zeit verlegen',
  cancel: 'Termin absagen',
  cancelQuestion: 'Möchten Sie diesen Termin wirklich absagen?',
  cancelYes: 'Ja, Termin absagen',
  cancelNo: 'Nein, zurück',
  statusInvalid: 'Dieser Link ist nicht gültig',
  statusInvalidText: 'Der Link zur Statusseite ist unvollständig oder abgelaufen. Bitte nutzen Sie den Link aus Ihrer E-Mail.',
  confirmTitle: 'Termin bestätigen',
  confirmButton: 'Termin bestätigen',
  alreadyConfirmed: 'Dieser Termin ist bereits bestätigt.',
  confirmedTitle: 'Ihr Termin ist bestätigt',
  bringReference: 'Bitte bringen Sie Ihre Buchungsnummer mit.',
  linkInvalidTitle: 'Dieser Link ist nicht (mehr) gültig',
  linkInvalidText:
    'Der Bestätigungslink ist abgelaufen, wurde bereits ersetzt oder ist unvollständig. Falls Ihr Termin verfallen ist, buchen Sie bitte einen neuen.',
  notFound: 'Seite nicht gefunden',
  notFoundText: 'Diese Adresse gibt es nicht. Zur Übersicht der Bürgerämter:',
  home: 'Startseite',
  privacyTitle: 'Datenschutz bei der Terminvergabe',
  /** The privacy notice: who, what, why, how long, rights; the periods from the configuration. */
  privacyText: (f: PrivacyFigures) => [
    [
      'Wer',
      'Verantwortlich ist die Stadtverwaltung, die diese Terminvergabe betreibt (ihr Impressum nennt Anschrift und Datenschutzbeauftragte). Die Daten liegen auf ihren eigenen Servern.',
    ],
    [
      'Was',
      'Für Ihren Termin speichern wir Ihren Namen, Ihre E-Mail-Adresse und, wenn Sie sie angeben, Ihre Mobilnummer; dazu die Nachrichten, die wir Ihnen schicken, und die Antworten der Mailserver und des SMS-Dienstes, ob sie angekommen sind. Im Protokoll der Verwaltung stehen Adressen und Nummern nur als Prüfwert (Hash).',
    ],
    [
      'Warum',
      'Um Ihnen die Bestätigung, eine Erinnerung und Änderungen zu Ihrem Termin zu schicken, damit das Bürgeramt Sie am Termin erkennt, und damit wir merken, wenn eine E-Mail nicht ankommt (Art. 6 Abs. 1 lit. e DSGVO: Aufgabe im öffentlichen Interesse). Ein unbestätigter Termin verfällt nach ' +
        f.confirmWindowMinutes +
        ' Minuten, solange die Bestätigung zugestellt werden konnte.',
    ],
    [
      'Wie lange',
      f.retentionDays +
        ' Tage nach dem Termin (oder nach dem Verfall oder der Absage) werden Name, Adresse, Nummer, die Nachrichten und die Antworten der Mailserver anonymisiert. Die Buchung selbst bleibt ohne Personenbezug für die Statistik erhalten.',
    ],
    [
      'Ihre Rechte',
      'Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung sowie auf Widerspruch (Art. 15–21 DSGVO). Wenden Sie sich dazu an das Bürgeramt: Es gibt Ihnen alles heraus, was zu Ihrer E-Mail-Adresse gespeichert ist, und löscht es auf Wunsch vorzeitig. Sie können sich auch bei der Datenschutzaufsicht Ihres Landes beschweren.',
    ],
  ],
  dateFormat: 'cccc, d. LLLL yyyy',
  timeFormat: "HH:mm 'Uhr'",
  dateTimeFormat: "cccc, d. LLLL yyyy, HH:mm 'Uhr'",
};

export type Texts = typeof de;

/** The figures the privacy notice names, from the configuration. */
export interface PrivacyFigures {
  retentionDays: number;
  confirmWindowMinutes: number;
}

const en: Texts = {
  site: 'City office appointments',
  officialSite: 'Official website of the city administration',
  skip: 'Skip to content',
  switchTo: 'Deutsch',
  switchLang: 'de',
  offices: 'City offices',
  officesIntro: 'Choose an office and a service. Then you see the free times.',
  openingHours: 'Opening hours',
  noOpeningHours: 'Opening hours are not entered yet.',
  closed: 'closed',
  weekdays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
  services: 'Services',
  chooseService: (office: string) => `Services at ${office}`,
  whatToBring: 'Please bring',
  contact: 'Contact',
  freeTimes: 'Free times',
  freeTimesAt: (service: string, office: string) => `${service} – ${office}`,
  nothingFree: 'No time is free in this period.',
  nextFreeDay: (day: string) => `The next free time is on ${day}.`,
  showThatWeek: 'Show that week',
  noneSoon: 'No time is free here in the coming weeks.',
  otherOffices: 'This service at other offices:',
  earlier: 'Earlier times',
  later: 'Later times',
  minutes: (n: number) => `${n} minutes`,
  places: (n: number) => (n === 1 ? '1 place left' : `${n} places left`),
  bookForm: 'Book an appointment',
  yourAppointment: 'Your appointment',
  name: 'Name',
  email: 'E-mail address',
  emailHint: 'We send the link to confirm the appointment to this address.',
  phone: 'Phone (mobile)',
  optional: 'optional',
  phoneHint: 'If our e-mail does not reach you, we send you a code by text message.',
  privacy: 'We keep your details for this appointment only and anonymise them afterwards. More in the',
  privacyLink: 'privacy notice',
  submit: 'Request appointment',
  submitAnyway: 'Book with these details',
  closedHeading: 'The office is closed',
  closedAt: (from: string, to: string, reason: string) => `From ${from} to ${to}: ${reason}.`,
  botCheck: 'Security check',
  botCheckHint: 'Your browser solves a small puzzle for it; you need not do anything.',
  botCheckFailed: 'The security check failed or expired. Please send the form again.',
  botCheckWait: 'One more step without JavaScript',
  botCheckWaitText: (seconds: number) =>
    `Your browser does not run JavaScript, so the automatic security check cannot run. Please wait ${seconds} seconds and send the form again – your details are kept.`,
  botCheckSubmit: 'Book now',
  refreshing: (seconds: number) =>
    `These details update themselves every ${seconds} seconds (with JavaScript; otherwise reload the page).`,
  providerBlocked: (provider: string, since: string) => `${provider} has not accepted e-mail from the city since ${since}`,
  providerBlockedHelp:
    'Your confirmation e-mail cannot arrive right now. Give a mobile number and we send you a code by text message, or use another e-mail address. You can also book with this address: we hold the appointment until the e-mail can be delivered.',
  errorSummary: 'Please check your entries',
  errorTitle: 'That did not work',
  errorGeneric: 'Something went wrong. Please try again.',
  requestId: 'Error number (please quote it when you ask)',
  fieldErrors: {
    name: 'Please enter your name (2 to 200 characters).',
    email: 'Please enter a valid e-mail address, e.g. name@example.org.',
    phone: 'Please enter a mobile number, e.g. +49 151 2345678.',
    slotId: 'This time does not exist (any more). Please choose another one.',
  },
  errors: {
    SLOT_FULL: 'This time has just been fully booked. Please choose another one.',
    BOOKING_LIMIT_NO_SHOW:
      'This e-mail address missed several appointments in the last 90 days. Please make your appointment at the office.',
    RESCHEDULE_NOT_ALLOWED: 'This appointment can no longer be moved (until 2 hours before, for the same service only).',
    SLOT_IN_PAST: 'This time has already started. Please choose another one.',
    SLOT_NOT_FOUND: 'This time does not exist (any more). Please choose another one.',
    BOOKING_LIMIT_SLOT: 'This time is already booked for this e-mail address.',
    BOOKING_LIMIT_DAY: 'This e-mail address already has enough bookings at this office on that day.',
    RATE_LIMITED: 'Too many requests in a short time. Please wait a moment and try again.',
    DATABASE_UNAVAILABLE: 'Booking is not available right now. Nothing was saved. Please try again in a moment.',
    RESEND_TOO_SOON: 'You can ask for a new e-mail every 5 minutes.',
    CHANGE_TOO_SOON: 'You can change this every 5 minutes.',
    TOKEN_INVALID: 'This code is not right. Please check the 6 digits from the text message.',
    CODE_TRIES_EXCEEDED: 'Too many wrong codes from this device. Use the link from the text message or ask for a new code.',
    INVALID_TRANSITION: 'This appointment can no longer be changed.',
    VALIDATION_FAILED: 'We cannot use this entry. We send no text messages to numbers outside Germany and the EU.',
  },
  booked: 'Almost done: please confirm your appointment',
  bookedIntro: (email: string) => `We have sent an e-mail to ${email}. Please click the link in it.`,
  reference: 'Booking reference',
  when: 'When',
  where: 'Where',
  what: 'Service',
  heldUntil: 'We hold the appointment for you until',
  mailNow: 'Your confirmation e-mail',
  noMail: 'No e-mail on its way yet.',
  mailStates: {
    queued: 'is being sent',
    sending: 'is being sent',
    deferred: 'could not be delivered yet; we keep trying',
    held_provider_blocked: 'is waiting: your e-mail provider does not take our messages right now',
    in_transit: 'is on its way to your e-mail provider',
    accepted: 'has arrived at your e-mail provider',
    delayed: 'is delayed at your e-mail provider',
    bounced: 'was refused: the address seems to be wrong',
    failed: 'could not be delivered',
    cancelled: 'was withdrawn',
  },
  attempts: (n: number) => (n === 1 ? '1 delivery attempt' : `${n} delivery attempts`),
  noMailArrived: 'No e-mail?',
  noMailHelp:
    'Look in your spam folder. On the status page you can ask for the e-mail again, change the address or give a mobile number for a code by text message. We hold the appointment while your e-mail cannot be delivered.',
  statusLink: 'Go to the status page of your appointment',
  statusTitle: 'Your appointment',
  statusWords: { pending: 'Not confirmed yet', confirmed: 'Confirmed', cancelled: 'Cancelled', expired: 'Lapsed' },
  whyWaiting: 'Why we are waiting',
  resend: 'Send the e-mail again',
  addToCalendar: 'Add to calendar (ICS)',
  changeHeading: 'Another address, a mobile number or the SMS code',
  newEmail: 'New e-mail address',
  changeEmail: 'Change address',
  addPhone: 'Add mobile number',
  smsCode: 'Code from the text message (6 digits)',
  confirmWithCode: 'Confirm with code',
  done: {
    neu: '',
    erneut: 'We have sent you a new e-mail. Earlier links no longer work.',
    abgesagt: 'Your appointment is cancelled. The place is free again.',
    adresse: 'The new address is saved; the confirmation goes there now.',
    telefon: 'The mobile number is saved. If the e-mail cannot be delivered, we send you a code by text message.',
    bestaetigt: 'Your appointment is confirmed.',
    verlegt: 'Your appointment is moved. We have sent you the new time by e-mail.',
  },
  moveHeading: 'Move the appointment',
  moveHint: 'Another time for the same service, until 2 hours before the appointment.',
  moveLabel: 'New time',
  moveButton: 'Move to this time',
  cancel: 'Cancel the appointment',
  cancelQuestion: 'Do you really want to cancel this appointment?',
  cancelYes: 'Yes, cancel it',
  cancelNo: 'No, go back',
  statusInvalid: 'This link is not valid',
  statusInvalidText: 'The link to the status page is incomplete or expired. Please use the link from your e-mail.',
  confirmTitle: 'Confirm your appointment',
  confirmButton: 'Confirm appointment',
  alreadyConfirmed: 'This appointment is already confirmed.',
  confirmedTitle: 'Your appointment is confirmed',
  bringReference: 'Please bring your booking reference.',
  linkInvalidTitle: 'This link is not valid (any more)',
  linkInvalidText:
    'The confirmation link has expired, was replaced or is incomplete. If your booking lapsed, please book a new one.',
  notFound: 'Page not found',
  notFoundText: 'This address does not exist. To the list of offices:',
  home: 'Home',
  privacyTitle: 'Privacy in appointment booking',
  privacyText: (f: PrivacyFigures) => [
    [
      'Who',
      'The city administration that runs this booking service is responsible (its imprint names its address and data protection officer). The data is kept on its own servers.',
    ],
    [
      'What',
      "For your appointment we store your name, your e-mail address and, if you give it, your mobile number; also the messages we send you and the answers of the mail servers and the SMS service on whether they arrived. The administration's log keeps addresses and numbers only as a check value (hash).",
    ],
    [
      'Why',
      'To send you the confirmation, a reminder and changes to your appointment, so that the office recognises you, and so that we notice when an e-mail does not arrive (Art. 6(1)(e) GDPR: a task in the public interest). An unconfirmed appointment lapses after ' +
        f.confirmWindowMinutes +
        ' minutes once the confirmation could be delivered.',
    ],
    [
      'How long',
      f.retentionDays +
        " days after the appointment (or after it lapsed or was cancelled) name, address, number, the messages and the mail servers' answers are anonymised. The booking itself stays, without personal data, for statistics.",
    ],
    [
      'Your rights',
      "You have the right of access, rectification, erasure, restriction and objection (Art. 15–21 GDPR). Please contact the office: it gives you everything stored about your e-mail address and erases it early on request. You may also complain to your state's data protection authority.",
    ],
  ],
  dateFormat: 'cccc, d LLLL yyyy',
  timeFormat: 'HH:mm',
  dateTimeFormat: 'cccc, d LLLL yyyy, HH:mm',
};

const TEXTS: Record<Lang, Texts> = { de, en };

export function t(lang: Lang): Texts {
  return TEXTS[lang];
}

/** `?lang=` first, then the browser's Accept-Language (first of de/en named), else German. */
export function pickLang(query: unknown, acceptLanguage: string | undefined): Lang {
  if (query === 'de' || query === 'en') return query;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === 'de' || tag === 'en') return tag;
  }
  return 'de';
}
