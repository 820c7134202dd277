import { familyOfMxHost, ProviderFamily } from './provider-families';

export type { ProviderFamily } from './provider-families';

export type ReplyCategory =
  | 'provider_block'
  | 'rate_limit'
  | 'greylist'
  | 'sender_config'
  | 'content_reject'
  | 'mailbox_unknown'
  | 'mailbox_full'
  | 'relay_limit'
  | 'network'
  | 'unknown_temporary'
  | 'unknown_permanent';

/** Where the transaction was when the reply came; NET means a network error and no reply at all. */
export type SmtpStage = 'CONN' | 'EHLO' | 'MAIL' | 'RCPT' | 'DATA' | 'NET';

export interface SmtpReply {
  code: number;
  enhancedCode?: string;
  /** The whole reply, multi-line replies joined with a space as nodemailer's `err.response` shows them. */
  text: string;
  stage: SmtpStage;
  /**
   * The stage is a guess: a delivery report that does not say which command the server answered
   * (its reply is taken as one to RCPT TO). Rules that need the stage do not count on it.
   */
  stageAssumed?: boolean;
  /**
   * The text is what a local delivery program printed (a report's `x-unix` diagnostic: procmail,
   * maildrop, a pipe), not a mail server's reply; the MTA had taken the recipient before.
   */
  localProgram?: boolean;
  remoteHost?: string;
}

export interface ReplyClassification {
  category: ReplyCategory;
  temporary: boolean;
  family?: ProviderFamily;
  /** Seconds to wait before the next attempt; a hint, only given for temporary conditions. */
  retryAfter?: number;
  /** Id of the rule that decided, for logs and tests. */
  rule: string;
  /** True only for permanent evidence about the mailbox itself (user or host unknown). */
  addressBad: boolean;
}

/** What the rules look at: the reply plus what was read out of it once. */
export interface ReplyFacts extends SmtpReply {
  /** The decisive text, lower-case, blanks collapsed: the last line for United Internet multi-line replies. */
  lower: string;
  /** The whole reply, lower-case, blanks collapsed. */
  whole: string;
  /** Enhanced status code (RFC 3463), e.g. '5.1.1'. */
  enhanced?: string;
  family?: ProviderFamily;
  /** The `c=` reason code of a GMX/Web.de postmaster URL, e.g. 'r0201', 'rdns', 'hi'. */
  nemesisCase?: string;
}

export interface ReplyRule {
  id: string;
  category: ReplyCategory;
  test: (reply: ReplyFacts) => boolean;
}

const UI: ProviderFamily = 'united-internet';

/** Reply class: 4 for 4xx, 5 for 5xx, 0 for no reply. */
const replyClass = (r: ReplyFacts): number => Math.floor(r.code / 100);

/** Subject.detail of the enhanced code (class ignored) is one of `details`, e.g. '1.1'. */
const detailIn = (r: ReplyFacts, ...details: string[]): boolean =>
  r.enhanced !== undefined && details.includes(r.enhanced.slice(r.enhanced.indexOf('.') + 1));

const says =
  (pattern: RegExp) =>
  (r: ReplyFacts): boolean =>
    pattern.test(r.lower);

/** Any of these words: one alternation written as several patterns, so each stays readable. */
const saysAny =
  (...patterns: RegExp[]) =>
  (r: ReplyFacts): boolean =>
    patterns.some((pattern) => pattern.test(r.lower));

/** The words for a mailbox or domain that does not exist (or no longer does), on lower-case text. */
const MAILBOX_UNKNOWN_WORDS: ReadonlyArray<RegExp> = [
  /user unknown|unknown (?:user|recipient|mailbox|local.?part)|(?:recipient|mailbox|address) unknown/,
  /no such (?:user|mailbox|recipient|address|account)|(?:does ?n[o']t|not) exist|mailbox unavailable/,
  /(?:mailbox|recipient|user|address) not found|invalid (?:recipient|mailbox)|not listed in (?:domino )?directory/,
  // Domino in Japanese: "… は Domino ディレクトリには見つかりません" (is not found in the Domino directory).
  /ディレクトリには見つかりません/,
  /doesn't have an? .{0,30}account|host unknown|recipientnotfound/,
  // RFC 3463 x.1.6, "destination mailbox has moved": the address is gone for good.
  /no longer (?:on (?:this |the )?server|valid|exists?)|not our (?:user|customer)|user not local/,
  // The recipient's domain: unknown, or declaring that it takes no mail (RFC 7505 null MX).
  /host or domain name not found|domain not found|unrouteable address|invalid domain|no such domain/,
  /illegal host\/domain|(?:host|domain) does not accept mail/,
];
const saysMailboxUnknown = (r: ReplyFacts): boolean => MAILBOX_UNKNOWN_WORDS.some((pattern) => pattern.test(r.lower));
/** The bare idiom filtering gateways (and Japanese carriers, for their recipients' filters) answer with. */
const USER_UNKNOWN_IDIOM = /user unknown|unknown user/;
/** A mailbox-address code (RFC 3463 x.1.x), the only code that names the recipient's address itself. */
const addressCode = (r: ReplyFacts): boolean => /^\d\.1\./.test(r.enhanced ?? '');

/**
 * The details (subject.detail) of the status codes that say the recipient's address itself is bad:
 * RFC 3463 x.1.1 bad mailbox, x.1.2 bad system (host unknown), x.1.3 bad address syntax, x.1.6
 * mailbox moved (no forwarding address), RFC 7505 x.1.10 null MX (the domain takes no mail).
 */
export const BAD_ADDRESS_DETAILS: ReadonlyArray<string> = ['1.1', '1.2', '1.3', '1.6', '1.10'];

/** A permanent status (`5.1.1`) whose detail is one of BAD_ADDRESS_DETAILS. */
export function statusNamesBadAddress(status: string | undefined): boolean {
  const match = /^5\.(\d{1,3})\.(\d{1,3})$/.exec(status ?? '');
  return match !== null && BAD_ADDRESS_DETAILS.includes(`${Number(match[1])}.${Number(match[2])}`);
}

/** au (KDDI: ezweb.ne.jp, au.com), named by its hosts or its recipients' addresses. */
const AU_NAME = /(?:^|[^\w-])(?:ezweb\.ne\.jp|au\.com)(?![\w-]|\.\w)/;
const isAu = (r: ReplyFacts): boolean => AU_NAME.test(r.whole) || AU_NAME.test((r.remoteHost ?? '').toLowerCase());
/** au's answer to RCPT TO for a mailbox it does not have: the address, then "User unknown". */
const AU_UNKNOWN_MAILBOX = /(?:^|\s)550 <[^<>\s]+@[^<>\s]+>: user unknown\b/;
/** au's answer to DATA when the recipient's own filter refuses the sender: the address left empty. */
const AU_RECIPIENT_FILTER = /(?:^|\s)550 : user unknown\b/;

/**
 * The rules, first match wins. Order: no reply at all, then provider-specific rules (a
 * provider's own reason code beats its prose), then the sender-address codes (x.1.7, x.1.8),
 * then generic text (where the SMTP stage can take a "user unknown" out of the mailbox
 * verdicts), then the enhanced status code, then the basic reply code. Patterns run on
 * lower-case text.
 */
export const REPLY_RULES: ReadonlyArray<ReplyRule> = [
  // Nothing came back from a server, so there is nothing else to read.
  { id: 'net.no-reply', category: 'network', test: (r) => r.stage === 'NET' },
  // nodemailer refused the message itself (no reply code): retrying cannot help.
  {
    id: 'local.rejected',
    category: 'unknown_permanent',
    test: (r) =>
      r.code === 0 &&
      /invalid (?:recipient|sender)|no recipients defined|empty message|message size larger than allowed|invalid dsn/.test(
        r.lower,
      ),
  },

  // United Internet (GMX, Web.de, mail.com, 1&1/IONOS): the c= code of the postmaster URL is the real reason.
  { id: 'ui.case.ip-block', category: 'provider_block', test: (r) => /^r0[23]\d\d$/.test(r.nemesisCase ?? '') },
  { id: 'ui.case.rdns', category: 'sender_config', test: (r) => r.nemesisCase === 'rdns' },
  { id: 'ui.case.header', category: 'content_reject', test: (r) => r.nemesisCase === 'hi' },
  {
    id: 'ui.too-many-messages',
    category: 'rate_limit',
    test: (r) => r.family === UI && /too many messages|reduce the sending rate/.test(r.lower),
  },
  // A Nemesis server that will not talk to us at all "due to policy restrictions" has judged our IP,
  // not a mailbox or a message (seen as the 421 greeting behind the 2021 delays): a block.
  {
    id: 'ui.service-refused',
    category: 'provider_block',
    test: (r) =>
      r.family === UI &&
      /service not available|no smtp service/.test(r.lower) &&
      /policy restrictions|block ?list|blocked/.test(r.lower),
  },

  // Microsoft (outlook.com, hotmail, live, Exchange Online): the (Sxxx) codes name the reason.
  {
    id: 'ms.rate',
    category: 'rate_limit',
    test: (r) =>
      r.family === 'microsoft' && (r.enhanced === '4.7.650' || /\(s(?:843|844|77714|77719)\)|server busy/.test(r.lower)),
  },
  {
    id: 'ms.block',
    category: 'provider_block',
    test: (r) =>
      r.family === 'microsoft' &&
      (/\(s(?:3\d{3}|775)\)|\b(?:sc|dy|ou)-00\d\b|banned sending ip|banned sender/.test(r.lower) ||
        isMicrosoftBannedIpCode(r.enhanced)),
  },
  // Exchange Online's directory-based edge blocking: the recipient is not in the tenant's directory.
  // Its 5.4.1 "Recipient address rejected: Access denied" (with or without the AS code) says the same.
  {
    id: 'ms.dbeb',
    category: 'mailbox_unknown',
    test: (r) =>
      r.family === 'microsoft' &&
      (r.lower.includes('as(201806281)') || (r.enhanced === '5.4.1' && r.lower.includes('recipient address rejected'))),
  },

  // Google (Gmail, Workspace)
  {
    id: 'google.rate',
    category: 'rate_limit',
    test: (r) =>
      r.family === 'google' && (r.enhanced === '4.7.28' || /unusual rate|rate limited|receiving mail at a rate/.test(r.lower)),
  },
  { id: 'google.reputation', category: 'provider_block', test: (r) => r.family === 'google' && /low reputation/.test(r.lower) },
  {
    id: 'google.auth',
    category: 'sender_config',
    test: (r) =>
      r.family === 'google' &&
      (detailIn(r, '7.23', '7.25', '7.26', '7.27', '7.30', '7.32') ||
        /dmarc|\bspf\b|dkim|\bptr\b|authentication (?:information|checks)|unauthenticated/.test(r.lower)),
  },
  {
    id: 'google.quota',
    category: 'mailbox_full',
    test: (r) => r.family === 'google' && (detailIn(r, '2.2') || /over ?quota|out of storage/.test(r.lower)),
  },
  {
    id: 'google.unsolicited',
    category: 'content_reject',
    test: (r) => r.family === 'google' && /unsolicited|likely suspicious/.test(r.lower),
  },

  // Yahoo/AOL: [TSxx] deferrals are volume or complaint throttling; 5xx with a code is a block.
  {
    id: 'yahoo.deferred',
    category: 'rate_limit',
    test: (r) => r.family === 'yahoo' && replyClass(r) === 4 && /\[tss?\d+\]|temporarily deferred/.test(r.lower),
  },
  {
    id: 'yahoo.block',
    category: 'provider_block',
    test: (r) => r.family === 'yahoo' && /\[(?:tss?|bl)\d+\]|permanently deferred/.test(r.lower),
  },

  // Telekom (t-online.de): every reply points at tosa@, the suffix in brackets names the reason.
  {
    id: 'telekom.rate',
    category: 'rate_limit',
    test: (r) =>
      r.family === 'telekom' && replyClass(r) === 4 && /too many|\brate\b|\blimit|volume|try again later/.test(r.lower),
  },
  {
    id: 'telekom.block',
    category: 'provider_block',
    test: (r) =>
      r.family === 'telekom' &&
      (/\((?:[a-z]+:)?bl\)/.test(r.lower) || (replyClass(r) === 5 && r.lower.includes('tosa@rx.t-online.de'))),
  },

  // au (KDDI) answers "User unknown" in two forms (its transcripts show both): "550 <address>: User
  // unknown" to RCPT TO for a mailbox that does not exist, "550 : User unknown" to DATA when the
  // recipient's own filter refuses the sender. The empty form is no verdict on the address, also
  // under a code a relay derived from the words (Exchange's "5.1.351 … -> 550 : User unknown").
  { id: 'au.recipient-filter', category: 'content_reject', test: (r) => isAu(r) && AU_RECIPIENT_FILTER.test(r.lower) },

  // RFC 3463 x.1.7 and x.1.8 are about the sender's address: ours to fix, whatever the words
  // ("553 5.1.8 … Domain of sender address … does not exist" is no verdict on the recipient).
  { id: 'enhanced.sender-address', category: 'sender_config', test: (r) => detailIn(r, '1.7', '1.8') },

  // Generic text, most specific first.
  { id: 'text.greylist', category: 'greylist', test: says(/gr[ae]y-?list/) },
  // Our own relay's quota, not the receiver's: it has to be checked before the generic rate words.
  {
    id: 'text.relay-limit',
    category: 'relay_limit',
    test: saysAny(
      /(?:messages?|recipients?|mails?) per (?:minute|hour|day) (?:exceeded|limit)|message count quota/,
      /sending (?:quota|limit) (?:exceeded|reached)|daily (?:sending )?(?:quota|limit)|mail limit has been reached/,
      /max defers and failures per hour/,
    ),
  },
  {
    id: 'text.auth',
    category: 'sender_config',
    test: saysAny(
      /authentication (?:required|failed|unsuccessful|credentials invalid)|invalid login/,
      /username and password not accepted|missing credentials/,
    ),
  },
  {
    id: 'text.rate-limit',
    category: 'rate_limit',
    test: says(/rate.?limit|too many (?!hops\b)|too much mail|sending rate|throttl|unexpected volume|connection rate/),
  },
  {
    id: 'text.sender-config',
    category: 'sender_config',
    test: saysAny(
      /\bspf\b|dkim|dmarc|\bptr\b|reverse dns|reverse (?:hostname|lookup|mapping)|\brdns\b/,
      /cannot find your (?:reverse )?hostname|\bhelo\b|sender address|domain of sender|sender domain|sender verify/,
      /relay(?:ing)? (?:access )?denied|unauthenticated/,
    ),
  },
  // Before the unknown-mailbox words: "mailbox unavailable: over quota" must not mark the address bad.
  {
    id: 'text.mailbox-full',
    category: 'mailbox_full',
    test: saysAny(
      /mailbox (?:is )?full|over ?quota|quota (?:limit )?exceeded|exceed(?:s|ed)? (?:its |the )?(?:storage|quota)/,
      /out of storage|insufficient storage|mailbox size limit|storage allocation|postfach (?:ist )?voll/,
    ),
  },
  // RFC 3463 x.2.1: the mailbox exists but is disabled or suspended (Gmail's "account … is
  // disabled/inactive"). It may come back; no verdict on the address.
  {
    id: 'text.mailbox-disabled',
    category: 'unknown_permanent',
    test: says(/(?:mailbox|account)(?: that you tried to reach)? (?:is |has been )?(?:disabled|inactive|deactivated|suspended)/),
  },
  // "User unknown" in reply to the end of DATA: the server took the recipient at RCPT TO, so a
  // filter refused the message. Without a mailbox-address code (x.1.x) it is no verdict on the
  // address; nor is it where a report does not say which command the words answered.
  {
    id: 'stage.data-user-unknown',
    category: 'content_reject',
    test: (r) => r.stage === 'DATA' && !addressCode(r) && USER_UNKNOWN_IDIOM.test(r.lower),
  },
  // au's RCPT TO form names the address, so it is a verdict where the report does not say the command.
  { id: 'au.unknown-mailbox', category: 'mailbox_unknown', test: (r) => isAu(r) && AU_UNKNOWN_MAILBOX.test(r.lower) },
  {
    id: 'stage.unplaced-user-unknown',
    category: 'unknown_permanent',
    test: (r) => r.stageAssumed === true && !addressCode(r) && USER_UNKNOWN_IDIOM.test(r.lower),
  },
  // A local delivery program (x-unix) runs after the MTA took the recipient: its "no such user",
  // and the x.1.1 the MTA derives from its exit status, are no server's verdict on the address
  // (procmail: 'Couldn't create "/var/spool/mail/…" … No such user' is its own failure).
  {
    id: 'local.program-output',
    category: 'unknown_permanent',
    test: (r) => r.localProgram === true && (saysMailboxUnknown(r) || detailIn(r, ...BAD_ADDRESS_DETAILS)),
  },
  { id: 'text.mailbox-unknown', category: 'mailbox_unknown', test: saysMailboxUnknown },
  // "spam" as a word, so "spamhaus" (a block list) is not read as content.
  {
    id: 'text.content',
    category: 'content_reject',
    test: saysAny(
      /\bspam\b|unsolicited|virus|malware|phish|content|suspicious|attachment|\bheaders?\b|rfc ?5322/,
      /message (?:is )?too (?:big|large)|message size exceeds/,
      // The recipient's own filter settings (Facebook's RCP-P2 says so under a 5.1.1).
      /recipient(?:'s)? preferences/,
    ),
  },
  {
    id: 'text.block',
    category: 'provider_block',
    test: saysAny(
      /block ?list|black ?list|\bblocked\b|\bbanned\b|\brbl\b|dnsbl|spamhaus|spamcop|barracuda|\bsorbs\b/,
      /(?:low|poor|bad) reputation|no smtp service/,
    ),
  },
  { id: 'text.policy', category: 'content_reject', test: says(/polic(?:y|ies)/) },
  {
    id: 'text.network',
    category: 'network',
    test: saysAny(
      /timed? ?out|connection (?:refused|reset|closed|dropped|lost)|lost connection|no route to host/,
      /network is unreachable|econnrefused|econnreset|etimedout|ehostunreach|enetunreach/,
    ),
  },
  {
    id: 'text.try-again-later',
    category: 'unknown_temporary',
    test: says(
      /try again later|please try again|retry later|temporar(?:y|ily) (?:unavailable|deferred|rejected|not available|suspended)/,
    ),
  },

  // Enhanced status codes (RFC 3463, RFC 7372).
  { id: 'enhanced.mailbox-unknown', category: 'mailbox_unknown', test: (r) => detailIn(r, ...BAD_ADDRESS_DETAILS) },
  { id: 'enhanced.mailbox-full', category: 'mailbox_full', test: (r) => detailIn(r, '2.2') },
  {
    id: 'enhanced.sender-config',
    category: 'sender_config',
    test: (r) => detailIn(r, '1.7', '1.8', '7.8', '7.20', '7.21', '7.22', '7.23', '7.24', '7.25', '7.26', '7.27'),
  },
  {
    id: 'enhanced.content',
    category: 'content_reject',
    test: (r) => detailIn(r, '2.3', '3.4') || /^\d\.6\./.test(r.enhanced ?? ''),
  },
  { id: 'enhanced.network', category: 'network', test: (r) => /^\d\.4\./.test(r.enhanced ?? '') },
  // x.7.0, x.7.1 and the rest of the security class: refused by policy, reason unstated.
  { id: 'enhanced.policy', category: 'content_reject', test: (r) => /^\d\.7\./.test(r.enhanced ?? '') },

  // Basic reply code.
  { id: 'basic.no-reply', category: 'network', test: (r) => r.code === 0 },
  // RFC 5321 3.1: 554 instead of the greeting means "no SMTP service here" for us, i.e. our IP is refused.
  { id: 'basic.conn-554', category: 'provider_block', test: (r) => r.stage === 'CONN' && r.code === 554 },
  { id: 'basic.4xx', category: 'unknown_temporary', test: (r) => replyClass(r) === 4 },
  { id: 'basic.5xx', category: 'unknown_permanent', test: (r) => replyClass(r) === 5 },
  // A 1xx-3xx reply where an error was expected: the session went wrong, trying again is the safe default.
  { id: 'basic.other', category: 'unknown_temporary', test: () => true },
];

/** Exchange Online: 5.7.606-5.7.649 and 5.7.511 are "banned sending IP/sender". */
function isMicrosoftBannedIpCode(enhanced: string | undefined): boolean {
  const match = /^5\.7\.(\d+)$/.exec(enhanced ?? '');
  if (!match) return false;
  const detail = Number(match[1]);
  return detail === 511 || (detail >= 606 && detail <= 649);
}

/** Markers by which a reply names its sender. First match wins. */
const FAMILY_MARKERS: ReadonlyArray<{ family: ProviderFamily; pattern: RegExp }> = [
  {
    family: UI,
    pattern:
      /\bnemesis\b|postmaster\.(?:gmx|web|mail|1und1|ionos)\.|(?<![\w-])(?:gmx\.(?:net|de|com|at|ch)|web\.de|mail\.com|kundenserver\.de)\b/,
  },
  {
    family: 'microsoft',
    pattern:
      /(?<![\w-])(?:outlook\.com|hotmail\.com|live\.com|msn\.com|office365\.com|microsoft\.com)\b|\(s\d{3,11}\)|\bas\(\d+\)/,
  },
  { family: 'google', pattern: /(?<![\w-])(?:google\.com|gmail\.com|googlemail\.com)\b|\bgmail\b|\bgsmtp\b/ },
  { family: 'yahoo', pattern: /yahoo|(?<![\w-])aol\.com\b|\[tss?\d+\]/ },
  { family: 'telekom', pattern: /t-online\.de|\((?:[a-z]+:)?bl\)/ },
  { family: 'apple', pattern: /(?<![\w-])(?:icloud\.com|me\.com|mac\.com|apple\.com)\b/ },
];

function familyOfReply(whole: string, remoteHost: string | undefined): ProviderFamily | undefined {
  const named = FAMILY_MARKERS.find((m) => m.pattern.test(whole))?.family;
  return named ?? (remoteHost ? familyOfMxHost(remoteHost) : undefined);
}

/**
 * The last line of a multi-line reply given as one string ("554-a 554-b 554 c" -> "c").
 * Single-line replies come back whole, so a reply code quoted in prose cannot cut them.
 */
export function lastReplyLine(text: string, code: number): string {
  const continuation = new RegExp(`(?:^|\\s)${code}-`, 'g');
  let afterLastContinuation = -1;
  for (let m = continuation.exec(text); m; m = continuation.exec(text)) afterLastContinuation = m.index + m[0].length;
  if (afterLastContinuation < 0) return text;
  const rest = text.slice(afterLastContinuation);
  const final = new RegExp(`\\s${code} `).exec(rest);
  return final ? rest.slice(final.index + final[0].length) : rest;
}

/** First enhanced status code (RFC 3463 class.subject.detail) in a reply, e.g. '5.1.1'. */
export function parseEnhancedCode(text: string): string | undefined {
  // Right after the reply code is where RFC 2034 puts it.
  const leading = /^\s*\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.])/.exec(text);
  if (leading) return leading[1];
  // Elsewhere only as a word of its own: "4.16.55.1" (Yahoo's ids) and IP addresses are not codes.
  const anywhere = /(?:^|[\s(\[#=])([245]\.\d{1,3}\.\d{1,3})(?!\d|\.\d)/.exec(text);
  return anywhere?.[1];
}

function analyseReply(reply: SmtpReply): ReplyFacts {
  const code = Number.isFinite(reply.code) ? reply.code : 0;
  const text = String(reply.text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const whole = text.toLowerCase();
  const family = familyOfReply(whole, reply.remoteHost);
  // GMX documents that the last line of a multi-line reply decides.
  const lower = family === UI ? lastReplyLine(whole, code) : whole;
  const enhanced = reply.enhancedCode ?? parseEnhancedCode(text);
  const nemesisCase = family === UI ? /postmaster\.[\w.-]+\/\S*?[?&]c=([\w-]+)/.exec(lower)?.[1] : undefined;
  return { ...reply, code, text, lower, whole, enhanced, family, nemesisCase };
}

/** A 5xx that itself says the condition will pass is not final. */
const SAYS_TEMPORARY = /\btemporar(?:y|ily)\b|try again later|please try again|retry later/;

/** Without a reply code, whether the category is one that passes by itself. */
const PASSES_BY_ITSELF = new Set<ReplyCategory>([
  'network',
  'rate_limit',
  'greylist',
  'relay_limit',
  'mailbox_full',
  'unknown_temporary',
]);

function isTemporary(category: ReplyCategory, facts: ReplyFacts): boolean {
  if (category === 'network') return true;
  const cls = replyClass(facts);
  if (cls === 4) return true;
  if (cls === 5) return SAYS_TEMPORARY.test(facts.whole);
  return PASSES_BY_ITSELF.has(category);
}

const DEFAULT_RETRY_AFTER: Partial<Record<ReplyCategory, number>> = {
  greylist: 300,
  rate_limit: 900,
  // Relay quotas are counted per hour.
  relay_limit: 3600,
};

const RETRY_IN =
  /(?:try again|retry|resend|wait)\b[^.;]{0,30}?\bin (\d+|a few|a couple of|an?|one|several|some) (sec(?:ond)?s?|min(?:ute)?s?|hours?|days?)\b/;

/** Seconds to wait: what the reply asks for ("try again in a few hours"), else a default per category. */
function retryHint(whole: string, category: ReplyCategory): number | undefined {
  const match = RETRY_IN.exec(whole);
  if (!match) return DEFAULT_RETRY_AFTER[category];
  const amount = /^\d+$/.test(match[1]) ? Number(match[1]) : /^(?:an?|one)$/.test(match[1]) ? 1 : 3;
  const unit = match[2].startsWith('sec') ? 1 : match[2].startsWith('min') ? 60 : match[2].startsWith('hour') ? 3600 : 86400;
  return amount * unit;
}

export function classifySmtpReply(reply: SmtpReply): ReplyClassification {
  const facts = analyseReply(reply);
  // basic.other always matches, so the fallback is never used; it keeps the type honest.
  const rule = REPLY_RULES.find((candidate) => candidate.test(facts)) ?? REPLY_RULES[REPLY_RULES.length - 1];
  const temporary = isTemporary(rule.category, facts);
  const result: ReplyClassification = {
    category: rule.category,
    temporary,
    rule: rule.id,
    // A block of our IP says nothing about the address; only the mailbox's own permanent "unknown" does.
    addressBad: rule.category === 'mailbox_unknown' && !temporary && replyClass(facts) === 5,
  };
  if (facts.family) result.family = facts.family;
  const retryAfter = temporary ? retryHint(facts.whole, rule.category) : undefined;
  if (retryAfter !== undefined) result.retryAfter = retryAfter;
  return result;
}

/** The parts of a nodemailer error we read (see nodemailer's SMTPConnection._formatError). */
interface NodemailerErrorLike {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  response?: unknown;
  responseCode?: unknown;
  command?: unknown;
}

/** Error codes meaning the connection failed before or instead of a reply. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ERESOLVER',
  'ETLS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function stageOf(command: unknown, errorCode: unknown, message: string): SmtpStage {
  const stage = typeof command === 'string' ? command.toUpperCase() : '';
  if (stage.startsWith('MAIL')) return 'MAIL';
  if (stage.startsWith('RCPT')) return 'RCPT';
  if (stage === 'DATA' || stage.startsWith('BDAT')) return 'DATA';
  if (/^(?:EHLO|HELO|LHLO|STARTTLS|AUTH)/.test(stage)) return 'EHLO';
  if (stage === 'CONN') return 'CONN';
  // nodemailer says 'API' for checks it made itself; the error code tells which step that was.
  switch (errorCode) {
    case 'EMESSAGE':
      return 'DATA';
    case 'EENVELOPE':
      return /sender/i.test(message) ? 'MAIL' : 'RCPT';
    case 'EAUTH':
    case 'EREQUIRETLS':
      return 'EHLO';
    default:
      return 'CONN';
  }
}

/** Maps an error from nodemailer's SMTP transport (or a bare socket error) to the reply it carries. */
export function replyFromNodemailerError(err: unknown): SmtpReply {
  const error: NodemailerErrorLike = typeof err === 'object' && err !== null ? (err as NodemailerErrorLike) : {};
  const message = typeof error.message === 'string' ? error.message : String(err);
  // nodemailer keeps the lines of a multi-line reply separated by \n; we join them with a space.
  const response =
    typeof error.response === 'string' && error.response.trim() ? error.response.replace(/\s*\r?\n\s*/g, ' ').trim() : undefined;
  const responseCode =
    typeof error.responseCode === 'number' && error.responseCode > 0
      ? error.responseCode
      : Number(/^\s*([1-5]\d\d)/.exec(response ?? '')?.[1] ?? 0);

  if (!responseCode) {
    const network = [error.code, error.originalCode].some((c) => typeof c === 'string' && NETWORK_ERROR_CODES.has(c));
    if (network || typeof err !== 'object' || err === null) return { code: 0, stage: 'NET', text: message };
    return { code: 0, stage: stageOf(error.command, error.code, message), text: response ?? message };
  }

  const text = response ?? message;
  const reply: SmtpReply = { code: responseCode, stage: stageOf(error.command, error.code, message), text };
  const enhancedCode = parseEnhancedCode(text);
  if (enhancedCode) reply.enhancedCode = enhancedCode;
  return reply;
}
