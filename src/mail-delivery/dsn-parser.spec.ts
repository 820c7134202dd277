import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_DSN_MAX_BYTES,
  DsnParseResult,
  DsnRecipient,
  DsnReport,
  parseDsn,
  smtpReplyForRecipient,
  smtpReplyFromDiagnostic,
} from './dsn-parser';
import { classifySmtpReply, SmtpStage } from './smtp-reply-classifier';

// ---------------------------------------------------------------------------------------------
// Fixtures: real delivery reports (see test/fixtures/README.md)
// ---------------------------------------------------------------------------------------------

const RETURN_PATH = 'bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.2c5f2d048e2a559bd4a4@bounce.holdfast.example';
const ENVID = '3f1c2b9e-8a7d-4c6b-9e0f-1a2b3c4d5e6f';
const MESSAGE_ID = '<3f1c2b9e-8a7d-4c6b-9e0f-1a2b3c4d5e6f@holdfast.example>';

type FixtureName = 'delayed-webde.eml' | 'failed-gmx-block.eml' | 'failed-user-unknown.eml' | 'relayed-webde.eml';

/** A fixture with its placeholders filled in, LF as stored or CRLF as on the wire. */
function fixture(name: FixtureName, lineEnding: 'LF' | 'CRLF' = 'LF'): string {
  const raw = readFileSync(path.resolve(__dirname, '../../test/fixtures/dsn', name), 'utf8')
    .replace(/\{\{RETURN_PATH\}\}/g, RETURN_PATH)
    .replace(/\{\{ENVID\}\}/g, ENVID)
    .replace(/\{\{MESSAGE_ID\}\}/g, MESSAGE_ID);
  // Guards the test itself: a placeholder left over would make the expectations below meaningless.
  expect(raw).not.toMatch(/\{\{/);
  expect(raw).not.toMatch(/\r/);
  return lineEnding === 'CRLF' ? raw.replace(/\n/g, '\r\n') : raw;
}

function report(result: DsnParseResult): DsnReport {
  if (!result.ok) throw new Error(`expected a report, got ${result.error}`);
  return result.report;
}

const at = (iso: string): number => Date.parse(iso);

interface FixtureCase {
  name: FixtureName;
  recipient: DsnRecipient;
  arrivalAt: number;
}

const FIXTURE_CASES: FixtureCase[] = [
  {
    name: 'delayed-webde.eml',
    arrivalAt: at('2021-03-16T13:11:58+01:00'),
    recipient: {
      finalRecipient: 'lena.beispiel@web.de',
      finalRecipientType: 'rfc822',
      originalRecipient: 'lena.beispiel@web.de',
      action: 'delayed',
      status: '4.0.0',
      diagnosticType: 'smtp',
      diagnosticCode:
        '421 web.de (mxweb113) Nemesis ESMTP Service not available Service unavailable Reject due to policy restrictions Please try again later.',
      remoteMta: 'mx-ha03.web.de',
      willRetryUntil: 'Sun, 21 Mar 2021 13:11:58 +0100 (CET)',
      willRetryUntilAt: at('2021-03-21T13:11:58+01:00'),
      smtpStage: 'CONN',
    },
  },
  {
    name: 'failed-gmx-block.eml',
    arrivalAt: at('2021-03-16T13:11:58+01:00'),
    recipient: {
      finalRecipient: 'jonas.muster@gmx.de',
      finalRecipientType: 'rfc822',
      originalRecipient: 'jonas.muster@gmx.de',
      action: 'failed',
      status: '4.0.0',
      diagnosticType: 'smtp',
      diagnosticCode:
        '554-gmx.net (mxgmx104) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is block listed. 554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42&r=1MNcgj',
      remoteMta: 'mx00.emig.gmx.net',
      smtpStage: 'CONN',
    },
  },
  {
    name: 'failed-user-unknown.eml',
    arrivalAt: at('2021-03-16T13:14:40+01:00'),
    recipient: {
      finalRecipient: 'm.schmidt@example.org',
      finalRecipientType: 'rfc822',
      originalRecipient: 'm.schmidt@example.org',
      action: 'failed',
      status: '5.1.1',
      diagnosticType: 'smtp',
      diagnosticCode: '550 5.1.1 <m.schmidt@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
      remoteMta: 'mx.example.org',
      smtpStage: 'RCPT',
    },
  },
  {
    // Postfix's success report: the MX took it and offers no DSN itself, so the relay says "relayed".
    name: 'relayed-webde.eml',
    arrivalAt: at('2021-03-16T13:11:58+01:00'),
    recipient: {
      finalRecipient: 'lena.beispiel@web.de',
      finalRecipientType: 'rfc822',
      originalRecipient: 'lena.beispiel@web.de',
      action: 'relayed',
      status: '2.0.0',
      diagnosticType: 'smtp',
      diagnosticCode: '250 Requested mail action okay, completed: id=1MxUnp-1lPzQh0e7R-00xyzT',
      remoteMta: 'mx-ha03.web.de',
      // "delivery via": the notification names no SMTP stage for a success.
    },
  },
];

const INPUT_FORMS: Array<{ form: string; make: (name: FixtureName) => string | Buffer }> = [
  { form: 'LF string', make: (n) => fixture(n, 'LF') },
  { form: 'CRLF string', make: (n) => fixture(n, 'CRLF') },
  { form: 'LF Buffer', make: (n) => Buffer.from(fixture(n, 'LF'), 'utf8') },
  { form: 'CRLF Buffer', make: (n) => Buffer.from(fixture(n, 'CRLF'), 'utf8') },
];

describe('parseDsn on the fixtures of real reports', () => {
  const table = FIXTURE_CASES.flatMap((c) => INPUT_FORMS.map((f) => ({ ...c, ...f })));

  it.each(table)('$name as $form', ({ name, make, recipient, arrivalAt }) => {
    const result = parseDsn(make(name));
    expect(result).toEqual({
      ok: true,
      report: {
        envelopeId: ENVID,
        reportingMta: 'relay.stadt.example',
        arrivalDate: expect.stringMatching(/^Tue, 16 Mar 2021 13:1\d:\d\d \+0100 \(CET\)$/),
        arrivalAt,
        originalMessageId: MESSAGE_ID,
        recipients: [recipient],
      },
    });
  });

  it('unfolds a folded Diagnostic-Code into one line with single blanks', () => {
    const { recipients } = report(parseDsn(fixture('failed-gmx-block.eml', 'CRLF')));
    expect(recipients[0].diagnosticCode).not.toMatch(/[\r\n]|\s{2}/);
  });
});

describe('classifying what the fixtures report', () => {
  const recipientOf = (name: FixtureName) => report(parseDsn(fixture(name, 'CRLF'))).recipients[0];

  it('GMX block: provider_block, and the address is not marked bad', () => {
    const r = recipientOf('failed-gmx-block.eml');
    for (const reply of [
      // as the brief's call shape: the diagnostic with its type, the status, nothing else known
      smtpReplyFromDiagnostic(`${r.diagnosticType}; ${r.diagnosticCode}`, r.status),
      // with everything the report knows (stage from the notification, remote MTA)
      smtpReplyForRecipient(r),
    ]) {
      const c = classifySmtpReply(reply);
      expect(c.category).toBe('provider_block');
      expect(c.addressBad).toBe(false);
      expect(c.family).toBe('united-internet');
    }
  });

  it('user unknown: mailbox_unknown, and the address is bad', () => {
    const r = recipientOf('failed-user-unknown.eml');
    for (const reply of [smtpReplyFromDiagnostic(`smtp; ${r.diagnosticCode}`, r.status), smtpReplyForRecipient(r)]) {
      const c = classifySmtpReply(reply);
      expect(c.category).toBe('mailbox_unknown');
      expect(c.addressBad).toBe(true);
      expect(c.temporary).toBe(false);
    }
  });

  it('Web.de delay: temporary, and the address is not marked bad', () => {
    const c = classifySmtpReply(smtpReplyForRecipient(recipientOf('delayed-webde.eml')));
    expect(c.temporary).toBe(true);
    expect(c.addressBad).toBe(false);
    expect(c.family).toBe('united-internet');
  });
});

// ---------------------------------------------------------------------------------------------
// Synthetic reports
// ---------------------------------------------------------------------------------------------

const BOUNDARY = 'b1/relay.example';

interface Part {
  headers: string;
  body: string;
}

const notificationPart = (text = 'The mail system could not deliver your message.'): Part => ({
  headers: 'Content-Type: text/plain; charset=us-ascii',
  body: text,
});
const statusPart = (body: string, headers = 'Content-Type: message/delivery-status'): Part => ({ headers, body });
const headersPart = (messageId = '<orig-1@holdfast.example>'): Part => ({
  headers: 'Content-Type: text/rfc822-headers',
  body: `From: termine@stadt.example\nTo: a@example.org\nMessage-ID: ${messageId}\nSubject: x\n`,
});

const PER_MESSAGE =
  'Reporting-MTA: dns; relay.example\nOriginal-Envelope-Id: env-7\nArrival-Date: Mon, 4 Mar 2024 09:00:00 +0100';
const RECIPIENT =
  'Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown';

function mail(
  parts: Part[],
  contentType = `multipart/report; report-type=delivery-status; boundary="${BOUNDARY}"`,
  boundary = BOUNDARY,
): string {
  const body = parts.map((p) => `--${boundary}\n${p.headers}\n\n${p.body}\n`).join('');
  return `From: MAILER-DAEMON@relay.example\nTo: ${RETURN_PATH}\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: ${contentType}\n\nThis is a MIME-encapsulated message.\n\n${body}--${boundary}--\n`;
}

const dsn = (statusBody: string, extra: Part[] = [headersPart()]): string =>
  mail([notificationPart(), statusPart(statusBody), ...extra]);

describe('parseDsn on synthetic reports that must parse', () => {
  it('reads several recipients, each with its own fields, and the stage only where the notification says it', () => {
    const body = [
      PER_MESSAGE,
      RECIPIENT,
      'Final-Recipient: rfc822;<b@example.net>\nOriginal-Recipient: rfc822; B@Example.net\nAction: delayed\nStatus: 4.4.1\nDiagnostic-Code: X-Postfix; connect to mx.example.net[192.0.2.1]:25: Connection timed out\nLast-Attempt-Date: Mon, 4 Mar 2024 09:30:00 +0100\nWill-Retry-Until: Sat, 9 Mar 2024 09:00:00 +0100',
      'Final-Recipient: rfc822; c@example.com\nAction: delivered\nStatus: 2.0.0\nRemote-MTA: dns; mx.example.com',
    ].join('\n\n');
    const text =
      'Hello.\n\n<a@example.org>: host mx.example.org[192.0.2.9] said: 550 5.1.1 User\n    unknown (in reply to RCPT TO command)\n\n<b@example.net>: connect to mx.example.net[192.0.2.1]:25: Connection timed out\n';
    const r = report(parseDsn(mail([notificationPart(text), statusPart(body), headersPart()])));
    expect(r.envelopeId).toBe('env-7');
    expect(r.arrivalAt).toBe(at('2024-03-04T09:00:00+01:00'));
    expect(r.recipients).toEqual([
      {
        finalRecipient: 'a@example.org',
        finalRecipientType: 'rfc822',
        action: 'failed',
        status: '5.1.1',
        diagnosticType: 'smtp',
        diagnosticCode: '550 5.1.1 User unknown',
        smtpStage: 'RCPT',
      },
      {
        finalRecipient: 'b@example.net',
        finalRecipientType: 'rfc822',
        originalRecipient: 'B@Example.net',
        action: 'delayed',
        status: '4.4.1',
        diagnosticType: 'x-postfix',
        diagnosticCode: 'connect to mx.example.net[192.0.2.1]:25: Connection timed out',
        lastAttemptDate: 'Mon, 4 Mar 2024 09:30:00 +0100',
        lastAttemptAt: at('2024-03-04T09:30:00+01:00'),
        willRetryUntil: 'Sat, 9 Mar 2024 09:00:00 +0100',
        willRetryUntilAt: at('2024-03-09T09:00:00+01:00'),
      },
      {
        finalRecipient: 'c@example.com',
        finalRecipientType: 'rfc822',
        action: 'delivered',
        status: '2.0.0',
        remoteMta: 'mx.example.com',
      },
    ]);
  });

  const variants: Array<{ name: string; raw: () => string | Buffer; check: (r: DsnReport) => void }> = [
    {
      name: 'a base64-encoded delivery-status part',
      raw: () =>
        mail([
          notificationPart(),
          statusPart(
            Buffer.from(`${PER_MESSAGE}\r\n\r\n${RECIPIENT}\r\n`)
              .toString('base64')
              .replace(/(.{76})/g, '$1\n'),
            'Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64',
          ),
          headersPart(),
        ]),
      check: (r) =>
        expect(r.recipients[0]).toMatchObject({
          finalRecipient: 'a@example.org',
          status: '5.1.1',
          diagnosticCode: '550 5.1.1 User unknown',
        }),
    },
    {
      name: 'a quoted-printable delivery-status part',
      raw: () =>
        mail([
          notificationPart(),
          statusPart(
            `${PER_MESSAGE}\n\n${RECIPIENT.replace('User unknown', 'User=20unkno=\nwn')}`,
            'Content-Type: message/delivery-status\nContent-Transfer-Encoding: quoted-printable',
          ),
          headersPart(),
        ]),
      check: (r) => expect(r.recipients[0].diagnosticCode).toBe('550 5.1.1 User unknown'),
    },
    {
      name: 'the report wrapped in a multipart/mixed',
      raw: () => {
        const inner = mail([notificationPart(), statusPart(`${PER_MESSAGE}\n\n${RECIPIENT}`), headersPart()]);
        const innerEntity = inner.slice(inner.indexOf('Content-Type:'));
        return `From: x@relay.example\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: text/plain\n\nsee attached\n--outer\n${innerEntity}\n--outer--\n`;
      },
      check: (r) => expect(r.recipients[0].finalRecipient).toBe('a@example.org'),
    },
    {
      name: 'an mbox From_ line before the headers',
      raw: () => `From MAILER-DAEMON  Mon Mar  4 09:00:00 2024\n${dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`)}`,
      check: (r) => expect(r.envelopeId).toBe('env-7'),
    },
    {
      name: 'the whole returned message (message/rfc822), whose own Message-ID is taken',
      raw: () =>
        dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`, [
          {
            headers: 'Content-Type: message/rfc822',
            body: 'From: termine@stadt.example\nMessage-ID:\n <whole-1@holdfast.example>\nSubject: x\n\nBody text.\nMessage-ID: <not-this@x>\n',
          },
        ]),
      check: (r) => expect(r.originalMessageId).toBe('<whole-1@holdfast.example>'),
    },
    {
      name: 'no returned message: no original Message-ID',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`, []),
      check: (r) => expect(r.originalMessageId).toBeUndefined(),
    },
    {
      name: 'no per-message fields, only a recipient group',
      raw: () => dsn(RECIPIENT),
      check: (r) => {
        expect(r.envelopeId).toBeUndefined();
        expect(r.reportingMta).toBeUndefined();
        expect(r.recipients).toHaveLength(1);
      },
    },
    {
      name: 'field names in any case, a commented status (standing in for the Diagnostic-Code), a capitalised action, extra blank lines',
      raw: () =>
        dsn(
          `\n\nreporting-mta: DNS; relay.example\n\n\n\nFINAL-RECIPIENT: RFC822; <A@Example.org>\naction: Failed\nstatus: 5.1.1 (bad destination mailbox)\nX-Something: ignored\n\n`,
        ),
      check: (r) => {
        expect(r.reportingMta).toBe('relay.example');
        expect(r.recipients).toEqual([
          {
            finalRecipient: 'A@Example.org',
            finalRecipientType: 'rfc822',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: 'bad destination mailbox',
            inferred: ['diagnosticCode'],
          },
        ]);
      },
    },
    {
      name: 'the RFC 6533 global variants',
      raw: () =>
        mail(
          [
            notificationPart(),
            statusPart(
              `${PER_MESSAGE}\n\nFinal-Recipient: utf-8; jürgen@example.de\nAction: failed\nStatus: 5.1.1`,
              'Content-Type: message/global-delivery-status',
            ),
            { headers: 'Content-Type: message/global-headers', body: 'Message-ID: <g-1@holdfast.example>\n' },
          ],
          `multipart/report; report-type=global-delivery-status; boundary="${BOUNDARY}"`,
        ),
      check: (r) => {
        expect(r.recipients[0]).toMatchObject({ finalRecipient: 'jürgen@example.de', finalRecipientType: 'utf-8' });
        expect(r.originalMessageId).toBe('<g-1@holdfast.example>');
      },
    },
    {
      name: 'an unquoted boundary and transport padding after the delimiters',
      raw: () =>
        dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`)
          .replace(`boundary="${BOUNDARY}"`, 'boundary=simple')
          .split(`--${BOUNDARY}`)
          .join('--simple  '),
      check: (r) => expect(r.recipients[0].status).toBe('5.1.1'),
    },
    {
      name: 'a missing closing delimiter (a truncated mail)',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`, []).replace(`--${BOUNDARY}--\n`, ''),
      check: (r) => expect(r.recipients[0].finalRecipient).toBe('a@example.org'),
    },
    {
      name: 'a recipient without Action: failed, from the Status class',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace(/Action: failed\n/, '')}`),
      check: (r) => expect(r.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.1', inferred: ['action'] }),
    },
    {
      name: 'a recipient without Status: from the diagnostic',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace(/Status: 5.1.1\n/, '')}`),
      check: (r) => expect(r.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.1', inferred: ['status'] }),
    },
    {
      name: 'an empty Status and a non-standard Action "expired" (SendGrid): failed, 5.0.0',
      raw: () =>
        dsn(
          `${PER_MESSAGE}\n\nFinal-Recipient: rfc822; a@example.org\nAction: expired\nStatus: \nDiagnostic-Code: Connection timed out`,
        ),
      check: (r) =>
        expect(r.recipients[0]).toMatchObject({
          action: 'failed',
          status: '5.0.0',
          diagnosticCode: 'Connection timed out',
          inferred: ['status'],
        }),
    },
    {
      name: 'only an Original-Recipient, a bare address (McAfee): it stands in for Final-Recipient',
      raw: () =>
        dsn(`Original-Recipient: <a@example.org>\nAction: failed\nDiagnostic-Code: smtp; 550 Unknown user a@example.org`),
      check: (r) =>
        expect(r.recipients[0]).toMatchObject({
          finalRecipient: 'a@example.org',
          finalRecipientType: 'rfc822',
          originalRecipient: 'a@example.org',
          status: '5.0.0',
          inferred: ['finalRecipient', 'finalRecipientType', 'status'],
        }),
    },
    {
      name: 'a Diagnostic-Code continued on lines without the leading blank (Symantec, Exchange)',
      raw: () =>
        dsn(
          `${PER_MESSAGE}\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550-Please turn on SMTP Authentication.\n550 relay not permitted without authentication.`,
        ),
      check: (r) =>
        expect(r.recipients[0].diagnosticCode).toBe(
          '550-Please turn on SMTP Authentication. 550 relay not permitted without authentication.',
        ),
    },
    {
      name: 'two recipient groups run together without a blank line (AOL)',
      raw: () =>
        dsn(
          `${PER_MESSAGE}\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\nFinal-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown`,
        ),
      check: (r) =>
        expect(r.recipients.map((x) => [x.finalRecipient, x.status])).toEqual([
          ['a@example.org', '5.2.2'],
          ['b@example.org', '5.1.1'],
        ]),
    },
    {
      name: 'no Diagnostic-Code, the reply quoted in a Sendmail transcript: taken, with the stage',
      raw: () =>
        mail([
          notificationPart(
            '   ----- Transcript of session follows -----\n... while talking to mx.example.org.:\n>>> DATA\n<<< 550 5.2.1 <a@example.org>... User unknown\n554 5.0.0 Service unavailable',
          ),
          statusPart(`${PER_MESSAGE}\n\nFinal-Recipient: RFC822; a@example.org\nAction: failed\nStatus: 5.2.1`),
          headersPart(),
        ]),
      check: (r) =>
        expect(r.recipients[0]).toMatchObject({
          diagnosticType: 'smtp',
          diagnosticCode: '550 5.2.1 <a@example.org>... User unknown',
          smtpStage: 'DATA',
          inferred: ['diagnosticCode'],
        }),
    },
    {
      name: 'the stage of a transcript that names the recipient in the command (RCPT TO)',
      raw: () =>
        mail([
          notificationPart(
            '... while talking to mx.example.org.:\n>>> MAIL From:<x@stadt.example>\n<<< 250 ok\n>>> RCPT To:<a@example.org>\n<<< 550 5.1.1 <a@example.org>... User unknown',
          ),
          statusPart(`${PER_MESSAGE}\n\n${RECIPIENT}`),
          headersPart(),
        ]),
      check: (r) => expect(r.recipients[0].smtpStage).toBe('RCPT'),
    },
    {
      name: 'a multipart/report whose body has no boundaries: read from the text',
      raw: () => fixture('failed-gmx-block.eml').replace(/;\n\tboundary="[^"]+"/, ''),
      check: (r) => {
        expect(r.readFrom).toBe('text');
        expect(r.envelopeId).toBe(ENVID);
        expect(r.originalMessageId).toBe(MESSAGE_ID);
        expect(r.recipients).toHaveLength(1);
        expect(r.recipients[0]).toMatchObject({ finalRecipient: 'jonas.muster@gmx.de', action: 'failed' });
      },
    },
    {
      name: 'a report without any MIME headers (a spool file): read from the text',
      raw: () =>
        dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`)
          .replace(/^MIME-Version: 1.0\n/m, '')
          .replace(/^Content-Type: multipart\/report[^\n]*\n/m, ''),
      check: (r) => {
        expect(r.readFrom).toBe('text');
        expect(r.recipients[0]).toMatchObject({ finalRecipient: 'a@example.org', status: '5.1.1' });
      },
    },
    {
      name: 'a bounce forwarded inside a text/plain message',
      raw: () =>
        `From: postmaster@stadt.example\nTo: bounces@holdfast.example\nSubject: Fwd: Undelivered Mail\nContent-Type: text/plain; charset=utf-8\n\nSee below.\n\n-------- Forwarded Message --------\n${dsn(`${PER_MESSAGE}\n\n${RECIPIENT}`)}`,
      check: (r) => {
        expect(r.readFrom).toBe('text');
        expect(r.envelopeId).toBe('env-7');
        expect(r.recipients[0]).toMatchObject({ finalRecipient: 'a@example.org', diagnosticCode: '550 5.1.1 User unknown' });
      },
    },
    {
      name: 'a report wrapped by a gateway as message/rfc822 in a mail that is no report',
      raw: () =>
        mail(
          [notificationPart(), { headers: 'Content-Type: message/rfc822', body: fixture('failed-user-unknown.eml') }],
          `multipart/mixed; boundary="${BOUNDARY}"`,
        ),
      check: (r) => {
        expect(r.readFrom).toBe('text');
        expect(r.recipients).toHaveLength(1);
        expect(r.recipients[0].status).toBe('5.1.1');
      },
    },
    {
      name: 'a Diagnostic-Code in ISO-2022-JP (Domino in Japanese): decoded',
      raw: () =>
        dsn(
          `${PER_MESSAGE}\n\nFinal-Recipient: rfc822;a@example.org\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Notes; \x1b$B%f!<%6!<\x1b(BNeko (a@example.org) \x1b$B$O\x1b(B Domino \x1b$B%G%#%l%/%H%j$K$O8+$D$+$j$^$;$s!#\x1b(B`,
        ),
      check: (r) => {
        expect(r.recipients[0]).toMatchObject({
          diagnosticType: 'x-notes',
          diagnosticCode: 'ユーザーNeko (a@example.org) は Domino ディレクトリには見つかりません。',
        });
        expect(classifySmtpReply(smtpReplyForRecipient(r.recipients[0]))).toMatchObject({
          category: 'mailbox_unknown',
          addressBad: true,
        });
      },
    },
    {
      name: 'a Diagnostic-Code with an escape but 8-bit text too is no ISO-2022-JP: kept as it is',
      raw: () =>
        dsn(
          `${PER_MESSAGE}\n\nFinal-Recipient: rfc822;a@example.org\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 \x1b$B Benutzer unbekannt: Müller`,
        ),
      check: (r) => expect(r.recipients[0].diagnosticCode).toBe('550 \x1b$B Benutzer unbekannt: Müller'),
    },
    {
      name: 'a report in a quoted-printable text part (Amazon WorkMail)',
      raw: () =>
        mail(
          [
            {
              headers: 'Content-Type: text/plain; charset=iso-8859-15\nContent-Transfer-Encoding: quoted-printable',
              body: 'Technical report:\n\nReporting-MTA: d=\nsn; relay.example\n\nAction: failed\nFinal-Reci=\npient: rfc822; a@example.org\nDiagnostic-Code: smtp; 550 5.1.1=\n <a@example.org>... User Unknown\nStatus: 5.1.1\n',
            },
          ],
          `multipart/mixed; boundary="${BOUNDARY}"`,
        ),
      check: (r) =>
        expect(r.recipients[0]).toMatchObject({
          finalRecipient: 'a@example.org',
          diagnosticCode: '550 5.1.1 <a@example.org>... User Unknown',
        }),
    },
  ];

  it.each(variants)('$name', ({ raw, check }) => {
    check(report(parseDsn(raw())));
  });

  it('reads thousands of recipients out of a text without MIME structure (the notification is indexed once)', () => {
    let body = `From: MAILER-DAEMON@relay.example\nSubject: Undelivered Mail\n\n${PER_MESSAGE}\n\n`;
    let count = 0;
    while (body.length < DEFAULT_DSN_MAX_BYTES - 100) {
      body += `Final-Recipient: rfc822; u${count}@example.org\nAction: failed\nStatus: 5.1.1\n\n`;
      count++;
    }
    // Reading the text once per recipient took tens of seconds (past the test's timeout); speed itself is not asserted here.
    const r = report(parseDsn(body));
    expect(r.recipients).toHaveLength(count);
    expect(r.recipients[count - 1].finalRecipient).toBe(`u${count - 1}@example.org`);
  });

  it('takes the configured size limit: exactly the limit is fine', () => {
    const raw = Buffer.from(fixture('failed-gmx-block.eml', 'CRLF'));
    expect(parseDsn(raw, { maxBytes: raw.length }).ok).toBe(true);
    expect(parseDsn(raw, { maxBytes: raw.length - 1 })).toEqual({ ok: false, error: 'too_large' });
  });
});

/** Deterministic bytes (an LCG), so a failure can be reproduced. */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('parseDsn refuses what is not a readable report, without throwing', () => {
  const plainMail =
    'From: lena@web.de\nTo: termine@stadt.example\nSubject: Termin\nContent-Type: text/plain; charset=utf-8\n\nIch komme etwas später.\n';
  const cases: Array<{ name: string; raw: () => unknown; error: 'not_a_report' | 'malformed' | 'too_large' }> = [
    { name: 'a plain mail', raw: () => plainMail, error: 'not_a_report' },
    {
      name: 'a multipart/mixed without a status part',
      raw: () => mail([notificationPart(), headersPart()], `multipart/mixed; boundary="${BOUNDARY}"`),
      error: 'not_a_report',
    },
    {
      name: 'a read receipt (report-type=disposition-notification)',
      raw: () =>
        mail(
          [
            notificationPart(),
            {
              headers: 'Content-Type: message/disposition-notification',
              body: 'Reporting-UA: x\nFinal-Recipient: rfc822; a@example.org\nDisposition: manual-action/MDN-sent-manually; displayed\n',
            },
          ],
          `multipart/report; report-type=disposition-notification; boundary="${BOUNDARY}"`,
        ),
      error: 'not_a_report',
    },
    { name: 'an empty string', raw: () => '', error: 'not_a_report' },
    { name: 'an empty Buffer', raw: () => Buffer.alloc(0), error: 'not_a_report' },
    { name: 'undefined', raw: () => undefined, error: 'not_a_report' },
    { name: 'a number', raw: () => 42, error: 'not_a_report' },
    { name: '64 KiB of random bytes', raw: () => pseudoRandomBytes(64 * 1024, 1), error: 'not_a_report' },
    {
      name: 'random bytes after a plausible header',
      raw: () =>
        Buffer.concat([
          Buffer.from('Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n'),
          pseudoRandomBytes(4096, 7),
        ]),
      error: 'malformed',
    },
    {
      name: 'a report whose delivery-status part is missing',
      raw: () => mail([notificationPart(), headersPart()]),
      error: 'malformed',
    },
    { name: 'a delivery-status part with per-message fields only', raw: () => dsn(PER_MESSAGE), error: 'malformed' },
    { name: 'an empty delivery-status part', raw: () => dsn(''), error: 'malformed' },
    {
      name: 'a recipient with neither Action nor Status nor a diagnostic code',
      raw: () => dsn(`${PER_MESSAGE}\n\nFinal-Recipient: rfc822; a@example.org\nRemote-MTA: dns; mx.example.org`),
      error: 'malformed',
    },
    {
      name: 'a recipient without any address',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace(/Final-Recipient: [^\n]+\n/, '')}`),
      error: 'malformed',
    },
    {
      name: 'a Final-Recipient without address type that is no address either',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace('rfc822; a@example.org', 'somebody')}`),
      error: 'malformed',
    },
    {
      name: 'an unknown Action',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace('Action: failed', 'Action: exploded')}`),
      error: 'malformed',
    },
    {
      name: 'a Status that is no status code',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace('Status: 5.1.1', 'Status: broken')}`),
      error: 'malformed',
    },
    {
      name: 'a Status of class 3',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT.replace('Status: 5.1.1', 'Status: 3.1.1')}`),
      error: 'malformed',
    },
    {
      name: 'a recipient group that starts with a line that is no field',
      raw: () => dsn(`${PER_MESSAGE}\n\nthis is not a field\n${RECIPIENT}`),
      error: 'malformed',
    },
    {
      name: 'one good and one broken recipient',
      raw: () => dsn(`${PER_MESSAGE}\n\n${RECIPIENT}\n\nFinal-Recipient: rfc822; b@example.org\nRemote-MTA: dns; mx.example.org`),
      error: 'malformed',
    },
    {
      name: 'one good and one broken recipient, the MIME structure lost: no report rather than half of one',
      raw: () =>
        `From: MAILER-DAEMON@relay.example\nSubject: Undelivered Mail\n\n${PER_MESSAGE}\n\n${RECIPIENT}\n\nFinal-Recipient: rfc822; b@example.org\nAction: exploded\nStatus: 5.1.1\n`,
      error: 'not_a_report',
    },
    {
      name: 'a report cut off in the middle of a recipient',
      raw: () => {
        const whole = fixture('failed-user-unknown.eml');
        return whole.slice(0, whole.indexOf('Action: failed'));
      },
      error: 'malformed',
    },
    {
      name: 'multiparts nested deeper than any real report',
      raw: () => {
        let entity = `Content-Type: message/delivery-status\n\n${RECIPIENT}\n`;
        for (let i = 0; i < 30; i++) entity = `Content-Type: multipart/mixed; boundary=n${i}\n\n--n${i}\n${entity}\n--n${i}--\n`;
        return entity;
      },
      error: 'malformed',
    },
    {
      name: 'thousands of parts before the report (a bound on the work)',
      raw: () => `Content-Type: multipart/mixed; boundary=z\n\n${'--z\n\n'.repeat(5000)}--z\n${dsn(RECIPIENT)}\n--z--\n`,
      error: 'malformed',
    },
    { name: 'over 256 KiB', raw: () => fixture('failed-gmx-block.eml') + 'x'.repeat(DEFAULT_DSN_MAX_BYTES), error: 'too_large' },
    { name: 'over 256 KiB as a Buffer', raw: () => Buffer.alloc(DEFAULT_DSN_MAX_BYTES + 1, 0x41), error: 'too_large' },
    {
      name: 'over 256 KiB in UTF-8 though under it in characters',
      raw: () => 'ä'.repeat(DEFAULT_DSN_MAX_BYTES / 2 + 1),
      error: 'too_large',
    },
    { name: 'a huge string (not even looked at)', raw: () => 'x'.repeat(20 * 1024 * 1024), error: 'too_large' },
  ];

  it.each(cases)('$name → $error', ({ raw, error }) => {
    let result: DsnParseResult | undefined;
    expect(() => {
      result = parseDsn(raw() as string);
    }).not.toThrow();
    expect(result).toEqual({ ok: false, error });
  });

  it.each([2, 3, 4, 5, 6])('random bytes with seed %i never throw and never parse', (seed) => {
    for (const length of [1, 17, 1000, 100_000]) {
      const result = parseDsn(pseudoRandomBytes(length, seed));
      expect(result.ok).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// smtpReplyFromDiagnostic
// ---------------------------------------------------------------------------------------------

describe('smtpReplyFromDiagnostic', () => {
  const cases: Array<{
    name: string;
    diagnostic: string | undefined;
    status: string | undefined;
    known?: { stage?: SmtpStage; remoteHost?: string };
    expected: Record<string, unknown>;
  }> = [
    {
      name: 'an smtp diagnostic with an enhanced code',
      diagnostic: 'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.4] blocked using zen.spamhaus.org',
      status: '5.7.1',
      expected: {
        code: 554,
        enhancedCode: '5.7.1',
        text: '554 5.7.1 Service unavailable; Client host [192.0.2.4] blocked using zen.spamhaus.org',
        stage: 'RCPT',
        codeFrom: 'reply',
      },
    },
    {
      name: 'the type in upper case and blanks around the semicolon',
      diagnostic: 'SMTP ;  421 4.7.0 Try again later',
      status: '4.7.0',
      expected: { code: 421, enhancedCode: '4.7.0', text: '421 4.7.0 Try again later', codeFrom: 'reply' },
    },
    {
      name: 'no type at all',
      diagnostic: '550 5.1.1 User unknown',
      status: '5.1.1',
      expected: { code: 550, enhancedCode: '5.1.1', text: '550 5.1.1 User unknown', codeFrom: 'reply' },
    },
    {
      name: 'a folded multi-line reply, joined as nodemailer joins it',
      diagnostic:
        'smtp; 550-5.1.1 The email account that you tried to reach does\r\n    not exist.\n    550 5.1.1 https://support.google.com/mail/?p=NoSuchUser',
      status: '5.1.1',
      expected: {
        code: 550,
        text: '550-5.1.1 The email account that you tried to reach does not exist. 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser',
      },
    },
    {
      name: 'the reply without an enhanced code: the status of the same class stands in',
      diagnostic: 'smtp; 550 Requested action not taken: mailbox unavailable',
      status: '5.1.1',
      expected: { code: 550, enhancedCode: '5.1.1', codeFrom: 'reply' },
    },
    {
      name: 'a status of another class than the reply is not used (Postfix retrying a 554 greeting)',
      diagnostic: 'smtp; 554 No SMTP service',
      status: '4.0.0',
      expected: { code: 554, enhancedCode: undefined, codeFrom: 'reply' },
    },
    {
      name: "the reporting MTA's own diagnostic: the code stands for the status class",
      diagnostic: 'X-Postfix; Host or domain name not found. Name service error for name=nx.example type=A: Host not found',
      status: '5.4.4',
      expected: {
        code: 554,
        enhancedCode: '5.4.4',
        codeFrom: 'status',
        text: 'Host or domain name not found. Name service error for name=nx.example type=A: Host not found',
      },
    },
    {
      name: 'a number in a non-smtp diagnostic is no reply code',
      diagnostic: 'x-unix; 550 files were lost',
      status: '4.3.0',
      expected: { code: 451, codeFrom: 'status' },
    },
    {
      name: "a local delivery program's output (x-unix) is marked as such",
      diagnostic: 'x-unix; procmail: Couldn\'t create "/var/spool/mail/neko" id: r.example.org: No such user',
      status: '5.1.1',
      expected: { code: 554, enhancedCode: '5.1.1', codeFrom: 'status', localProgram: true, stageAssumed: true },
    },
    {
      name: "a server's reply is not",
      diagnostic: 'smtp; 550 5.1.1 No such user',
      status: '5.1.1',
      expected: { localProgram: undefined },
    },
    {
      name: 'no diagnostic, only a status',
      diagnostic: undefined,
      status: '4.4.7',
      expected: { code: 451, enhancedCode: '4.4.7', text: '', codeFrom: 'status' },
    },
    { name: 'a delivered status', diagnostic: undefined, status: '2.0.0', expected: { code: 250, codeFrom: 'status' } },
    {
      name: 'nothing at all',
      diagnostic: undefined,
      status: undefined,
      expected: { code: 0, text: '', codeFrom: 'none', stage: 'RCPT' },
    },
    {
      name: 'a garbage status',
      diagnostic: 'smtp; hello',
      status: 'x.y.z',
      expected: { code: 0, text: 'hello', codeFrom: 'none' },
    },
    {
      name: 'what is known is passed on',
      diagnostic: 'smtp; 554 go away',
      status: '5.0.0',
      known: { stage: 'CONN', remoteHost: 'mx.example.net' },
      expected: { code: 554, stage: 'CONN', remoteHost: 'mx.example.net' },
    },
  ];

  it.each(cases)('$name', ({ diagnostic, status, known, expected }) => {
    const reply = smtpReplyFromDiagnostic(diagnostic, status, known);
    for (const [key, value] of Object.entries(expected))
      expect({ [key]: reply[key as keyof typeof reply] }).toEqual({ [key]: value });
  });

  const classified: Array<{
    name: string;
    diagnostic: string;
    status: string;
    category: string;
    addressBad: boolean;
    temporary: boolean;
  }> = [
    {
      name: 'a Spamhaus listing blocks the provider, not the address',
      diagnostic: 'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.4] blocked using zen.spamhaus.org',
      status: '5.7.1',
      category: 'provider_block',
      addressBad: false,
      temporary: false,
    },
    {
      name: 'an unknown host (no reply, only the relay) makes the address bad',
      diagnostic: 'X-Postfix; Host or domain name not found. Name service error for name=nx.example type=A: Host not found',
      status: '5.4.4',
      category: 'mailbox_unknown',
      addressBad: true,
      temporary: false,
    },
    {
      name: 'a local program\'s "No such user" under Postfix\'s 5.1.1 for its exit status is no verdict on the address',
      diagnostic: 'x-unix; procmail: Couldn\'t create "/var/spool/mail/neko" id: r.example.org: No such user',
      status: '5.1.1',
      category: 'unknown_permanent',
      addressBad: false,
      temporary: false,
    },
    {
      name: 'a connection timeout is a temporary network problem',
      diagnostic: 'X-Postfix; connect to mx.example.net[192.0.2.1]:25: Connection timed out',
      status: '4.4.1',
      category: 'network',
      addressBad: false,
      temporary: true,
    },
  ];

  it.each(classified)('classified: $name', ({ diagnostic, status, category, addressBad, temporary }) => {
    expect(classifySmtpReply(smtpReplyFromDiagnostic(diagnostic, status))).toMatchObject({ category, addressBad, temporary });
  });
});
