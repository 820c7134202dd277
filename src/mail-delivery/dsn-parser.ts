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
  /** Diagnostic-Code without its type, folded lines joined with one space, e.g. '550 5.1.1 <x@y>: User unknown'. */
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
}

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
 * Header fields of a block of lines; undefined when a line is neither a field nor a continuation,
 * i.e. the text is not a header block at all. Folded lines are joined with one space.
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
    if (/^[ \t]/.test(line)) {
      if (!current) return undefined;
      current.value += ' ' + line.trim();
      continue;
    }
    const match = FIELD_LINE.exec(line);
    if (!match) return undefined;
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

/** Field groups of the delivery-status body, split at blank lines; undefined when a line is no field. */
function fieldGroups(body: string): Fields[] | undefined {
  const groups: string[][] = [];
  let current: string[] = [];
  for (const line of body.replace(/\r\n/g, '\n').split('\n')) {
    if (BLANK.test(line)) {
      if (current.length) groups.push(current);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length) groups.push(current);
  const parsed = groups.map(parseFields);
  return parsed.every((g): g is Fields => g !== undefined) ? parsed : undefined;
}

const RECIPIENT_FIELDS = ['final-recipient', 'original-recipient', 'action', 'status'];
const isRecipientGroup = (g: Fields): boolean => RECIPIENT_FIELDS.some((f) => g.has(f));

/** Where the remote server answered, from the human-readable paragraph about `recipient`. */
const STAGE_PHRASES: ReadonlyArray<{ pattern: RegExp; stage: SmtpStage }> = [
  { pattern: /refused to talk to me|in reply to initial (?:protocol )?greeting|after initial connection/, stage: 'CONN' },
  { pattern: /in reply to (?:ehlo|helo|lhlo|starttls|auth)\b|after (?:ehlo|helo|lhlo|starttls|auth)\b/, stage: 'EHLO' },
  { pattern: /in reply to mail from\b|after mail from\b/, stage: 'MAIL' },
  { pattern: /in reply to rcpt to\b|after rcpt to\b/, stage: 'RCPT' },
  { pattern: /in reply to (?:end of )?data\b|after (?:end of )?data\b|in reply to bdat\b/, stage: 'DATA' },
];

function stageFromNotification(text: string | undefined, recipient: string): SmtpStage | undefined {
  if (!text || !recipient) return undefined;
  const needle = recipient.toLowerCase();
  for (const paragraph of text.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/)) {
    const flat = paragraph.replace(/\s+/g, ' ').toLowerCase();
    if (!flat.includes(needle)) continue;
    const found = STAGE_PHRASES.find((p) => p.pattern.test(flat));
    if (found) return found.stage;
  }
  return undefined;
}

function parseStatus(value: string | undefined): string | undefined {
  const match = /^\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/.exec(value ?? '');
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : undefined;
}

function parseRecipient(group: Fields, notification: string | undefined): DsnRecipient | undefined {
  const final = first(group, 'final-recipient');
  const action = /^\s*([A-Za-z]+)/.exec(first(group, 'action') ?? '')?.[1]?.toLowerCase();
  const status = parseStatus(first(group, 'status'));
  // All three are required by RFC 3464 2.3; without them a recipient's fate cannot be told.
  if (!final || !action || !ACTIONS.has(action) || !status) return undefined;
  const finalTyped = typed(final);
  const finalRecipient = bareAddress(finalTyped.value);
  if (!finalRecipient || !finalTyped.type) return undefined;

  const recipient: DsnRecipient = { finalRecipient, finalRecipientType: finalTyped.type, action: action as DsnAction, status };
  const original = first(group, 'original-recipient');
  if (original) recipient.originalRecipient = bareAddress(typed(original).value);
  const diagnostic = first(group, 'diagnostic-code');
  if (diagnostic) {
    const typedDiagnostic = typed(diagnostic);
    if (typedDiagnostic.type) recipient.diagnosticType = typedDiagnostic.type;
    if (typedDiagnostic.value) recipient.diagnosticCode = typedDiagnostic.value;
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
  return recipient;
}

/** Message-ID of the returned message or headers; what cannot be read as headers gives none. */
function returnedMessageId(part: Entity | undefined): string | undefined {
  if (!part) return undefined;
  const split = splitEntity(part.body.replace(/\r\n/g, '\n'));
  const id = split ? first(split.fields, 'message-id') : undefined;
  return id || undefined;
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
  const recipientGroups = perMessage ? groups.slice(1) : groups;
  if (recipientGroups.length === 0) throw new Refused('malformed');

  const notification = siblings.find(
    (p) => p !== statusPart && p.type.startsWith('text/') && p.type !== 'text/rfc822-headers',
  )?.body;
  const recipients: DsnRecipient[] = [];
  for (const group of recipientGroups) {
    const recipient = parseRecipient(group, notification);
    // One unreadable recipient group makes the whole report suspect: better none than a wrong attribution.
    if (!recipient) throw new Refused('malformed');
    recipients.push(recipient);
  }

  const report: DsnReport = { recipients };
  if (perMessage) {
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
  const messageId = returnedMessageId(siblings.find((p) => RETURNED_TYPES.has(p.type)));
  if (messageId) report.originalMessageId = messageId;
  return report;
}

function byteLength(raw: string | Uint8Array): number {
  return typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.byteLength;
}

/** Parses a delivery status notification from the raw message. Never throws. */
export function parseDsn(raw: string | Buffer, options: DsnParseOptions = {}): DsnParseResult {
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_DSN_MAX_BYTES;
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) return { ok: false, error: 'not_a_report' };
    // Every UTF-16 unit is at least one byte, so the cheap length settles a huge string without encoding it.
    if (raw.length > maxBytes || byteLength(raw) > maxBytes) return { ok: false, error: 'too_large' };
    const text = (
      typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
    ).replace(/\r\n/g, '\n');
    // An mbox separator line may precede the headers when the mail comes from a spool file.
    const entityText = text.startsWith('From ') ? text.slice(text.indexOf('\n') + 1) : text;
    const root = parseEntity(entityText, 0, { parts: MAX_PARTS });
    if (!root) return { ok: false, error: 'not_a_report' };
    return { ok: true, report: readReport(root) };
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
 * known: most rejections in a report come from RCPT TO, and a relay reports what it saw.
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
