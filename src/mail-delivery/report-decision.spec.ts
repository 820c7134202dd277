import { OUTBOX_STATES } from '../outbox/outbox-states';
import { moveForReport, ReportedMail, ReportFacts, ReportMove } from './report-decision';

const move = (state: ReportMove['state'], delivered = false): ReportMove => ({ state, delivered });
const mail = (state: ReportedMail['state'], evidence: ReportedMail['evidence'] = null): ReportedMail => ({ state, evidence });
/** Delivered by proof: the MX said 250 (direct delivery). */
const byMx = mail('accepted', 'smtp');

describe('moveForReport: where a delivery report moves a mail', () => {
  const cases: Array<[string, ReportedMail, ReportFacts, ReportMove]> = [
    [
      'in the relay, then delivered: the window starts',
      mail('in_transit'),
      { action: 'delivered', status: '2.0.0' },
      move('accepted', true),
    ],
    [
      'in the relay, relayed to a hop without reports: delivered',
      mail('in_transit'),
      { action: 'relayed' },
      move('accepted', true),
    ],
    ['in the relay, expanded (a list): delivered', mail('in_transit'), { action: 'expanded' }, move('accepted', true)],
    ['in the relay, a delay report: undelivered', mail('in_transit'), { action: 'delayed', status: '4.4.7' }, move('delayed')],
    ['delayed, then delivered: the window starts now', mail('delayed'), { action: 'delivered' }, move('accepted', true)],
    ['delayed, then relayed: delivered now', mail('delayed'), { action: 'relayed' }, move('accepted', true)],
    ['delayed, then expanded', mail('delayed'), { action: 'expanded' }, move('accepted', true)],
    ['delivered by the MX already: a success report adds nothing', byMx, { action: 'delivered' }, move(null)],
    ['delivered by an earlier report: a second one adds nothing', mail('accepted', 'report'), { action: 'relayed' }, move(null)],
    [
      'assumed delivered by the transit rule: the real report moves the window later',
      mail('accepted', 'transit_rule'),
      { action: 'delivered' },
      move('accepted', true),
    ],
    [
      'accepted before reports were asked for: a report is the real moment',
      mail('accepted', 'before_reports'),
      { action: 'relayed' },
      move('accepted', true),
    ],
    ['a delay report after the MX took it: undelivered', byMx, { action: 'delayed', status: '4.4.7' }, move('delayed')],
    ['a second delay report', mail('delayed'), { action: 'delayed' }, move('delayed')],
    [
      'unknown mailbox, permanent: bounced',
      mail('in_transit'),
      { action: 'failed', status: '5.1.1', category: 'mailbox_unknown' },
      move('bounced'),
    ],
    [
      'unknown mailbox with a 4.x.x status: taken back, not bounced',
      byMx,
      { action: 'failed', status: '4.1.1', category: 'mailbox_unknown' },
      move('deferred'),
    ],
    ['relay gave up on a 4.x.x: taken back', mail('delayed'), { action: 'failed', status: '4.4.7' }, move('deferred')],
    [
      'a provider block (5.x.x) is not about the mailbox: taken back',
      mail('in_transit'),
      { action: 'failed', status: '5.7.1', category: 'provider_block' },
      move('deferred'),
    ],
    [
      'rate limit: taken back',
      mail('in_transit'),
      { action: 'failed', status: '5.7.0', category: 'rate_limit' },
      move('deferred'),
    ],
    [
      'greylisting: taken back',
      mail('in_transit'),
      { action: 'failed', status: '5.7.1', category: 'greylist' },
      move('deferred'),
    ],
    [
      'a temporary condition in words: taken back',
      mail('in_transit'),
      { action: 'failed', status: '5.0.0', category: 'unknown_temporary', temporary: true },
      move('deferred'),
    ],
    [
      'content rejected for good: failed',
      mail('in_transit'),
      { action: 'failed', status: '5.7.1', category: 'content_reject' },
      move('failed'),
    ],
    ['no status, no category: failed', byMx, { action: 'failed' }, move('failed')],
    [
      'no diagnostic at all, a status that names the address (host unknown): bounced',
      mail('in_transit'),
      { action: 'failed', status: '5.1.2' },
      move('bounced'),
    ],
    [
      'no diagnostic at all, an unspecific status: failed',
      mail('in_transit'),
      { action: 'failed', status: '5.0.0' },
      move('failed'),
    ],
    [
      'no diagnostic at all, a status about the mailbox, not the address (5.2.1 disabled): failed',
      mail('in_transit'),
      { action: 'failed', status: '5.2.1' },
      move('failed'),
    ],
    [
      'no diagnostic at all, a 4.1.1: taken back, not bounced',
      mail('in_transit'),
      { action: 'failed', status: '4.1.1' },
      move('deferred'),
    ],
    [
      "a diagnostic the classifier took as no verdict outweighs the status (a local program's words under 5.1.1)",
      mail('in_transit'),
      { action: 'failed', status: '5.1.1', category: 'unknown_permanent', temporary: false },
      move('failed'),
    ],
    [
      'a delay report with a 5.1.1 status stays a delay',
      mail('in_transit'),
      { action: 'delayed', status: '5.1.1' },
      move('delayed'),
    ],
  ];
  it.each(cases)('%s', (_name, current, facts, expected) => {
    expect(moveForReport(current, facts)).toEqual(expected);
  });

  const notHandedOver = OUTBOX_STATES.filter((s) => s !== 'in_transit' && s !== 'accepted' && s !== 'delayed');
  it.each(notHandedOver)('a report about a mail that is %s changes nothing', (state) => {
    for (const action of ['delivered', 'relayed', 'delayed', 'failed', 'expanded'] as const) {
      expect(moveForReport(mail(state), { action, status: '5.1.1', category: 'mailbox_unknown' })).toEqual(move(null));
    }
  });
});
