import type { DeliveryEvidence, OutboxState } from '../outbox/outbox-states';
import { statusNamesBadAddress, type ReplyCategory } from './smtp-reply-classifier';

/** What a relay or mail service says happened to a mail after it took it. */
export type ReportAction = 'delivered' | 'relayed' | 'delayed' | 'failed' | 'expanded';

export interface ReportFacts {
  action: ReportAction;
  /** The DSN status (`5.1.1`, `4.4.7`), when given. */
  status?: string;
  /** The reply classifier's verdict on the report's diagnostic, when it had one. */
  category?: ReplyCategory;
  temporary?: boolean;
}

/**
 * Where a report moves the mail; `state: null` records the report and moves nothing. `deferred`
 * means we take the mail back and retry it ourselves (the caller holds it instead while the
 * family's circuit is open). `delivered`: the recipient's side has it from now on, the window
 * starts now.
 */
export interface ReportMove {
  state: Extract<OutboxState, 'accepted' | 'delayed' | 'bounced' | 'failed' | 'deferred'> | null;
  delivered: boolean;
}

/** The mail a report is about: its state, and for an `accepted` one what proved the delivery. */
export interface ReportedMail {
  state: OutboxState;
  evidence?: DeliveryEvidence | null;
}

const NOTHING: ReportMove = { state: null, delivered: false };

/**
 * The delivery-report decision, pure. Reports apply to mail a server accepted (`in_transit`,
 * `accepted`, `delayed`); about a mail we are sending again right now, or gave up on, they change
 * nothing.
 * - A success report (`delivered`; `relayed` or `expanded` when the next hop gives no reports) is
 *   the moment the mail reached the recipient's side: delivered now, from transit or after a
 *   delay. A mail already delivered by proof (an MX's 250, an earlier report) stays as it is; one
 *   only assumed delivered (the transit rule) takes the real, later moment.
 * - A delay report makes it undelivered, even after an MX's 250 (a gateway behind it can queue).
 * - A failure with a 4.x.x status, or for a provider block, rate limit or greylisting, means the
 *   relay gave up on a temporary condition: taken back. Only a verdict on the mailbox bounces it:
 *   the classifier's, or, for a failure without any diagnostic (nothing classified), a Status
 *   that names the address as bad (5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10), the reporting MTA's own
 *   and only word on it.
 */
export function moveForReport(current: ReportedMail, report: ReportFacts): ReportMove {
  if (current.state !== 'in_transit' && current.state !== 'accepted' && current.state !== 'delayed') return NOTHING;
  switch (report.action) {
    case 'delivered':
    case 'relayed':
    case 'expanded': {
      const proven = current.state === 'accepted' && current.evidence !== 'transit_rule' && current.evidence !== 'before_reports';
      return proven ? NOTHING : { state: 'accepted', delivered: true };
    }
    case 'delayed':
      return { state: 'delayed', delivered: false };
    case 'failed': {
      const statusClass = report.status?.charAt(0);
      if (report.category === 'mailbox_unknown' && statusClass !== '4') return { state: 'bounced', delivered: false };
      if (report.category === undefined && statusNamesBadAddress(report.status)) return { state: 'bounced', delivered: false };
      const temporaryCondition =
        statusClass === '4' ||
        report.temporary ||
        report.category === 'provider_block' ||
        report.category === 'rate_limit' ||
        report.category === 'greylist';
      return { state: temporaryCondition ? 'deferred' : 'failed', delivered: false };
    }
  }
}
