import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  classifySmtpReply,
  lastReplyLine,
  parseEnhancedCode,
  REPLY_RULES,
  ReplyCategory,
  replyFromNodemailerError,
  SmtpReply,
  SmtpStage,
  statusNamesBadAddress,
} from './smtp-reply-classifier';

// ---------------------------------------------------------------------------------------------
// Fixture: replies seen in the wild (see test/fixtures/README.md)
// ---------------------------------------------------------------------------------------------

interface FixtureRow {
  line: number;
  code: number;
  expected: ReplyCategory;
  when: SmtpStage;
  reply: string;
}

const FIXTURE = path.resolve(__dirname, '../../test/fixtures/smtp-replies.tsv');

function readFixture(): FixtureRow[] {
  const lines = readFileSync(FIXTURE, 'utf8').split(/\r?\n/);
  const header = lines[0].split('\t');
  expect(header).toEqual(['code', 'expected', 'when', 'reply']);
  return lines
    .map((text, index) => ({ text, line: index + 1 }))
    .slice(1)
    .filter(({ text }) => text.trim() !== '')
    .map(({ text, line }) => {
      const [code, expected, when, ...reply] = text.split('\t');
      return { line, code: Number(code), expected: expected as ReplyCategory, when: when as SmtpStage, reply: reply.join('\t') };
    });
}

const fixtureRows = readFixture();

/** How a fixture row reaches the classifier: a network error has no reply, its text is the error message. */
function fixtureReply(row: FixtureRow): SmtpReply {
  return row.when === 'NET' ? { code: 0, stage: 'NET', text: row.reply } : { code: row.code, stage: row.when, text: row.reply };
}

function fixtureRow(pattern: RegExp): FixtureRow {
  const row = fixtureRows.find((r) => pattern.test(r.reply));
  if (!row) throw new Error(`fixture has no row matching ${pattern}`);
  return row;
}

describe('classifySmtpReply on the fixture of real replies', () => {
  it('reads every row of the fixture', () => {
    expect(fixtureRows.length).toBeGreaterThanOrEqual(17);
    for (const row of fixtureRows) {
      expect(Number.isInteger(row.code)).toBe(true);
      expect(['CONN', 'EHLO', 'MAIL', 'RCPT', 'DATA', 'NET']).toContain(row.when);
      expect(row.reply.length).toBeGreaterThan(0);
    }
  });

  it.each(fixtureRows.map((row) => [row.line, row.expected, row.code, row.when, row.reply, row] as const))(
    'line %i -> %s (%i at %s): %s',
    (_line, expected, _code, _when, _reply, row) => {
      const result = classifySmtpReply(fixtureReply(row));
      expect(result.category).toBe(expected);
      // Invariants the README states for every reply.
      if (row.code >= 400 && row.code < 500) expect(result.temporary).toBe(true);
      if (result.category !== 'mailbox_unknown') expect(result.addressBad).toBe(false);
    },
  );

  it('does not mark the address bad for a 554 GMX block of our IP', () => {
    const result = classifySmtpReply(fixtureReply(fixtureRow(/c=r0201/)));
    expect(result).toMatchObject({
      category: 'provider_block',
      temporary: false,
      addressBad: false,
      family: 'united-internet',
      rule: 'ui.case.ip-block',
    });
  });

  it('marks the address bad for 5.1.1 user unknown, permanently', () => {
    const result = classifySmtpReply(fixtureReply(fixtureRow(/5\.1\.1 .*User unknown/)));
    expect(result).toMatchObject({ category: 'mailbox_unknown', temporary: false, addressBad: true });
    expect(result.retryAfter).toBeUndefined();
  });

  it('marks the address bad for a 550 "mailbox unavailable"', () => {
    expect(classifySmtpReply(fixtureReply(fixtureRow(/^550 Requested action not taken: mailbox unavailable$/))).addressBad).toBe(
      true,
    );
  });

  it('reads the GMX c= parameter for rdns and header compliance', () => {
    expect(classifySmtpReply(fixtureReply(fixtureRow(/c=rdns/))).rule).toBe('ui.case.rdns');
    expect(classifySmtpReply(fixtureReply(fixtureRow(/c=hi/))).rule).toBe('ui.case.header');
  });

  it('takes the retry hint from "try again in a few hours" (Web.de rate limit)', () => {
    const result = classifySmtpReply(fixtureReply(fixtureRow(/Nemesis.*Too many messages/)));
    expect(result).toMatchObject({ category: 'rate_limit', temporary: true, retryAfter: 3 * 3600, family: 'united-internet' });
  });

  it('names the provider family of the well-known providers in the fixture', () => {
    expect(classifySmtpReply(fixtureReply(fixtureRow(/S3150/))).family).toBe('microsoft');
    expect(classifySmtpReply(fixtureReply(fixtureRow(/4\.7\.28/))).family).toBe('google');
    expect(classifySmtpReply(fixtureReply(fixtureRow(/TSS04/))).family).toBe('yahoo');
    expect(classifySmtpReply(fixtureReply(fixtureRow(/\(BL\)/))).family).toBe('telekom');
    expect(classifySmtpReply(fixtureReply(fixtureRow(/Greylisted/))).family).toBeUndefined();
  });

  it('treats a network error as temporary and never as evidence about the address', () => {
    const result = classifySmtpReply(fixtureReply(fixtureRow(/ETIMEDOUT/)));
    expect(result).toMatchObject({ category: 'network', temporary: true, addressBad: false, rule: 'net.no-reply' });
  });
});

// ---------------------------------------------------------------------------------------------
// GMX specifics the README calls out
// ---------------------------------------------------------------------------------------------

describe('United Internet (GMX, Web.de) replies', () => {
  it('lets the c= code beat the text of the reply', () => {
    // The prose says "block listed", the reason code says header compliance: the code wins.
    const result = classifySmtpReply({
      code: 554,
      stage: 'DATA',
      text: '554 IP address is block listed. For explanation visit https://postmaster.gmx.net/en/case?c=hi&i=hdr',
    });
    expect(result).toMatchObject({ category: 'content_reject', rule: 'ui.case.header' });
  });

  const lastLineDecides =
    '550-gmx.net (mxgmx101) Nemesis ESMTP Service not available 550-Requested action not taken: mailbox unavailable ' +
    '550 For explanation visit https://postmaster.gmx.net/en/case?c=r0301&i=ip&v=198.51.100.42&r=1AbCdE-1xYz';

  it('lets the last line decide a multi-line reply', () => {
    // An earlier line reads like an unknown mailbox; the last line says our IP is blocked.
    const result = classifySmtpReply({ code: 550, stage: 'RCPT', text: lastLineDecides });
    expect(result).toMatchObject({ category: 'provider_block', rule: 'ui.case.ip-block', addressBad: false });
  });

  it('lets the last line decide even when its reason code is unknown to us', () => {
    // Without the last-line rule the first line would make this an unknown mailbox (addressBad).
    const text =
      '550-gmx.net (mxgmx101) Nemesis ESMTP 550-Requested action not taken: mailbox unavailable ' +
      '550 Reject due to policy restrictions. For explanation visit https://postmaster.gmx.net/en/case?c=zz99';
    expect(classifySmtpReply({ code: 550, stage: 'RCPT', text })).toMatchObject({
      category: 'content_reject',
      rule: 'text.policy',
      addressBad: false,
    });
  });

  it('reads the earlier lines when the reply is not from United Internet', () => {
    // The same lines from an unknown server: nothing says "last line only", so the mailbox words count.
    const text =
      '550-mx.example.net 550-Requested action not taken: mailbox unavailable 550 See https://help.example.net/case?c=r0301';
    expect(classifySmtpReply({ code: 550, stage: 'RCPT', text })).toMatchObject({
      category: 'mailbox_unknown',
      addressBad: true,
    });
  });

  it('lets the last line decide when nodemailer hands the lines over separated by newlines', () => {
    const err = Object.assign(new Error('Recipient command failed: ' + lastLineDecides), {
      code: 'EENVELOPE',
      response: lastLineDecides.replace(/ (?=550[- ])/g, '\n'),
      responseCode: 550,
      command: 'RCPT TO',
    });
    expect(classifySmtpReply(replyFromNodemailerError(err))).toMatchObject({
      category: 'provider_block',
      rule: 'ui.case.ip-block',
    });
  });

  it.each([
    ['554-a 554-b 554 c', 554, 'c'],
    ['554-a 554-b 554-c', 554, 'c'],
    ['421 single line mentioning 421 in its text', 421, '421 single line mentioning 421 in its text'],
    ['550-one\n550 two', 550, 'two'],
  ])('lastReplyLine(%j) -> %j', (text, code, expected) => {
    expect(lastReplyLine(text, code)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// One own case (at least) for every rule, asserting that rule decided
// ---------------------------------------------------------------------------------------------

interface OwnCase {
  rule: string;
  category: ReplyCategory;
  reply: SmtpReply;
  note?: string;
}

const r = (code: number, stage: SmtpStage, text: string, extra: Partial<SmtpReply> = {}): SmtpReply => ({
  code,
  stage,
  text,
  ...extra,
});

// Texts are from provider documentation and bounce archives where we know them; those marked
// "synthetic" are shaped after a provider's format but made up.
const OWN_CASES: OwnCase[] = [
  { rule: 'net.no-reply', category: 'network', reply: r(0, 'NET', 'connect ECONNREFUSED 198.51.100.80:25') },
  // Even a no-reply whose message reads like a block stays network: nothing came from a provider.
  { rule: 'net.no-reply', category: 'network', reply: r(0, 'NET', 'Connection blocked by proxy') },
  { rule: 'local.rejected', category: 'unknown_permanent', reply: r(0, 'RCPT', 'Invalid recipient "max.mustermann@"') },

  {
    rule: 'ui.case.ip-block',
    category: 'provider_block',
    reply: r(
      554,
      'CONN',
      '554-web.de (mxweb012) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is black listed. 554 For explanation visit https://postmaster.web.de/en/case?c=r0301&i=ip&v=198.51.100.9&r=0LdA2x-1u0Xyz',
    ),
  },
  {
    rule: 'ui.case.rdns',
    category: 'sender_config',
    note: 'synthetic',
    reply: r(
      554,
      'CONN',
      '554-mail.com (mxmail001) Nemesis ESMTP Service not available 554 For explanation visit https://postmaster.mail.com/en/case?c=rdns&ip=198.51.100.7',
    ),
  },
  {
    rule: 'ui.case.header',
    category: 'content_reject',
    reply: r(
      554,
      'DATA',
      '554-Transaction failed 554-Reject due to policy restrictions. 554 For explanation visit https://postmaster.gmx.net/en/case?c=hi',
    ),
  },
  {
    rule: 'ui.service-refused',
    category: 'provider_block',
    note: 'the Diagnostic-Code of test/fixtures/dsn/delayed-webde.eml',
    reply: r(
      421,
      'CONN',
      '421 web.de (mxweb113) Nemesis ESMTP Service not available Service unavailable Reject due to policy restrictions Please try again later.',
    ),
  },
  {
    rule: 'ui.too-many-messages',
    category: 'rate_limit',
    reply: r(
      421,
      'CONN',
      '421-gmx.net (mxgmx116) Nemesis ESMTP Service not available 421-Service unavailable 421 Too many messages have been received in a short period of time. Please reduce the sending rate.',
    ),
  },

  {
    rule: 'ms.rate',
    category: 'rate_limit',
    reply: r(
      451,
      'RCPT',
      '451 4.7.500 Server busy. Please try again later from [198.51.100.16]. (S77714) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]',
    ),
  },
  {
    rule: 'ms.block',
    category: 'provider_block',
    reply: r(
      550,
      'RCPT',
      "550 SC-001 (BAY004-MC1F41) Unfortunately, messages from 198.51.100.5 weren't sent. Please contact your Internet service provider. You can tell them that Hotmail does not relay dynamically-assigned IP ranges. For more information, go to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    ),
  },
  {
    rule: 'ms.block',
    category: 'provider_block',
    note: 'synthetic: only the banned-IP enhanced code tells',
    reply: r(550, 'RCPT', '550 5.7.620 Access denied [BN8NAM12FT063.eop-nam12.prod.protection.outlook.com]'),
  },
  {
    rule: 'ms.dbeb',
    category: 'mailbox_unknown',
    reply: r(
      550,
      'RCPT',
      '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [AM4PEPF00027A5F.eurprd04.prod.outlook.com]',
    ),
  },
  {
    rule: 'ms.dbeb',
    category: 'mailbox_unknown',
    note: 'the same reply without the AS code (bounce archive)',
    reply: r(
      550,
      'RCPT',
      '550 5.4.1 [kijitora@example.org]: Recipient address rejected: Access denied [NEKOCHAN.cat-neko22.prod.protection.outlook.com]',
    ),
  },

  {
    rule: 'google.rate',
    category: 'rate_limit',
    reply: r(
      450,
      'RCPT',
      '450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. Please resend your message at a later time. https://support.google.com/mail/?p=ReceivingRate - gsmtp',
    ),
  },
  {
    rule: 'google.reputation',
    category: 'provider_block',
    reply: r(
      421,
      'DATA',
      '421-4.7.0 [198.51.100.9] Our system has detected that this message is suspicious due to the very low reputation of the sending IP address. https://support.google.com/mail/answer/188131 - gsmtp',
    ),
  },
  {
    rule: 'google.auth',
    category: 'sender_config',
    reply: r(
      421,
      'DATA',
      '421-4.7.0 This message does not have authentication information or fails to pass authentication checks (SPF or DKIM). https://support.google.com/mail/answer/81126 - gsmtp',
    ),
  },
  {
    rule: 'google.quota',
    category: 'mailbox_full',
    reply: r(
      552,
      'RCPT',
      "552-5.2.2 The recipient's inbox is out of storage space and inactive. https://support.google.com/mail/?p=OverQuotaPerm - gsmtp",
    ),
  },
  {
    rule: 'google.unsolicited',
    category: 'content_reject',
    reply: r(
      550,
      'DATA',
      '550-5.7.1 [198.51.100.9] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp',
    ),
  },

  {
    rule: 'yahoo.deferred',
    category: 'rate_limit',
    reply: r(
      421,
      'CONN',
      '421 4.7.0 [TS01] Messages from 198.51.100.16 temporarily deferred due to user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    ),
  },
  {
    rule: 'yahoo.block',
    category: 'provider_block',
    reply: r(
      553,
      'CONN',
      '553 5.7.2 [TSS09] All messages from 198.51.100.16 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes',
    ),
  },

  {
    rule: 'telekom.rate',
    category: 'rate_limit',
    note: 'synthetic',
    reply: r(
      421,
      'CONN',
      '421 IP=198.51.100.30 - Too many connections. Please try again later. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.)',
    ),
  },
  {
    rule: 'telekom.block',
    category: 'provider_block',
    reply: r(
      554,
      'CONN',
      '554 IP=198.51.100.31 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (RTR:BL)',
    ),
  },

  {
    rule: 'text.greylist',
    category: 'greylist',
    reply: r(
      450,
      'RCPT',
      '450 4.7.1 <anna@example.net>: Recipient address rejected: Greylisting in action, please come back later',
    ),
  },
  {
    rule: 'text.relay-limit',
    category: 'relay_limit',
    note: 'synthetic',
    reply: r(421, 'MAIL', '421 4.7.0 Daily sending quota exceeded for stadt.example'),
  },
  { rule: 'text.auth', category: 'sender_config', reply: r(535, 'EHLO', '535 5.7.8 Username and Password not accepted.') },
  {
    rule: 'text.rate-limit',
    category: 'rate_limit',
    reply: r(421, 'CONN', '421 4.7.0 Error: too many connections from 198.51.100.9'),
  },
  {
    rule: 'text.sender-config',
    category: 'sender_config',
    reply: r(450, 'RCPT', '450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.9]'),
  },
  {
    rule: 'enhanced.sender-address',
    category: 'sender_config',
    note: 'our sender domain, not the recipient: not addressBad',
    reply: r(550, 'MAIL', '550 5.1.8 <noreply@stadt.example>: Sender address rejected: Domain not found'),
  },
  {
    rule: 'enhanced.sender-address',
    category: 'sender_config',
    note: '"does not exist" is about the sender here (bounce archive, Sendmail)',
    reply: r(
      553,
      'MAIL',
      '553 5.1.8 <httpd@host1.mx.example.jp>... Domain of sender address httpd@host1.mx.example.jp does not exist',
    ),
  },
  {
    rule: 'text.sender-config',
    category: 'sender_config',
    note: 'RFC 7505, read by its words',
    reply: r(550, 'MAIL', '550 5.7.27 Sender address has null MX'),
  },
  { rule: 'text.mailbox-full', category: 'mailbox_full', reply: r(552, 'RCPT', '552 5.2.2 <anna@example.net>: Mailbox full') },
  {
    rule: 'text.mailbox-full',
    category: 'mailbox_full',
    note: 'full beats the unknown-mailbox words',
    reply: r(550, 'RCPT', '550 Requested action not taken: mailbox unavailable (over quota)'),
  },
  {
    rule: 'text.mailbox-disabled',
    category: 'unknown_permanent',
    note: 'disabled, not gone: no verdict on the address',
    reply: r(
      550,
      'RCPT',
      '550-5.2.1 The email account that you tried to reach is disabled. Learn more at 550 5.2.1  https://support.google.com/mail/?p=DisabledUser - gsmtp',
    ),
  },
  {
    rule: 'au.recipient-filter',
    category: 'content_reject',
    note: "au's DATA form, the address left empty, under the code Exchange derived from it (bounce archive)",
    reply: r(550, 'RCPT', '550 5.1.351 Remote server returned unknown recipient or mailbox unavailable -> 550 : User unknown', {
      stageAssumed: true,
      remoteHost: 'msmx.au.com',
    }),
  },
  {
    rule: 'au.recipient-filter',
    category: 'content_reject',
    note: 'au named by its host only (bounce archive, Gmail relaying)',
    reply: r(550, 'RCPT', '550 : User unknown', {
      stageAssumed: true,
      remoteHost: 'lsean.ezweb.ne.jp. (27.85.176.228, the server for the domain ezweb.ne.jp.)',
    }),
  },
  {
    rule: 'au.unknown-mailbox',
    category: 'mailbox_unknown',
    note: "au's RCPT TO form names the address: a verdict where the report does not say the command (bounce archive)",
    reply: r(550, 'RCPT', '550 <otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp>: User unknown', { stageAssumed: true }),
  },
  {
    rule: 'stage.data-user-unknown',
    category: 'content_reject',
    note: 'a filter after DATA (bounce archive, a Japanese carrier)',
    reply: r(550, 'DATA', '550 Unknown user kijitora@ntt.example.ne.jp'),
  },
  {
    rule: 'stage.unplaced-user-unknown',
    category: 'unknown_permanent',
    note: 'from a report that does not say which command was answered',
    reply: r(550, 'RCPT', '550 : User unknown', { stageAssumed: true }),
  },
  {
    rule: 'local.program-output',
    category: 'unknown_permanent',
    note: "procmail's own failure under Postfix's 5.1.1 for its exit status (bounce archive)",
    reply: r(554, 'RCPT', 'procmail: Couldn\'t create "/var/spool/mail/neko" id: r.example.org: No such user', {
      enhancedCode: '5.1.1',
      stageAssumed: true,
      localProgram: true,
    }),
  },
  {
    rule: 'local.program-output',
    category: 'unknown_permanent',
    note: 'synthetic: only the exit status, mapped to 5.1.1',
    reply: r(554, 'RCPT', '67', { enhancedCode: '5.1.1', stageAssumed: true, localProgram: true }),
  },
  { rule: 'text.mailbox-unknown', category: 'mailbox_unknown', reply: r(550, 'RCPT', '550 No such user here') },
  {
    rule: 'text.mailbox-unknown',
    category: 'mailbox_unknown',
    note: 'Domino in Japanese: not found in the Domino directory (bounce archive)',
    reply: r(554, 'RCPT', 'ユーザーNeko (kijitora@example.co.jp) は Domino ディレクトリには見つかりません。', {
      stageAssumed: true,
    }),
  },
  {
    rule: 'text.mailbox-unknown',
    category: 'mailbox_unknown',
    note: 'a mailbox-address code keeps "user unknown" after DATA a verdict',
    reply: r(550, 'DATA', '550 5.1.1 <filtered@example.com>... User unknown'),
  },
  {
    rule: 'text.mailbox-unknown',
    category: 'mailbox_unknown',
    note: 'explicit words after DATA stay a verdict (bounce archive, Yahoo)',
    reply: r(
      554,
      'DATA',
      "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0] - mta1082.mail.ne1.yahoo.com",
    ),
  },
  {
    rule: 'text.mailbox-unknown',
    category: 'mailbox_unknown',
    note: 'RFC 3463 x.1.6, moved (bounce archive)',
    reply: r(550, 'RCPT', '550 5.1.6 recipient no longer on server: kijitora@example.go.jp'),
  },
  { rule: 'text.mailbox-unknown', category: 'mailbox_unknown', reply: r(550, 'RCPT', '550 5.4.4 Invalid domain') },
  {
    rule: 'text.mailbox-unknown',
    category: 'mailbox_unknown',
    note: 'the recipient domain has a null MX (bounce archive, Sendmail)',
    reply: r(550, 'RCPT', '550 Host does not accept mail', { enhancedCode: '5.7.27' }),
  },
  {
    rule: 'text.mailbox-unknown',
    category: 'mailbox_unknown',
    reply: r(550, 'RCPT', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'),
  },
  { rule: 'text.content', category: 'content_reject', reply: r(554, 'DATA', '554 5.7.1 Message rejected: spam detected') },
  {
    rule: 'text.content',
    category: 'content_reject',
    note: "the recipient's own filter, under a 5.1.1 (bounce archive, Facebook)",
    reply: r(
      550,
      'RCPT',
      '550 5.1.1 RCP-P2 http://postmaster.facebook.com/response_codes?ip=192.0.2.135#rcp Refused due to recipient preferences',
    ),
  },
  {
    rule: 'text.block',
    category: 'provider_block',
    note: '"spamhaus" is a block list, not spam content',
    reply: r(
      554,
      'RCPT',
      '554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.9',
    ),
  },
  { rule: 'text.policy', category: 'content_reject', reply: r(550, 'DATA', '550 Rejected by local policy') },
  { rule: 'text.network', category: 'network', reply: r(421, 'DATA', '421 4.4.2 mx.example.net Error: timeout exceeded') },
  {
    rule: 'text.try-again-later',
    category: 'unknown_temporary',
    reply: r(550, 'RCPT', '550 Service temporarily unavailable, please try again later'),
  },

  { rule: 'enhanced.mailbox-unknown', category: 'mailbox_unknown', reply: r(550, 'RCPT', '550 5.1.1 Recipient rejected') },
  { rule: 'enhanced.mailbox-unknown', category: 'mailbox_unknown', reply: r(550, 'RCPT', '550 5.1.10 Rejected') },
  { rule: 'enhanced.mailbox-unknown', category: 'mailbox_unknown', reply: r(551, 'RCPT', '551 5.1.6 Forwarded elsewhere') },
  {
    rule: 'enhanced.mailbox-unknown',
    category: 'mailbox_unknown',
    reply: r(550, 'RCPT', '550 5.1.2 Bad destination system address'),
  },
  { rule: 'enhanced.mailbox-full', category: 'mailbox_full', reply: r(452, 'RCPT', '452 4.2.2 Over limit') },
  {
    rule: 'enhanced.sender-config',
    category: 'sender_config',
    note: 'synthetic (RFC 7372 5.7.22)',
    reply: r(550, 'DATA', '550 5.7.22 Message rejected'),
  },
  { rule: 'enhanced.content', category: 'content_reject', reply: r(552, 'DATA', '552 5.3.4 Error: message file too big') },
  { rule: 'enhanced.network', category: 'network', reply: r(451, 'RCPT', '451 4.4.1 No answer from host') },
  { rule: 'enhanced.policy', category: 'content_reject', reply: r(554, 'DATA', '554 5.7.0 Reject, id=12345-01') },
  {
    rule: 'enhanced.policy',
    category: 'content_reject',
    note: 'an enhanced code given by the caller is used as given',
    reply: r(550, 'DATA', '550 Delivery not authorized', { enhancedCode: '5.7.1' }),
  },

  { rule: 'basic.no-reply', category: 'network', reply: r(0, 'CONN', 'Unexpected socket close') },
  { rule: 'basic.conn-554', category: 'provider_block', reply: r(554, 'CONN', '554 mx.example.net') },
  {
    rule: 'basic.4xx',
    category: 'unknown_temporary',
    reply: r(451, 'DATA', '451 Requested action aborted: local error in processing'),
  },
  { rule: 'basic.5xx', category: 'unknown_permanent', reply: r(554, 'DATA', '554 Transaction failed') },
  { rule: 'basic.other', category: 'unknown_temporary', reply: r(354, 'MAIL', '354 Go ahead') },
];

describe('classifySmtpReply, rule by rule', () => {
  it.each(OWN_CASES.map((c) => [c.rule, c.category, c.reply.text, c] as const))('%s -> %s: %s', (rule, category, _text, c) => {
    const result = classifySmtpReply(c.reply);
    expect({ rule: result.rule, category: result.category }).toEqual({ rule, category });
  });

  it('has an own case for every rule in the table', () => {
    const covered = new Set(OWN_CASES.map((c) => c.rule));
    const missing = REPLY_RULES.map((rule) => rule.id).filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it('only names rules that exist, each id once', () => {
    const ids = REPLY_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(OWN_CASES.map((c) => c.rule).filter((id) => !ids.includes(id))).toEqual([]);
  });

  it('gives every rule the category the table says', () => {
    for (const c of OWN_CASES) {
      expect(REPLY_RULES.find((rule) => rule.id === c.rule)?.category).toBe(c.category);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// temporary, addressBad, retryAfter, family
// ---------------------------------------------------------------------------------------------

describe('temporary and addressBad', () => {
  it('treats a 5xx that says "temporarily" as temporary', () => {
    const result = classifySmtpReply(r(550, 'CONN', '550 5.7.1 Your IP 198.51.100.9 has been temporarily blocked'));
    expect(result).toMatchObject({ category: 'provider_block', temporary: true, addressBad: false });
  });

  it('treats a 5xx "user unknown" that says it is temporary as temporary, and so not as a bad address', () => {
    const result = classifySmtpReply(r(550, 'RCPT', '550 5.1.1 User unknown, directory temporarily unavailable'));
    expect(result).toMatchObject({ category: 'mailbox_unknown', temporary: true, addressBad: false });
  });

  it('treats a plain 5xx as permanent', () => {
    expect(classifySmtpReply(r(554, 'DATA', '554 Transaction failed')).temporary).toBe(false);
  });

  it('never marks the address bad for a 4xx unknown mailbox', () => {
    const result = classifySmtpReply(
      r(
        450,
        'RCPT',
        '450 4.1.1 <anna@example.net>: Recipient address rejected: unverified address: host mx.example.net said: 550 5.1.1 User unknown',
      ),
    );
    expect(result).toMatchObject({ category: 'mailbox_unknown', temporary: true, addressBad: false });
  });

  it('marks host unknown as a bad address', () => {
    const result = classifySmtpReply(r(550, 'RCPT', '550 5.1.2 Host unknown (Name server: example.invalid: host not found)'));
    expect(result).toMatchObject({ category: 'mailbox_unknown', temporary: false, addressBad: true });
  });

  it('marks the DBEB reply from Exchange Online as a bad address although its enhanced code is 5.4.1', () => {
    expect(classifySmtpReply(OWN_CASES.find((c) => c.rule === 'ms.dbeb')!.reply).addressBad).toBe(true);
  });

  it('does not mark the address bad for a disabled mailbox (RFC 3463 x.2.1), whatever the words', () => {
    expect(classifySmtpReply(r(550, 'RCPT', '550 5.2.1 Mailbox disabled, not accepting messages')).addressBad).toBe(false);
    expect(
      classifySmtpReply(r(550, 'RCPT', '550-5.2.1 The email account that you tried to reach is inactive. For more')).addressBad,
    ).toBe(false);
  });

  it('keeps "user unknown" after RCPT TO a bad address, and not after DATA or where a report does not say', () => {
    const text = '550 5.2.1 <a@example.org>... User Unknown';
    expect(classifySmtpReply(r(550, 'RCPT', text)).addressBad).toBe(true);
    expect(classifySmtpReply(r(550, 'DATA', text)).addressBad).toBe(false);
    expect(classifySmtpReply(r(550, 'RCPT', text, { stageAssumed: true })).addressBad).toBe(false);
    // With a mailbox-address code the words are a verdict wherever they came.
    expect(
      classifySmtpReply(r(550, 'RCPT', '550 5.1.1 <a@example.org>... User Unknown', { stageAssumed: true })).addressBad,
    ).toBe(true);
  });

  it('tells au\'s two "User unknown" forms apart, with or without the stage', () => {
    const named = '550 <a@ezweb.ne.jp>: User unknown';
    const empty = '550 : User unknown';
    expect(classifySmtpReply(r(550, 'RCPT', named, { stageAssumed: true })).addressBad).toBe(true);
    expect(classifySmtpReply(r(550, 'RCPT', named)).addressBad).toBe(true);
    // A report that says DATA is believed over the form.
    expect(classifySmtpReply(r(550, 'DATA', named)).addressBad).toBe(false);
    for (const stage of ['RCPT', 'DATA'] as const) {
      expect(classifySmtpReply(r(550, stage, empty, { remoteHost: 'lsean.ezweb.ne.jp' })).addressBad).toBe(false);
    }
    // Elsewhere the named form is no more than the bare idiom: no verdict where the stage is unknown.
    expect(classifySmtpReply(r(550, 'RCPT', '550 <a@example.org>: User unknown', { stageAssumed: true })).addressBad).toBe(false);
    // Nor is a name that merely contains "au.com".
    expect(
      classifySmtpReply(r(550, 'RCPT', '550 <a@nau.com>: User unknown', { stageAssumed: true, remoteHost: 'mx.nau.com' }))
        .addressBad,
    ).toBe(false);
  });

  it("does not mark the address bad for a local delivery program's words, only for the same words from a server", () => {
    const text = 'maildrop: No such user';
    expect(classifySmtpReply(r(554, 'RCPT', text, { enhancedCode: '5.1.1', localProgram: true })).addressBad).toBe(false);
    expect(classifySmtpReply(r(554, 'RCPT', text, { enhancedCode: '5.1.1' })).addressBad).toBe(true);
    // Its quota message is still a full mailbox.
    expect(
      classifySmtpReply(r(451, 'RCPT', '/var/mail/a/Maildir/tmp/x: Disk quota exceeded', { localProgram: true })).category,
    ).toBe('mailbox_full');
  });

  it('does not mark the address bad for a rejected sender domain', () => {
    const result = classifySmtpReply(
      r(550, 'MAIL', '550 5.1.8 <noreply@stadt.example>: Sender address rejected: Domain not found'),
    );
    expect(result.addressBad).toBe(false);
  });

  it('treats local nodemailer checks (no reply code) as permanent but not as evidence about the mailbox', () => {
    const result = classifySmtpReply(r(0, 'RCPT', 'Invalid recipient "max.mustermann@"'));
    expect(result).toMatchObject({ temporary: false, addressBad: false });
  });
});

describe('statusNamesBadAddress', () => {
  it.each([
    ['5.1.1', true],
    ['5.1.2', true],
    ['5.1.3', true],
    ['5.1.6', true],
    ['5.1.10', true],
    ['5.1.0', false],
    ['5.1.8', false],
    ['5.2.1', false],
    ['4.1.1', false],
    ['5.1.351', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (status, expected) => {
    expect(statusNamesBadAddress(status)).toBe(expected);
  });
});

describe('retryAfter', () => {
  it.each([
    ['greylist default', r(450, 'RCPT', '450 4.2.0 <anna@example.net>: Recipient address rejected: Greylisted'), 300],
    ['rate_limit default', r(421, 'MAIL', '421 Rate limit reached. Please try again later'), 900],
    [
      'relay_limit default',
      r(450, 'DATA', '450 4.7.1 <END-OF-MESSAGE>: End-of-data rejected: Number messages per hour exceeded. Error:RATE_MSG'),
      3600,
    ],
    ['minutes in the text', r(450, 'RCPT', '450 4.7.1 Greylisted, please try again in 10 minutes'), 600],
    ['seconds in the text', r(451, 'RCPT', '451 4.7.1 Please retry in 299 seconds'), 299],
    ['an hour in the text', r(421, 'CONN', '421 4.7.0 Too many connections, try again in an hour'), 3600],
  ])('%s', (_name, reply, seconds) => {
    expect(classifySmtpReply(reply).retryAfter).toBe(seconds);
  });

  it('gives no hint for a permanent reply', () => {
    expect(classifySmtpReply(r(550, 'RCPT', '550 5.7.1 rate limit, do not try again in 10 minutes')).retryAfter).toBeUndefined();
  });

  it('gives no hint for a temporary reply without one and without a default', () => {
    expect(
      classifySmtpReply(r(451, 'DATA', '451 Requested action aborted: local error in processing')).retryAfter,
    ).toBeUndefined();
  });
});

describe('family', () => {
  it('comes from the remote host when the text does not name the provider', () => {
    const result = classifySmtpReply(
      r(550, 'RCPT', '550 Requested action not taken: mailbox unavailable', { remoteHost: 'mx01.emig.gmx.net' }),
    );
    expect(result.family).toBe('united-internet');
  });

  it('prefers what the reply says over the remote host', () => {
    const result = classifySmtpReply(r(550, 'RCPT', fixtureRow(/S3150/).reply, { remoteHost: 'mx00.t-online.de' }));
    expect(result.family).toBe('microsoft');
  });

  it('is absent when neither the text nor the host tells', () => {
    expect(classifySmtpReply(r(550, 'RCPT', '550 5.1.1 User unknown', { remoteHost: 'mx.example.net' })).family).toBeUndefined();
  });

  it('does not read hotmail.com or gmail.com as mail.com', () => {
    expect(classifySmtpReply(r(550, 'RCPT', '550 5.1.1 <anna@hotmail.com> User unknown')).family).toBe('microsoft');
    expect(classifySmtpReply(r(550, 'RCPT', '550 5.1.1 <anna@gmail.com> User unknown')).family).toBe('google');
  });

  it('runs provider rules only for that provider', () => {
    // The Web.de wording from an unknown server: the generic rate rule decides, not the United Internet one.
    const text = '421 Too many messages have been received in a short period of time. Please reduce the sending rate.';
    expect(classifySmtpReply(r(421, 'CONN', text, { remoteHost: 'mx.example.net' })).rule).toBe('text.rate-limit');
    expect(classifySmtpReply(r(421, 'CONN', text, { remoteHost: 'mx-ha02.web.de' })).rule).toBe('ui.too-many-messages');
  });
});

describe('parseEnhancedCode', () => {
  it.each([
    ['550 5.1.1 <a@example.net>: User unknown', '5.1.1'],
    ['421-4.7.28 Gmail has detected', '4.7.28'],
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound', '5.1.10'],
    ['451 4.7.650 The mail server [198.51.100.16] has been temporarily rate limited', '4.7.650'],
    ['550 Requested action not taken: mailbox unavailable (5.1.1)', '5.1.1'],
    ['Recipient rejected #5.1.1', '5.1.1'],
    ['554 IP=198.51.100.30 - A problem occurred.', undefined],
    ['421 [TSS04] deferred - 4.16.55.1; see https://postmaster.yahooinc.com', undefined],
    ['550 rejected from [5.6.7.8]', undefined],
    ['', undefined],
  ])('%j -> %s', (text, expected) => {
    expect(parseEnhancedCode(text)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// nodemailer errors
// ---------------------------------------------------------------------------------------------

/** An error as nodemailer's SMTPConnection._formatError builds it. */
function nodemailerError(
  message: string,
  fields: { code: string; response?: string; responseCode?: number; command?: string; originalCode?: string },
): Error {
  const err = new Error(fields.response ? `${message}: ${fields.response}` : message);
  return Object.assign(err, fields);
}

describe('replyFromNodemailerError', () => {
  it('maps a rejected recipient', () => {
    const err = nodemailerError('Recipient command failed', {
      code: 'EENVELOPE',
      response: '550 5.1.1 <max.mustermann@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
      responseCode: 550,
      command: 'RCPT TO',
    });
    const reply = replyFromNodemailerError(err);
    expect(reply).toEqual({
      code: 550,
      stage: 'RCPT',
      text: '550 5.1.1 <max.mustermann@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
      enhancedCode: '5.1.1',
    });
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'mailbox_unknown', addressBad: true });
  });

  it('joins a multi-line greeting rejection with spaces', () => {
    const response =
      '554-gmx.net (mxgmx104) Nemesis ESMTP Service not available\n554-No SMTP service\n554-IP address is block listed.\n' +
      '554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42&r=1MNcgj-1ue23t3pyV-00S2YR';
    const err = nodemailerError('Invalid greeting. response=' + response, {
      code: 'EPROTOCOL',
      response,
      responseCode: 554,
      command: 'CONN',
    });
    const reply = replyFromNodemailerError(err);
    expect(reply.code).toBe(554);
    expect(reply.stage).toBe('CONN');
    expect(reply.text).toBe(fixtureRow(/c=r0201/).reply);
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'provider_block', addressBad: false });
  });

  it.each([
    ['MAIL FROM', 'MAIL'],
    ['RCPT TO', 'RCPT'],
    ['DATA', 'DATA'],
    ['EHLO', 'EHLO'],
    ['HELO', 'EHLO'],
    ['AUTH PLAIN', 'EHLO'],
    ['CONN', 'CONN'],
  ])('maps command %s to stage %s', (command, stage) => {
    const err = nodemailerError('Failed', { code: 'EENVELOPE', response: '451 4.3.0 Try again', responseCode: 451, command });
    expect(replyFromNodemailerError(err).stage).toBe(stage);
  });

  it.each([
    ['ETIMEDOUT', 'Connection timeout', undefined],
    ['ECONNECTION', 'Connection closed unexpectedly', undefined],
    ['ESOCKET', 'connect ECONNREFUSED 198.51.100.80:25', 'ECONNREFUSED'],
    ['EDNS', 'queryA ENOTFOUND relay.stadt.example', 'ENOTFOUND'],
  ])('maps %s without a reply to a network error', (code, message, originalCode) => {
    const err = nodemailerError(message, { code, command: 'CONN', ...(originalCode ? { originalCode } : {}) });
    const reply = replyFromNodemailerError(err);
    expect(reply).toEqual({ code: 0, stage: 'NET', text: message });
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'network', temporary: true, addressBad: false });
  });

  it('maps a bare socket error (no nodemailer code) to a network error', () => {
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(replyFromNodemailerError(err)).toEqual({ code: 0, stage: 'NET', text: 'read ECONNRESET' });
  });

  it('keeps the reply when the server closed the connection with a 421', () => {
    const err = nodemailerError('Connection closed unexpectedly', {
      code: 'ECONNECTION',
      response: '421 4.7.0 [TSS04] Messages from 198.51.100.16 temporarily deferred due to unexpected volume or user complaints',
      responseCode: 421,
      command: 'CONN',
    });
    const reply = replyFromNodemailerError(err);
    expect(reply).toMatchObject({ code: 421, stage: 'CONN', enhancedCode: '4.7.0' });
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'rate_limit', family: 'yahoo' });
  });

  it('maps a rejected message body', () => {
    const err = nodemailerError('Message failed', {
      code: 'EMESSAGE',
      response:
        "550-5.7.26 Unauthenticated email from stadt.example is not accepted due to domain's DMARC policy.\n550 5.7.26 https://support.google.com/mail/answer/2451690 - gsmtp",
      responseCode: 550,
      command: 'DATA',
    });
    const reply = replyFromNodemailerError(err);
    expect(reply.stage).toBe('DATA');
    expect(reply.enhancedCode).toBe('5.7.26');
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'sender_config', rule: 'google.auth', temporary: false });
  });

  it('maps a failed login at our relay', () => {
    const err = nodemailerError('Invalid login', {
      code: 'EAUTH',
      response: '535 5.7.8 Authentication credentials invalid',
      responseCode: 535,
      command: 'AUTH PLAIN',
    });
    const reply = replyFromNodemailerError(err);
    expect(reply.stage).toBe('EHLO');
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'sender_config', temporary: false });
  });

  it('maps missing credentials (no reply) to sender_config, not to a network error', () => {
    const err = nodemailerError('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' });
    const reply = replyFromNodemailerError(err);
    expect(reply).toEqual({ code: 0, stage: 'EHLO', text: 'Missing credentials for "PLAIN"' });
    expect(classifySmtpReply(reply)).toMatchObject({ category: 'sender_config', temporary: false });
  });

  it('maps an envelope nodemailer refused itself', () => {
    const err = nodemailerError('No recipients defined', { code: 'EENVELOPE', command: 'API' });
    const reply = replyFromNodemailerError(err);
    expect(reply).toEqual({ code: 0, stage: 'RCPT', text: 'No recipients defined' });
    expect(classifySmtpReply(reply)).toMatchObject({ rule: 'local.rejected', temporary: false });
    expect(replyFromNodemailerError(nodemailerError('Invalid sender "x@"', { code: 'EENVELOPE', command: 'API' })).stage).toBe(
      'MAIL',
    );
  });

  it('reads the code from the response when responseCode is missing', () => {
    expect(replyFromNodemailerError({ message: 'x', response: '452 4.2.2 Mailbox full' })).toMatchObject({
      code: 452,
      enhancedCode: '4.2.2',
    });
  });

  it('survives things that are not errors', () => {
    expect(replyFromNodemailerError('boom')).toEqual({ code: 0, stage: 'NET', text: 'boom' });
    expect(replyFromNodemailerError(undefined)).toEqual({ code: 0, stage: 'NET', text: 'undefined' });
    expect(classifySmtpReply(replyFromNodemailerError(null)).category).toBe('network');
  });
});
