import { TextDecoder } from 'node:util';
import { DateTime } from 'luxon';
import { parseEnhancedCode, SmtpReply, SmtpStage } from './smtp-reply-classifier';

/**
 * Delivery status notifications (RFC 3464 multipart/report; report-type=delivery-status, and
 * the RFC 6533 `global` variants), read from the raw message as the bounce mailbox receives it.
 *
 * The MIME is parsed here rather than with mailparser: mailparser 3.14 does not expose the
 * message/delivery-status part as an attachment, it merges it into `text` together with the
 * human-readable notification (checked by experiment), and the field groups of a report cannot
 * be told apart reliably from there. A report is a small, machine-written structure, so a strict
 * little parser is the more predictable tool. It is synchronous and never throws: a bounce
 * mailbox receives whatever anyone sends to it.
 */

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
  /** Address from Final-Recipient, without its type and angle brackets, as written. */
  finalRecipient: string;
  /** Address type of Final-Recipient, lower-case: 'rfc822' (or 'utf-8' per RFC 6533). */
  finalRecipientType: string;
  originalRecipient?: string;
  action: DsnAction;
  /** Enhanced status code (RFC 3463), e.g. '5.1.1'. */
  status: string;
  /** Type of the Diagnostic-Code, lower-case, e.g. 'smtp' or 'x-postfix'. */
  diagnosticType?: string;
  /**
   * Diagnostic-Code without its type, folded lines joined with one space, e.g. '550 5.1.1 <x@y>:
   * User unknown'; written in ISO-2022-JP (its escape sequences say so), decoded.
   */
  diagnosticCode?: string;
  /** Host name from Remote-MTA, without its type. */
  remoteMta?: string;
  lastAttemptDate?: string;
  /** Last-Attempt-Date as epoch ms, when it parses. */
  lastAttemptAt?: number;
  willRetryUntil?: string;
  /** Will-Retry-Until as epoch ms, when it parses. */
  willRetryUntilAt?: number;
  /**
   * The SMTP stage the diagnostic was the answer to, when the human-readable part says so
   * (Postfix: "refused to talk to me", "(in reply to RCPT TO command)"; Exim: "after RCPT TO").
   */
  smtpStage?: SmtpStage;
  /**
   * Fields the recipient group lacked, taken from elsewhere in the report: `finalRecipient` from
   * Original-Recipient, `finalRecipientType` as rfc822 for a bare address, `action` from the
   * Status class (5: failed, 4: delayed), `status` from the diagnostic's codes or else the Action,
   * `diagnosticCode` from the notification's line about the recipient or the Status comment.
   * Absent when the group was complete.
   */
  inferred?: DsnInferredField[];
}

export type DsnInferredField = 'finalRecipient' | 'finalRecipientType' | 'action' | 'status' | 'diagnosticCode';

export interface DsnReport {
  /** Original-Envelope-Id: the ENVID we gave in MAIL FROM. */
  envelopeId?: string;
  /** Host name from Reporting-MTA, without its type. */
  reportingMta?: string;
  arrivalDate?: string;
  /** Arrival-Date as epoch ms, when it parses. */
  arrivalAt?: number;
  /** Message-ID of the returned message (or its returned headers), as written, e.g. '<abc@holdfast.example>'. */
  originalMessageId?: string;
  recipients: DsnRecipient[];
  /**
   * 'text' when the MIME structure gave no readable report and the field groups were read out of
   * the text instead: a multipart/report without boundaries (or with broken ones), a report
   * without any MIME headers, a report forwarded in a text/plain mail or wrapped by a gateway
   * in a message/rfc822 part. Absent for a report read from its structure.
   */
  readFrom?: 'text';
}

export type DsnParseError = 'not_a_report' | 'malformed' | 'too_large';

export type DsnParseResult = { ok: true; report: DsnReport } | { ok: false; error: DsnParseError };

export interface DsnParseOptions {
  /** Larger input is refused unread. Default 256 KiB: reports are small, and relays truncate what they return. */
  maxBytes?: number;
}

export const DEFAULT_DSN_MAX_BYTES = 256 * 1024;

/** Deeper MIME nesting than this is refused; real reports nest one or two levels. */
const MAX_DEPTH = 8;
/** More parts than this (over the whole tree) is refused: a bound on work whatever the input. */
const MAX_PARTS = 200;

const ACTIONS: ReadonlySet<string> = new Set<DsnAction>(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);
const REPORT_TYPES: ReadonlySet<string> = new Set(['delivery-status', 'global-delivery-status']);
const STATUS_TYPES: ReadonlySet<string> = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES: ReadonlySet<string> = new Set([
  'message/rfc822',
  'text/rfc822-headers',
  'message/global',
  'message/global-headers',
]);

// ---------------------------------------------------------------------------------------------
// Minimal MIME
// ---------------------------------------------------------------------------------------------

/** Lower-case field name → values in order of appearance, unfolded. */
type Fields = Map<string, string[]>;

interface Entity {
  fields: Fields;
  /** Lower-case type/subtype; text/plain when absent (RFC 2045 5.2). */
  type: string;
  params: Record<string, string>;
  /** Body after transfer decoding (leaves only; multiparts keep it raw). */
  body: string;
  /** Parts of a multipart; undefined for a leaf or a multipart whose parts cannot be found. */
  parts?: Entity[];
}

class Refused extends Error {
  constructor(readonly reason: DsnParseError) {
    super(reason);
  }
}

const FIELD_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/;
const BLANK = /^[ \t]*$/;

/**
 * Header fields of a block of lines; undefined when the first line is neither a field nor a
 * continuation, i.e. the text is not a header block at all. Folded lines are joined with one
 * space. A later line that is no field and not indented is taken as a continuation too: Exchange
 * and Symantec's mail gateways fold long values without the leading blank.
 */
function parseFields(lines: ReadonlyArray<string>): Fields | undefined {
  const fields: Fields = new Map();
  let current: { name: string; value: string } | undefined;
  const flush = () => {
    if (!current) return;
    const list = fields.get(current.name) ?? [];
    list.push(current.value.trim());
    fields.set(current.name, list);
  };
  for (const line of lines) {
    const match = /^[ \t]/.test(line) ? null : FIELD_LINE.exec(line);
    if (!match) {
      if (!current) return undefined;
      current.value += ' ' + line.trim();
      continue;
    }
    flush();
    current = { name: match[1].toLowerCase(), value: match[2].trim() };
  }
  flush();
  return fields;
}

const first = (fields: Fields, name: string): string | undefined => fields.get(name)?.[0];

/** Header block and body of an entity (text already LF-only); undefined when it has no header block. */
function splitEntity(text: string): { fields: Fields; body: string } | undefined {
  const lines = text.split('\n');
  const blank = lines.findIndex((l) => BLANK.test(l));
  const headerLines = blank < 0 ? lines : lines.slice(0, blank);
  const fields = parseFields(headerLines);
  if (!fields) return undefined;
  return { fields, body: blank < 0 ? '' : lines.slice(blank + 1).join('\n') };
}

function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const type = /^\s*([!#-'*+.0-9A-Z^-~-]+\/[!#-'*+.0-9A-Z^-~-]+)/i.exec(value ?? '')?.[1]?.toLowerCase() ?? 'text/plain';
  const params: Record<string, string> = {};
  const param = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let m = param.exec(value ?? ''); m; m = param.exec(value ?? '')) {
    const name = m[1].toLowerCase();
    if (!(name in params)) params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { type, params };
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=[ \t]*\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i];
    const hex = ch === '=' ? /^[0-9A-Fa-f]{2}/.exec(soft.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')
        .toString('utf8')
        .replace(/\r\n/g, '\n');
    case 'quoted-printable':
      return decodeQuotedPrintable(body).replace(/\r\n/g, '\n');
    default:
      // 7bit, 8bit, binary or unknown: taken as it is.
      return body;
  }
}

/** Bodies between the `--boundary` lines; undefined when there is no delimiter at all. */
function splitMultipart(body: string, boundary: string): string[] | undefined {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  let seen = false;
  for (const line of body.split('\n')) {
    // Transport padding (blanks after the boundary) is allowed by RFC 2046 5.1.1.
    const bare = line.replace(/[ \t]+$/, '');
    if (bare === delimiter) {
      if (current) parts.push(current.join('\n'));
      current = [];
      seen = true;
    } else if (bare === `${delimiter}--`) {
      if (current) parts.push(current.join('\n'));
      current = undefined;
      break;
    } else if (current) {
      current.push(line);
    }
  }
  // No closing delimiter: a truncated message; what arrived is kept.
  if (current) parts.push(current.join('\n'));
  return seen ? parts : undefined;
}

function parseEntity(text: string, depth: number, budget: { parts: number }): Entity | undefined {
  if (--budget.parts < 0) throw new Refused('malformed');
  const split = splitEntity(text);
  if (!split) return undefined;
  const { type, params } = parseContentType(first(split.fields, 'content-type'));
  const entity: Entity = { fields: split.fields, type, params, body: split.body };
  if (type.startsWith('multipart/')) {
    // message/* parts are not entered: a report inside a returned message is not this report.
    if (depth >= MAX_DEPTH) throw new Refused('malformed');
    const bodies = params.boundary ? splitMultipart(split.body, params.boundary) : undefined;
    if (bodies) {
      const parts = bodies.map((b) => parseEntity(b, depth + 1, budget));
      // A part without a header block is still a part (RFC 2046: no headers means text/plain).
      entity.parts = parts.map((p, i) => p ?? { fields: new Map(), type: 'text/plain', params: {}, body: bodies[i] });
    }
  } else {
    entity.body = decodeBody(split.body, first(split.fields, 'content-transfer-encoding'));
  }
  return entity;
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

const isDsnContainer = (e: Entity): boolean =>
  e.type === 'multipart/report' && REPORT_TYPES.has((e.params['report-type'] ?? '').toLowerCase());

/**
 * The multipart holding the report: the first multipart/report of a delivery-status type, or
 * (for relays that wrap it differently) the first multipart with a delivery-status part.
 */
function findContainer(entity: Entity): Entity | undefined {
  if (isDsnContainer(entity) || entity.parts?.some((p) => STATUS_TYPES.has(p.type))) return entity;
  for (const part of entity.parts ?? []) {
    const found = findContainer(part);
    if (found) return found;
  }
  return undefined;
}

/** `type; value` (RFC 3464 address-type, mta-name-type, diagnostic-type) split apart. */
function typed(value: string): { type?: string; value: string } {
  // Types are atoms starting with a letter ('rfc822', 'dns', 'smtp', 'x-postfix'), so '554; …' or '5.1.1; …' is text.
  const match = /^\s*([A-Za-z][A-Za-z0-9.+-]*)\s*;\s*([\s\S]*)$/.exec(value);
  return match ? { type: match[1].toLowerCase(), value: match[2].trim() } : { value: value.trim() };
}

const bareAddress = (value: string): string => value.trim().replace(/^<\s*([\s\S]*?)\s*>$/, '$1');

/** A report date as epoch ms; the time comes from the report, never from a clock. */
function dateMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const dt = DateTime.fromRFC2822(value.trim());
  return dt.isValid ? dt.toMillis() : undefined;
}

/** A line that delimits MIME parts, whichever boundary it belongs to. */
const DELIMITER_LINE = /^[ \t]*--[!-~]{4,}[ \t]*$/;
const ADDRESS_FIELD_LINE = /^((?:final|original)-recipient)[ \t]*:/i;
const OUTCOME_FIELD_LINE = /^(?:action|status)[ \t]*:/i;

/**
 * Blocks of lines between blank lines (and, in plain text, part delimiters). Two recipient groups
 * run together without the blank line between (AOL) are split where an address field comes again.
 */
function blocksOf(text: string, splitAtDelimiters: boolean): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  let addressFields = new Set<string>();
  let hasOutcome = false;
  const close = () => {
    if (current.length) blocks.push(current);
    current = [];
    addressFields = new Set();
    hasOutcome = false;
  };
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (BLANK.test(line) || (splitAtDelimiters && DELIMITER_LINE.test(line))) {
      close();
      continue;
    }
    const address = ADDRESS_FIELD_LINE.exec(line)?.[1]?.toLowerCase();
    if (address && addressFields.has(address) && hasOutcome) close();
    if (address) addressFields.add(address);
    hasOutcome ||= OUTCOME_FIELD_LINE.test(line);
    current.push(line);
  }
  close();
  return blocks;
}

/** Field groups of the delivery-status body; undefined when a group does not start with a field. */
function fieldGroups(body: string): Fields[] | undefined {
  const parsed = blocksOf(body, false).map(parseFields);
  return parsed.every((g): g is Fields => g !== undefined) ? parsed : undefined;
}

const RECIPIENT_FIELDS = ['final-recipient', 'original-recipient', 'action', 'status'];
const isRecipientGroup = (g: Fields): boolean => RECIPIENT_FIELDS.some((f) => g.has(f));
/** Enough of a recipient group to be one where no MIME structure says so: whose address, and what happened. */
const isRecipientGroupInText = (g: Fields): boolean =>
  (g.has('final-recipient') || g.has('original-recipient')) && (g.has('action') || g.has('status'));
const PER_MESSAGE_FIELDS = ['reporting-mta', 'original-envelope-id', 'arrival-date', 'received-from-mta'];
const isPerMessageGroup = (g: Fields): boolean => PER_MESSAGE_FIELDS.some((f) => g.has(f));

/** Where the remote server answered, from the human-readable paragraph about `recipient`. */
const STAGE_PHRASES: ReadonlyArray<{ pattern: RegExp; stage: SmtpStage }> = [
  { pattern: /refused to talk to me|in reply to initial (?:protocol )?greeting|after initial connection/, stage: 'CONN' },
  { pattern: /in reply to (?:ehlo|helo|lhlo|starttls|auth)\b|after (?:ehlo|helo|lhlo|starttls|auth)\b/, stage: 'EHLO' },
  { pattern: /in reply to mail from\b|after mail from\b/, stage: 'MAIL' },
  { pattern: /in reply to rcpt to\b|after rcpt to\b/, stage: 'RCPT' },
  { pattern: /in reply to (?:end of )?data\b|after (?:end of )?data\b|in reply to bdat\b/, stage: 'DATA' },
];

/** Commands in a session transcript (Sendmail, Courier: `>>> RCPT To:<a@example.org>` then `<<< 550 …`). */
const TRANSCRIPT_COMMAND = />>> (mail from|rcpt to|data|bdat|ehlo|helo|lhlo|starttls|auth)\b/g;
const TRANSCRIPT_STAGE: Record<string, SmtpStage> = {
  'mail from': 'MAIL',
  'rcpt to': 'RCPT',
  data: 'DATA',
  bdat: 'DATA',
  ehlo: 'EHLO',
  helo: 'EHLO',
  lhlo: 'EHLO',
  starttls: 'EHLO',
  auth: 'EHLO',
};

/**
 * The stage a transcript shows for `needle`: the last command sent before the recipient's last
 * mention (the reply about it), else the first command after it (Courier names the recipient first).
 */
function stageFromTranscript(flat: string, needle: string): SmtpStage | undefined {
  const commands = [...flat.matchAll(TRANSCRIPT_COMMAND)].map((m) => ({ at: m.index, stage: TRANSCRIPT_STAGE[m[1]] }));
  if (commands.length === 0) return undefined;
  const mention = flat.lastIndexOf(needle);
  const before = commands.filter((c) => c.at < mention);
  return (before.length ? before[before.length - 1] : commands[0]).stage;
}

/**
 * The human-readable notification, read once per report: its paragraphs (blanks collapsed,
 * lower-case) and its lines, each listed under every address it names. A report may list
 * thousands of recipients; each then looks up its own paragraphs instead of searching the text.
 */
interface Notification {
  paragraphs: Map<string, string[]>;
  lines: Map<string, string[]>;
}

const ADDRESS_TOKEN = /[^\s<>()"'[\],;:]+@[^\s<>()"'[\],;:]+/g;

function addressesIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(ADDRESS_TOKEN)) found.add(match[0].toLowerCase().replace(/\.+$/, ''));
  return found;
}

function listUnder(map: Map<string, string[]>, keys: Set<string>, value: string): void {
  for (const key of keys) {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  }
}

function readNotification(text: string | undefined): Notification {
  const notification: Notification = { paragraphs: new Map(), lines: new Map() };
  if (!text) return notification;
  const normalised = text.replace(/\r\n/g, '\n');
  for (const paragraph of normalised.split(/\n[ \t]*\n/)) {
    const flat = paragraph.replace(/\s+/g, ' ').toLowerCase();
    listUnder(notification.paragraphs, addressesIn(flat), flat);
  }
  for (const line of normalised.split('\n')) listUnder(notification.lines, addressesIn(line), line);
  return notification;
}

function stageFromNotification(notification: Notification, recipient: string): SmtpStage | undefined {
  const needle = recipient.toLowerCase();
  const paragraphs = notification.paragraphs.get(needle) ?? [];
  for (const flat of paragraphs) {
    const found = STAGE_PHRASES.find((p) => p.pattern.test(flat));
    if (found) return found.stage;
  }
  for (const flat of paragraphs) {
    const stage = stageFromTranscript(flat, needle);
    if (stage) return stage;
  }
  return undefined;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An SMTP reply in a line of prose: a 4xx/5xx code, then an enhanced code or words. */
const REPLY_IN_LINE = /(?:^|[\s:>(])([45][0-5]\d[ -](?=[245]\.\d|[#<:'"(\[A-Za-z]).*)$/;

/**
 * What the notification says about `recipient`, for a recipient group without Diagnostic-Code:
 * the first line that names the address and carries a reply (OpenSMTPD: `a@example.org: 550 5.1.1
 * …`; Sendmail: `550 5.1.2 <a@example.org>... Host unknown`), else a line that is the address and
 * the reporting MTA's own reason (OpenSMTPD: `a@example.org: Domain does not exist`).
 */
function diagnosticFromNotification(notification: Notification, recipient: string): string | undefined {
  const lines = notification.lines.get(recipient.toLowerCase());
  if (!lines) return undefined;
  const listed = new RegExp(`^\\s*<?${escapeRegExp(recipient)}>?:[ \\t]*(\\S.*)$`, 'i');
  let reason: string | undefined;
  for (const line of lines) {
    const reply = REPLY_IN_LINE.exec(line.replace(/^\s*<<<\s*/, ' '));
    if (reply) return reply[1].replace(/\s+/g, ' ').trim();
    reason ??= listed.exec(line)?.[1]?.replace(/\s+/g, ' ').trim();
  }
  return reason;
}

function parseStatus(value: string | undefined): string | undefined {
  const match = /^\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/.exec(value ?? '');
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : undefined;
}

/** Non-standard Action values some MTAs write, and what they mean (SendGrid: "expired" = gave up). */
const ACTION_SYNONYMS: Record<string, DsnAction> = { expired: 'failed' };
/** Without an Action, only a failure or a delay is inferred from the Status; a success never is. */
const ACTION_FOR_CLASS: Record<string, DsnAction> = { '5': 'failed', '4': 'delayed' };
const STATUS_FOR_ACTION: Record<DsnAction, string> = {
  failed: '5.0.0',
  delayed: '4.0.0',
  delivered: '2.0.0',
  relayed: '2.0.0',
  expanded: '2.0.0',
};

/** The status a diagnostic states: its enhanced code, else its reply code's class (`550 …` → 5.0.0). */
function statusFromDiagnostic(diagnostic: string | undefined): string | undefined {
  if (!diagnostic) return undefined;
  const text = typed(diagnostic).value;
  const enhanced = parseStatus(parseEnhancedCode(text));
  if (enhanced) return enhanced;
  const reply = /^([245])\d\d(?=[ -]|$)/.exec(text);
  return reply ? `${reply[1]}.0.0` : undefined;
}

/** ISO-2022-JP (RFC 1468) announces itself by its escape sequences: Japanese MTAs write 7-bit diagnostics in it. */
const ISO_2022_JP_ESCAPE = /\x1b(?:\$[@B]|\([BJ])/;
let iso2022jp: TextDecoder | null | undefined;

/** A field value in ISO-2022-JP, decoded; anything else (or a Node without the decoder) as it is. */
function decodeIso2022Jp(value: string | undefined): string | undefined {
  if (value === undefined || !ISO_2022_JP_ESCAPE.test(value) || /[^\x00-\x7f]/.test(value)) return value;
  if (iso2022jp === undefined) {
    try {
      iso2022jp = new TextDecoder('iso-2022-jp');
    } catch {
      iso2022jp = null;
    }
  }
  return iso2022jp ? iso2022jp.decode(Buffer.from(value, 'latin1')) : value;
}

function parseRecipient(group: Fields, notification: Notification): DsnRecipient | undefined {
  const inferred: DsnInferredField[] = [];
  let final = first(group, 'final-recipient');
  if (!final) {
    final = first(group, 'original-recipient');
    if (final) inferred.push('finalRecipient');
  }
  if (!final) return undefined;
  const finalTyped = typed(final);
  const finalRecipient = bareAddress(finalTyped.value);
  if (!finalRecipient) return undefined;
  let finalRecipientType = finalTyped.type;
  if (!finalRecipientType) {
    // A bare address (`Original-Recipient: <a@example.org>`, McAfee) is an Internet mail address.
    if (!/^[^\s@<>;]+@[^\s@<>;]+$/.test(finalRecipient)) return undefined;
    finalRecipientType = 'rfc822';
    inferred.push('finalRecipientType');
  }

  const diagnostic = decodeIso2022Jp(first(group, 'diagnostic-code'));
  const statusField = first(group, 'status');
  let status = parseStatus(statusField);
  // A Status that is there but no status code makes the group suspect; an empty one is only missing.
  if (!status && statusField) return undefined;
  const actionWord = /^\s*([A-Za-z]+)/.exec(first(group, 'action') ?? '')?.[1]?.toLowerCase();
  let action: DsnAction | undefined;
  if (actionWord) {
    action = ACTIONS.has(actionWord) ? (actionWord as DsnAction) : ACTION_SYNONYMS[actionWord];
    if (!action) return undefined;
  }
  if (!status) {
    status = statusFromDiagnostic(diagnostic) ?? (action ? STATUS_FOR_ACTION[action] : undefined);
    if (status) inferred.push('status');
  }
  if (!action && status) {
    action = ACTION_FOR_CLASS[status[0]];
    if (action) inferred.push('action');
  }
  // Without either, a recipient's fate cannot be told (RFC 3464 2.3 requires both).
  if (!action || !status) return undefined;

  const recipient: DsnRecipient = { finalRecipient, finalRecipientType, action, status };
  const original = first(group, 'original-recipient');
  if (original) recipient.originalRecipient = bareAddress(typed(original).value);
  if (diagnostic) {
    const typedDiagnostic = typed(diagnostic);
    if (typedDiagnostic.type) recipient.diagnosticType = typedDiagnostic.type;
    if (typedDiagnostic.value) recipient.diagnosticCode = typedDiagnostic.value;
  } else {
    // No Diagnostic-Code: what the report says elsewhere about this recipient, if anything.
    const quoted = diagnosticFromNotification(notification, finalRecipient);
    const comment = /^\s*[245]\.\d{1,3}\.\d{1,3}\s*\(([^()]+)\)/.exec(statusField ?? '')?.[1]?.trim();
    if (quoted) {
      // A quoted reply is the server's (smtp); a reason without a code is the reporting MTA's own.
      if (/^[45]\d\d[ -]/.test(quoted)) recipient.diagnosticType = 'smtp';
      recipient.diagnosticCode = quoted;
      inferred.push('diagnosticCode');
    } else if (comment) {
      recipient.diagnosticCode = comment;
      inferred.push('diagnosticCode');
    }
  }
  const remote = first(group, 'remote-mta');
  if (remote) recipient.remoteMta = typed(remote).value;
  const lastAttempt = first(group, 'last-attempt-date');
  if (lastAttempt) {
    recipient.lastAttemptDate = lastAttempt;
    const ms = dateMs(lastAttempt);
    if (ms !== undefined) recipient.lastAttemptAt = ms;
  }
  const retryUntil = first(group, 'will-retry-until');
  if (retryUntil) {
    recipient.willRetryUntil = retryUntil;
    const ms = dateMs(retryUntil);
    if (ms !== undefined) recipient.willRetryUntilAt = ms;
  }
  const stage = stageFromNotification(notification, finalRecipient);
  if (stage) recipient.smtpStage = stage;
  if (inferred.length) recipient.inferred = inferred;
  return recipient;
}

/** Message-ID of the returned message or headers; what cannot be read as headers gives none. */
function returnedMessageId(part: Entity | undefined): string | undefined {
  if (!part) return undefined;
  const split = splitEntity(part.body.replace(/\r\n/g, '\n'));
  const id = split ? first(split.fields, 'message-id') : undefined;
  return id || undefined;
}

function perMessageInto(report: DsnReport, perMessage: Fields | undefined): void {
  if (!perMessage) return;
  const envid = first(perMessage, 'original-envelope-id');
  if (envid) report.envelopeId = envid;
  const reporting = first(perMessage, 'reporting-mta');
  if (reporting) report.reportingMta = typed(reporting).value;
  const arrival = first(perMessage, 'arrival-date');
  if (arrival) {
    report.arrivalDate = arrival;
    const ms = dateMs(arrival);
    if (ms !== undefined) report.arrivalAt = ms;
  }
}

function readReport(root: Entity): DsnReport {
  let statusPart: Entity | undefined;
  let siblings: Entity[] = [];
  if (STATUS_TYPES.has(root.type)) {
    statusPart = root;
  } else {
    const container = findContainer(root);
    if (!container) throw new Refused('not_a_report');
    // multipart/report says it is a DSN, so a missing or unreadable status part is a broken one.
    if (!container.parts) throw new Refused('malformed');
    siblings = container.parts;
    statusPart = siblings.find((p) => STATUS_TYPES.has(p.type));
    if (!statusPart) throw new Refused('malformed');
  }

  const groups = fieldGroups(statusPart.body);
  if (!groups || groups.length === 0) throw new Refused('malformed');
  const perMessage = isRecipientGroup(groups[0]) ? undefined : groups[0];
  // Groups without any recipient field after the first (an X- field on its own) are no recipients.
  const recipientGroups = groups.filter((g) => g !== perMessage && isRecipientGroup(g));
  if (recipientGroups.length === 0) throw new Refused('malformed');

  const notification = readNotification(
    siblings.find((p) => p !== statusPart && p.type.startsWith('text/') && p.type !== 'text/rfc822-headers')?.body,
  );
  const recipients: DsnRecipient[] = [];
  for (const group of recipientGroups) {
    const recipient = parseRecipient(group, notification);
    // One unreadable recipient group makes the whole report suspect: better none than a wrong attribution.
    if (!recipient) throw new Refused('malformed');
    recipients.push(recipient);
  }

  const report: DsnReport = { recipients };
  perMessageInto(report, perMessage);
  const messageId = returnedMessageId(siblings.find((p) => RETURNED_TYPES.has(p.type)));
  if (messageId) report.originalMessageId = messageId;
  return report;
}

/**
 * The field groups of a report read out of plain text, where the MIME structure gave none: blocks
 * of lines between blank lines (or part delimiters), a block with a recipient's address and its
 * Action or Status is a recipient group, the nearest block before the first with Reporting-MTA,
 * Arrival-Date or the like holds the per-message fields, and the first block after the last with
 * a Message-ID is the returned message's header. Undefined when there is no recipient group, or
 * when one of them cannot be read.
 */
function readReportFromText(text: string): DsnReport | undefined {
  const groups = blocksOf(text, true).map(parseFields);
  const recipientAt = groups.flatMap((g, i) => (g && isRecipientGroupInText(g) ? [i] : []));
  if (recipientAt.length === 0) return undefined;
  // As in a structured report, one unreadable recipient makes the whole text suspect.
  if (groups.some((g) => g && (g.has('final-recipient') || g.has('original-recipient')) && !isRecipientGroupInText(g)))
    return undefined;

  const notification = readNotification(text);
  const recipients: DsnRecipient[] = [];
  for (const i of recipientAt) {
    const recipient = parseRecipient(groups[i]!, notification);
    if (!recipient) return undefined;
    recipients.push(recipient);
  }
  const report: DsnReport = { recipients, readFrom: 'text' };
  const before = groups.slice(0, recipientAt[0]).reverse();
  perMessageInto(
    report,
    before.find((g): g is Fields => g !== undefined && isPerMessageGroup(g)),
  );
  const after = groups.slice(recipientAt[recipientAt.length - 1] + 1);
  const messageId = after.find((g) => g?.has('message-id'))?.get('message-id')?.[0];
  if (messageId) report.originalMessageId = messageId;
  return report;
}

/** The decoded text leaves of a tree, in order: where a gateway may have put a report as text. */
function textLeaves(entity: Entity): string[] {
  if (entity.parts) return entity.parts.flatMap(textLeaves);
  return entity.type.startsWith('text/') || STATUS_TYPES.has(entity.type) ? [entity.body] : [];
}

function byteLength(raw: string | Uint8Array): number {
  return typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.byteLength;
}

/**
 * Parses a delivery status notification from the raw message. Never throws. The MIME structure
 * is read first; only when it gives no readable report are the field groups looked for in the
 * text (each decoded text part, then the whole message), see `DsnReport.readFrom`.
 */
export function parseDsn(raw: string | Buffer, options: DsnParseOptions = {}): DsnParseResult {
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_DSN_MAX_BYTES;
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) return { ok: false, error: 'not_a_report' };
    // Every UTF-16 unit is at least one byte, so the cheap length settles a huge string without encoding it.
    if (raw.length > maxBytes || byteLength(raw) > maxBytes) return { ok: false, error: 'too_large' };
    const text = (
      typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
    ).replace(/\r\n?/g, '\n');
    // An mbox separator line may precede the headers when the mail comes from a spool file.
    const entityText = text.startsWith('From ') ? text.slice(text.indexOf('\n') + 1) : text;
    // A structure over the limits is refused as it is: the text is not searched either.
    const root = parseEntity(entityText, 0, { parts: MAX_PARTS });
    let refusal: DsnParseError = 'not_a_report';
    if (root) {
      try {
        return { ok: true, report: readReport(root) };
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        refusal = err.reason;
      }
    }
    for (const candidate of [...(root ? textLeaves(root) : []), entityText]) {
      const report = readReportFromText(candidate);
      if (report) return { ok: true, report };
    }
    return { ok: false, error: refusal };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, error: err.reason };
    // Nothing above should throw otherwise; if it does, the input is what is wrong.
    return { ok: false, error: 'malformed' };
  }
}

// ---------------------------------------------------------------------------------------------
// From a diagnostic to something classifySmtpReply takes
// ---------------------------------------------------------------------------------------------

export interface DiagnosticReply extends SmtpReply {
  /**
   * Where `code` came from: the remote server's reply in the diagnostic, the Status field (the
   * reporting MTA's own diagnostic such as "X-Postfix; Host or domain name not found" carries no
   * reply code, so 250/451/554 stand for its class), or nowhere (0).
   */
  codeFrom: 'reply' | 'status' | 'none';
}

/** Basic codes that stand for a status class when no server replied; the most neutral of each class. */
const CODE_FOR_CLASS: Record<string, number> = { '2': 250, '4': 451, '5': 554 };

/**
 * `smtp; 554 5.7.1 Service unavailable` (with or without the `smtp;` type, folded or not) and
 * the recipient's Status, as a reply `classifySmtpReply` can take. The stage is RCPT unless
 * known: most rejections in a report come from RCPT TO, and a relay reports what it saw; such a
 * guessed stage is marked `stageAssumed`, so that no rule takes it for the server's word.
 */
export function smtpReplyFromDiagnostic(
  diagnosticCode: string | undefined,
  status: string | undefined,
  known: { stage?: SmtpStage; remoteHost?: string } = {},
): DiagnosticReply {
  const raw = String(diagnosticCode ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const { type, value: text } = typed(raw);
  const statusCode = parseStatus(status);
  const replied = type === undefined || type === 'smtp' ? /^([2-5]\d\d)(?=[ -]|$)/.exec(text)?.[1] : undefined;

  let code = 0;
  let codeFrom: DiagnosticReply['codeFrom'] = 'none';
  if (replied) {
    code = Number(replied);
    codeFrom = 'reply';
  } else if (statusCode) {
    code = CODE_FOR_CLASS[statusCode[0]];
    codeFrom = 'status';
  }

  const reply: DiagnosticReply = { code, text, stage: known.stage ?? 'RCPT', codeFrom };
  if (!known.stage) reply.stageAssumed = true;
  // Postfix's and Sendmail's type for what a local delivery program (procmail, a pipe) printed.
  if (type === 'x-unix') reply.localProgram = true;
  // The server's own enhanced code wins; the Status only when it agrees on the class. Postfix, for
  // one, reports 4.0.0 for a 554 greeting it chose to retry, and that 4 is not the server's word.
  const enhanced = parseEnhancedCode(text) ?? (statusCode && code && statusCode[0] === String(code)[0] ? statusCode : undefined);
  if (enhanced) reply.enhancedCode = enhanced;
  if (known.remoteHost) reply.remoteHost = known.remoteHost;
  return reply;
}

/** The reply of one recipient of a parsed report, ready for `classifySmtpReply`. */
export function smtpReplyForRecipient(recipient: DsnRecipient): DiagnosticReply {
  const diagnostic = recipient.diagnosticType
    ? `${recipient.diagnosticType}; ${recipient.diagnosticCode ?? ''}`
    : recipient.diagnosticCode;
  return smtpReplyFromDiagnostic(diagnostic, recipient.status, { stage: recipient.smtpStage, remoteHost: recipient.remoteMta });
}
