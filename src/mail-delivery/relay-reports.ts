import type { RelayReportCountsRow } from '../outbox/outbox.repository';

/**
 * What our relay's reports tell, as pure decisions: whether the relay reports at all (else the
 * transit rule must stand in for its silence), and whether a family's mail sits in the relay far
 * longer than usual. The counts come from the outbox; nothing here reads a clock or a table.
 */

/** A relay that reports sends a success report within minutes: acceptances younger than this are not counted yet. */
export const REPORT_EXPECTED_WITHIN_MINUTES = 60;
/** So few acceptances prove nothing: a relay is called silent only over at least this many. */
export const SILENT_MIN_SAMPLE = 10;
/** A family's mail is "slow in the relay" past this many times its usual transit time... */
export const SLOW_FACTOR = 10;
/** ...and never below this many minutes (greylisting alone takes one retry round). */
export const SLOW_FLOOR_MINUTES = 15;

/** The rolling counts (the outbox reads them: `OutboxRepository.relayReportCounts`). */
export type RelayReportCounts = RelayReportCountsRow;

export interface RelayEhlo {
  /** When the EHLO was read (ms since epoch). */
  at: number;
  /** The relay announced DSN (RFC 3461). */
  dsn: boolean;
  /** The relay could not be reached: what went wrong. */
  error?: string;
}

export interface RelayVerdict {
  /**
   * `reporting`: reports come; mail stays in transit until its report. `silent`: reports were asked
   * for and none ever came; the transit rule applies to all relay mail. `no_dsn`: the relay
   * announced no DSN; the transit rule applies. `unknown`: too little mail to tell yet.
   */
  reports: 'reporting' | 'silent' | 'no_dsn' | 'unknown';
  /** The transit rule also counts relay mail with reports asked for. */
  transitRuleForAll: boolean;
  warnings: string[];
}

/**
 * Whether our relay reports. Silent is decided on evidence only: at least SILENT_MIN_SAMPLE
 * acceptances with reports asked for in a week, each old enough, and not one report in that week
 * (a week, so a quiet weekend at a small office does not undo the verdict). A relay that reported
 * last week and is quiet now is not silent but stuck (its uplink, a provider block without delay
 * warnings): its mail stays in transit, held up to the hold's limits.
 */
export function relayVerdict(counts: RelayReportCounts, ehlo: RelayEhlo | null, transitMinutes: number): RelayVerdict {
  const warnings: string[] = [];
  const rule = `mail the relay took counts as delivered ${transitMinutes} minutes after its 250 (RELAY_TRANSIT_MINUTES)`;
  const silent = counts.dueForReportWeek >= SILENT_MIN_SAMPLE && counts.reportsLastWeek === 0;
  if (ehlo?.error) warnings.push(`The relay could not be asked for its capabilities at start-up: ${ehlo.error}.`);
  if (ehlo && !ehlo.error && !ehlo.dsn)
    warnings.push(
      `The relay announces no DSN in its EHLO: holdfast cannot learn when mail reaches the recipient, so ${rule}. ` +
        'Switch DSN on at the relay (Postfix offers it unless smtpd_discard_ehlo_keywords removes it).',
    );
  if (counts.withoutDsn > 0 && counts.withoutDsn < counts.accepted)
    warnings.push(
      `${counts.withoutDsn} of ${counts.accepted} relay acceptances in the last 24 hours came on connections without DSN ` +
        '(a relay behind a load balancer configured unevenly?).',
    );
  if (silent)
    warnings.push(
      `None of ${counts.dueForReportWeek} relay acceptances of the last 7 days older than ${REPORT_EXPECTED_WITHIN_MINUTES} minutes ` +
        `got a report: the relay does not send delivery reports, so ${rule}. ` +
        'Check that the relay honours NOTIFY=SUCCESS and that mail to BOUNCE_DOMAIN reaches holdfast.',
    );
  else if (counts.dueForReport >= SILENT_MIN_SAMPLE && counts.unreported * 2 > counts.dueForReport)
    warnings.push(
      `${counts.unreported} of ${counts.dueForReport} relay acceptances older than ${REPORT_EXPECTED_WITHIN_MINUTES} minutes ` +
        'have no report yet: mail may be stuck in the relay queue (see each family).',
    );
  const noDsn = (ehlo !== null && !ehlo.error && !ehlo.dsn) || (counts.accepted > 0 && counts.withoutDsn === counts.accepted);
  const reports: RelayVerdict['reports'] = silent
    ? 'silent'
    : noDsn
      ? 'no_dsn'
      : counts.reportsLastWeek > 0
        ? 'reporting'
        : 'unknown';
  return { reports, transitRuleForAll: silent, warnings };
}

export interface RelayQueueFacts {
  inTransit: number;
  /** Minutes since the relay took the oldest mail still in transit. */
  oldestMinutes: number | null;
  /** Median minutes from the relay's 250 to the success report, this family, last 24 hours. */
  medianMinutes: number | null;
}

export interface RelayQueueSignal {
  /** The family's oldest mail in transit is far past its usual transit time. */
  slow: boolean;
  /** The age past which the family counts as slow. */
  thresholdMinutes: number;
  /** The transit time the threshold is drawn from: the family's own, else all families'. */
  usualMinutes: number | null;
}

/**
 * Whether a family's mail sits in the relay far longer than usual: its oldest mail in transit
 * is older than SLOW_FACTOR × its median transit time (all families' median when it has none
 * of its own), and at least SLOW_FLOOR_MINUTES. The signal for a provider that defers our mail at
 * the relay while the relay gives no delay warnings.
 */
export function relayQueueSignal(facts: RelayQueueFacts, overallMedianMinutes: number | null): RelayQueueSignal {
  const usualMinutes = facts.medianMinutes ?? overallMedianMinutes;
  const thresholdMinutes = Math.max(SLOW_FLOOR_MINUTES, SLOW_FACTOR * (usualMinutes ?? 0));
  const slow = facts.inTransit > 0 && facts.oldestMinutes !== null && facts.oldestMinutes > thresholdMinutes;
  return { slow, thresholdMinutes: Math.round(thresholdMinutes * 10) / 10, usualMinutes };
}
