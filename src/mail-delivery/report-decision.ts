import type { OutboxState } from '../outbox/outbox-states';
import type { ReplyCategory } from './smtp-reply-classifier';

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
 * family's circuit is open). `deliveredByMx`: the recipient's side has it, the window starts.
 */
export interface ReportMove {
  state: Extract<OutboxState, 'accepted' | 'delayed' | 'bounced' | 'failed' | 'deferred'> | null;
  deliveredByMx: boolean;
}

const NOTHING: ReportMove = { state: null, deliveredByMx: false };

/**
 * The delivery-report decision, pure. Reports apply to mail a server accepted (`accepted`,
 * `delayed`); about a mail we are sending again right now, or gave up on, they change nothing. A
 * failure with a 4.x.x status, or for a provider block, rate limit or greylisting, means the relay
 * gave up on a temporary condition: taken back. Only a verdict on the mailbox bounces it.
 */
export function moveForReport(current: OutboxState, report: ReportFacts): ReportMove {
  if (current !== 'accepted' && current !== 'delayed') return NOTHING;
  switch (report.action) {
    case 'delivered':
      return { state: 'accepted', deliveredByMx: true };
    case 'relayed':
    case 'expanded':
      // Passed on to a next hop without reports: delivered as far as anyone will tell us.
      return current === 'delayed' ? { state: 'accepted', deliveredByMx: false } : NOTHING;
    case 'delayed':
      return { state: 'delayed', deliveredByMx: false };
    case 'failed': {
      const statusClass = report.status?.charAt(0);
      if (report.category === 'mailbox_unknown' && statusClass !== '4') return { state: 'bounced', deliveredByMx: false };
      const temporaryCondition =
        statusClass === '4' ||
        report.temporary ||
        report.category === 'provider_block' ||
        report.category === 'rate_limit' ||
        report.category === 'greylist';
      return { state: temporaryCondition ? 'deferred' : 'failed', deliveredByMx: false };
    }
  }
}
